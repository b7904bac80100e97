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

/// Keys longer than this are shortened to a prefix and a hash (DynamoDB keys stop at 2048 bytes).
const MAX_KEY_BYTES: usize = 512;

/// The stored form of a dedup key: itself, or a prefix plus its 64-bit FNV-1a hash when long.
pub fn ledger_key(key: &str) -> String {
    if key.len() <= MAX_KEY_BYTES {
        return key.to_string();
    }
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut cut = 256;
    while !key.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}#{hash:016x}", &key[..cut])
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
            .item("pk", AttributeValue::S(ledger_key(key)))
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
            .key("pk", AttributeValue::S(ledger_key(key)))
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
            .key("pk", AttributeValue::S(ledger_key(key)))
            .condition_expression("#s = :pending")
            .expression_attribute_names("#s", "state")
            .expression_attribute_values(":pending", AttributeValue::S("pending".into()))
            .send()
            .await
            .map_err(|e| AwsCallError::from_sdk("dynamodb:DeleteItem", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::ledger_key;

    #[test]
    fn long_keys_are_shortened_stably_and_distinctly() {
        let a = format!("root-activity#111122223333#{}", "a".repeat(3000));
        let b = format!("root-activity#111122223333#{}b", "a".repeat(2999));
        assert!(ledger_key(&a).len() < 300);
        assert_eq!(ledger_key(&a), ledger_key(&a));
        assert_ne!(ledger_key(&a), ledger_key(&b));
        assert_eq!(ledger_key("short"), "short");
    }
}
