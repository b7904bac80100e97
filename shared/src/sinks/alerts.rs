//! SNS alerts: a short, filterable subject and a body that says what, who, when, where, why and
//! how to fix. Formatting is pure; only [`AlertSink::publish`] does I/O.

use aws_sdk_sns::types::MessageAttributeValue;
use chrono::{DateTime, SecondsFormat, Utc};

use crate::catalogue::{Control, Severity};
use crate::error::AwsCallError;
use crate::evaluation::clean_text;
use crate::sinks::SinkError;

/// SNS subjects must be under 100 characters.
pub const MAX_SUBJECT_CHARS: usize = 99;
/// SNS messages may be 256 KiB; keep well under it.
pub const MAX_BODY_BYTES: usize = 200 * 1024;

/// Who did it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    pub principal: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Actor {
    /// Who made a CloudTrail-recorded call: ARN (else principal id), source address, user agent.
    pub fn of(ev: &crate::events::cloudtrail::CloudTrailEvent) -> Self {
        let d = &ev.detail;
        Actor {
            principal: d
                .user_identity
                .arn
                .clone()
                .or_else(|| d.user_identity.principal_id.clone()),
            source_ip: d.source_ip_address.clone(),
            user_agent: d.user_agent.clone(),
        }
    }
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub control: &'static Control,
    pub severity: Severity,
    /// What happened, one line (subject text).
    pub what: String,
    pub account_id: String,
    pub region: String,
    pub occurred_at: Option<DateTime<Utc>>,
    pub actor: Option<Actor>,
    /// Which resource.
    pub resource: String,
    /// Facts specific to this alert.
    pub details: Vec<(String, String)>,
    /// Identifies this alert across duplicate deliveries.
    pub dedup_key: String,
    /// The Security Hub finding that goes with it.
    pub finding_id: Option<String>,
}

