//! CloudTrail records delivered by EventBridge (`AWS API Call via CloudTrail`,
//! `AWS Console Sign In via CloudTrail`, ...). Only the fields we judge are typed; the rest stays
//! as JSON so that nothing is lost.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum CloudTrailEventError {
    #[error("EventBridge event is not valid JSON of the expected shape: {0}")]
    Shape(#[source] serde_json::Error),
    #[error("EventBridge event has no `{0}`")]
    Missing(&'static str),
    #[error("not an EventBridge event: a JSON object with a `detail` object is expected")]
    NotAnEvent,
    #[error("not a CloudTrail record: detail-type is `{0}`")]
    NotCloudTrail(String),
    #[error("`{field}` = `{value}` is not a 12-digit AWS account id")]
    BadAccount { field: &'static str, value: String },
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The EventBridge envelope around a CloudTrail record.
#[derive(Debug, Clone, Deserialize)]
pub struct CloudTrailEvent {
    /// EventBridge event id.
    #[serde(default)]
    pub id: String,
    #[serde(rename = "detail-type", default)]
    pub detail_type: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub account: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub time: Option<String>,
    pub detail: CloudTrailRecord,
}

/// One CloudTrail record (`detail`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudTrailRecord {
    #[serde(default)]
    pub user_identity: UserIdentity,
    #[serde(default)]
    pub event_time: Option<String>,
    #[serde(default)]
    pub event_source: String,
    #[serde(default)]
    pub event_name: String,
    #[serde(default)]
    pub aws_region: Option<String>,
    #[serde(rename = "sourceIPAddress", default)]
    pub source_ip_address: Option<String>,
    #[serde(default)]
    pub user_agent: Option<String>,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
    #[serde(default)]
    pub request_parameters: Value,
    #[serde(default)]
    pub response_elements: Value,
    #[serde(default)]
    pub additional_event_data: Value,
    #[serde(rename = "eventID", default)]
    pub event_id: Option<String>,
    #[serde(default)]
    pub event_type: Option<String>,
    #[serde(default)]
    pub recipient_account_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity {
    #[serde(rename = "type", default)]
    pub identity_type: Option<String>,
    #[serde(default)]
    pub principal_id: Option<String>,
    #[serde(default)]
    pub arn: Option<String>,
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub access_key_id: Option<String>,
    #[serde(default)]
    pub user_name: Option<String>,
    /// Set when an AWS service made the call on the identity's behalf.
    #[serde(default)]
    pub invoked_by: Option<String>,
    #[serde(default)]
    pub session_context: Option<SessionContext>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionContext {
    /// `"true"` for a short-term root session issued by `sts:AssumeRoot`.
    #[serde(default)]
    pub assumed_root: Option<Value>,
    #[serde(default)]
    pub attributes: Option<Value>,
}

impl CloudTrailEvent {
    /// Parse and check a CloudTrail-via-EventBridge record: the fields every decision depends on
    /// must be there; nothing is guessed.
    pub fn parse(event: &Value) -> Result<Self, CloudTrailEventError> {
        if !event.is_object() || event.get("detail").is_none_or(|d| !d.is_object()) {
            return Err(CloudTrailEventError::NotAnEvent);
        }
        let ev: CloudTrailEvent =
            serde_json::from_value(event.clone()).map_err(CloudTrailEventError::Shape)?;
        if !ev.detail_type.ends_with("via CloudTrail") {
            return Err(CloudTrailEventError::NotCloudTrail(ev.detail_type.clone()));
        }
        if ev.detail.event_source.trim().is_empty() {
            return Err(CloudTrailEventError::Missing("detail.eventSource"));
        }
        if ev.detail.event_name.trim().is_empty() {
            return Err(CloudTrailEventError::Missing("detail.eventName"));
        }
        if ev
            .detail
            .user_identity
            .identity_type
            .as_deref()
            .is_none_or(|t| t.trim().is_empty())
        {
            return Err(CloudTrailEventError::Missing("detail.userIdentity.type"));
        }
        let account = ev.account_id();
        if !is_account_id(account) {
            return Err(CloudTrailEventError::BadAccount {
                field: "account",
                value: account.to_string(),
            });
        }
        Ok(ev)
    }

    /// The id that identifies this record across duplicate deliveries: CloudTrail's `eventID`,
    /// else the EventBridge id.
    pub fn dedup_id(&self) -> &str {
        self.detail
            .event_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.id)
    }

    /// The account the record is about.
    pub fn account_id(&self) -> &str {
        self.detail
            .recipient_account_id
            .as_deref()
            .or(self.detail.user_identity.account_id.as_deref())
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.account)
    }

    pub fn region(&self) -> &str {
        self.detail
            .aws_region
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.region)
    }

    /// When it happened: `eventTime`, else the envelope's `time`.
    pub fn occurred_at(&self) -> Option<DateTime<Utc>> {
        let parse = crate::events::config_rule::parse_time;
        self.detail
            .event_time
            .as_deref()
            .and_then(parse)
            .or_else(|| self.time.as_deref().and_then(parse))
    }
}

impl SessionContext {
    pub fn is_assumed_root(&self) -> bool {
        match &self.assumed_root {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        }
    }

    pub fn mfa_authenticated(&self) -> Option<bool> {
        match self.attributes.as_ref()?.get("mfaAuthenticated")? {
            Value::Bool(b) => Some(*b),
            Value::String(s) => Some(s.eq_ignore_ascii_case("true")),
            _ => None,
        }
    }
}
