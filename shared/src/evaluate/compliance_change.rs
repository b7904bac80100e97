//! "Config Rules Compliance Change" events for `ftr-*` rules: alert when a resource turns
//! NON_COMPLIANT, stay silent while it stays so. Pure: the event carries both the old and the new
//! result, so no stored state is needed to see a transition.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::catalogue::{control_for_rule_name, Control};
use crate::evaluation::Compliance;
use crate::events::config_rule::parse_time;

#[derive(Debug, thiserror::Error)]
pub enum ComplianceChangeError {
    #[error("compliance change event is not valid JSON of the expected shape: {0}")]
    Shape(#[source] serde_json::Error),
    #[error("compliance change event has no `{0}`")]
    Missing(&'static str),
    #[error("compliance change event has an unknown complianceType `{0}`")]
    UnknownCompliance(String),
    #[error(
        "compliance change event names rule `{detail}` but its result is for rule `{qualifier}`"
    )]
    RuleMismatch { detail: String, qualifier: String },
}

#[derive(Debug, Clone, Deserialize)]
struct Envelope {
    #[serde(default)]
    id: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    time: Option<String>,
    detail: Detail,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Detail {
    #[serde(default)]
    resource_id: Option<String>,
    #[serde(default)]
    resource_type: Option<String>,
    #[serde(default)]
    aws_region: Option<String>,
    #[serde(default)]
    aws_account_id: Option<String>,
    #[serde(default)]
    config_rule_name: Option<String>,
    #[serde(default)]
    new_evaluation_result: Option<Value>,
    #[serde(default)]
    old_evaluation_result: Option<Value>,
}

/// A parsed compliance change.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplianceChange {
    pub event_id: String,
    pub rule_name: String,
    pub account_id: String,
    pub region: String,
    pub resource_type: String,
    pub resource_id: String,
    pub new: Option<Compliance>,
    pub old: Option<Compliance>,
    pub annotation: Option<String>,
    pub recorded_at: Option<DateTime<Utc>>,
}

/// What to do with a change.
#[derive(Debug, Clone, PartialEq)]
pub enum ComplianceChangeVerdict {
    /// The resource just turned NON_COMPLIANT for an FTR control.
    Alert {
        control: &'static Control,
        change: ComplianceChange,
    },
    NoAction(&'static str),
}

fn compliance_of(result: &Option<Value>) -> Result<Option<Compliance>, ComplianceChangeError> {
    let Some(ct) = result
        .as_ref()
        .and_then(|r| r.get("complianceType"))
        .and_then(Value::as_str)
    else {
        return Ok(None);
    };
    match ct {
        // INSUFFICIENT_DATA is not a verdict: treat as "no previous result".
        "INSUFFICIENT_DATA" => Ok(None),
        other => Compliance::parse(other)
            .map(Some)
            .ok_or_else(|| ComplianceChangeError::UnknownCompliance(other.to_string())),
    }
}

impl ComplianceChange {
    pub fn parse(event: &Value) -> Result<Self, ComplianceChangeError> {
        if event.get("detail").is_none_or(|d| !d.is_object()) {
            return Err(ComplianceChangeError::Missing("detail"));
        }
        let env: Envelope =
            serde_json::from_value(event.clone()).map_err(ComplianceChangeError::Shape)?;
        let d = env.detail;
        let new_result = d
            .new_evaluation_result
            .clone()
            .filter(|r| r.is_object())
            .map(Some)
            .ok_or(ComplianceChangeError::Missing("detail.newEvaluationResult"))?;
        let qualifier = new_result
            .as_ref()
            .and_then(|r| r.pointer("/evaluationResultIdentifier/evaluationResultQualifier"));
        let from_qualifier = |k: &str| {
            qualifier
                .and_then(|q| q.get(k))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let rule_name = d
            .config_rule_name
            .clone()
            .or_else(|| from_qualifier("configRuleName"))
            .ok_or(ComplianceChangeError::Missing("detail.configRuleName"))?;
        if let (Some(detail), Some(qualifier)) = (
            d.config_rule_name.as_deref(),
            from_qualifier("configRuleName"),
        ) {
            if detail != qualifier {
                return Err(ComplianceChangeError::RuleMismatch {
                    detail: detail.to_string(),
                    qualifier,
                });
            }
        }
        if new_result
            .as_ref()
            .and_then(|r| r.get("complianceType"))
            .and_then(Value::as_str)
            .is_none()
        {
            return Err(ComplianceChangeError::Missing(
                "detail.newEvaluationResult.complianceType",
            ));
        }
        let resource_id = d
            .resource_id
            .or_else(|| from_qualifier("resourceId"))
            .ok_or(ComplianceChangeError::Missing("detail.resourceId"))?;
        let resource_type = d
            .resource_type
            .or_else(|| from_qualifier("resourceType"))
            .ok_or(ComplianceChangeError::Missing("detail.resourceType"))?;
        let recorded_at = new_result
            .as_ref()
            .and_then(|r| r.get("resultRecordedTime"))
            .and_then(Value::as_str)
            .and_then(parse_time)
            .or_else(|| env.time.as_deref().and_then(parse_time));
        let account_id = d.aws_account_id.unwrap_or(env.account);
        if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ComplianceChangeError::Missing(
                "detail.awsAccountId (12 digits)",
            ));
        }
        Ok(ComplianceChange {
            event_id: env.id,
            rule_name,
            account_id,
            region: d.aws_region.unwrap_or(env.region),
            resource_type,
            resource_id,
            new: compliance_of(&new_result)?,
            old: compliance_of(&d.old_evaluation_result)?,
            annotation: new_result
                .as_ref()
                .and_then(|r| r.get("annotation"))
                .and_then(Value::as_str)
                .map(str::to_string),
            recorded_at,
        })
    }

    /// Identifies this transition across duplicate deliveries and re-sent events: the same
    /// (account, region, rule, resource, new state, time recorded) is one alert.
    pub fn dedup_key(&self) -> String {
        format!(
            "compliance#{}#{}#{}#{}#{}#{}#{}",
            self.account_id,
            self.region,
            self.rule_name,
            self.resource_type,
            self.resource_id,
            self.new.map(Compliance::as_str).unwrap_or("NONE"),
            self.recorded_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| self.event_id.clone())
        )
    }
}

/// Alert only on the transition into NON_COMPLIANT, only for FTR rules.
pub fn classify_compliance_change(change: ComplianceChange) -> ComplianceChangeVerdict {
    let Some(control) = control_for_rule_name(&change.rule_name) else {
        return ComplianceChangeVerdict::NoAction("not an ftr-* rule");
    };
    match (change.old, change.new) {
        (_, Some(Compliance::NonCompliant)) if change.old != Some(Compliance::NonCompliant) => {
            ComplianceChangeVerdict::Alert { control, change }
        }
        (Some(Compliance::NonCompliant), Some(Compliance::NonCompliant)) => {
            ComplianceChangeVerdict::NoAction("still non-compliant; already alerted")
        }
        _ => ComplianceChangeVerdict::NoAction("not a transition to NON_COMPLIANT"),
    }
}
