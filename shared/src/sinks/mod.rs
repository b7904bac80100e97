//! Where verdicts go: AWS Config, Security Hub, SNS alerts (and the alert ledger).

pub mod alerts;
pub mod config;
pub mod ledger;
pub mod securityhub;

use crate::error::{AwsCallError, Retryable};

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error(transparent)]
    Aws(#[from] AwsCallError),
    #[error("{sink} rejected {count} item(s): {details}")]
    Rejected {
        sink: &'static str,
        count: usize,
        details: String,
    },
    #[error("refused to send an invalid item: {0}")]
    Invalid(String),
}

impl Retryable for SinkError {
    fn is_retryable(&self) -> bool {
        match self {
            SinkError::Aws(e) => e.is_retryable(),
            // Rejections that survived our own retries may still pass on a later invocation.
            SinkError::Rejected { .. } => true,
            SinkError::Invalid(_) => false,
        }
    }
}
