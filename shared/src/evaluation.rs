//! The verdict every rule produces, whatever the sink.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;

use crate::catalogue::Control;

/// The AWS Config resource type for account-level controls.
pub const ACCOUNT_RESOURCE_TYPE: &str = "AWS::::Account";

/// Longest annotation AWS Config accepts.
pub const MAX_ANNOTATION_CHARS: usize = 256;

/// A verdict. "No verdict" is never a compliance value: it is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Compliance {
    Compliant,
    NonCompliant,
    NotApplicable,
}

impl Compliance {
    /// The AWS Config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Compliance::Compliant => "COMPLIANT",
            Compliance::NonCompliant => "NON_COMPLIANT",
            Compliance::NotApplicable => "NOT_APPLICABLE",
        }
    }

    /// Parse the AWS Config spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "COMPLIANT" => Some(Compliance::Compliant),
            "NON_COMPLIANT" => Some(Compliance::NonCompliant),
            "NOT_APPLICABLE" => Some(Compliance::NotApplicable),
            _ => None,
        }
    }
}

impl fmt::Display for Compliance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which resource a verdict is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Resource {
    /// AWS Config resource type, e.g. `AWS::::Account`, `AWS::IAM::User`.
    pub resource_type: String,
    /// AWS Config resource id (the account id for account-level controls).
    pub resource_id: String,
}

impl Resource {
    pub fn account(account_id: &str) -> Self {
        Resource {
            resource_type: ACCOUNT_RESOURCE_TYPE.to_string(),
            resource_id: account_id.to_string(),
        }
    }

    pub fn new(resource_type: impl Into<String>, resource_id: impl Into<String>) -> Self {
        Resource {
            resource_type: resource_type.into(),
            resource_id: resource_id.into(),
        }
    }

    pub fn is_account(&self) -> bool {
        self.resource_type == ACCOUNT_RESOURCE_TYPE
    }
}

/// Why a resource is gone from the account, when it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// The resource exists and was evaluated.
    Present,
    /// The resource was deleted or left the rule's scope: its finding is archived.
    Deleted,
}

/// One control's verdict on one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub control: &'static Control,
    pub resource: Resource,
    pub compliance: Compliance,
    /// Why, and what to do; at most [`MAX_ANNOTATION_CHARS`] characters.
    pub annotation: String,
    /// When the facts behind the verdict were observed.
    pub ordering_timestamp: DateTime<Utc>,
    pub lifecycle: Lifecycle,
}

impl Evaluation {
    pub fn new(
        control: &'static Control,
        resource: Resource,
        compliance: Compliance,
        annotation: impl AsRef<str>,
        ordering_timestamp: DateTime<Utc>,
    ) -> Self {
        Evaluation {
            control,
            resource,
            compliance,
            annotation: truncate_chars(&clean_text(annotation.as_ref()), MAX_ANNOTATION_CHARS),
            ordering_timestamp,
            lifecycle: Lifecycle::Present,
        }
    }

    /// The verdict for a resource that was deleted or left the rule's scope.
    pub fn deleted(
        control: &'static Control,
        resource: Resource,
        ordering_timestamp: DateTime<Utc>,
    ) -> Self {
        Evaluation {
            lifecycle: Lifecycle::Deleted,
            ..Evaluation::new(
                control,
                resource,
                Compliance::NotApplicable,
                "The resource was deleted or is no longer in scope.",
                ordering_timestamp,
            )
        }
    }
}

/// Text that came from outside (event fields, policy ids, names) made safe to show: control
/// characters (newlines, ESC...) and bidirectional overrides become spaces, so that nothing can
/// forge lines in an alert or drive a terminal.
pub fn clean_text(s: &str) -> String {
    s.chars()
        .map(|c| {
            let bidi = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if c.is_control() || bidi {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// Cut `s` to at most `max` characters (not bytes), marking the cut with an ellipsis.
pub fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_text_cannot_forge_lines_or_drive_a_terminal() {
        assert_eq!(
            clean_text("a\nSeverity: LOW\r\u{1b}[31m\u{202e}x"),
            "a Severity: LOW  [31m x"
        );
        assert_eq!(clean_text("élan ✓"), "élan ✓");
    }

    #[test]
    fn annotations_are_cut_to_256_characters_not_bytes() {
        let long = "é".repeat(300);
        let e = Evaluation::new(
            crate::catalogue::control("ARC-001").unwrap(),
            Resource::account("111122223333"),
            Compliance::Compliant,
            &long,
            Utc::now(),
        );
        assert_eq!(e.annotation.chars().count(), 256);
        assert!(e.annotation.ends_with('…'));
        assert_eq!(truncate_chars("short", 256), "short");
    }
}
