//! The user's own example, end to end against the emulator: a bucket made public raises exactly
//! one CRITICAL alert and a FAILED S3-001 finding; the fix turns the same finding PASSED without a
//! new alert. The handler re-reads the bucket's real state through S3 and S3 Control.

use std::time::Duration;

use aws_sdk_securityhub::types::ComplianceStatus;
use chrono::Utc;
use ftr_harness::{
    alert_inbox, create_ledger_table, enable_security_hub, fixture, ftr_findings, Moto, ACCOUNT_ID,
};
use ftr_shared::collect::s3_buckets::S3Clients;
use ftr_shared::evaluation::Compliance;
use ftr_shared::handlers::s3_exposure_alert::handle_s3_exposure_event;
use ftr_shared::handlers::{AlertDelivery, Delivered};
use ftr_shared::sinks::alerts::AlertSink;
use ftr_shared::sinks::ledger::AlertLedger;
use ftr_shared::sinks::securityhub::SecurityHubSink;
use serde_json::Value;

const BUCKET: &str = "example-data-bucket";
const PUBLIC_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::example-data-bucket/*"}]}"#;

/// All four account-level Block Public Access settings on, through S3 Control.
async fn block_all_public_access_for_account(s3: &S3Clients) {
    s3.s3control
        .put_public_access_block()
        .account_id(ACCOUNT_ID)
        .public_access_block_configuration(
            aws_sdk_s3control::types::PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .expect("account BPA through S3 Control");
}

fn in_emulated_account(v: Value) -> Value {
    serde_json::from_str(&v.to_string().replace("111122223333", ACCOUNT_ID)).unwrap()
}

#[tokio::test]
async fn bucket_made_public_alerts_once_and_the_fix_passes_the_finding() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    enable_security_hub(&sdk).await;
    let inbox = alert_inbox(&sdk, "ftr-alerts").await;
    create_ledger_table(&sdk, "ftr-alert-ledger").await;
    let s3 = S3Clients::new(&sdk);
    s3.s3
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("create bucket");
    let delivery = AlertDelivery {
        securityhub: Some(SecurityHubSink::new(aws_sdk_securityhub::Client::new(&sdk))),
        alerts: Some(AlertSink::new(
            aws_sdk_sns::Client::new(&sdk),
            &inbox.topic_arn,
        )),
        ledger: Some(AlertLedger::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            "ftr-alert-ledger",
            Duration::from_secs(120),
        )),
    };

    // Someone makes the bucket public; CloudTrail delivers the PutBucketPolicy record (twice).
    s3.s3
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(PUBLIC_READ)
        .send()
        .await
        .expect("put policy");
    let made_public = in_emulated_account(fixture("events/s3-put-bucket-policy-public.json"));
    let out = handle_s3_exposure_event(&made_public, "us-east-1", &s3, &delivery, Utc::now())
        .await
        .unwrap()
        .expect("an exposure change");
    assert_eq!(
        out.evaluation.compliance,
        Compliance::NonCompliant,
        "{}",
        out.evaluation.annotation
    );
    let (alert, delivered) = out.alert.expect("an alert");
    assert!(matches!(delivered, Delivered::Sent { .. }));
    assert_eq!(
        alert.subject(),
        format!(
            "[FTR S3-001][CRITICAL] Bucket {BUCKET} made public read in {ACCOUNT_ID}/eu-west-1"
        )
    );
    let again = handle_s3_exposure_event(&made_public, "us-east-1", &s3, &delivery, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.alert.unwrap().1, Delivered::Duplicate);

    let alerts = inbox.drain(&sdk).await;
    assert_eq!(alerts.len(), 1, "exactly one alert: {alerts:?}");
    let body = &alerts[0].message;
    for needle in [
        "PublicRead",
        "dev-bob",
        "203.0.113.45",
        "PutBucketPolicy",
        "How to undo",
    ] {
        assert!(body.contains(needle), "{needle} missing from\n{body}");
    }
    let findings = ftr_findings(&sdk).await;
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].generator_id(), Some("ftr-s3-001"));
    assert_eq!(
        findings[0].compliance().and_then(|c| c.status()),
        Some(&ComplianceStatus::Failed)
    );
    assert_eq!(
        findings[0].resources()[0].id(),
        Some(format!("arn:aws:s3:::{BUCKET}").as_str())
    );

    // The fix: the policy is deleted. Same finding, PASSED; no new alert.
    s3.s3
        .delete_bucket_policy()
        .bucket(BUCKET)
        .send()
        .await
        .expect("delete policy");
    let fixed = in_emulated_account(fixture("events/s3-delete-bucket-policy.json"));
    let out = handle_s3_exposure_event(&fixed, "us-east-1", &s3, &delivery, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.evaluation.compliance, Compliance::Compliant);
    assert!(out.alert.is_none());
    assert!(
        inbox.drain(&sdk).await.is_empty(),
        "no new alert for the fix"
    );
    let after = ftr_findings(&sdk).await;
    assert_eq!(after.len(), 1, "the same finding, updated");
    assert_eq!(after[0].id(), findings[0].id());
    assert_eq!(
        after[0].compliance().and_then(|c| c.status()),
        Some(&ComplianceStatus::Passed)
    );
}

#[tokio::test]
async fn account_block_public_access_neutralises_a_public_policy() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    enable_security_hub(&sdk).await;
    let s3 = S3Clients::new(&sdk);
    s3.s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    s3.s3
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(PUBLIC_READ)
        .send()
        .await
        .unwrap();
    block_all_public_access_for_account(&s3).await;
    let delivery = AlertDelivery {
        securityhub: Some(SecurityHubSink::new(aws_sdk_securityhub::Client::new(&sdk))),
        ..AlertDelivery::default()
    };
    let event = in_emulated_account(fixture("events/s3-put-bucket-policy-public.json"));
    let out = handle_s3_exposure_event(&event, "us-east-1", &s3, &delivery, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        out.evaluation.compliance,
        Compliance::Compliant,
        "{}",
        out.evaluation.annotation
    );
    assert!(
        out.evaluation
            .annotation
            .contains("account RestrictPublicBuckets"),
        "{}",
        out.evaluation.annotation
    );
    assert!(out.alert.is_none());
}

#[tokio::test]
async fn removing_account_block_public_access_is_a_high_alert() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    enable_security_hub(&sdk).await;
    let inbox = alert_inbox(&sdk, "ftr-alerts").await;
    let s3 = S3Clients::new(&sdk);
    let delivery = AlertDelivery {
        securityhub: Some(SecurityHubSink::new(aws_sdk_securityhub::Client::new(&sdk))),
        alerts: Some(AlertSink::new(
            aws_sdk_sns::Client::new(&sdk),
            &inbox.topic_arn,
        )),
        ledger: None,
    };
    // No account-level configuration at all (it was deleted).
    let event = in_emulated_account(fixture("events/s3-delete-account-public-access-block.json"));
    let out = handle_s3_exposure_event(&event, "us-east-1", &s3, &delivery, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.evaluation.control.id, "S3-002");
    assert_eq!(out.evaluation.compliance, Compliance::NonCompliant);
    assert_eq!(
        out.evaluation.resource.resource_type,
        "AWS::S3::AccountPublicAccessBlock"
    );
    let alerts = inbox.drain(&sdk).await;
    assert_eq!(alerts.len(), 1);
    assert!(
        alerts[0]
            .subject
            .starts_with("[FTR S3-002][HIGH] Account Block Public Access weakened"),
        "{}",
        alerts[0].subject
    );
    // Put back on: the same finding passes, no alert.
    block_all_public_access_for_account(&s3).await;
    let out = handle_s3_exposure_event(&event, "us-east-1", &s3, &delivery, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.evaluation.compliance, Compliance::Compliant);
    assert!(inbox.drain(&sdk).await.is_empty());
    let findings = ftr_findings(&sdk).await;
    assert_eq!(findings.len(), 1);
    assert_eq!(
        findings[0].compliance().and_then(|c| c.status()),
        Some(&ComplianceStatus::Passed)
    );
}

/// Case 7 end to end: a bucket delegating to access points is not public by its own policy, but
/// an internet access point with a public policy makes its data public; the alert names it.
#[tokio::test]
async fn a_public_access_point_is_caught_through_its_bucket() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    enable_security_hub(&sdk).await;
    let inbox = alert_inbox(&sdk, "ftr-alerts").await;
    let s3 = S3Clients::new(&sdk);
    s3.s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    s3.s3
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"*"}},"Action":"s3:*","Resource":["arn:aws:s3:::{BUCKET}","arn:aws:s3:::{BUCKET}/*"],"Condition":{{"StringEquals":{{"s3:DataAccessPointAccount":"{ACCOUNT_ID}"}}}}}}]}}"#
        ))
        .send()
        .await
        .unwrap();
    s3.s3control
        .create_access_point()
        .account_id(ACCOUNT_ID)
        .name("open-reports")
        .bucket(BUCKET)
        // New access points block public access by default; this one was opened on purpose.
        .public_access_block_configuration(
            aws_sdk_s3control::types::PublicAccessBlockConfiguration::builder()
                .block_public_acls(false)
                .ignore_public_acls(false)
                .block_public_policy(false)
                .restrict_public_buckets(false)
                .build(),
        )
        .send()
        .await
        .expect("create access point");
    s3.s3control
        .put_access_point_policy()
        .account_id(ACCOUNT_ID)
        .name("open-reports")
        .policy(format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:us-east-1:{ACCOUNT_ID}:accesspoint/open-reports/object/*"}}]}}"#
        ))
        .send()
        .await
        .expect("access point policy");
    let delivery = AlertDelivery {
        securityhub: Some(SecurityHubSink::new(aws_sdk_securityhub::Client::new(&sdk))),
        alerts: Some(AlertSink::new(
            aws_sdk_sns::Client::new(&sdk),
            &inbox.topic_arn,
        )),
        ledger: None,
    };
    let event = in_emulated_account(fixture("events/s3-put-access-point-policy-public.json"));
    let out = handle_s3_exposure_event(&event, "us-east-1", &s3, &delivery, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.bucket, BUCKET);
    assert_eq!(
        out.evaluation.compliance,
        Compliance::NonCompliant,
        "{}",
        out.evaluation.annotation
    );
    assert!(
        out.evaluation
            .annotation
            .contains("public access points: open-reports"),
        "{}",
        out.evaluation.annotation
    );
    let alerts = inbox.drain(&sdk).await;
    assert_eq!(alerts.len(), 1);
    assert!(
        alerts[0].subject.contains("public via access point"),
        "{}",
        alerts[0].subject
    );

    // The periodic rule sees the same through its account-wide access point listing.
    let rules = ftr_shared::handlers::s3_rules::S3Rules::new(
        &sdk,
        &ftr_shared::settings::Settings::from_lookup(|_| None).unwrap(),
    );
    let c = ftr_shared::catalogue::control("S3-001").unwrap();
    let summary = rules
        .scan(
            c,
            &Default::default(),
            ACCOUNT_ID,
            None,
            Utc::now(),
            Utc::now(),
            true,
        )
        .await
        .unwrap();
    assert_eq!(summary.non_compliant, 1);
}
