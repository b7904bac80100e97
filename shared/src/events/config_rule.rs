//! AWS Config custom-rule invocations: the Lambda event, its stringified `invokingEvent` and
//! `ruleParameters`, and what triggered the evaluation.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::catalogue::{control, control_for_rule_name, Control};

/// The result token AWS Config uses for test invocations.
pub const TEST_MODE_TOKEN: &str = "TESTMODE";

#[derive(Debug, thiserror::Error)]
pub enum ConfigEventError {
    #[error("Config rule event is not valid JSON of the expected shape: {0}")]
    Envelope(#[source] serde_json::Error),
    #[error("Config rule event field `{field}` is not valid JSON: {source}")]
    EmbeddedJson {
        field: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("Config rule event has no `{0}`")]
    Missing(&'static str),
    #[error("Config rule event has an unknown messageType `{0}`")]
    UnknownMessageType(String),
    #[error("Config rule event field `{field}` has a bad timestamp `{value}`")]
    BadTimestamp { field: &'static str, value: String },
    #[error("rule parameter `{name}` = `{value}` is not {expected}")]
    BadParameter {
        name: String,
        value: String,
        expected: &'static str,
    },
    #[error("rule parameters are not a JSON object")]
    ParametersNotObject,
    #[error(
        "cannot tell which FTR control rule `{rule}` evaluates: set the `ControlId` rule parameter"
    )]
    UnknownControl { rule: String },
    #[error("rule `{rule}` evaluates {control}, which this function does not serve")]
    WrongControl { rule: String, control: &'static str },
}

/// The Lambda event AWS Config sends to a custom rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawConfigRuleEvent {
    invoking_event: Option<String>,
    rule_parameters: Option<String>,
    result_token: Option<String>,
    #[serde(default)]
    event_left_scope: Option<bool>,
    config_rule_name: Option<String>,
    account_id: Option<String>,
    #[serde(default)]
    execution_role_arn: Option<String>,
}

/// Where evaluations for this invocation go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultToken {
    /// `TESTMODE`: PutEvaluations with `TestMode=true`.
    TestMode,
    Token(String),
}

impl ResultToken {
    pub fn parse(s: &str) -> Self {
        if s == TEST_MODE_TOKEN {
            ResultToken::TestMode
        } else {
            ResultToken::Token(s.to_string())
        }
    }
}

/// A configuration item, as delivered in a change notification or read back from history.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigurationItem {
    pub resource_type: String,
    pub resource_id: String,
    pub resource_name: Option<String>,
    pub arn: Option<String>,
    pub account_id: String,
    pub region: Option<String>,
    pub status: String,
    pub capture_time: DateTime<Utc>,
    /// `null` after deletion.
    pub configuration: Option<Value>,
    pub supplementary_configuration: Value,
    pub tags: Map<String, Value>,
}

impl ConfigurationItem {
    /// Deleted, or no longer recorded: the verdict is NOT_APPLICABLE and its finding is archived.
    pub fn is_gone(&self) -> bool {
        matches!(
            self.status.as_str(),
            "ResourceDeleted" | "ResourceDeletedNotRecorded" | "ResourceNotRecorded"
        )
    }
}

/// The summary an oversized change notification carries instead of the item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemSummary {
    pub resource_type: String,
    pub resource_id: String,
    pub status: Option<String>,
    pub capture_time: Option<DateTime<Utc>>,
}

/// What triggered the evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// Periodic: evaluate everything the rule covers.
    Scheduled,
    /// A resource changed; the item is in the event.
    Change(Box<ConfigurationItem>),
    /// A resource changed and its item was too large: fetch it with GetResourceConfigHistory.
    Oversized(ItemSummary),
}

/// A parsed Config rule invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleInvocation {
    pub trigger: Trigger,
    pub result_token: ResultToken,
    pub rule_name: String,
    pub account_id: String,
    pub notification_time: DateTime<Utc>,
    /// The resource left the rule's scope (`eventLeftScope`).
    pub event_left_scope: bool,
    pub parameters: RuleParameters,
    /// In organization deployments, the role Config used in the member account.
    pub execution_role_arn: Option<String>,
}

