//! End to end against the local AWS emulator (moto server on 127.0.0.1), through the real AWS
//! SDK for Rust: seed a scenario, run the real handler code, read the results back.

use std::time::Duration;

use aws_sdk_securityhub::types::{ComplianceStatus, RecordState};
use chrono::Utc;
use ftr_harness::{
    alert_inbox, create_ledger_table, enable_security_hub, fixture, ftr_findings, Moto, RootUser,
    ACCOUNT_ID,
};
use ftr_shared::evaluation::Compliance;
use ftr_shared::handlers::compliance_alert::handle_compliance_change;
use ftr_shared::handlers::root_account_rules::RootAccountRules;
use ftr_shared::handlers::root_activity_alert::handle_root_activity;
use ftr_shared::handlers::{AlertDelivery, Delivered};
use ftr_shared::settings::Settings;
use ftr_shared::sinks::alerts::AlertSink;
use ftr_shared::sinks::ledger::AlertLedger;
use ftr_shared::sinks::securityhub::SecurityHubSink;
use serde_json::Value;

/// The fixtures' account is 111122223333; the emulator's is 123456789012.
fn in_emulated_account(v: Value) -> Value {
    serde_json::from_str(&v.to_string().replace("111122223333", ACCOUNT_ID)).unwrap()
}

fn settings() -> Settings {
    Settings::from_lookup(|_| None).unwrap()
}

async fn run_root_rules(moto: &Moto) -> Vec<(String, Compliance)> {
    let sdk = moto.sdk_config().await;
    let mut out = Vec::new();
    for rule in ["ftr-arc-001", "ftr-arc-003", "ftr-arc-004"] {
        let event = in_emulated_account(fixture(&format!("config/periodic-{rule}.json")));
        let outcome = RootAccountRules::new(&sdk, &settings())
            .handle(&event, Utc::now())
            .await
            .unwrap();
        assert_eq!(outcome.put_evaluations_calls, 1);
        assert_eq!(outcome.findings_imported, 1);
        for e in outcome.evaluations {
            out.push((e.control.id.to_string(), e.compliance));
        }
    }
    out
}

#[tokio::test]
async fn root_rules_judge_the_account_and_findings_update_in_place() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    enable_security_hub(&sdk).await;

    moto.set_root_user(&RootUser::careless());
    let verdicts = run_root_rules(&moto).await;
    assert_eq!(
        verdicts,
        vec![
            ("ARC-001".into(), Compliance::NonCompliant),
            ("ARC-003".into(), Compliance::NonCompliant),
            ("ARC-004".into(), Compliance::NonCompliant),
        ]
    );
    let findings = ftr_findings(&sdk).await;
    assert_eq!(findings.len(), 3, "one finding per control");
    for f in &findings {
        assert_eq!(
            f.compliance().and_then(|c| c.status()),
            Some(&ComplianceStatus::Failed)
        );
        assert_eq!(f.aws_account_id(), Some(ACCOUNT_ID));
        assert_eq!(
            f.product_arn(),
            Some(
                format!("arn:aws:securityhub:us-east-1:{ACCOUNT_ID}:product/{ACCOUNT_ID}/default")
                    .as_str()
            )
        );
        let control = f.product_fields().unwrap().get("ftr/ControlId").unwrap();
        assert_eq!(
            f.generator_id(),
            Some(format!("ftr-{}", control.to_lowercase()).as_str())
        );
        assert_eq!(
            f.compliance().unwrap().related_requirements(),
            [format!("FTR {control}")]
        );
        assert_eq!(f.resources()[0].r#type(), Some("AwsAccount"));
    }

    // Re-run after the fix: the same three findings, now PASSED; no duplicates.
    moto.set_root_user(&RootUser::locked_away());
    tokio::time::sleep(Duration::from_millis(20)).await;
    let verdicts = run_root_rules(&moto).await;
    assert!(
        verdicts.iter().all(|(_, c)| *c == Compliance::Compliant),
        "{verdicts:?}"
    );
    let after = ftr_findings(&sdk).await;
    assert_eq!(after.len(), 3, "re-evaluation updates, never duplicates");
    let mut before_ids: Vec<_> = findings
        .iter()
        .map(|f| f.id().unwrap().to_string())
        .collect();
    let mut after_ids: Vec<_> = after.iter().map(|f| f.id().unwrap().to_string()).collect();
    before_ids.sort();
    after_ids.sort();
    assert_eq!(before_ids, after_ids);
    for f in &after {
        assert_eq!(
            f.compliance().and_then(|c| c.status()),
            Some(&ComplianceStatus::Passed)
        );
        assert_eq!(f.record_state(), Some(&RecordState::Active));
    }
}

#[tokio::test]
async fn deleted_resource_archives_its_finding() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    enable_security_hub(&sdk).await;
    let event = in_emulated_account(fixture("config/deleted-resource.json"));
    let out = RootAccountRules::new(&sdk, &settings())
        .handle(&event, Utc::now())
        .await
        .unwrap();
    assert_eq!(out.evaluations[0].compliance, Compliance::NotApplicable);
    let findings = ftr_findings(&sdk).await;
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].record_state(), Some(&RecordState::Archived));
}

