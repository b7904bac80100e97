//! The Lambda edge: JSON logs, and errors reported as retryable or permanent.

use lambda_runtime::Diagnostic;

use crate::error::Retryable;
use crate::handlers::HandlerError;

/// JSON logs to stdout (CloudWatch), level from `RUST_LOG` (default `info`).
pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(false)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .try_init();
}

/// A handler failure as Lambda reports it: `errorType` is `Retryable.<Kind>` or
/// `Permanent.<Kind>`, so destinations, alarms and operators can tell them apart.
#[derive(Debug)]
pub struct EdgeError(pub HandlerError);

impl From<HandlerError> for EdgeError {
    fn from(e: HandlerError) -> Self {
        EdgeError(e)
    }
}

impl From<EdgeError> for Diagnostic {
    fn from(e: EdgeError) -> Diagnostic {
        let class = if e.0.is_retryable() {
            "Retryable"
        } else {
            "Permanent"
        };
        tracing::error!(error = %e.0, kind = e.0.kind(), retryable = e.0.is_retryable(), "invocation failed");
        Diagnostic {
            error_type: format!("{class}.{}", e.0.kind()),
            error_message: e.0.to_string(),
        }
    }
}
