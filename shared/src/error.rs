//! Errors at the AWS boundary, and the retryable / permanent split the Lambda edge needs.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// Error codes AWS services use for throttling and transient server trouble.
const TRANSIENT_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "SlowDown",
    "RequestTimeout",
    "RequestTimeoutException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalFailure",
    "InternalError",
    "InternalServerError",
    "InternalServiceError",
    "InternalException",
];

/// A failed AWS API call, classified.
#[derive(Debug, thiserror::Error)]
#[error("{operation} failed{}: {message}", code.as_deref().map(|c| format!(" with {c}")).unwrap_or_default())]
pub struct AwsCallError {
    pub operation: &'static str,
    /// The service's error code, e.g. `AccessDenied`, `ReportInProgress`.
    pub code: Option<String>,
    pub message: String,
    /// HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// Worth retrying: throttling, 5xx, timeouts, connection failures.
    pub retryable: bool,
}

impl AwsCallError {
    /// Classify an SDK error from `operation`.
    pub fn from_sdk<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let status = err.raw_response().map(|r| r.status().as_u16());
        let (code, message, retryable) = match &err {
            SdkError::TimeoutError(_) => (None, "timed out".to_string(), true),
            SdkError::DispatchFailure(df) => {
                let why = match df.as_connector_error() {
                    Some(ce) if ce.is_timeout() => "timed out connecting".to_string(),
                    Some(ce) => root_cause(ce),
                    None => root_cause(&err),
                };
                (None, format!("could not send the request: {why}"), true)
            }
            SdkError::ConstructionFailure(_) => (None, format!("{}", DisplayChain(&err)), false),
            SdkError::ResponseError(_) => (None, format!("{}", DisplayChain(&err)), true),
            SdkError::ServiceError(se) => {
                let e = se.err();
                let code = e.code().map(str::to_string);
                let transient = code
                    .as_deref()
                    .is_some_and(|c| TRANSIENT_CODES.contains(&c))
                    || status.is_some_and(|s| s >= 500 || s == 429);
                (
                    code,
                    e.message()
                        .map(str::to_string)
                        .unwrap_or_else(|| DisplayChain(&err).to_string()),
                    transient,
                )
            }
            _ => (None, format!("{}", DisplayChain(&err)), false),
        };
        AwsCallError {
            operation,
            code,
            message,
            status,
            retryable,
        }
    }

    pub fn code_is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    /// A permission gap: never a verdict.
    pub fn is_access_denied(&self) -> bool {
        matches!(
            self.code.as_deref(),
            Some(
                "AccessDenied"
                    | "AccessDeniedException"
                    | "UnauthorizedOperation"
                    | "AuthorizationError"
            )
        )
    }
}

/// The innermost error's message (e.g. "Connection refused (os error 111)").
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last: &(dyn std::error::Error + 'static) = err;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

/// Display an error with its sources.
pub struct DisplayChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for DisplayChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

/// Is an error worth retrying (the Lambda edge reports it as such)?
pub trait Retryable {
    fn is_retryable(&self) -> bool;
}

impl Retryable for AwsCallError {
    fn is_retryable(&self) -> bool {
        self.retryable
    }
}