async fn delivery(moto: &Moto, topic_arn: &str, table: &str) -> AlertDelivery {
    let sdk = moto.sdk_config().await;
    AlertDelivery {
        securityhub: Some(SecurityHubSink::new(aws_sdk_securityhub::Client::new(&sdk))),
        alerts: Some(AlertSink::new(aws_sdk_sns::Client::new(&sdk), topic_arn)),
        ledger: Some(AlertLedger::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            table,
            Duration::from_secs(120),
        )),
    }
}

#[tokio::test]
async fn root_sign_in_alerts_once_with_a_finding_even_when_delivered_twice() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    enable_security_hub(&sdk).await;
    let inbox = alert_inbox(&sdk, "ftr-alerts").await;
    create_ledger_table(&sdk, "ftr-alert-ledger").await;
    let d = delivery(&moto, &inbox.topic_arn, "ftr-alert-ledger").await;

    let event = in_emulated_account(fixture("events/root-console-sign-in-success-no-mfa.json"));
    let (plan, first) = handle_root_activity(&event, "us-east-1", &d, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        first,
        Delivered::Sent {
            message_id: Some(_)
        }
    ));
    let (_, second) = handle_root_activity(&event, "us-east-1", &d, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        second,
        Delivered::Duplicate,
        "same eventID twice → one alert"
    );

    let alerts = inbox.drain(&sdk).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(
        alerts[0].subject,
        format!(
            "[FTR ARC-001][CRITICAL] Root console sign-in without MFA in {ACCOUNT_ID}/us-east-1"
        )
    );
    assert!(alerts[0].message.contains("198.51.100.23"));
    assert_eq!(alerts[0].attributes["control"]["Value"], "ARC-001");
    assert_eq!(alerts[0].attributes["severity"]["Value"], "CRITICAL");
    assert_eq!(alerts[0].attributes["account"]["Value"], ACCOUNT_ID);

    let findings = ftr_findings(&sdk).await;
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].id(), Some(plan.finding.id.as_str()));
    assert_eq!(
        findings[0].compliance().and_then(|c| c.status()),
        Some(&ComplianceStatus::Failed)
    );

    // Records AWS services write for root: nothing at all.
    let service = in_emulated_account(fixture("events/root-service-invoked.json"));
    assert!(handle_root_activity(&service, "us-east-1", &d, Utc::now())
        .await
        .unwrap()
        .is_none());
    assert!(inbox.drain(&sdk).await.is_empty());
}

#[tokio::test]
async fn a_failed_publish_releases_the_claim_so_the_retry_alerts() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    enable_security_hub(&sdk).await;
    let inbox = alert_inbox(&sdk, "ftr-alerts").await;
    create_ledger_table(&sdk, "ftr-alert-ledger").await;
    let event = in_emulated_account(fixture("events/root-create-access-key.json"));

    let missing_topic = format!("arn:aws:sns:us-east-1:{ACCOUNT_ID}:no-such-topic");
    let broken = delivery(&moto, &missing_topic, "ftr-alert-ledger").await;
    let err = handle_root_activity(&event, "us-east-1", &broken, Utc::now())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("sns:Publish"), "{err}");

    let d = delivery(&moto, &inbox.topic_arn, "ftr-alert-ledger").await;
    let (_, retried) = handle_root_activity(&event, "us-east-1", &d, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(retried, Delivered::Sent { .. }),
        "the retry is not blocked by the failed attempt"
    );
    let alerts = inbox.drain(&sdk).await;
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0]
        .subject
        .starts_with("[FTR ARC-004][CRITICAL] Root access key created"));
}

#[tokio::test]
async fn compliance_change_alerts_on_the_transition_only() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let inbox = alert_inbox(&sdk, "ftr-alerts").await;
    create_ledger_table(&sdk, "ftr-alert-ledger").await;
    let d = delivery(&moto, &inbox.topic_arn, "ftr-alert-ledger").await;
    let turned = in_emulated_account(fixture("events/compliance-change-to-non-compliant.json"));
    let mut duplicate = turned.clone();
    duplicate["id"] = serde_json::json!("another-delivery-of-the-same-change");
    let still = in_emulated_account(fixture("events/compliance-change-still-non-compliant.json"));
    let fixed = in_emulated_account(fixture("events/compliance-change-to-compliant.json"));

    assert!(handle_compliance_change(&turned, &d, Utc::now())
        .await
        .unwrap()
        .is_some());
    let (_, dup) = handle_compliance_change(&duplicate, &d, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dup, Delivered::Duplicate);
    assert!(handle_compliance_change(&still, &d, Utc::now())
        .await
        .unwrap()
        .is_none());
    assert!(handle_compliance_change(&fixed, &d, Utc::now())
        .await
        .unwrap()
        .is_none());
    let alerts = inbox.drain(&sdk).await;
    assert_eq!(alerts.len(), 1);
    assert!(
        alerts[0].subject.starts_with("[FTR ARC-003][CRITICAL]"),
        "{}",
        alerts[0].subject
    );
}

#[tokio::test]
async fn a_broken_ledger_does_not_swallow_the_alert() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    enable_security_hub(&sdk).await;
    let inbox = alert_inbox(&sdk, "ftr-alerts").await;
    let no_table = delivery(&moto, &inbox.topic_arn, "no-such-ledger-table").await;
    let event = in_emulated_account(fixture("events/root-create-access-key.json"));
    let (_, sent) = handle_root_activity(&event, "us-east-1", &no_table, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(sent, Delivered::Sent { .. }));
    assert_eq!(inbox.drain(&sdk).await.len(), 1);
}