impl RuleInvocation {
    pub fn parse(event: &Value) -> Result<Self, ConfigEventError> {
        let raw: RawConfigRuleEvent =
            serde_json::from_value(event.clone()).map_err(ConfigEventError::Envelope)?;
        let invoking: Value = serde_json::from_str(
            raw.invoking_event
                .as_deref()
                .ok_or(ConfigEventError::Missing("invokingEvent"))?,
        )
        .map_err(|source| ConfigEventError::EmbeddedJson {
            field: "invokingEvent",
            source,
        })?;
        let parameters = RuleParameters::parse(raw.rule_parameters.as_deref())?;
        let result_token = ResultToken::parse(
            raw.result_token
                .as_deref()
                .ok_or(ConfigEventError::Missing("resultToken"))?,
        );
        let message_type = str_field(&invoking, "messageType")
            .ok_or(ConfigEventError::Missing("invokingEvent.messageType"))?;
        let notification_time = time_field(&invoking, "notificationCreationTime")?.ok_or(
            ConfigEventError::Missing("invokingEvent.notificationCreationTime"),
        )?;
        let trigger = match message_type {
            "ScheduledNotification" => Trigger::Scheduled,
            "ConfigurationItemChangeNotification" => {
                let item = invoking
                    .get("configurationItem")
                    .filter(|v| v.is_object())
                    .ok_or(ConfigEventError::Missing("invokingEvent.configurationItem"))?;
                Trigger::Change(Box::new(parse_item(item)?))
            }
            "OversizedConfigurationItemChangeNotification" => {
                let s = invoking
                    .get("configurationItemSummary")
                    .filter(|v| v.is_object())
                    .ok_or(ConfigEventError::Missing(
                        "invokingEvent.configurationItemSummary",
                    ))?;
                Trigger::Oversized(ItemSummary {
                    resource_type: str_field(s, "resourceType")
                        .ok_or(ConfigEventError::Missing(
                            "configurationItemSummary.resourceType",
                        ))?
                        .to_string(),
                    resource_id: str_field(s, "resourceId")
                        .ok_or(ConfigEventError::Missing(
                            "configurationItemSummary.resourceId",
                        ))?
                        .to_string(),
                    status: str_field(s, "configurationItemStatus").map(str::to_string),
                    capture_time: time_field(s, "configurationItemCaptureTime")?,
                })
            }
            other => return Err(ConfigEventError::UnknownMessageType(other.to_string())),
        };
        let account_id = raw
            .account_id
            .or_else(|| str_field(&invoking, "awsAccountId").map(str::to_string))
            .or_else(|| match &trigger {
                Trigger::Change(item) => Some(item.account_id.clone()),
                _ => None,
            })
            .ok_or(ConfigEventError::Missing("accountId"))?;
        Ok(RuleInvocation {
            trigger,
            result_token,
            rule_name: raw.config_rule_name.unwrap_or_default(),
            account_id,
            notification_time,
            event_left_scope: raw.event_left_scope.unwrap_or(false),
            parameters,
            execution_role_arn: raw.execution_role_arn,
        })
    }

    /// The FTR control this rule evaluates: the `ControlId` parameter, else the rule's name.
    pub fn control(&self) -> Result<&'static Control, ConfigEventError> {
        if let Some(id) = self.parameters.string("ControlId") {
            return control(id).ok_or_else(|| ConfigEventError::BadParameter {
                name: "ControlId".into(),
                value: id.to_string(),
                expected: "an FTR control id such as ARC-003",
            });
        }
        control_for_rule_name(&self.rule_name).ok_or_else(|| ConfigEventError::UnknownControl {
            rule: self.rule_name.clone(),
        })
    }

    /// [`Self::control`], restricted to the controls a function serves.
    pub fn control_among(&self, served: &[&str]) -> Result<&'static Control, ConfigEventError> {
        let c = self.control()?;
        if served.contains(&c.id) {
            Ok(c)
        } else {
            Err(ConfigEventError::WrongControl {
                rule: self.rule_name.clone(),
                control: c.id,
            })
        }
    }
}

/// Rule parameters: a JSON object whose values AWS Config delivers as strings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleParameters(Map<String, Value>);

impl RuleParameters {
    pub fn parse(raw: Option<&str>) -> Result<Self, ConfigEventError> {
        let raw = raw.map(str::trim).unwrap_or("");
        if raw.is_empty() {
            return Ok(RuleParameters::default());
        }
        match serde_json::from_str::<Value>(raw).map_err(|source| {
            ConfigEventError::EmbeddedJson {
                field: "ruleParameters",
                source,
            }
        })? {
            Value::Object(map) => Ok(RuleParameters(map)),
            Value::Null => Ok(RuleParameters::default()),
            _ => Err(ConfigEventError::ParametersNotObject),
        }
    }

    pub fn from_map(map: Map<String, Value>) -> Self {
        RuleParameters(map)
    }

