//! `ftr`: scan an account, evaluate one event, over the same code paths as the Lambda functions.

use std::io::Read;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{json, Value};

use ftr_shared::aws::{caller_account, load_sdk_config};
use ftr_shared::catalogue::{control, Control, CONTROLS};
use ftr_shared::collect::root_account::{collect_root_facts, ReportWait};
use ftr_shared::collect::s3_buckets::S3Clients;
use ftr_shared::evaluate::s3_buckets::S3Params;
use ftr_shared::evaluation::{clean_text, Evaluation};
use ftr_shared::events::config_rule::{ResultToken, RuleParameters};
use ftr_shared::handlers::compliance_alert::plan_compliance_alert;
use ftr_shared::handlers::root_account_rules::{evaluate_root_control, root_params, ROOT_CONTROLS};
use ftr_shared::handlers::root_activity_alert::plan_root_activity;
use ftr_shared::handlers::s3_exposure_alert::{
    handle_s3_exposure_event, ACCESS_POINT_EVENTS, ACCOUNT_EXPOSURE_EVENTS, EXPOSURE_EVENTS,
};
use ftr_shared::handlers::s3_rules::{S3Rules, S3_CONTROLS};
use ftr_shared::handlers::{findings_for, AlertDelivery, HandlerError};
use ftr_shared::settings::Settings;
use ftr_shared::sinks::alerts::{Alert, AlertSink};
use ftr_shared::sinks::config::ConfigSink;
use ftr_shared::sinks::ledger::AlertLedger;
use ftr_shared::sinks::securityhub::{FindingContext, FindingSpec, SecurityHubSink};

/// `println!` that ends quietly when the reader went away (`ftr controls | head`).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

