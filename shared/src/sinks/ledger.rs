//! The alert ledger: a DynamoDB table that makes "one alert per event / transition" hold across
//! duplicate deliveries and concurrent invocations. A claim is leased: if the claimant dies before
//! it marks the alert sent, a retry after the lease takes over, so nothing is lost.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use crate::error::AwsCallError;
use crate::sinks::SinkError;

/// How long ledger entries are kept (DynamoDB TTL attribute `expires_at`).
pub const KEEP_ENTRIES: Duration = Duration::from_secs(14 * 24 * 3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Ours: send the alert, then [`AlertLedger::mark_sent`].
    Granted,
    /// Already sent, or being sent by another invocation right now.
    Duplicate,
}

pub struct AlertLedger {
    client: aws_sdk_dynamodb::Client,
    table: String,
    lease: Duration,
}

impl AlertLedger {
    pub fn new(
        client: aws_sdk_dynamodb::Client,
        table: impl Into<String>,
        lease: Duration,
    ) -> Self {
        AlertLedger {
            client,
            table: table.into(),
            lease,
        }
    }

    /// Claim `key`: granted if never seen, or if a previous claimant's lease ran out unsent.
    pub async fn claim(&self, key: &str, now: DateTime<Utc>) -> Result<Claim, SinkError> {
        let now_s = now.timestamp();
        let res = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", AttributeValue::S(key.to_string()))
            .item("state", AttributeValue::S("pending".into()))
            .item(
                "lease_until",
                AttributeValue::N((now_s + self.lease.as_secs() as i64).to_string()),
            )
            .item(
                "expires_at",
                AttributeValue::N((now_s + KEEP_ENTRIES.as_secs() as i64).to_string()),
            )
            .condition_expression(
                "attribute_not_exists(pk) OR (#s = :pending AND lease_until < :now)",
            )
            .expression_attribute_names("#s", "state")
            .expression_attribute_values(":pending", AttributeValue::S("pending".into()))
            .expression_attribute_values(":now", AttributeValue::N(now_s.to_string()))
            .send()
            .await;
        match res {
            Ok(_) => Ok(Claim::Granted),
            Err(e) => {
                let e = AwsCallError::from_sdk("dynamodb:PutItem", e);
                if e.code_is("ConditionalCheckFailedException") {
                    Ok(Claim::Duplicate)
                } else {
                    Err(e.into())
                }
            }
        }
    }

    /// The alert went out: later deliveries of the same key are duplicates for good.
    pub async fn mark_sent(&self, key: &str) -> Result<(), SinkError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(key.to_string()))
            .update_expression("SET #s = :sent")
            .expression_attribute_names("#s", "state")
            .expression_attribute_values(":sent", AttributeValue::S("sent".into()))
            .send()
            .await
            .map_err(|e| AwsCallError::from_sdk("dynamodb:UpdateItem", e))?;
        Ok(())
    }

    /// Sending failed: give the claim back so the retry can send.
    pub async fn release(&self, key: &str) -> Result<(), SinkError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(key.to_string()))
            .condition_expression("#s = :pending")
            .expression_attribute_names("#s", "state")
            .expression_attribute_values(":pending", AttributeValue::S("pending".into()))
            .send()
            .await
            .map_err(|e| AwsCallError::from_sdk("dynamodb:DeleteItem", e))?;
        Ok(())
    }
}
