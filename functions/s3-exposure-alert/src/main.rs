//! EventBridge: CloudTrail records of bucket policy / ACL / Block Public Access / ownership
//! changes → re-read the bucket → S3-001 finding, and a CRITICAL alert when it is now public.

use ftr_shared::collect::s3_buckets::S3Clients;
use ftr_shared::handlers::s3_exposure_alert::handle_s3_exposure_event;
use ftr_shared::handlers::AlertDelivery;
use ftr_shared::lambda::{init_logging, EdgeError};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_logging();
    let settings = ftr_shared::settings::Settings::from_env()?;
    let sdk = ftr_shared::aws::load_sdk_config(settings.aws_max_attempts).await;
    let region = sdk
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "us-east-1".into());
    AlertDelivery::for_alert_function(&sdk, &settings)?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let delivery = AlertDelivery::for_alert_function(&sdk, &settings);
        let s3 = S3Clients::new(&sdk);
        let region = region.clone();
        async move {
            let delivery = delivery
                .map_err(|e| EdgeError::from(ftr_shared::handlers::HandlerError::from(e)))?;
            let out = handle_s3_exposure_event(
                &event.payload,
                &region,
                &s3,
                &delivery,
                chrono::Utc::now(),
            )
            .await
            .map_err(EdgeError::from)?;
            Ok::<Value, EdgeError>(match out {
                None => json!({"action": "none"}),
                Some(o) => json!({
                    "action": if o.alert.is_some() { "alert" } else { "finding" },
                    "bucket": o.bucket,
                    "control": o.evaluation.control.id,
                    "compliance": o.evaluation.compliance.as_str(),
                    "annotation": o.evaluation.annotation,
                    "result": o.alert.map(|(_, d)| d),
                }),
            })
        }
    }))
    .await
}
