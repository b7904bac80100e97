//! The real `root-activity-alert` binary under cargo-lambda's local Lambda runtime emulator
//! (`cargo lambda watch --only-lambda-apis`), invoked with a fixture event by
//! `cargo lambda invoke`, talking to the local AWS emulator.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use ftr_harness::{
    alert_inbox, create_ledger_table, enable_security_hub, free_port, ftr_findings, workspace_root,
    Moto,
};
use serde_json::Value;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn venv_bin(name: &str) -> PathBuf {
    workspace_root().join(".venv/bin").join(name)
}

/// Build the function binary (a no-op when `cargo build --workspace` already did) and return it.
fn function_binary(name: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "-p", name, "--bin", name])
        .current_dir(workspace_root())
        .status()
        .expect("cargo build");
    assert!(status.success(), "building {name} failed");
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let bin = dir.join(name);
    assert!(bin.exists(), "{} missing", bin.display());
    bin
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("nothing listens on 127.0.0.1:{port}");
}

fn invoke(port: u16, data: &[&str]) -> Output {
    Command::new(venv_bin("cargo-lambda"))
        .args([
            "lambda",
            "invoke",
            "-A",
            "127.0.0.1",
            "-P",
            &port.to_string(),
        ])
        .args(data)
        .env(
            "PATH",
            format!(
                "{}:{}",
                venv_bin("").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .expect("cargo lambda invoke")
}

#[tokio::test]
async fn root_activity_binary_under_cargo_lambda_runtime_alerts_once() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    enable_security_hub(&sdk).await;
    let inbox = alert_inbox(&sdk, "ftr-alerts").await;
    create_ledger_table(&sdk, "ftr-alert-ledger").await;
    let binary = function_binary("root-activity-alert");

    let port = free_port();
    let _runtime = Killed(
        Command::new(venv_bin("cargo-lambda"))
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "-A",
                "127.0.0.1",
                "-P",
                &port.to_string(),
            ])
            .current_dir(workspace_root())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cargo lambda watch"),
    );
    wait_for_port(port);
    let mut function = Command::new(&binary);
    function
        .envs(moto.env())
        .env(
            "AWS_LAMBDA_RUNTIME_API",
            format!("http://127.0.0.1:{port}/.rt"),
        )
        .env("AWS_LAMBDA_FUNCTION_NAME", "_")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("FTR_ALERT_TOPIC_ARN", &inbox.topic_arn)
        .env("FTR_ALERT_LEDGER_TABLE", "ftr-alert-ledger")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _function = Killed(function.spawn().expect("start function"));

    let fixture = workspace_root().join("fixtures/events/root-console-sign-in-success-no-mfa.json");
    let fixture = fixture.to_str().unwrap();
    let first = invoke(port, &["--data-file", fixture]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let answer: Value = serde_json::from_slice(&first.stdout).expect("JSON answer");
    assert_eq!(answer["action"], "alert");
    assert_eq!(answer["control"], "ARC-001");
    assert_eq!(answer["severity"], "CRITICAL");
    assert_eq!(answer["result"]["delivered"], "sent");

    // The same event delivered again: no second alert.
    let second = invoke(port, &["--data-file", fixture]);
    let answer: Value = serde_json::from_slice(&second.stdout).expect("JSON answer");
    assert_eq!(answer["result"]["delivered"], "duplicate");

    // A malformed event fails the invocation with a permanent, named error.
    let bad = invoke(port, &["--data-ascii", r#"{"detail": 5}"#]);
    assert!(!bad.status.success());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&bad.stdout),
        String::from_utf8_lossy(&bad.stderr)
    );
    assert!(text.contains("Permanent.BadCloudTrailEvent"), "{text}");

    let alerts = inbox.drain(&sdk).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts[0]
        .subject
        .starts_with("[FTR ARC-001][CRITICAL] Root console sign-in without MFA"));
    assert_eq!(ftr_findings(&sdk).await.len(), 1);
}
