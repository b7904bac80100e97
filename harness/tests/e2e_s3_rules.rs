//! The S3 rules against the emulator: a periodic run judges every bucket once (S3-001 with a
//! review exemption, S3-002, SDAT-002/003/004), a change-triggered run judges one bucket.

use std::collections::HashMap;

use chrono::Utc;
use ftr_harness::{enable_security_hub, ftr_findings, Moto, ACCOUNT_ID};
use ftr_shared::collect::s3_buckets::S3Clients;
use ftr_shared::evaluation::Compliance;
use ftr_shared::handlers::s3_rules::S3Rules;
use ftr_shared::settings::Settings;
use serde_json::json;

fn rule_event(control: &str, invoking: serde_json::Value) -> serde_json::Value {
    json!({
        "version": "1.0",
        "invokingEvent": invoking.to_string(),
        "ruleParameters": json!({"ControlId": control}).to_string(),
        "resultToken": "TESTMODE",
        "eventLeftScope": false,
        "configRuleName": format!("ftr-{}", control.to_lowercase()),
        "accountId": ACCOUNT_ID
    })
}

/// Every bucket's verdict for `control`, kept (no Config token).
async fn evaluations(
    rules: &S3Rules,
    control: &'static ftr_shared::catalogue::Control,
) -> Vec<ftr_shared::evaluation::Evaluation> {
    rules
        .scan(
            control,
            &Default::default(),
            ACCOUNT_ID,
            None,
            Utc::now(),
            Utc::now(),
            true,
        )
        .await
        .unwrap()
        .kept
}

fn periodic(control: &str) -> serde_json::Value {
    rule_event(
        control,
        json!({"awsAccountId": ACCOUNT_ID, "notificationCreationTime": "2026-11-30T11:00:00.000Z", "messageType": "ScheduledNotification", "recordVersion": "1.0"}),
    )
}

