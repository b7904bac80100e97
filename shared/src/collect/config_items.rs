//! Configuration items too large for the invocation event: read them back from Config history.

use aws_sdk_config::types::ResourceType;

use crate::error::AwsCallError;
use crate::events::config_rule::{parse_item, ConfigEventError, ConfigurationItem, ItemSummary};

#[derive(Debug, thiserror::Error)]
pub enum ItemFetchError {
    #[error(transparent)]
    Aws(#[from] AwsCallError),
    #[error("GetResourceConfigHistory returned no item for {resource_type} {resource_id}")]
    NotFound {
        resource_type: String,
        resource_id: String,
    },
    #[error("the configuration item from history is malformed: {0}")]
    Malformed(#[from] ConfigEventError),
}

impl crate::error::Retryable for ItemFetchError {
    fn is_retryable(&self) -> bool {
        matches!(self, ItemFetchError::Aws(e) if e.retryable)
    }
}

/// The latest item for an oversized notification's resource (`limit = 1`).
pub async fn fetch_latest_item(
    config: &aws_sdk_config::Client,
    summary: &ItemSummary,
) -> Result<ConfigurationItem, ItemFetchError> {
    let out = config
        .get_resource_config_history()
        .resource_type(ResourceType::from(summary.resource_type.as_str()))
        .resource_id(&summary.resource_id)
        .limit(1)
        .send()
        .await
        .map_err(|e| AwsCallError::from_sdk("config:GetResourceConfigHistory", e))?;
    let item = out
        .configuration_items()
        .first()
        .ok_or_else(|| ItemFetchError::NotFound {
            resource_type: summary.resource_type.clone(),
            resource_id: summary.resource_id.clone(),
        })?;
    // Rebuild the notification's JSON shape so one parser serves both paths.
    let configuration = item
        .configuration()
        .map(|c| {
            serde_json::from_str::<serde_json::Value>(c)
                .unwrap_or(serde_json::Value::String(c.to_string()))
        })
        .unwrap_or(serde_json::Value::Null);
    let json = serde_json::json!({
        "resourceType": item.resource_type().map(|t| t.as_str()).unwrap_or(&summary.resource_type),
        "resourceId": item.resource_id().unwrap_or(&summary.resource_id),
        "resourceName": item.resource_name(),
        "ARN": item.arn(),
        "awsAccountId": item.account_id(),
        "awsRegion": item.aws_region(),
        "configurationItemStatus": item.configuration_item_status().map(|s| s.as_str()),
        "configurationItemCaptureTime": item
            .configuration_item_capture_time()
            .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
        "configuration": configuration,
        "supplementaryConfiguration": item.supplementary_configuration(),
        "tags": item.tags(),
    });
    Ok(parse_item(&json)?)
}