#[derive(Parser)]
#[command(
    name = "ftr",
    version,
    about = "Continuous AWS FTR compliance monitoring: scan, replay events"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ScanFormat {
    Table,
    Json,
    Markdown,
    Csv,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum EventFormat {
    Table,
    Json,
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Comma-separated control ids (default: every control this version evaluates).
    #[arg(long, value_delimiter = ',')]
    controls: Vec<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: ScanFormat,
    /// Evaluate as if now were this instant (RFC 3339).
    #[arg(long)]
    as_of: Option<String>,
    /// Also import the results into Security Hub (and Config with --result-token).
    #[arg(long)]
    publish: bool,
    /// A Config result token (or TESTMODE) to post evaluations with PutEvaluations.
    #[arg(long, requires = "publish")]
    result_token: Option<String>,
    /// ARC-001 window in days (1 to 3650).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    root_use_window_days: u32,
    /// ARC-003: require a hardware MFA or FIDO key for root.
    #[arg(long)]
    require_hardware_mfa: bool,
    /// SDAT-002: require SSE-KMS as bucket default encryption.
    #[arg(long)]
    require_kms: bool,
    /// SDAT-004: the tag that marks buckets holding sensitive data.
    #[arg(long, default_value = "ftr:sensitive")]
    sensitive_tag_key: String,
}

#[derive(Subcommand)]
enum Command {
    /// Run the rules for the account behind the current credentials.
    Scan(ScanArgs),
    /// Run the alert handlers on one EventBridge event (a file, or - for standard input).
    Event {
        file: String,
        #[arg(long, value_enum, default_value = "table")]
        format: EventFormat,
        /// Send the finding and the alert (topic from FTR_ALERT_TOPIC_ARN).
        #[arg(long)]
        publish: bool,
    },
    /// List the FTR controls.
    Controls,
}

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Failed(String),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => scan(args).await,
        Command::Event {
            file,
            format,
            publish,
        } => event(&file, format, publish).await,
        Command::Controls => {
            let evaluated: Vec<&str> = ROOT_CONTROLS
                .iter()
                .chain(S3_CONTROLS.iter())
                .copied()
                .collect();
            outln!(
                "{:<10} {:<12} {:<9} {:<10} TITLE",
                "CONTROL",
                "MODE",
                "SEVERITY",
                "EVALUATED"
            );
            for c in &CONTROLS {
                outln!(
                    "{:<10} {:<12} {:<9} {:<10} {}",
                    c.id,
                    format!("{:?}", c.mode).to_lowercase(),
                    c.severity.label(),
                    if evaluated.contains(&c.id) {
                        "yes"
                    } else {
                        "not yet"
                    },
                    c.title
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(CliError::Usage(m)) => {
            eprintln!("ftr: {m}");
            ExitCode::from(2)
        }
        Err(CliError::Failed(m)) => {
            eprintln!("ftr: {m}");
            ExitCode::from(1)
        }
    }
}

fn settings() -> Result<Settings, CliError> {
    Settings::from_env().map_err(|e| CliError::Usage(e.to_string()))
}

/// The AWS SDK configuration, with the mistakes a user can make named plainly.
async fn aws(settings: &Settings) -> Result<aws_config::SdkConfig, CliError> {
    if let Ok(url) = std::env::var("AWS_ENDPOINT_URL") {
        if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
            return Err(CliError::Usage(format!(
                "AWS_ENDPOINT_URL `{url}` is not an http(s) URL"
            )));
        }
    }
    let sdk = load_sdk_config(settings.aws_max_attempts).await;
    if sdk.region().is_none() {
        return Err(CliError::Usage(
            "no AWS region configured: set AWS_REGION (or a profile region)".into(),
        ));
    }
    Ok(sdk)
}

/// One row of scan output.
struct Row {
    control: &'static Control,
    status: String,
    resource_type: String,
    resource_id: String,
    annotation: String,
}

impl From<&Evaluation> for Row {
    fn from(e: &Evaluation) -> Self {
        Row {
            control: e.control,
            status: e.compliance.as_str().to_string(),
            resource_type: e.resource.resource_type.clone(),
            resource_id: e.resource.resource_id.clone(),
            annotation: e.annotation.clone(),
        }
    }
}

async fn scan(args: ScanArgs) -> Result<ExitCode, CliError> {
    let ScanArgs {
        controls,
        format,
        as_of,
        publish,
        result_token,
        root_use_window_days,
        require_hardware_mfa,
        require_kms,
        sensitive_tag_key,
    } = args;
    let s3_params = S3Params {
        require_kms,
        sensitive_tag_key,
    };
    let now: DateTime<Utc> = match &as_of {
        None => Utc::now(),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| {
                CliError::Usage(format!("--as-of `{s}` is not an RFC 3339 instant: {e}"))
            })?,
    };
    let earliest = DateTime::parse_from_rfc3339("2006-01-01T00:00:00Z")
        .expect("constant")
        .with_timezone(&Utc);
    if now < earliest || now > Utc::now() + chrono::Duration::days(1) {
        return Err(CliError::Usage(format!(
            "--as-of {} is outside 2006-01-01 .. tomorrow",
            now.to_rfc3339()
        )));
    }
    let mut selected: Vec<&'static Control> = Vec::new();
    let evaluated: Vec<&str> = ROOT_CONTROLS
        .iter()
        .chain(S3_CONTROLS.iter())
        .copied()
        .collect();
    if controls.is_empty() {
        selected.extend(evaluated.iter().filter_map(|id| control(id)));
    }
    for id in controls.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let c = control(id).ok_or_else(|| {
            CliError::Usage(format!("unknown control `{id}` (see `ftr controls`)"))
        })?;
        if !evaluated.contains(&c.id) {
            return Err(CliError::Usage(format!(
                "control {} is not evaluated by this version yet (evaluated: {})",
                c.id,
                evaluated.join(", ")
            )));
        }
        if !selected.contains(&c) {
            selected.push(c);
        }
    }
    if !controls.is_empty() && controls.iter().all(|c| c.trim().is_empty()) {
        return Err(CliError::Usage(
            "--controls names no control (see `ftr controls`)".into(),
        ));
    }
    if result_token.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(CliError::Usage("--result-token is empty".into()));
    }
    let params = root_params(&RuleParameters::from_map(
        [
            (
                "RootUseWindowDays".to_string(),
                json!(root_use_window_days.to_string()),
            ),
            (
                "RequireHardwareMfa".to_string(),
                json!(require_hardware_mfa.to_string()),
            ),
        ]
        .into_iter()
        .collect(),
    ))
    .map_err(|e| CliError::Usage(e.to_string()))?;
    let settings = settings()?;
    let sdk = aws(&settings).await?;
    let account = caller_account(&sdk).await.map_err(|e| {
        CliError::Failed(format!(
            "cannot tell which account these credentials belong to: {e}"
        ))
    })?;
    let region = sdk
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "us-east-1".into());
    let iam = aws_sdk_iam::Client::new(&sdk);
    let wait = ReportWait {
        budget: settings.credential_report_wait,
        ..ReportWait::default()
    };
    let want_kind = params.require_hardware_mfa && selected.iter().any(|c| c.id == "ARC-003");
    let mut rows = Vec::new();
    let mut evaluations = Vec::new();
    let mut failed = false;
    let root_selected: Vec<&'static Control> = selected
        .iter()
        .copied()
        .filter(|c| ROOT_CONTROLS.contains(&c.id))
        .collect();
    let s3_selected: Vec<&'static Control> = selected
        .iter()
        .copied()
        .filter(|c| S3_CONTROLS.contains(&c.id))
        .collect();
    let root_facts = if root_selected.is_empty() {
        None
    } else {
        Some(collect_root_facts(&iam, &account, want_kind, wait).await)
    };
    match root_facts {
        None => {}
        Some(Ok(facts)) => {
            for c in &root_selected {
                let e = evaluate_root_control(c, &facts, &params, now);
                rows.push(Row::from(&e));
                evaluations.push(e);
            }
        }
        Some(Err(err)) => {
            failed = true;
            for c in &root_selected {
                rows.push(Row {
                    control: c,
                    status: "ERROR".into(),
                    resource_type: ftr_shared::evaluation::ACCOUNT_RESOURCE_TYPE.into(),
                    resource_id: account.clone(),
                    annotation: err.to_string(),
                });
            }
        }
    }
    let mut rules = S3Rules::new(&sdk, &settings);
    rules.securityhub = None; // published below with everything else
    for c in &s3_selected {
        match rules
            .scan(c, &s3_params, &account, None, now, now, true)
            .await
        {
            Ok(mut summary) => {
                summary
                    .kept
                    .sort_by(|a, b| a.resource.resource_id.cmp(&b.resource.resource_id));
                rows.extend(summary.kept.iter().map(Row::from));
                evaluations.extend(summary.kept);
            }
            Err(err) => {
                failed = true;
                rows.push(Row {
                    control: c,
                    status: "ERROR".into(),
                    resource_type: "AWS::S3::Bucket".into(),
                    resource_id: "*".into(),
                    annotation: err.to_string(),
                });
            }
        }
    }
    print_rows(&rows, format);
    if publish && !evaluations.is_empty() {
        let ctx = FindingContext::new(&account, &region);
        let hub = SecurityHubSink::new(aws_sdk_securityhub::Client::new(&sdk));
        let summary = hub
            .import(&ctx, &findings_for(&evaluations, &ctx), Utc::now())
            .await
            .map_err(|e| CliError::Failed(format!("publishing to Security Hub failed: {e}")))?;
        eprintln!(
            "ftr: imported {} finding(s) into Security Hub",
            summary.imported
        );
        if let Some(token) = result_token {
            let calls = ConfigSink::new(aws_sdk_config::Client::new(&sdk))
                .put_evaluations(&ResultToken::parse(&token), &evaluations)
                .await
                .map_err(|e| {
                    CliError::Failed(format!("posting evaluations to AWS Config failed: {e}"))
                })?;
            eprintln!(
                "ftr: posted {} evaluation(s) to AWS Config in {calls} call(s)",
                evaluations.len()
            );
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_rows(rows: &[Row], format: ScanFormat) {
    match format {
        ScanFormat::Json => {
            for r in rows {
                outln!(
                    "{}",
                    json!({"control": r.control.id, "status": r.status, "resource_type": r.resource_type, "resource_id": r.resource_id, "annotation": r.annotation})
                );
            }
        }
        ScanFormat::Table => {
            outln!(
                "{:<9} {:<15} {:<30} ANNOTATION",
                "CONTROL",
                "STATUS",
                "RESOURCE"
            );
            for r in rows {
                outln!(
                    "{:<9} {:<15} {:<30} {}",
                    r.control.id,
                    r.status,
                    format!("{}/{}", r.resource_type, r.resource_id),
                    r.annotation
                );
            }
        }
        ScanFormat::Markdown => {
            outln!("| Control | Title | Status | Resource | Why |\n|---|---|---|---|---|");
            for r in rows {
                outln!(
                    "| {} | {} | {} | `{}` `{}` | {} |",
                    r.control.id,
                    r.control.title,
                    r.status,
                    r.resource_type,
                    r.resource_id,
                    r.annotation.replace('|', "\\|")
                );
            }
        }
        ScanFormat::Csv => {
            outln!("control,status,resource_type,resource_id,annotation");
            for r in rows {
                let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
                outln!(
                    "{},{},{},{},{}",
                    r.control.id,
                    r.status,
                    q(&r.resource_type),
                    q(&r.resource_id),
                    q(&r.annotation)
                );
            }
        }
    }
}

async fn event(file: &str, format: EventFormat, publish: bool) -> Result<ExitCode, CliError> {
    // EventBridge events are at most 256 KB; anything over 1 MiB is not one.
    const MAX_EVENT_BYTES: u64 = 1024 * 1024;
    let reader: Box<dyn Read> = if file == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(
            std::fs::File::open(file)
                .map_err(|e| CliError::Usage(format!("cannot read {file}: {e}")))?,
        )
    };
    let mut bytes = Vec::new();
    reader
        .take(MAX_EVENT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::Usage(format!("cannot read {file}: {e}")))?;
    if bytes.len() as u64 > MAX_EVENT_BYTES {
        return Err(CliError::Usage(format!(
            "{file} is over 1 MiB: not an EventBridge event"
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| CliError::Usage(format!("{file} is not UTF-8 text")))?;
    let event: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| CliError::Usage(format!("{file} is not JSON: {e}")))?;
    if event.get("invokingEvent").is_some() {
        return Err(CliError::Usage(format!(
            "{file} is an AWS Config rule invocation; `ftr event` replays EventBridge events (rules run with `ftr scan`)"
        )));
    }
    let detail_type = event
        .get("detail-type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let settings = settings()?;
    if publish && settings.alert_topic_arn.is_none() {
        return Err(CliError::Usage(
            "--publish needs FTR_ALERT_TOPIC_ARN to be set".into(),
        ));
    }
    let sdk = aws(&settings).await?;
    let region = sdk
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "us-east-1".into());

    let is_s3_change = event.pointer("/detail/eventSource").and_then(Value::as_str)
        == Some("s3.amazonaws.com")
        && event
            .pointer("/detail/eventName")
            .and_then(Value::as_str)
            .is_some_and(|n| {
                EXPOSURE_EVENTS.contains(&n)
                    || ACCOUNT_EXPOSURE_EVENTS.contains(&n)
                    || ACCESS_POINT_EVENTS.contains(&n)
            });
    if is_s3_change {
        // The S3 path re-reads the bucket's real state, so it always talks to AWS.
        let delivery = if publish {
            publishing_delivery(&settings, &sdk)?
        } else {
            AlertDelivery::default()
        };
        let out = handle_s3_exposure_event(
            &event,
            &region,
            &S3Clients::new(&sdk),
            &delivery,
            Utc::now(),
        )
        .await
        .map_err(|e| match e {
            HandlerError::CloudTrailEvent(_) => CliError::Usage(e.to_string()),
            other => CliError::Failed(other.to_string()),
        })?;
        if let Some(o) = out {
            print_event_outputs(Some(&o.finding), o.alert.as_ref().map(|(a, _)| a), format);
            if let Some((_, d)) = &o.alert {
                eprintln!("ftr: {}", serde_json::to_string(d).unwrap_or_default());
            }
        }
        // A bucket change made by the root user is also root activity: fall through.
    }

    let (finding, alert, ctx): (Option<FindingSpec>, Option<Alert>, Option<FindingContext>) =
        if detail_type == "Config Rules Compliance Change" {
            let alert =
                plan_compliance_alert(&event).map_err(|e| CliError::Usage(e.to_string()))?;
            let ctx = alert
                .as_ref()
                .map(|a| FindingContext::new(&a.account_id, &region));
            (None, alert, ctx)
        } else {
            match plan_root_activity(&event, &region).map_err(|e| CliError::Usage(e.to_string()))? {
                Some(p) => (Some(p.finding), Some(p.alert), Some(p.context)),
                None => (None, None, None),
            }
        };
    print_event_outputs(finding.as_ref(), alert.as_ref(), format);
    if publish {
        if let (Some(alert), Some(ctx)) = (&alert, &ctx) {
            let delivery = publishing_delivery(&settings, &sdk)?;
            let delivered = delivery
                .deliver(ctx, finding.as_ref(), alert, Utc::now())
                .await
                .map_err(|e| CliError::Failed(format!("publishing failed: {e}")))?;
            eprintln!(
                "ftr: {}",
                serde_json::to_string(&delivered).unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_event_outputs(finding: Option<&FindingSpec>, alert: Option<&Alert>, format: EventFormat) {
    if let Some(f) = finding {
        let status = format!("{:?}", f.compliance).to_uppercase();
        match format {
            EventFormat::Json => outln!(
                "{}",
                json!({"kind": "finding", "control": f.control.id, "status": status, "resource_type": f.resource_type, "resource_id": f.resource_id, "id": f.id})
            ),
            EventFormat::Table => outln!(
                "finding  {:<9} {:<7} {} ({})",
                f.control.id,
                status,
                clean_text(&f.resource_id),
                clean_text(&f.title)
            ),
        }
    }
    if let Some(a) = alert {
        match format {
            EventFormat::Json => outln!(
                "{}",
                json!({"kind": "alert", "control": a.control.id, "severity": a.severity.label(), "subject": a.subject()})
            ),
            EventFormat::Table => outln!(
                "alert    {:<9} {:<8} {}",
                a.control.id,
                a.severity.label(),
                a.subject()
            ),
        }
    }
}

/// The sinks `--publish` sends to: Security Hub (per settings), the topic, the optional ledger.
fn publishing_delivery(
    settings: &Settings,
    sdk: &aws_config::SdkConfig,
) -> Result<AlertDelivery, CliError> {
    let topic = settings
        .require_topic()
        .map_err(|_| CliError::Usage("--publish needs FTR_ALERT_TOPIC_ARN to be set".into()))?;
    Ok(AlertDelivery {
        securityhub: settings
            .security_hub
            .then(|| SecurityHubSink::new(aws_sdk_securityhub::Client::new(sdk))),
        alerts: Some(AlertSink::new(aws_sdk_sns::Client::new(sdk), topic)),
        ledger: settings
            .alert_ledger_table
            .as_deref()
            .map(|t| AlertLedger::new(aws_sdk_dynamodb::Client::new(sdk), t, settings.alert_lease)),
    })
}
