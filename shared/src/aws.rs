//! AWS clients for one invocation: account, region, credentials. Never global, so that the same
//! code can later serve member accounts of an organization through an assumed role.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use std::time::Duration;

/// The AWS side of one invocation.
#[derive(Debug, Clone)]
pub struct AwsContext {
    pub sdk: SdkConfig,
    pub account_id: String,
    pub region: String,
}

/// Load the SDK configuration from the usual chain (environment, profile, Lambda role),
/// honouring `AWS_ENDPOINT_URL`, with standard retries (`max_attempts`, jittered backoff).
pub async fn load_sdk_config(max_attempts: u32) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(max_attempts.max(1))
                .with_initial_backoff(Duration::from_millis(100)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(10))
                .operation_timeout(Duration::from_secs(30))
                .build(),
        )
        .load()
        .await
}

impl AwsContext {
    pub fn new(sdk: SdkConfig, account_id: impl Into<String>) -> Self {
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".to_string());
        AwsContext {
            sdk,
            account_id: account_id.into(),
            region,
        }
    }

    /// The partition of this context's region.
    pub fn partition(&self) -> &'static str {
        partition_of(&self.region)
    }

    pub fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.sdk)
    }
    pub fn config(&self) -> aws_sdk_config::Client {
        aws_sdk_config::Client::new(&self.sdk)
    }
    pub fn securityhub(&self) -> aws_sdk_securityhub::Client {
        aws_sdk_securityhub::Client::new(&self.sdk)
    }
    pub fn sns(&self) -> aws_sdk_sns::Client {
        aws_sdk_sns::Client::new(&self.sdk)
    }
    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk)
    }
}

/// `aws`, `aws-cn` or `aws-us-gov`, from a region name.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The account behind the current credentials (`sts:GetCallerIdentity`).
pub async fn caller_account(sdk: &SdkConfig) -> Result<String, crate::error::AwsCallError> {
    let out = aws_sdk_sts::Client::new(sdk)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| crate::error::AwsCallError::from_sdk("sts:GetCallerIdentity", e))?;
    out.account
        .filter(|a| !a.is_empty())
        .ok_or(crate::error::AwsCallError {
            operation: "sts:GetCallerIdentity",
            code: None,
            message: "no account in the answer".into(),
            status: None,
            retryable: false,
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn partitions_follow_region_names() {
        assert_eq!(super::partition_of("eu-west-1"), "aws");
        assert_eq!(super::partition_of("cn-north-1"), "aws-cn");
        assert_eq!(super::partition_of("us-gov-west-1"), "aws-us-gov");
    }
}
