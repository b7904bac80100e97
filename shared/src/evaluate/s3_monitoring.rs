//! S3-003: the monitor itself — the bucket-exposure alert rule is enabled and the alert topic has at
//! least one confirmed subscription. Pure.

use chrono::{DateTime, Utc};

use crate::catalogue::control;
use crate::evaluation::{Compliance, Evaluation, Resource};

/// What the monitor's own set-up looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitoringFacts {
    pub account_id: String,
    pub rule_name: String,
    /// `ENABLED`, `DISABLED`, ...; `None` when the rule does not exist.
    pub rule_state: Option<String>,
    pub topic_arn: String,
    /// `None` when the topic does not exist.
    pub confirmed_subscriptions: Option<usize>,
    pub pending_subscriptions: usize,
}

/// S3-003: exposure changes are watched and someone receives the alerts.
pub fn exposure_alerting_in_place(f: &MonitoringFacts, now: DateTime<Utc>) -> Evaluation {
    let c = control("S3-003").expect("S3-003");
    let (compliance, annotation) = match (f.rule_state.as_deref(), f.confirmed_subscriptions) {
        (None, _) => (Compliance::NonCompliant, format!("The bucket-exposure alert rule {} does not exist; redeploy ftr-monitor.", f.rule_name)),
        (Some(state), _) if state != "ENABLED" => (
            Compliance::NonCompliant,
            format!("The bucket-exposure alert rule {} is {state}; enable it.", f.rule_name),
        ),
        (_, None) => (Compliance::NonCompliant, format!("The alert topic {} does not exist; redeploy ftr-monitor.", f.topic_arn)),
        (_, Some(0)) => (
            Compliance::NonCompliant,
            format!(
                "Nobody receives the alerts: the alert topic has no confirmed subscription ({} pending confirmation). Confirm the e-mail or subscribe an endpoint.",
                f.pending_subscriptions
            ),
        ),
        (_, Some(n)) => (
            Compliance::Compliant,
            format!("Bucket-exposure alert rule {} is enabled; the alert topic has {n} confirmed subscription(s).", f.rule_name),
        ),
    };
    Evaluation::new(
        c,
        Resource::account(&f.account_id),
        compliance,
        annotation,
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> MonitoringFacts {
        MonitoringFacts {
            account_id: "111122223333".into(),
            rule_name: "ftr-monitor-BucketExposureChange".into(),
            rule_state: Some("ENABLED".into()),
            topic_arn: "arn:aws:sns:us-east-1:111122223333:ftr-alerts".into(),
            confirmed_subscriptions: Some(1),
            pending_subscriptions: 0,
        }
    }

    #[test]
    fn enabled_rule_and_a_confirmed_subscription_is_compliant() {
        assert_eq!(
            exposure_alerting_in_place(&facts(), Utc::now()).compliance,
            Compliance::Compliant
        );
    }

    #[test]
    fn disabled_or_missing_rule_is_non_compliant() {
        let mut f = facts();
        f.rule_state = Some("DISABLED".into());
        let e = exposure_alerting_in_place(&f, Utc::now());
        assert_eq!(e.compliance, Compliance::NonCompliant);
        assert!(e.annotation.contains("DISABLED"));
        f.rule_state = None;
        assert_eq!(
            exposure_alerting_in_place(&f, Utc::now()).compliance,
            Compliance::NonCompliant
        );
    }

    #[test]
    fn pending_e_mail_confirmation_is_non_compliant() {
        let mut f = facts();
        f.confirmed_subscriptions = Some(0);
        f.pending_subscriptions = 1;
        let e = exposure_alerting_in_place(&f, Utc::now());
        assert_eq!(e.compliance, Compliance::NonCompliant);
        assert!(e.annotation.contains("1 pending confirmation"));
    }
}
