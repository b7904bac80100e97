//! The `ftr` command against the local AWS emulator, as a user runs it.

use std::process::{Command, Output};

use ftr_harness::{alert_inbox, enable_security_hub, ftr_findings, workspace_root, Moto, RootUser};
use serde_json::Value;

fn ftr(moto: Option<&Moto>, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ftr"));
    c.args(args)
        .current_dir(workspace_root())
        .env_remove("AWS_PROFILE");
    if let Some(m) = moto {
        c.envs(m.env());
    }
    c.envs(extra_env.iter().copied());
    c.output().expect("run ftr")
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

#[tokio::test]
async fn scan_reports_root_controls_as_json_lines_and_publishes() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    enable_security_hub(&sdk).await;
    moto.set_root_user(&RootUser::careless());
    let out = ftr(Some(&moto), &["scan", "--format", "json"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    let got: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["control"].as_str().unwrap(),
                l["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("ARC-001", "NON_COMPLIANT"),
            ("ARC-003", "NON_COMPLIANT"),
            ("ARC-004", "NON_COMPLIANT")
        ]
    );
    for l in &lines {
        assert_eq!(l["resource_type"], "AWS::::Account");
        assert_eq!(l["resource_id"], ftr_harness::ACCOUNT_ID);
        assert!(!l["annotation"].as_str().unwrap().is_empty());
    }
    // --as-of: evaluate as if now were 60 days ago; one control selected, one line.
    let as_of = (chrono::Utc::now() - chrono::Duration::days(60)).to_rfc3339();
    let out = ftr(
        Some(&moto),
        &[
            "scan",
            "--controls",
            "ARC-003",
            "--format",
            "json",
            "--as-of",
            &as_of,
        ],
        &[],
    );
    assert_eq!(json_lines(&out).len(), 1);

    let out = ftr(
        Some(&moto),
        &["scan", "--publish", "--result-token", "TESTMODE"],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(ftr_findings(&sdk).await.len(), 3);
}

#[test]
fn bad_input_is_a_clear_error_with_a_non_zero_exit() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["scan", "--controls", "ARC-999"],
            "unknown control `ARC-999`",
        ),
        (
            &["scan", "--controls", "IAM-003"],
            "not evaluated by this version yet",
        ),
        (&["scan", "--as-of", "yesterday"], "--as-of `yesterday`"),
        (
            &["event", "/no/such/file.json"],
            "cannot read /no/such/file.json",
        ),
        (&["event", "Cargo.toml"], "is not JSON"),
        (&["scan", "--controls", ""], "names no control"),
        (&["scan", "--controls", ",,,"], "names no control"),
        (
            &["scan", "--publish", "--result-token", ""],
            "--result-token is empty",
        ),
        (
            &["scan", "--as-of", "1900-01-01T00:00:00Z"],
            "outside 2006-01-01",
        ),
        (
            &["scan", "--root-use-window-days", "0"],
            "0 is not in 1..=3650",
        ),
        (
            &["event", "fixtures/config/periodic-ftr-arc-003.json"],
            "AWS Config rule invocation",
        ),
        (
            &["event", "fixtures/events/root-api-call.json", "--publish"],
            "--publish needs FTR_ALERT_TOPIC_ARN to be set",
        ),
    ];
    for (args, needle) in cases {
        let out = ftr(
            None,
            args,
            &[
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
                ("AWS_REGION", "us-east-1"),
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?} printed before failing");
    }
    let bad_url = ftr(
        None,
        &["scan"],
        &[
            ("AWS_ENDPOINT_URL", "not-a-url"),
            ("AWS_REGION", "us-east-1"),
        ],
    );
    assert_eq!(bad_url.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_url.stderr).contains("not an http(s) URL"));
    let no_region = ftr(
        None,
        &["scan"],
        &[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
            ("AWS_CONFIG_FILE", "/nonexistent"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"),
        ],
    );
    assert_eq!(
        no_region.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&no_region.stderr)
    );
    assert!(String::from_utf8_lossy(&no_region.stderr).contains("no AWS region configured"));
    let big = std::env::temp_dir().join(format!("ftr-big-event-{}.json", std::process::id()));
    std::fs::write(
        &big,
        format!("{{\"pad\":\"{}\"}}", "x".repeat(2 * 1024 * 1024)),
    )
    .unwrap();
    let out = ftr(None, &["event", big.to_str().unwrap()], &[]);
    let _ = std::fs::remove_file(&big);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("over 1 MiB"));
}

#[tokio::test]
async fn event_prints_finding_and_alert_and_publishes_them() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    enable_security_hub(&sdk).await;
    let inbox = alert_inbox(&sdk, "ftr-alerts").await;

    let quiet = ftr(
        Some(&moto),
        &[
            "event",
            "fixtures/events/root-service-invoked.json",
            "--format",
            "json",
        ],
        &[],
    );
    assert!(quiet.status.success());
    assert!(
        quiet.stdout.is_empty(),
        "an event that needs no action prints nothing"
    );

    let out = ftr(
        Some(&moto),
        &[
            "event",
            "fixtures/events/root-create-access-key.json",
            "--format",
            "json",
            "--publish",
        ],
        &[("FTR_ALERT_TOPIC_ARN", &inbox.topic_arn)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["kind"], "finding");
    assert_eq!(lines[0]["control"], "ARC-004");
    assert_eq!(lines[0]["status"], "FAILED");
    assert_eq!(lines[1]["kind"], "alert");
    assert_eq!(lines[1]["severity"], "CRITICAL");
    assert_eq!(inbox.drain(&sdk).await.len(), 1);
    assert_eq!(ftr_findings(&sdk).await.len(), 1);

    let no_topic = ftr(
        Some(&moto),
        &["event", "fixtures/events/root-api-call.json", "--publish"],
        &[],
    );
    assert_eq!(no_topic.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_topic.stderr).contains("FTR_ALERT_TOPIC_ARN"));
}

#[tokio::test]
async fn event_on_a_bucket_change_rereads_the_bucket() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let s3 = ftr_shared::collect::s3_buckets::S3Clients::new(&sdk);
    s3.s3
        .create_bucket()
        .bucket("example-data-bucket")
        .send()
        .await
        .unwrap();
    let file = "fixtures/events/s3-put-bucket-policy-public.json";

    // The event says the policy became public, but the bucket is private: no alert.
    let out = ftr(Some(&moto), &["event", file, "--format", "json"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["control"], "S3-001");
    assert_eq!(lines[0]["status"], "PASSED");

    s3.s3
        .put_bucket_policy()
        .bucket("example-data-bucket")
        .policy(r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"arn:aws:s3:::example-data-bucket/*"}]}"#)
        .send()
        .await
        .unwrap();
    let out = ftr(Some(&moto), &["event", file, "--format", "json"], &[]);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["status"], "FAILED");
    assert_eq!(lines[1]["kind"], "alert");
    assert_eq!(lines[1]["severity"], "CRITICAL");
    assert!(lines[1]["subject"]
        .as_str()
        .unwrap()
        .contains("example-data-bucket made public read"));
}
