//! AWS Config custom rules ftr-arc-001, ftr-arc-003, ftr-arc-004 (periodic).

use ftr_shared::handlers::root_account_rules::RootAccountRules;
use ftr_shared::lambda::{init_logging, EdgeError};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_logging();
    let settings = ftr_shared::settings::Settings::from_env()?;
    let sdk = ftr_shared::aws::load_sdk_config(settings.aws_max_attempts).await;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let rules = RootAccountRules::new(&sdk, &settings);
        async move {
            let outcome = rules
                .handle(&event.payload, chrono::Utc::now())
                .await
                .map_err(EdgeError::from)?;
            Ok::<Value, EdgeError>(outcome.to_json())
        }
    }))
    .await
}
