//! EventBridge: "Config Rules Compliance Change" for ftr-* rules → SNS alert on NON_COMPLIANT.

use ftr_shared::handlers::compliance_alert::handle_compliance_change;
use ftr_shared::handlers::AlertDelivery;
use ftr_shared::lambda::{init_logging, EdgeError};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_logging();
    let settings = ftr_shared::settings::Settings::from_env()?;
    let sdk = ftr_shared::aws::load_sdk_config(settings.aws_max_attempts).await;
    AlertDelivery::for_alert_function(&sdk, &settings)?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let delivery = AlertDelivery::for_alert_function(&sdk, &settings);
        async move {
            let delivery = delivery
                .map_err(|e| EdgeError::from(ftr_shared::handlers::HandlerError::from(e)))?;
            let out = handle_compliance_change(&event.payload, &delivery, chrono::Utc::now())
                .await
                .map_err(EdgeError::from)?;
            Ok::<Value, EdgeError>(match out {
                None => json!({"action": "none"}),
                Some((alert, delivered)) => json!({
                    "action": "alert",
                    "control": alert.control.id,
                    "severity": alert.severity.label(),
                    "subject": alert.subject(),
                    "result": delivered,
                }),
            })
        }
    }))
    .await
}
