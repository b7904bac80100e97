//! The demo: a local AWS emulator, an account with root-user problems, the rules and the alert
//! handlers run through the `ftr` command, and what arrived in Security Hub and SNS read back.
//! Run it with `scripts/demo.sh`.

use std::path::{Path, PathBuf};
use std::process::Command;

use ftr_harness::{
    alert_inbox, create_ledger_table, enable_security_hub, ftr_findings, workspace_root, Moto,
    RootUser, ACCOUNT_ID,
};

const EVENTS: &[(&str, &str)] = &[
    (
        "root-console-sign-in-failure.json",
        "someone fails to sign in as root",
    ),
    (
        "root-console-sign-in-success-no-mfa.json",
        "root signs in to the console without MFA",
    ),
    (
        "root-create-access-key.json",
        "root creates an access key for itself",
    ),
    (
        "root-create-access-key.json",
        "the same CloudTrail event delivered a second time",
    ),
    (
        "root-service-invoked.json",
        "AWS Support creates a service-linked role on root's behalf",
    ),
    (
        "root-assumed-root-session.json",
        "a centralized-root-access session deletes a bucket policy",
    ),
    (
        "compliance-change-to-non-compliant.json",
        "Config: ftr-arc-003 turns NON_COMPLIANT",
    ),
    (
        "compliance-change-still-non-compliant.json",
        "Config: ftr-arc-003 is still NON_COMPLIANT an hour later",
    ),
];

fn heading(text: &str) {
    println!(
        "\n=== {text} {}",
        "=".repeat(90usize.saturating_sub(text.len()))
    );
}

fn ftr_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let bin = exe.parent().expect("bin dir").join("ftr");
    if !bin.exists() {
        eprintln!(
            "{} not found: build it with `cargo build -p ftr-cli` (scripts/demo.sh does)",
            bin.display()
        );
        std::process::exit(1);
    }
    bin
}

fn run_ftr(moto: &Moto, args: &[&str], env: &[(&str, &str)]) {
    println!("$ ftr {}", args.join(" "));
    let status = Command::new(ftr_binary())
        .args(args)
        .envs(moto.env())
        .envs(env.iter().copied())
        .env_remove("AWS_PROFILE")
        .status()
        .expect("run ftr");
    if !status.success() {
        println!("(ftr exited with {status})");
    }
}

/// The fixtures are anonymised for account 111122223333; the emulator's account is another.
fn event_for_emulated_account(name: &str, dir: &Path) -> PathBuf {
    let src = workspace_root().join("fixtures/events").join(name);
    let text = std::fs::read_to_string(&src)
        .expect("fixture")
        .replace("111122223333", ACCOUNT_ID);
    let dst = dir.join(name);
    std::fs::write(&dst, text).expect("write event");
    dst
}