    /// A parameter as text; blank counts as unset.
    pub fn string(&self, name: &str) -> Option<&str> {
        match self.0.get(name) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim()),
            _ => None,
        }
    }

    /// A whole number in `range`, or `default` when unset.
    pub fn u32_or(
        &self,
        name: &str,
        default: u32,
        range: std::ops::RangeInclusive<u32>,
    ) -> Result<u32, ConfigEventError> {
        let bad = |v: String| ConfigEventError::BadParameter {
            name: name.to_string(),
            value: v,
            expected: "a whole number in the allowed range",
        };
        let n = match self.0.get(name) {
            None | Some(Value::Null) => return Ok(default),
            Some(Value::String(s)) if s.trim().is_empty() => return Ok(default),
            Some(Value::String(s)) => s.trim().parse::<u32>().map_err(|_| bad(s.clone()))?,
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| bad(n.to_string()))?,
            Some(other) => return Err(bad(other.to_string())),
        };
        if range.contains(&n) {
            Ok(n)
        } else {
            Err(bad(n.to_string()))
        }
    }

    /// `true`/`false` (any case), or `default` when unset.
    pub fn bool_or(&self, name: &str, default: bool) -> Result<bool, ConfigEventError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(default),
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Ok(true),
                "false" | "no" | "0" => Ok(false),
                _ => Err(ConfigEventError::BadParameter {
                    name: name.to_string(),
                    value: s.clone(),
                    expected: "true or false",
                }),
            },
            Some(other) => Err(ConfigEventError::BadParameter {
                name: name.to_string(),
                value: other.to_string(),
                expected: "true or false",
            }),
        }
    }
}

fn str_field<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get(name).and_then(Value::as_str)
}

fn time_field(v: &Value, name: &'static str) -> Result<Option<DateTime<Utc>>, ConfigEventError> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            parse_time(s)
                .map(Some)
                .ok_or_else(|| ConfigEventError::BadTimestamp {
                    field: name,
                    value: s.clone(),
                })
        }
        Some(other) => Err(ConfigEventError::BadTimestamp {
            field: name,
            value: other.to_string(),
        }),
    }
}

