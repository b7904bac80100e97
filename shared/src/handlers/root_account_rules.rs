//! `root-account-rules`: the Config rules ftr-arc-001, ftr-arc-003, ftr-arc-004 (periodic).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::catalogue::Control;
use crate::collect::root_account::{collect_root_facts, ReportWait};
use crate::evaluate::root_account::{
    root_has_mfa, root_has_no_access_keys, root_used_only_by_exception, RootFacts, RootParams,
};
use crate::evaluation::{Evaluation, Resource};
use crate::events::config_rule::{ConfigEventError, RuleInvocation, RuleParameters};
use crate::handlers::{findings_for, resolve_subject, HandlerError, Subject};
use crate::sinks::config::ConfigSink;
use crate::sinks::securityhub::{FindingContext, SecurityHubSink};

/// The controls this function serves.
pub const ROOT_CONTROLS: [&str; 3] = ["ARC-001", "ARC-003", "ARC-004"];

/// Typed rule parameters: `RootUseWindowDays` (1..=3650, default 30), `RequireHardwareMfa`.
pub fn root_params(p: &RuleParameters) -> Result<RootParams, ConfigEventError> {
    Ok(RootParams {
        root_use_window_days: p.u32_or("RootUseWindowDays", 30, 1..=3650)?,
        require_hardware_mfa: p.bool_or("RequireHardwareMfa", false)?,
    })
}

/// The verdict of one root control on collected facts.
pub fn evaluate_root_control(
    control: &'static Control,
    facts: &RootFacts,
    params: &RootParams,
    now: DateTime<Utc>,
) -> Evaluation {
    match control.id {
        "ARC-001" => root_used_only_by_exception(facts, params, now),
        "ARC-003" => root_has_mfa(facts, params, now),
        "ARC-004" => root_has_no_access_keys(facts, now),
        other => unreachable!("root-account-rules does not serve {other}"),
    }
}

/// The clients and settings one invocation needs.
pub struct RootAccountRules {
    pub iam: aws_sdk_iam::Client,
    pub config: ConfigSink,
    pub config_client: aws_sdk_config::Client,
    pub securityhub: Option<SecurityHubSink>,
    pub region: String,
    pub report_wait: ReportWait,
}

/// What one invocation produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleOutcome {
    pub evaluations: Vec<Evaluation>,
    pub put_evaluations_calls: usize,
    pub findings_imported: usize,
}

impl RootAccountRules {
    pub async fn handle(
        &self,
        event: &Value,
        now: DateTime<Utc>,
    ) -> Result<RuleOutcome, HandlerError> {
        let inv = RuleInvocation::parse(event)?;
        let control = inv.control_among(&ROOT_CONTROLS)?;
        let params = root_params(&inv.parameters)?;
        let evaluations = match Box::pin(resolve_subject(&inv, &self.config_client)).await? {
            Subject::Gone { resource, at } => vec![Evaluation::deleted(control, resource, at)],
            // Account-level controls: whatever triggered the rule, the account is judged.
            Subject::Everything | Subject::Item(_) => {
                let facts = Box::pin(collect_root_facts(
                    &self.iam,
                    &inv.account_id,
                    params.require_hardware_mfa && control.id == "ARC-003",
                    self.report_wait,
                ))
                .await?;
                let mut e = evaluate_root_control(control, &facts, &params, now);
                e.ordering_timestamp = inv.notification_time;
                debug_assert_eq!(e.resource, Resource::account(&inv.account_id));
                vec![e]
            }
        };
        for e in &evaluations {
            tracing::info!(control = e.control.id, resource = %e.resource.resource_id, compliance = %e.compliance, annotation = %e.annotation, "evaluated");
        }
        let put_evaluations_calls =
            Box::pin(self.config.put_evaluations(&inv.result_token, &evaluations)).await?;
        let mut findings_imported = 0;
        if let Some(hub) = &self.securityhub {
            let ctx = FindingContext::new(&inv.account_id, &self.region);
            findings_imported =
                Box::pin(hub.import(&ctx, &findings_for(&evaluations, &ctx), Utc::now()))
                    .await?
                    .imported;
        }
        Ok(RuleOutcome {
            evaluations,
            put_evaluations_calls,
            findings_imported,
        })
    }
}

impl RootAccountRules {
    /// Clients for one invocation from the loaded SDK configuration.
    pub fn new(sdk: &aws_config::SdkConfig, settings: &crate::settings::Settings) -> Self {
        let config_client = aws_sdk_config::Client::new(sdk);
        RootAccountRules {
            iam: aws_sdk_iam::Client::new(sdk),
            config: ConfigSink::new(config_client.clone()),
            config_client,
            securityhub: settings
                .security_hub
                .then(|| SecurityHubSink::new(aws_sdk_securityhub::Client::new(sdk))),
            region: sdk
                .region()
                .map(|r| r.to_string())
                .unwrap_or_else(|| "us-east-1".into()),
            report_wait: ReportWait {
                budget: settings.credential_report_wait,
                ..ReportWait::default()
            },
        }
    }
}

impl RuleOutcome {
    /// A compact JSON summary (the Lambda's return value).
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "evaluations": self.evaluations.iter().map(|e| serde_json::json!({
                "control": e.control.id,
                "resource_type": e.resource.resource_type,
                "resource_id": e.resource.resource_id,
                "compliance": e.compliance.as_str(),
                "annotation": e.annotation,
            })).collect::<Vec<_>>(),
            "put_evaluations_calls": self.put_evaluations_calls,
            "findings_imported": self.findings_imported,
        })
    }
}
