//! The local AWS emulator harness for tests and the demo: starts moto server (with the
//! workarounds in `moto/ftr_moto_server.py`) on 127.0.0.1 on a free port, stops it on drop, and
//! seeds and reads back what a scenario needs (alert topic → SQS queue, Security Hub, ledger).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use serde_json::Value;

/// moto's default account id.
pub const ACCOUNT_ID: &str = "123456789012";
pub const REGION: &str = "us-east-1";

/// The workspace root (where `.venv` and `fixtures` live).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// A fixture file's JSON.
pub fn fixture(relative: &str) -> Value {
    let p = workspace_root().join("fixtures").join(relative);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn python() -> PathBuf {
    std::env::var_os("FTR_MOTO_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"))
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A running moto server; killed on drop.
pub struct Moto {
    child: Child,
    pub port: u16,
    pub endpoint: String,
}

impl Moto {
    /// Start moto on a free port and wait until it answers (at most 30 s).
    pub fn start() -> Moto {
        let py = python();
        assert!(
            py.exists(),
            "{} not found: run scripts/bootstrap.sh (scripts/test.sh does) to install the emulator",
            py.display()
        );
        let port = free_port();
        let child = Command::new(&py)
            .arg(workspace_root().join("harness/moto/ftr_moto_server.py"))
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto server");
        let moto = Moto {
            child,
            port,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok((200, _)) = moto.http("GET", "/moto-api/", "") {
                return moto;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("moto server did not answer on port {port} within 30 s");
    }

    /// A plain HTTP/1.1 request to the emulator (harness endpoints only).
    pub fn http(&self, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port))?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        )?;
        let mut out = String::new();
        s.read_to_string(&mut out)?;
        let status = out
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = out
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        Ok((status, body))
    }

    /// Set the root user's state (the harness's stand-in for what moto cannot emulate).
    pub fn set_root_user(&self, state: &RootUser) {
        let body = serde_json::json!({
            "account_id": ACCOUNT_ID,
            "mfa_enabled": state.mfa_enabled,
            "access_keys": state.access_keys,
            "password_present": state.password_present,
            "password_last_used": state.password_last_used.clone().unwrap_or_else(|| "no_information".into()),
            "access_key_1_active": state.access_keys > 0,
            "access_key_1_last_used": state.access_key_last_used.clone().unwrap_or_else(|| "N/A".into()),
        });
        let (status, text) = self
            .http("POST", "/_ftr/root-user", &body.to_string())
            .expect("harness call");
        assert_eq!(status, 200, "{text}");
    }

    /// SDK configuration for the emulator: fixed dummy credentials, few retries.
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(Region::new(REGION))
            .credentials_provider(aws_sdk_sns::config::Credentials::new(
                "testing",
                "testing",
                None,
                None,
                "ftr-harness",
            ))
            .retry_config(RetryConfig::standard().with_max_attempts(2))
            .load()
            .await
    }

    /// Environment for a child process (CLI, function binary) to talk to this emulator.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", REGION),
            ("AWS_DEFAULT_REGION", REGION),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("FTR_AWS_MAX_ATTEMPTS", "2"),
            ("FTR_CREDENTIAL_REPORT_WAIT_SECONDS", "20"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The root user's state in the emulated account.
#[derive(Debug, Clone, Default)]
pub struct RootUser {
    pub mfa_enabled: bool,
    pub access_keys: u32,
    pub password_present: bool,
    /// RFC 3339, as the credential report writes it (`2026-11-30T09:12:44+00:00`).
    pub password_last_used: Option<String>,
    pub access_key_last_used: Option<String>,
}

impl RootUser {
    /// A root user in trouble: used yesterday, no MFA, an access key in use.
    pub fn careless() -> Self {
        let yesterday = (chrono::Utc::now() - chrono::Duration::days(1))
            .format("%Y-%m-%dT%H:%M:%S+00:00")
            .to_string();
        RootUser {
            mfa_enabled: false,
            access_keys: 1,
            password_present: true,
            password_last_used: Some(yesterday.clone()),
            access_key_last_used: Some(yesterday),
        }
    }

    /// A root user locked away: MFA, no keys, not used for a year.
    pub fn locked_away() -> Self {
        let long_ago = (chrono::Utc::now() - chrono::Duration::days(365))
            .format("%Y-%m-%dT%H:%M:%S+00:00")
            .to_string();
        RootUser {
            mfa_enabled: true,
            access_keys: 0,
            password_present: true,
            password_last_used: Some(long_ago),
            access_key_last_used: None,
        }
    }
}

/// The alert topic with an SQS queue subscribed to it, so tests can read alerts back.
pub struct AlertInbox {
    pub topic_arn: String,
    pub queue_url: String,
}

/// An alert as it arrived in the queue.
#[derive(Debug, Clone)]
pub struct ReceivedAlert {
    pub subject: String,
    pub message: String,
    pub attributes: Value,
}

pub async fn alert_inbox(sdk: &SdkConfig, name: &str) -> AlertInbox {
    let sns = aws_sdk_sns::Client::new(sdk);
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let topic_arn = sns
        .create_topic()
        .name(name)
        .attributes("KmsMasterKeyId", "alias/aws/sns")
        .send()
        .await
        .expect("create topic")
        .topic_arn
        .expect("topic arn");
    let queue_url = sqs
        .create_queue()
        .queue_name(format!("{name}-inbox"))
        .send()
        .await
        .expect("create queue")
        .queue_url
        .expect("queue url");
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .expect("queue arn");
    sns.subscribe()
        .topic_arn(&topic_arn)
        .protocol("sqs")
        .endpoint(queue_arn)
        .send()
        .await
        .expect("subscribe queue");
    AlertInbox {
        topic_arn,
        queue_url,
    }
}

impl AlertInbox {
    /// Every alert waiting in the queue (drains it).
    pub async fn drain(&self, sdk: &SdkConfig) -> Vec<ReceivedAlert> {
        let sqs = aws_sdk_sqs::Client::new(sdk);
        let mut out = Vec::new();
        loop {
            let got = sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .send()
                .await
                .expect("receive");
            let msgs = got.messages.unwrap_or_default();
            if msgs.is_empty() {
                return out;
            }
            for m in msgs {
                let envelope: Value =
                    serde_json::from_str(m.body().unwrap_or("{}")).expect("SNS envelope");
                out.push(ReceivedAlert {
                    subject: envelope["Subject"].as_str().unwrap_or_default().to_string(),
                    message: envelope["Message"].as_str().unwrap_or_default().to_string(),
                    attributes: envelope["MessageAttributes"].clone(),
                });
                sqs.delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .expect("delete");
            }
        }
    }
}

/// Turn Security Hub on in the emulated account.
pub async fn enable_security_hub(sdk: &SdkConfig) {
    aws_sdk_securityhub::Client::new(sdk)
        .enable_security_hub()
        .send()
        .await
        .expect("enable Security Hub");
}

/// Every ftr-* finding in the emulated Security Hub. moto ignores GetFindings filters, so the
/// harness filters by generator here.
pub async fn ftr_findings(sdk: &SdkConfig) -> Vec<aws_sdk_securityhub::types::AwsSecurityFinding> {
    let hub = aws_sdk_securityhub::Client::new(sdk);
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = hub
            .get_findings()
            .set_next_token(token)
            .max_results(100)
            .send()
            .await
            .expect("get findings");
        out.extend(
            page.findings()
                .iter()
                .filter(|f| f.generator_id().is_some_and(|g| g.starts_with("ftr-")))
                .cloned(),
        );
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            return out;
        }
    }
}

/// The alert ledger table, as the SAM template defines it.
pub async fn create_ledger_table(sdk: &SdkConfig, name: &str) {
    aws_sdk_dynamodb::Client::new(sdk)
        .create_table()
        .table_name(name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("create ledger table");
}