/// RFC 3339 as AWS writes it (`2024-03-01T10:00:00.000Z`).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Parse a configuration item from the change notification's JSON.
pub fn parse_item(item: &Value) -> Result<ConfigurationItem, ConfigEventError> {
    let need = |name: &'static str| {
        str_field(item, name)
            .map(str::to_string)
            .ok_or(ConfigEventError::Missing(name))
    };
    Ok(ConfigurationItem {
        resource_type: need("resourceType")?,
        resource_id: need("resourceId")?,
        resource_name: str_field(item, "resourceName").map(str::to_string),
        arn: str_field(item, "ARN")
            .or_else(|| str_field(item, "arn"))
            .map(str::to_string),
        account_id: str_field(item, "awsAccountId")
            .unwrap_or_default()
            .to_string(),
        region: str_field(item, "awsRegion").map(str::to_string),
        status: need("configurationItemStatus")?,
        capture_time: time_field(item, "configurationItemCaptureTime")?
            .ok_or(ConfigEventError::Missing("configurationItemCaptureTime"))?,
        configuration: item.get("configuration").filter(|v| !v.is_null()).cloned(),
        supplementary_configuration: item
            .get("supplementaryConfiguration")
            .cloned()
            .unwrap_or(Value::Null),
        tags: item
            .get("tags")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(invoking: Value, params: &str, token: &str) -> Value {
        json!({
            "version": "1.0",
            "invokingEvent": invoking.to_string(),
            "ruleParameters": params,
            "resultToken": token,
            "eventLeftScope": false,
            "configRuleName": "ftr-arc-003",
            "accountId": "111122223333"
        })
    }

    #[test]
    fn periodic_invocation_in_test_mode() {
        let inv = RuleInvocation::parse(&event(
            json!({"awsAccountId":"111122223333","notificationCreationTime":"2024-03-01T00:00:00.000Z","messageType":"ScheduledNotification","recordVersion":"1.0"}),
            "{}",
            "TESTMODE",
        ))
        .unwrap();
        assert_eq!(inv.trigger, Trigger::Scheduled);
        assert_eq!(inv.result_token, ResultToken::TestMode);
        assert_eq!(
            inv.notification_time.to_rfc3339(),
            "2024-03-01T00:00:00+00:00"
        );
        assert_eq!(inv.control().unwrap().id, "ARC-003");
    }

    #[test]
    fn control_id_parameter_wins_over_rule_name() {
        let mut e = event(
            json!({"notificationCreationTime":"2024-03-01T00:00:00.000Z","messageType":"ScheduledNotification"}),
            r#"{"ControlId":"ARC-004"}"#,
            "tok",
        );
        e["configRuleName"] = json!("OrgConfigRule-ftr-arc-003-abcd1234");
        let inv = RuleInvocation::parse(&e).unwrap();
        assert_eq!(inv.control().unwrap().id, "ARC-004");
        assert!(inv.control_among(&["ARC-001", "ARC-003"]).is_err());
        assert_eq!(inv.result_token, ResultToken::Token("tok".into()));
    }

    /// Case 22: the oversized notification carries a summary, not the item.
    #[test]
    fn oversized_notification_is_recognised() {
        let invoking = json!({"configurationItemSummary":{"changeType":"UPDATE","configurationItemVersion":"1.3",
            "configurationItemCaptureTime":"2024-03-01T10:00:00.000Z","configurationStateId":1709287200000u64,
            "awsAccountId":"111122223333","configurationItemStatus":"OK","resourceType":"AWS::S3::Bucket",
            "resourceId":"example-data-bucket","resourceName":"example-data-bucket",
            "ARN":"arn:aws:s3:::example-data-bucket","awsRegion":"eu-west-1","availabilityZone":"Regional"},
            "s3DeliverySummary":{"s3BucketLocation":"example-config-bucket/AWSLogs/111122223333/Config/eu-west-1"},
            "notificationCreationTime":"2024-03-01T10:00:05.000Z",
            "messageType":"OversizedConfigurationItemChangeNotification","recordVersion":"1.0"});
        let inv = RuleInvocation::parse(&event(invoking, "", "tok")).unwrap();
        match inv.trigger {
            Trigger::Oversized(s) => {
                assert_eq!(s.resource_type, "AWS::S3::Bucket");
                assert_eq!(s.resource_id, "example-data-bucket");
            }
            other => panic!("{other:?}"),
        }
    }

    /// Case 23: a deleted item with `configuration: null`.
    #[test]
    fn deleted_item_with_null_configuration_parses() {
        let invoking = json!({"configurationItem":{"configurationItemStatus":"ResourceDeleted","resourceType":"AWS::IAM::User",
            "resourceId":"AIDAEXAMPLEUSERID0001","resourceName":"former-user","awsAccountId":"111122223333",
            "configurationItemCaptureTime":"2024-03-02T08:00:00.000Z","configuration":null},
            "messageType":"ConfigurationItemChangeNotification","notificationCreationTime":"2024-03-02T08:00:04.000Z"});
        let mut e = event(invoking, "{}", "tok");
        e["eventLeftScope"] = json!(true);
        let inv = RuleInvocation::parse(&e).unwrap();
        assert!(inv.event_left_scope);
        match inv.trigger {
            Trigger::Change(item) => {
                assert!(item.is_gone());
                assert!(item.configuration.is_none());
                assert_eq!(item.capture_time.to_rfc3339(), "2024-03-02T08:00:00+00:00");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_events_are_clear_errors() {
        let bad = [
            json!({"resultToken":"t"}),
            json!({"invokingEvent":"{not json","resultToken":"t"}),
            json!({"invokingEvent":"{\"messageType\":\"Nope\",\"notificationCreationTime\":\"2024-03-01T00:00:00Z\"}","resultToken":"t"}),
            json!({"invokingEvent":"{\"messageType\":\"ScheduledNotification\",\"notificationCreationTime\":\"yesterday\"}","resultToken":"t"}),
            json!({"invokingEvent":"{\"messageType\":\"ConfigurationItemChangeNotification\",\"notificationCreationTime\":\"2024-03-01T00:00:00Z\"}","resultToken":"t"}),
            json!({"invokingEvent":"{\"messageType\":\"ScheduledNotification\",\"notificationCreationTime\":\"2024-03-01T00:00:00Z\"}"}),
            json!({"invokingEvent":"{\"messageType\":\"ScheduledNotification\",\"notificationCreationTime\":\"2024-03-01T00:00:00Z\"}","resultToken":"t","ruleParameters":"[1]","accountId":"1"}),
            json!([1, 2]),
        ];
        for e in bad {
            assert!(RuleInvocation::parse(&e).is_err(), "{e}");
        }
    }

    #[test]
    fn parameters_are_typed_with_clear_errors() {
        let p = RuleParameters::parse(Some(
            r#"{"RootUseWindowDays":"45","RequireHardwareMfa":"TRUE","Blank":"","Bad":"x"}"#,
        ))
        .unwrap();
        assert_eq!(p.u32_or("RootUseWindowDays", 30, 1..=3650).unwrap(), 45);
        assert_eq!(p.u32_or("Missing", 30, 1..=3650).unwrap(), 30);
        assert_eq!(p.u32_or("Blank", 30, 1..=3650).unwrap(), 30);
        assert!(p.bool_or("RequireHardwareMfa", false).unwrap());
        let err = p.u32_or("Bad", 30, 1..=3650).unwrap_err().to_string();
        assert!(err.contains("Bad") && err.contains("`x`"), "{err}");
        assert!(p.bool_or("Bad", false).is_err());
        let p = RuleParameters::parse(Some(r#"{"RootUseWindowDays":"0"}"#)).unwrap();
        assert!(p.u32_or("RootUseWindowDays", 30, 1..=3650).is_err());
    }
}