const PUBLIC_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::example-data-bucket/*"}]}"#;

async fn seed_buckets(s3: &ftr_shared::collect::s3_buckets::S3Clients) {
    use aws_sdk_s3::types::{Tag, Tagging};
    for b in ["example-data-bucket", "public-website", "old-share"] {
        s3.s3
            .create_bucket()
            .bucket(b)
            .send()
            .await
            .expect("create bucket");
    }
    for b in ["public-website", "old-share"] {
        let policy = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{b}/*"}}]}}"#
        );
        s3.s3
            .put_bucket_policy()
            .bucket(b)
            .policy(policy)
            .send()
            .await
            .expect("put policy");
    }
    // AWS applies SSE-S3 default encryption to every new bucket (since 2023); moto does not.
    for b in ["example-data-bucket", "public-website", "old-share"] {
        use aws_sdk_s3::types::{
            ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
            ServerSideEncryptionRule,
        };
        let rule = ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(
                ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(ServerSideEncryption::Aes256)
                    .build()
                    .expect("sse"),
            )
            .build();
        s3.s3
            .put_bucket_encryption()
            .bucket(b)
            .server_side_encryption_configuration(
                ServerSideEncryptionConfiguration::builder()
                    .rules(rule)
                    .build()
                    .expect("sse"),
            )
            .send()
            .await
            .expect("default encryption");
    }
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build().expect("tag");
    let until = (chrono::Utc::now() + chrono::Duration::days(180))
        .format("%Y-%m-%d")
        .to_string();
    s3.s3
        .put_bucket_tagging()
        .bucket("public-website")
        .tagging(
            Tagging::builder()
                .tag_set(tag("ftr:exempt", "S3-001,S3-002"))
                .tag_set(tag("ftr:exempt-reason", "public marketing website"))
                .tag_set(tag("ftr:exempt-until", &until))
                .build()
                .expect("tagging"),
        )
        .send()
        .await
        .expect("tag bucket");
}

#[tokio::main]
async fn main() {
    heading("Starting the local AWS emulator (moto server on 127.0.0.1)");
    let moto = Moto::start();
    println!("emulator at {}", moto.endpoint);
    let sdk = moto.sdk_config().await;

    heading("Seeding a demo account with root-user and S3 problems");
    moto.set_root_user(&RootUser::careless());
    println!("root user: no MFA, one access key, password and key used yesterday");
    enable_security_hub(&sdk).await;
    let inbox = alert_inbox(&sdk, "ftr-alerts").await;
    create_ledger_table(&sdk, "ftr-alert-ledger").await;
    println!(
        "Security Hub enabled; alert topic {} (KMS-encrypted) with an SQS queue subscribed",
        inbox.topic_arn
    );
    let s3 = ftr_shared::collect::s3_buckets::S3Clients::new(&sdk);
    seed_buckets(&s3).await;
    println!("buckets: example-data-bucket (private), public-website (public, reviewed with ftr:exempt tags), old-share (public, never reviewed)");

    heading("Running the rules (root user, S3 exposure, bucket data protection)");
    run_ftr(
        &moto,
        &["scan", "--publish", "--result-token", "TESTMODE"],
        &[],
    );

    heading("Replaying CloudTrail and Config events through the alert handlers");
    let dir = std::env::temp_dir().join(format!("ftr-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let env = [
        ("FTR_ALERT_TOPIC_ARN", inbox.topic_arn.as_str()),
        ("FTR_ALERT_LEDGER_TABLE", "ftr-alert-ledger"),
    ];
    for (name, what) in EVENTS {
        println!("\n# {what}");
        let path = event_for_emulated_account(name, &dir);
        run_ftr(&moto, &["event", path.to_str().unwrap(), "--publish"], &env);
    }

    heading("A bucket is made public, then fixed");
    println!("# someone attaches a public-read policy to example-data-bucket");
    s3.s3
        .put_bucket_policy()
        .bucket("example-data-bucket")
        .policy(PUBLIC_READ)
        .send()
        .await
        .expect("put policy");
    let path = event_for_emulated_account("s3-put-bucket-policy-public.json", &dir);
    run_ftr(&moto, &["event", path.to_str().unwrap(), "--publish"], &env);
    println!("\n# the same CloudTrail record delivered again");
    run_ftr(&moto, &["event", path.to_str().unwrap(), "--publish"], &env);
    println!("\n# the policy is deleted");
    s3.s3
        .delete_bucket_policy()
        .bucket("example-data-bucket")
        .send()
        .await
        .expect("delete policy");
    let path = event_for_emulated_account("s3-delete-bucket-policy.json", &dir);
    run_ftr(&moto, &["event", path.to_str().unwrap(), "--publish"], &env);

    heading("Alerts received (read back from the SQS queue subscribed to the topic)");
    let alerts = inbox.drain(&sdk).await;
    for a in &alerts {
        println!("- {}", a.subject);
    }
    println!("{} alert(s)", alerts.len());
    if let Some(first) = alerts.iter().find(|a| a.subject.contains("without MFA")) {
        println!("\nOne alert in full:\n{}", first.message);
    }

    heading("Findings stored in Security Hub");
    let findings = ftr_findings(&sdk).await;
    for f in &findings {
        println!(
            "- {:<12} {:<13} {:<8} {:<36} {}",
            f.generator_id().unwrap_or_default(),
            f.compliance()
                .and_then(|c| c.status())
                .map(|s| s.as_str())
                .unwrap_or("-"),
            f.record_state().map(|s| s.as_str()).unwrap_or("-"),
            f.resources()
                .first()
                .and_then(|r| r.id())
                .unwrap_or_default(),
            f.title().unwrap_or_default()
        );
    }
    println!("{} finding(s)", findings.len());

    heading("The root user is fixed: MFA on, keys deleted, not used for a year");
    moto.set_root_user(&RootUser::locked_away());
    run_ftr(
        &moto,
        &[
            "scan",
            "--controls",
            "ARC-001,ARC-003,ARC-004",
            "--publish",
            "--result-token",
            "TESTMODE",
        ],
        &[],
    );
    let after = ftr_findings(&sdk).await;
    let passed = after
        .iter()
        .filter(|f| f.compliance().and_then(|c| c.status()).map(|s| s.as_str()) == Some("PASSED"))
        .count();
    println!(
        "{} finding(s) now, {passed} PASSED: the root-user findings were updated in place, not duplicated",
        after.len()
    );

    let _ = std::fs::remove_dir_all(&dir);
    heading("Stopping the emulator");
    drop(moto);
    println!("done");
}
