//! Cold start, measured: how long a function process takes from spawn to its first Lambda Runtime
//! API request (`GET /2018-06-01/runtime/invocation/next`), for the release `root-activity-alert`
//! binary and for a Python/boto3 handler doing the same set-up (SDK config, SNS, DynamoDB and
//! Security Hub clients, settings from the environment). Both run in one go on this machine; the
//! ratio is the figure to read. Run it with `scripts/bench.sh`.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ftr_harness::workspace_root;

const RUNS: usize = 21;

const PYTHON_HANDLER: &str = r#"
import os, urllib.request
import boto3
session = boto3.session.Session()
sns = session.client("sns")
ddb = session.client("dynamodb")
hub = session.client("securityhub")
topic = os.environ["FTR_ALERT_TOPIC_ARN"]
table = os.environ["FTR_ALERT_LEDGER_TABLE"]
api = os.environ["AWS_LAMBDA_RUNTIME_API"]
urllib.request.urlopen(f"http://{api}/2018-06-01/runtime/invocation/next", timeout=10)
"#;

/// Spawn `cmd`, return the time until it first asks the fake Runtime API for work.
fn time_to_first_request(mut cmd: Command) -> Duration {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    cmd.env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", "root-activity-alert")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_SESSION_TOKEN", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env(
            "FTR_ALERT_TOPIC_ARN",
            "arn:aws:sns:us-east-1:123456789012:ftr-alerts",
        )
        .env("FTR_ALERT_LEDGER_TABLE", "ftr-alert-ledger")
        .env_remove("AWS_PROFILE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn");
    let (mut stream, _) = listener.accept().expect("accept");
    let mut buf = [0u8; 256];
    let n = stream.read(&mut buf).unwrap_or(0);
    let elapsed = start.elapsed();
    let line = String::from_utf8_lossy(&buf[..n]);
    assert!(
        line.contains("/runtime/invocation/next"),
        "unexpected first request: {line}"
    );
    let _ = stream.write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n");
    let _ = child.kill();
    let _ = child.wait();
    elapsed
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let binary: PathBuf = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/release/root-activity-alert"));
    assert!(
        binary.exists(),
        "{} missing: cargo build --release -p root-activity-alert",
        binary.display()
    );
    let python = workspace_root().join(".venv/bin/python");

    // One warm-up each (page cache), then the measured runs, interleaved.
    time_to_first_request(Command::new(&binary));
    let mut py = Command::new(&python);
    py.args(["-c", PYTHON_HANDLER]);
    time_to_first_request(py);
    let (mut rust, mut boto) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        rust.push(time_to_first_request(Command::new(&binary)));
        let mut py = Command::new(&python);
        py.args(["-c", PYTHON_HANDLER]);
        boto.push(time_to_first_request(py));
    }
    let (r, p) = (median(rust.clone()), median(boto));
    println!("runs: {RUNS} each, spawn → first Runtime API request, median");
    println!(
        "rust  root-activity-alert (release): {:>8.2} ms (min {:.2}, max {:.2})",
        r.as_secs_f64() * 1e3,
        rust.iter().min().unwrap().as_secs_f64() * 1e3,
        rust.iter().max().unwrap().as_secs_f64() * 1e3
    );
    println!(
        "python boto3 handler, same set-up:   {:>8.2} ms",
        p.as_secs_f64() * 1e3
    );
    println!(
        "ratio python/rust: {:.1}x (target ≥ 5x; rust target ≤ 30 ms)",
        p.as_secs_f64() / r.as_secs_f64()
    );
    println!(
        "binary size: {} KiB",
        std::fs::metadata(&binary)
            .map(|m| m.len() / 1024)
            .unwrap_or(0)
    );
}
