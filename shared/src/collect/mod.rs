//! Fact collectors: async readers over the AWS SDK clients they are given.

pub mod config_items;
pub mod monitoring;
pub mod root_account;
pub mod s3_buckets;
pub mod trails;

use crate::error::{AwsCallError, Retryable};
use crate::facts::credential_report::CredentialReportError;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error(transparent)]
    Aws(#[from] AwsCallError),
    #[error("the IAM credential report was not ready after {waited:?} (last state: {last_state}); no verdict")]
    CredentialReportNotReady {
        waited: Duration,
        last_state: String,
    },
    #[error("the IAM credential report could not be read: {0}")]
    CredentialReport(#[from] CredentialReportError),
    #[error("the IAM credential report is not UTF-8 text")]
    CredentialReportEncoding,
    #[error("the IAM credential report has no <root_account> row; no verdict")]
    NoRootRow,
    #[error("GetAccountSummary did not report {0}")]
    SummaryMissing(&'static str),
    #[error("the bucket is gone: {0}")]
    BucketGone(String),
    #[error("{what} is unreadable: {message}")]
    Unreadable { what: String, message: String },
}

impl Retryable for CollectError {
    fn is_retryable(&self) -> bool {
        match self {
            CollectError::Aws(e) => e.is_retryable(),
            CollectError::CredentialReportNotReady { .. } => true,
            _ => false,
        }
    }
}
