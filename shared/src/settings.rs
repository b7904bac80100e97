//! Typed settings from `FTR_*` environment variables, parsed once at start-up.

use std::time::Duration;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error("{name} = `{value}` is not {expected}")]
    Invalid {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("{0} must be set")]
    Missing(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `FTR_ALERT_TOPIC_ARN`: the SNS topic alerts go to.
    pub alert_topic_arn: Option<String>,
    /// `FTR_ALERT_LEDGER_TABLE`: the DynamoDB table that deduplicates alerts.
    pub alert_ledger_table: Option<String>,
    /// `FTR_ALERT_LEASE_SECONDS` (120): how long a claimed alert is reserved for its sender.
    pub alert_lease: Duration,
    /// `FTR_SECURITY_HUB` (true): import findings into Security Hub.
    pub security_hub: bool,
    /// `FTR_AWS_MAX_ATTEMPTS` (5): SDK attempts per call, retries included.
    pub aws_max_attempts: u32,
    /// `FTR_CREDENTIAL_REPORT_WAIT_SECONDS` (60): budget for the credential report to be ready.
    pub credential_report_wait: Duration,
    /// `FTR_S3_CONCURRENCY` (16): buckets read at once by the S3 rules.
    pub s3_concurrency: usize,
    /// `FTR_EXPOSURE_RULE_NAME`: the EventBridge rule of the bucket-exposure alerts (S3-003).
    pub exposure_rule_name: Option<String>,
}

impl Settings {
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let text = |name: &'static str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let number = |name: &'static str,
                      default: u64,
                      range: std::ops::RangeInclusive<u64>|
         -> Result<u64, SettingsError> {
            match text(name) {
                None => Ok(default),
                Some(v) => v.parse::<u64>().ok().filter(|n| range.contains(n)).ok_or(
                    SettingsError::Invalid {
                        name,
                        value: v,
                        expected: "a whole number in range",
                    },
                ),
            }
        };
        let flag = |name: &'static str, default: bool| -> Result<bool, SettingsError> {
            match text(name).map(|v| v.to_ascii_lowercase()) {
                None => Ok(default),
                Some(v) if v == "true" || v == "1" || v == "yes" => Ok(true),
                Some(v) if v == "false" || v == "0" || v == "no" => Ok(false),
                Some(v) => Err(SettingsError::Invalid {
                    name,
                    value: v,
                    expected: "true or false",
                }),
            }
        };
        let topic = text("FTR_ALERT_TOPIC_ARN");
        if let Some(t) = &topic {
            if !t.starts_with("arn:") || !t.contains(":sns:") {
                return Err(SettingsError::Invalid {
                    name: "FTR_ALERT_TOPIC_ARN",
                    value: t.clone(),
                    expected: "an SNS topic ARN",
                });
            }
        }
        Ok(Settings {
            alert_topic_arn: topic,
            alert_ledger_table: text("FTR_ALERT_LEDGER_TABLE"),
            alert_lease: Duration::from_secs(number("FTR_ALERT_LEASE_SECONDS", 120, 1..=86_400)?),
            security_hub: flag("FTR_SECURITY_HUB", true)?,
            aws_max_attempts: number("FTR_AWS_MAX_ATTEMPTS", 5, 1..=20)? as u32,
            credential_report_wait: Duration::from_secs(number(
                "FTR_CREDENTIAL_REPORT_WAIT_SECONDS",
                60,
                1..=840,
            )?),
            s3_concurrency: number("FTR_S3_CONCURRENCY", 16, 1..=256)? as usize,
            exposure_rule_name: text("FTR_EXPOSURE_RULE_NAME"),
        })
    }

    /// The alert topic, required by alert functions.
    pub fn require_topic(&self) -> Result<&str, SettingsError> {
        self.alert_topic_arn
            .as_deref()
            .ok_or(SettingsError::Missing("FTR_ALERT_TOPIC_ARN"))
    }

    /// The ledger table, required by alert functions.
    pub fn require_ledger(&self) -> Result<&str, SettingsError> {
        self.alert_ledger_table
            .as_deref()
            .ok_or(SettingsError::Missing("FTR_ALERT_LEDGER_TABLE"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn defaults_apply_when_unset() {
        let s = with(&[]).unwrap();
        assert_eq!(s.aws_max_attempts, 5);
        assert!(s.security_hub);
        assert_eq!(s.credential_report_wait, Duration::from_secs(60));
        assert_eq!(
            s.require_topic(),
            Err(SettingsError::Missing("FTR_ALERT_TOPIC_ARN"))
        );
    }

    #[test]
    fn bad_values_are_named_in_the_error() {
        let e = with(&[("FTR_AWS_MAX_ATTEMPTS", "lots")]).unwrap_err();
        assert!(e.to_string().contains("FTR_AWS_MAX_ATTEMPTS"));
        assert!(with(&[("FTR_SECURITY_HUB", "maybe")]).is_err());
        assert!(with(&[("FTR_ALERT_TOPIC_ARN", "my-topic")]).is_err());
        let s = with(&[(
            "FTR_ALERT_TOPIC_ARN",
            "arn:aws:sns:us-east-1:111122223333:ftr-alerts",
        )])
        .unwrap();
        assert_eq!(
            s.require_topic().unwrap(),
            "arn:aws:sns:us-east-1:111122223333:ftr-alerts"
        );
    }
}
