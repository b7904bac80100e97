//! Handlers: the code paths the Lambda functions and the CLI share. Each parses its event,
//! collects facts, calls the pure evaluators and hands the results to the sinks.

pub mod compliance_alert;
pub mod root_account_rules;
pub mod root_activity_alert;
pub mod s3_exposure_alert;
pub mod s3_rules;

use chrono::{DateTime, Utc};

use crate::collect::config_items::{fetch_latest_item, ItemFetchError};
use crate::collect::root_account::CollectError;
use crate::error::Retryable;
use crate::evaluate::compliance_change::ComplianceChangeError;
use crate::evaluation::{Evaluation, Resource};
use crate::events::cloudtrail::CloudTrailEventError;
use crate::events::config_rule::{ConfigEventError, ConfigurationItem, RuleInvocation, Trigger};
use crate::settings::SettingsError;
use crate::sinks::alerts::{Alert, AlertSink};
use crate::sinks::ledger::{AlertLedger, Claim};
use crate::sinks::securityhub::{FindingContext, FindingSpec, SecurityHubSink};
use crate::sinks::SinkError;

/// Everything that can stop a handler, by boundary.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("bad Config rule event: {0}")]
    ConfigEvent(#[from] ConfigEventError),
    #[error("bad CloudTrail event: {0}")]
    CloudTrailEvent(#[from] CloudTrailEventError),
    #[error("bad compliance change event: {0}")]
    ComplianceChange(#[from] ComplianceChangeError),
    #[error("could not read the account's state: {0}")]
    Collect(#[from] CollectError),
    #[error("could not read the configuration item: {0}")]
    ItemFetch(#[from] ItemFetchError),
    #[error("could not deliver results: {0}")]
    Sink(#[from] SinkError),
    #[error("bad settings: {0}")]
    Settings(#[from] SettingsError),
}

impl Retryable for HandlerError {
    fn is_retryable(&self) -> bool {
        match self {
            HandlerError::Collect(e) => e.is_retryable(),
            HandlerError::ItemFetch(e) => e.is_retryable(),
            HandlerError::Sink(e) => e.is_retryable(),
            HandlerError::ConfigEvent(_)
            | HandlerError::CloudTrailEvent(_)
            | HandlerError::ComplianceChange(_)
            | HandlerError::Settings(_) => false,
        }
    }
}

impl HandlerError {
    /// A short kind name for logs and the Lambda error type.
    pub fn kind(&self) -> &'static str {
        match self {
            HandlerError::ConfigEvent(_) => "BadConfigEvent",
            HandlerError::CloudTrailEvent(_) => "BadCloudTrailEvent",
            HandlerError::ComplianceChange(_) => "BadComplianceChangeEvent",
            HandlerError::Collect(_) => "CollectFailed",
            HandlerError::ItemFetch(_) => "ItemFetchFailed",
            HandlerError::Sink(_) => "DeliveryFailed",
            HandlerError::Settings(_) => "BadSettings",
        }
    }
}

/// What a Config rule invocation is about.
#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    /// Periodic: everything the rule covers.
    Everything,
    /// One resource that exists.
    Item(Box<ConfigurationItem>),
    /// One resource that was deleted or left the rule's scope: NOT_APPLICABLE, finding archived.
    Gone {
        resource: Resource,
        at: DateTime<Utc>,
    },
}

/// Resolve the invocation's subject, fetching oversized items from Config history.
pub async fn resolve_subject(
    inv: &RuleInvocation,
    config: &aws_sdk_config::Client,
) -> Result<Subject, HandlerError> {
    let item = match &inv.trigger {
        Trigger::Scheduled => return Ok(Subject::Everything),
        Trigger::Change(item) => (**item).clone(),
        Trigger::Oversized(summary) => Box::pin(fetch_latest_item(config, summary)).await?,
    };
    if item.is_gone() || inv.event_left_scope {
        return Ok(Subject::Gone {
            resource: Resource::new(&item.resource_type, &item.resource_id),
            at: item.capture_time,
        });
    }
    Ok(Subject::Item(Box::new(item)))
}

/// The finding for each evaluation.
pub fn findings_for(evaluations: &[Evaluation], ctx: &FindingContext) -> Vec<FindingSpec> {
    evaluations
        .iter()
        .map(|e| crate::sinks::securityhub::finding_for_evaluation(e, ctx))
        .collect()
}

/// Sinks for alerts; any may be absent (the CLI without `--publish`, tests).
#[derive(Default)]
pub struct AlertDelivery {
    pub securityhub: Option<SecurityHubSink>,
    pub alerts: Option<AlertSink>,
    pub ledger: Option<AlertLedger>,
}

/// What happened to one planned alert.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "delivered", rename_all = "snake_case")]
pub enum Delivered {
    /// Finding imported (if any) and alert published, with its SNS message id (if published).
    Sent { message_id: Option<String> },
    /// The ledger had it already: nothing sent again.
    Duplicate,
}

impl AlertDelivery {
    /// The alert functions' sinks: topic and ledger are required, Security Hub per settings.
    pub fn for_alert_function(
        sdk: &aws_config::SdkConfig,
        settings: &crate::settings::Settings,
    ) -> Result<Self, SettingsError> {
        Ok(AlertDelivery {
            securityhub: settings
                .security_hub
                .then(|| SecurityHubSink::new(aws_sdk_securityhub::Client::new(sdk))),
            alerts: Some(AlertSink::new(
                aws_sdk_sns::Client::new(sdk),
                settings.require_topic()?,
            )),
            ledger: Some(AlertLedger::new(
                aws_sdk_dynamodb::Client::new(sdk),
                settings.require_ledger()?,
                settings.alert_lease,
            )),
        })
    }

    /// Claim the alert in the ledger, import the finding, publish the alert, mark it sent.
    /// On failure the claim is released so that the retried invocation sends it.
    pub async fn deliver(
        &self,
        ctx: &FindingContext,
        finding: Option<&FindingSpec>,
        alert: &Alert,
        now: DateTime<Utc>,
    ) -> Result<Delivered, HandlerError> {
        let mut claimed = false;
        if let Some(ledger) = &self.ledger {
            match Box::pin(ledger.claim(&alert.dedup_key, now)).await {
                Ok(Claim::Duplicate) => {
                    tracing::info!(key = %alert.dedup_key, "duplicate delivery; alert already sent");
                    return Ok(Delivered::Duplicate);
                }
                Ok(Claim::Granted) => claimed = true,
                // A broken ledger must not swallow the alert: a duplicate beats a lost alert.
                Err(e) => {
                    tracing::error!(error = %e, key = %alert.dedup_key, "alert ledger unavailable; sending without de-duplication")
                }
            }
        }
        let sent = Box::pin(self.send(ctx, finding, alert, now)).await;
        match (&self.ledger, &sent) {
            (Some(ledger), Ok(_)) if claimed => {
                if let Err(e) = Box::pin(ledger.mark_sent(&alert.dedup_key)).await {
                    tracing::warn!(error = %e, key = %alert.dedup_key, "could not mark alert sent; a late duplicate may alert again");
                }
            }
            (Some(ledger), Err(_)) if claimed => {
                if let Err(e) = Box::pin(ledger.release(&alert.dedup_key)).await {
                    tracing::warn!(error = %e, key = %alert.dedup_key, "could not release the claim; the retry waits for the lease");
                }
            }
            _ => {}
        }
        sent
    }

    async fn send(
        &self,
        ctx: &FindingContext,
        finding: Option<&FindingSpec>,
        alert: &Alert,
        now: DateTime<Utc>,
    ) -> Result<Delivered, HandlerError> {
        if let (Some(hub), Some(f)) = (&self.securityhub, finding) {
            Box::pin(hub.import(ctx, std::slice::from_ref(f), now)).await?;
        }
        let message_id = match &self.alerts {
            Some(sns) => Some(Box::pin(sns.publish(alert)).await?),
            None => None,
        };
        Ok(Delivered::Sent { message_id })
    }
}