/// Printable ASCII only, one line, whitespace collapsed.
fn ascii_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_space = false;
    for c in s.chars() {
        let c = if c.is_ascii_graphic() {
            c
        } else if c.is_whitespace() || c.is_control() {
            ' '
        } else {
            '?'
        };
        if c == ' ' {
            if !last_space && !out.is_empty() {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    out.trim_end().to_string()
}

impl Alert {
    /// `[FTR <ID>][<SEVERITY>] <what> in <account>/<region>`: < 100 printable ASCII characters,
    /// no newline; the `what` part is shortened first.
    pub fn subject(&self) -> String {
        let prefix = format!("[FTR {}][{}] ", self.control.id, self.severity.label());
        let suffix = format!(
            " in {}",
            ascii_line(&format!("{}/{}", self.account_id, self.region))
        );
        let what = ascii_line(&self.what);
        let room = MAX_SUBJECT_CHARS.saturating_sub(prefix.len() + suffix.len());
        let what = if what.len() <= room {
            what
        } else if room > 3 {
            format!("{}...", &what[..room - 3])
        } else {
            String::new()
        };
        let subject = format!("{prefix}{what}{suffix}");
        // The suffix alone could be long (odd region text): cut as a last resort.
        subject.chars().take(MAX_SUBJECT_CHARS).collect()
    }

    /// The message body, plain text.
    pub fn body(&self) -> String {
        let mut b = String::new();
        let line = |b: &mut String, k: &str, v: &str| {
            b.push_str(&format!("{:<14} {}\n", clean_text(k), clean_text(v)));
        };
        b.push_str(&format!("{}\n\n", clean_text(&self.what)));
        line(&mut b, "What:", &self.what);
        line(&mut b, "Severity:", self.severity.label());
        if let Some(actor) = &self.actor {
            line(
                &mut b,
                "Who:",
                actor.principal.as_deref().unwrap_or("unknown"),
            );
            line(
                &mut b,
                "Source IP:",
                actor.source_ip.as_deref().unwrap_or("unknown"),
            );
            line(
                &mut b,
                "User agent:",
                actor.user_agent.as_deref().unwrap_or("unknown"),
            );
        }
        line(
            &mut b,
            "When:",
            &self
                .occurred_at
                .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
                .unwrap_or_else(|| "unknown".into()),
        );
        line(&mut b, "Account:", &self.account_id);
        line(&mut b, "Region:", &self.region);
        line(&mut b, "Resource:", &self.resource);
        for (k, v) in &self.details {
            line(&mut b, &format!("{k}:"), v);
        }
        b.push_str(&format!(
            "\nWhy it matters: FTR {} - {}.\n",
            self.control.id, self.control.title
        ));
        b.push_str(&format!("How to fix: {}\n", self.control.remediation));
        b.push_str(&format!("Read more: {}\n", self.control.link));
        if let Some(id) = &self.finding_id {
            b.push_str(&format!("Security Hub finding: {id}\n"));
        }
        if b.len() > MAX_BODY_BYTES {
            let mut cut = MAX_BODY_BYTES - 20;
            while !b.is_char_boundary(cut) {
                cut -= 1;
            }
            b.truncate(cut);
            b.push_str("\n[truncated]\n");
        }
        b
    }

    /// Message attributes for subscription filter policies.
    pub fn attributes(&self) -> Vec<(&'static str, String)> {
        vec![
            ("control", self.control.id.to_string()),
            ("severity", self.severity.label().to_string()),
            ("account", self.account_id.clone()),
        ]
    }
}

pub struct AlertSink {
    client: aws_sdk_sns::Client,
    topic_arn: String,
}

impl AlertSink {
    pub fn new(client: aws_sdk_sns::Client, topic_arn: impl Into<String>) -> Self {
        AlertSink {
            client,
            topic_arn: topic_arn.into(),
        }
    }

    /// Publish one alert; returns the SNS message id.
    pub async fn publish(&self, alert: &Alert) -> Result<String, SinkError> {
        let mut req = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(alert.subject())
            .message(alert.body());
        for (name, value) in alert.attributes() {
            let v = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| SinkError::Invalid(e.to_string()))?;
            req = req.message_attributes(name, v);
        }
        let out = req
            .send()
            .await
            .map_err(|e| AwsCallError::from_sdk("sns:Publish", e))?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::control;

    fn alert(what: &str, region: &str) -> Alert {
        Alert {
            control: control("ARC-001").unwrap(),
            severity: Severity::Critical,
            what: what.to_string(),
            account_id: "111122223333".into(),
            region: region.into(),
            occurred_at: None,
            actor: Some(Actor::default()),
            resource: "AWS::::Account:111122223333".into(),
            details: vec![],
            dedup_key: "k".into(),
            finding_id: None,
        }
    }

    #[test]
    fn subject_follows_the_pattern() {
        assert_eq!(
            alert("Root console sign-in without MFA", "us-east-1").subject(),
            "[FTR ARC-001][CRITICAL] Root console sign-in without MFA in 111122223333/us-east-1"
        );
    }

    #[test]
    fn subject_is_short_printable_ascii_one_line_whatever_the_input() {
        let nasty = format!(
            "Root API call\n\r\t{}\u{7f}\u{0}é✓ {}",
            "x".repeat(300),
            "🙂"
        );
        for region in ["us-east-1", &"r".repeat(200), "eu\nwest"] {
            let s = alert(&nasty, region).subject();
            assert!(s.len() < 100, "{} chars: {s}", s.len());
            assert!(s.chars().all(|c| (' '..='~').contains(&c)), "{s:?}");
            assert!(s.starts_with("[FTR ARC-001][CRITICAL] "));
        }
        let s = alert(&nasty, "us-east-1").subject();
        assert!(s.ends_with(" in 111122223333/us-east-1"), "{s}");
        assert!(s.contains("..."));
    }

    #[test]
    fn outside_text_cannot_forge_lines_in_the_body() {
        let mut a = alert("Root API call", "us-east-1");
        a.actor = Some(Actor {
            principal: None,
            source_ip: None,
            user_agent: Some("curl\nSeverity:      LOW\nCategory: harmless".into()),
        });
        let b = a.body();
        assert_eq!(
            b.lines().filter(|l| l.starts_with("Severity:")).count(),
            1,
            "{b}"
        );
        assert!(!b.lines().any(|l| l.starts_with("Category:")), "{b}");
    }

    #[test]
    fn body_says_who_what_when_where_why_and_how_to_fix() {
        let mut a = alert("Root API call DeleteTrail", "eu-west-1");
        a.actor = Some(Actor {
            principal: Some("arn:aws:iam::111122223333:root".into()),
            source_ip: Some("198.51.100.7".into()),
            user_agent: Some("aws-cli/2".into()),
        });
        let b = a.body();
        for needle in [
            "Who:",
            "198.51.100.7",
            "aws-cli/2",
            "When:",
            "Region:",
            "eu-west-1",
            "Why it matters: FTR ARC-001",
            "How to fix:",
            "Read more: https://",
        ] {
            assert!(b.contains(needle), "{needle} missing in\n{b}");
        }
        let mut big = alert("x", "us-east-1");
        big.details = vec![("Blob".into(), "y".repeat(400 * 1024))];
        assert!(big.body().len() <= MAX_BODY_BYTES);
    }
}