async fn seed(s3: &S3Clients) {
    let tag = |k: &str, v: &str| {
        aws_sdk_s3::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .unwrap()
    };
    for b in ["private-data", "public-site", "reviewed-site"] {
        s3.s3.create_bucket().bucket(b).send().await.unwrap();
    }
    for b in ["public-site", "reviewed-site"] {
        let policy = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{b}/*"}}]}}"#
        );
        s3.s3
            .put_bucket_policy()
            .bucket(b)
            .policy(policy)
            .send()
            .await
            .unwrap();
    }
    s3.s3
        .put_bucket_tagging()
        .bucket("reviewed-site")
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .tag_set(tag("ftr:exempt", "S3-001,S3-002"))
                .tag_set(tag("ftr:exempt-reason", "public marketing site"))
                .tag_set(tag("ftr:exempt-until", "2099-12-31"))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    s3.s3
        .put_bucket_tagging()
        .bucket("private-data")
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .tag_set(tag("ftr:sensitive", "true"))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    s3.s3
        .put_public_access_block()
        .bucket("private-data")
        .public_access_block_configuration(
            aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn periodic_runs_judge_every_bucket_once_per_control() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    enable_security_hub(&sdk).await;
    let s3 = S3Clients::new(&sdk);
    seed(&s3).await;
    let settings = Settings::from_lookup(|_| None).unwrap();
    let rules = S3Rules::new(&sdk, &settings);

    let mut verdicts: HashMap<(String, String), Compliance> = HashMap::new();
    for control in ["S3-001", "S3-002", "SDAT-002", "SDAT-003", "SDAT-004"] {
        let summary = rules.handle(&periodic(control), Utc::now()).await.unwrap();
        assert_eq!(summary.buckets, 3, "{control}");
        assert_eq!(
            summary.put_evaluations_calls, 1,
            "{control}: one PutEvaluations for three buckets"
        );
        assert_eq!(summary.findings_imported, 3, "{control}");
        assert!(summary.failed.is_empty());
        // Kept evaluations are not held by the function; re-run through scan to see them.
        let c = ftr_shared::catalogue::control(control).unwrap();
        let kept = evaluations(&rules, c).await;
        for e in kept {
            verdicts.insert(
                (control.to_string(), e.resource.resource_id.clone()),
                e.compliance,
            );
        }
    }
    let v = |c: &str, b: &str| verdicts[&(c.to_string(), b.to_string())];
    assert_eq!(v("S3-001", "private-data"), Compliance::Compliant);
    assert_eq!(v("S3-001", "public-site"), Compliance::NonCompliant);
    assert_eq!(v("S3-001", "reviewed-site"), Compliance::Compliant);
    assert_eq!(v("S3-002", "private-data"), Compliance::Compliant);
    assert_eq!(v("S3-002", "public-site"), Compliance::NonCompliant);
    assert_eq!(v("S3-002", "reviewed-site"), Compliance::Compliant);
    assert_eq!(v("SDAT-003", "public-site"), Compliance::NonCompliant);
    assert_eq!(
        v("SDAT-004", "private-data"),
        Compliance::NonCompliant,
        "sensitive, no access logging"
    );
    assert_eq!(v("SDAT-004", "public-site"), Compliance::NotApplicable);
    // 5 controls × 3 buckets, one finding each, updated in place by the re-runs.
    assert_eq!(ftr_findings(&sdk).await.len(), 15);
}

#[tokio::test]
async fn change_triggered_run_judges_the_changed_bucket() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    enable_security_hub(&sdk).await;
    let s3 = S3Clients::new(&sdk);
    seed(&s3).await;
    let rules = S3Rules::new(&sdk, &Settings::from_lookup(|_| None).unwrap());
    let change = rule_event(
        "S3-001",
        json!({"configurationItem": {"configurationItemStatus": "OK", "resourceType": "AWS::S3::Bucket",
            "resourceId": "public-site", "resourceName": "public-site", "awsAccountId": ACCOUNT_ID, "awsRegion": "us-east-1",
            "configurationItemCaptureTime": "2026-11-30T10:30:00.000Z", "configuration": {"name": "public-site"},
            "supplementaryConfiguration": {}, "tags": {}},
            "messageType": "ConfigurationItemChangeNotification", "notificationCreationTime": "2026-11-30T10:30:04.000Z"}),
    );
    let summary = rules.handle(&change, Utc::now()).await.unwrap();
    assert_eq!(summary.buckets, 1);
    assert_eq!(summary.non_compliant, 1);
    let findings = ftr_findings(&sdk).await;
    assert_eq!(findings.len(), 1);
    assert!(findings[0]
        .id()
        .unwrap()
        .ends_with("ftr-s3-001/AWS::S3::Bucket/public-site"));
}

/// S3-003: the monitor checks itself — rule enabled, topic with a confirmed subscription.
#[tokio::test]
async fn s3_003_checks_the_exposure_rule_and_the_alert_topic() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    enable_security_hub(&sdk).await;
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    events
        .put_rule()
        .name("ftr-bucket-exposure")
        .event_pattern(r#"{"source":["aws.s3"]}"#)
        .send()
        .await
        .unwrap();
    let sns = aws_sdk_sns::Client::new(&sdk);
    let lonely = sns
        .create_topic()
        .name("ftr-alerts-nobody")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let inbox = ftr_harness::alert_inbox(&sdk, "ftr-alerts").await;
    let verdict = |topic: String| {
        let sdk = sdk.clone();
        async move {
            let settings = Settings::from_lookup(|k| match k {
                "FTR_EXPOSURE_RULE_NAME" => Some("ftr-bucket-exposure".into()),
                "FTR_ALERT_TOPIC_ARN" => Some(topic.clone()),
                _ => None,
            })
            .unwrap();
            let s = S3Rules::new(&sdk, &settings)
                .handle(&periodic("S3-003"), Utc::now())
                .await
                .unwrap();
            (s.compliant, s.non_compliant)
        }
    };
    assert_eq!(
        verdict(inbox.topic_arn.clone()).await,
        (1, 0),
        "enabled rule, confirmed SQS subscription"
    );
    assert_eq!(verdict(lonely).await, (0, 1), "nobody subscribed");
    events
        .disable_rule()
        .name("ftr-bucket-exposure")
        .send()
        .await
        .unwrap();
    assert_eq!(
        verdict(inbox.topic_arn.clone()).await,
        (0, 1),
        "rule disabled"
    );
    let unset = S3Rules::new(&sdk, &Settings::from_lookup(|_| None).unwrap())
        .handle(&periodic("S3-003"), Utc::now())
        .await
        .unwrap_err();
    assert!(
        unset.to_string().contains("FTR_EXPOSURE_RULE_NAME"),
        "{unset}"
    );
}

/// SDAT-004: a sensitive bucket without server access logging passes once a logging trail
/// records S3 data events for it.
#[tokio::test]
async fn sdat_004_accepts_cloudtrail_data_events() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    enable_security_hub(&sdk).await;
    let s3 = S3Clients::new(&sdk);
    seed(&s3).await;
    s3.s3
        .create_bucket()
        .bucket("trail-logs")
        .send()
        .await
        .unwrap();
    let rules = S3Rules::new(&sdk, &Settings::from_lookup(|_| None).unwrap());
    let c = ftr_shared::catalogue::control("SDAT-004").unwrap();
    let verdict = |kept: Vec<ftr_shared::evaluation::Evaluation>| {
        kept.into_iter()
            .find(|e| e.resource.resource_id == "private-data")
            .unwrap()
            .compliance
    };
    let before = evaluations(&rules, c).await;
    assert_eq!(verdict(before), Compliance::NonCompliant);

    let ct = aws_sdk_cloudtrail::Client::new(&sdk);
    ct.create_trail()
        .name("data-events")
        .s3_bucket_name("trail-logs")
        .send()
        .await
        .unwrap();
    ct.put_event_selectors()
        .trail_name("data-events")
        .event_selectors(
            aws_sdk_cloudtrail::types::EventSelector::builder()
                .read_write_type(aws_sdk_cloudtrail::types::ReadWriteType::All)
                .data_resources(
                    aws_sdk_cloudtrail::types::DataResource::builder()
                        .r#type("AWS::S3::Object")
                        .values("arn:aws:s3:::private-data/")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    // Not logging yet: does not count.
    let stopped = evaluations(&rules, c).await;
    assert_eq!(verdict(stopped), Compliance::NonCompliant);
    ct.start_logging().name("data-events").send().await.unwrap();
    let after = evaluations(&rules, c).await;
    assert_eq!(verdict(after), Compliance::Compliant);
}
