//! AWS Config custom rules ftr-s3-001, ftr-s3-002, ftr-sdat-002, ftr-sdat-003, ftr-sdat-004 for
//! buckets (change-triggered and periodic).

use ftr_shared::handlers::s3_rules::S3Rules;
use ftr_shared::lambda::{init_logging, EdgeError};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_logging();
    let settings = ftr_shared::settings::Settings::from_env()?;
    let sdk = ftr_shared::aws::load_sdk_config(settings.aws_max_attempts).await;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let rules = S3Rules::new(&sdk, &settings);
        async move {
            let summary = rules
                .handle(&event.payload, chrono::Utc::now())
                .await
                .map_err(EdgeError::from)?;
            Ok::<Value, EdgeError>(summary.to_json())
        }
    }))
    .await
}
