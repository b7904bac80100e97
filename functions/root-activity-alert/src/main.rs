//! EventBridge: CloudTrail records of root-user activity → ARC-001/ARC-004 finding + SNS alert.

use ftr_shared::handlers::root_activity_alert::handle_root_activity;
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
        let region = region.clone();
        async move {
            let delivery = delivery
                .map_err(|e| EdgeError::from(ftr_shared::handlers::HandlerError::from(e)))?;
            let out = handle_root_activity(&event.payload, &region, &delivery, chrono::Utc::now())
                .await
                .map_err(EdgeError::from)?;
            Ok::<Value, EdgeError>(match out {
                None => json!({"action": "none"}),
                Some((plan, delivered)) => json!({
                    "action": "alert",
                    "control": plan.activity.control.id,
                    "category": plan.activity.category.as_str(),
                    "severity": plan.activity.severity.label(),
                    "subject": plan.alert.subject(),
                    "finding_id": plan.finding.id,
                    "result": delivered,
                }),
            })
        }
    }))
    .await
}
