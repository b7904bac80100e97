//! `s3-rules`: the Config rules ftr-s3-001, ftr-s3-002, ftr-sdat-002, ftr-sdat-003, ftr-sdat-004
//! (bucket parts), change-triggered on `AWS::S3::Bucket` and `AWS::S3::AccountPublicAccessBlock`,
//! and periodic. One evaluation per bucket, buckets read with bounded concurrency, results sent to
//! the sinks in chunks of 100 as they come.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde_json::Value;

use crate::catalogue::Control;
use crate::collect::s3_buckets::{
    access_points_facts, account_bpa, bucket_facts_for, list_access_points, list_buckets,
    AccessPointRef, S3Clients,
};
use crate::collect::CollectError;
use crate::evaluate::s3_buckets::*;
use crate::evaluation::{Compliance, Evaluation, Resource};
use crate::events::config_rule::{ConfigEventError, ResultToken, RuleInvocation, RuleParameters};
use crate::handlers::{findings_for, resolve_subject, HandlerError, Subject};
use crate::sinks::config::{ConfigSink, MAX_EVALUATIONS_PER_CALL};
use crate::sinks::securityhub::{FindingContext, SecurityHubSink};

/// The per-bucket controls this function serves.
pub const S3_CONTROLS: [&str; 5] = ["S3-001", "S3-002", "SDAT-002", "SDAT-003", "SDAT-004"];
/// The account-level self-check it serves too.
pub const S3_SELF_CHECK: &str = "S3-003";

/// Typed rule parameters: `RequireKms` (false), `SensitiveTagKey` (`ftr:sensitive`).
pub fn s3_params(p: &RuleParameters) -> Result<S3Params, ConfigEventError> {
    Ok(S3Params {
        require_kms: p.bool_or("RequireKms", false)?,
        sensitive_tag_key: p
            .string("SensitiveTagKey")
            .unwrap_or("ftr:sensitive")
            .to_string(),
    })
}

/// One control's verdict on one bucket's facts.
pub fn evaluate_bucket_control(
    control: &'static Control,
    f: &BucketFacts,
    p: &S3Params,
    now: DateTime<Utc>,
) -> Evaluation {
    match control.id {
        "S3-001" => bucket_access_reviewed(f, now),
        "S3-002" => bucket_public_access_blocked(f, now),
        "SDAT-002" => bucket_encrypted_at_rest(f, p, now),
        "SDAT-003" => bucket_requires_tls(f, now),
        "SDAT-004" => sensitive_bucket_access_logged(f, p, now),
        other => unreachable!("s3-rules does not serve {other}"),
    }
}

/// What a run did. Evaluations are kept only when asked (the CLI); the function keeps counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanSummary {
    pub buckets: usize,
    pub compliant: usize,
    pub non_compliant: usize,
    pub not_applicable: usize,
    pub put_evaluations_calls: usize,
    pub findings_imported: usize,
    pub kept: Vec<Evaluation>,
    /// Buckets whose state could not be read (no verdict was posted for them).
    pub failed: Vec<String>,
}

impl ScanSummary {
    fn count(&mut self, e: &Evaluation) {
        match e.compliance {
            Compliance::Compliant => self.compliant += 1,
            Compliance::NonCompliant => self.non_compliant += 1,
            Compliance::NotApplicable => self.not_applicable += 1,
        }
    }

    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "buckets": self.buckets,
            "compliant": self.compliant,
            "non_compliant": self.non_compliant,
            "not_applicable": self.not_applicable,
            "put_evaluations_calls": self.put_evaluations_calls,
            "findings_imported": self.findings_imported,
            "failed": self.failed,
        })
    }
}

/// The clients and settings one invocation needs.
pub struct S3Rules {
    pub sdk: aws_config::SdkConfig,
    pub s3: S3Clients,
    pub config: ConfigSink,
    pub config_client: aws_sdk_config::Client,
    pub securityhub: Option<SecurityHubSink>,
    pub region: String,
    /// Buckets read at once.
    pub concurrency: usize,
    /// S3-003: the exposure alert rule and the alert topic, from settings.
    pub monitor: Option<(String, String)>,
    regional: Mutex<HashMap<String, aws_sdk_s3::Client>>,
}

impl S3Rules {
    pub fn new(sdk: &aws_config::SdkConfig, settings: &crate::settings::Settings) -> Self {
        Self::from_clients(
            sdk,
            settings,
            S3Clients::new(sdk),
            aws_sdk_config::Client::new(sdk),
            aws_sdk_securityhub::Client::new(sdk),
        )
    }

    /// With given clients (e.g. carrying interceptors that count calls).
    pub fn from_clients(
        sdk: &aws_config::SdkConfig,
        settings: &crate::settings::Settings,
        s3: S3Clients,
        config_client: aws_sdk_config::Client,
        securityhub: aws_sdk_securityhub::Client,
    ) -> Self {
        S3Rules {
            sdk: sdk.clone(),
            s3,
            config: ConfigSink::new(config_client.clone()),
            config_client,
            securityhub: settings
                .security_hub
                .then(|| SecurityHubSink::new(securityhub)),
            region: sdk
                .region()
                .map(|r| r.to_string())
                .unwrap_or_else(|| "us-east-1".into()),
            concurrency: settings.s3_concurrency,
            monitor: settings
                .exposure_rule_name
                .clone()
                .zip(settings.alert_topic_arn.clone()),
            regional: Mutex::new(HashMap::new()),
        }
    }

    /// The S3 client for a bucket's region (with an endpoint override, the one client).
    fn client_for(&self, region: Option<&str>) -> aws_sdk_s3::Client {
        match region {
            Some(r) if r != self.region && self.sdk.endpoint_url().is_none() => {
                let mut cache = self.regional.lock().expect("regional client cache");
                cache
                    .entry(r.to_string())
                    .or_insert_with(|| {
                        aws_sdk_s3::Client::from_conf(
                            aws_sdk_s3::config::Builder::from(&self.sdk)
                                .region(aws_sdk_s3::config::Region::new(r.to_string()))
                                .build(),
                        )
                    })
                    .clone()
            }
            _ => self.s3.s3.clone(),
        }
    }

    /// Evaluate `control` on every bucket; post to Config (when a token is given) and Security
    /// Hub in chunks of 100 as results arrive.
    #[allow(clippy::too_many_arguments)]
    pub async fn scan(
        &self,
        control: &'static Control,
        params: &S3Params,
        account: &str,
        token: Option<&ResultToken>,
        ordering: DateTime<Utc>,
        now: DateTime<Utc>,
        keep: bool,
    ) -> Result<ScanSummary, HandlerError> {
        let acct = Box::pin(account_bpa(&self.s3.s3control, account)).await?;
        let buckets = Box::pin(list_buckets(&self.s3.s3)).await?;
        // S3-001 judges access points too: one account-wide listing, read only where they exist.
        let mut access_points: HashMap<String, Vec<AccessPointRef>> = HashMap::new();
        if control.id == "S3-001" {
            for ap in Box::pin(list_access_points(&self.s3.s3control, account, None)).await? {
                access_points.entry(ap.bucket.clone()).or_default().push(ap);
            }
        }
        let access_points = &access_points;
        // SDAT-004 accepts CloudTrail S3 data events: read the trails once per run.
        let data_events = if control.id == "SDAT-004" {
            Some(Box::pin(self.data_events()).await?)
        } else {
            None
        };
        let data_events = &data_events;
        let ctx = FindingContext::new(account, &self.region);
        let mut summary = ScanSummary {
            buckets: buckets.len(),
            ..Default::default()
        };
        let mut chunk: Vec<Evaluation> = Vec::with_capacity(MAX_EVALUATIONS_PER_CALL);
        let acct_ref = &acct;
        let mut results = futures::stream::iter(buckets)
            .map(|(name, region)| {
                let client = self.client_for(region.as_deref());
                let s3control = self.s3.s3control.clone();
                async move {
                    let mut r = Box::pin(bucket_facts_for(
                        &client,
                        &name,
                        acct_ref,
                        control.id,
                        &params.sensitive_tag_key,
                    ))
                    .await;
                    if let (Ok(facts), Some(cov)) = (&mut r, data_events) {
                        facts.data_events_logged = cov.covers(&name);
                    }
                    if let (Ok(facts), Some(refs)) = (&mut r, access_points.get(&name)) {
                        match Box::pin(access_points_facts(&s3control, account, refs)).await {
                            Ok(aps) => facts.exposure.access_points = aps,
                            Err(e) => r = Err(e),
                        }
                    }
                    (name, r)
                }
            })
            .buffer_unordered(self.concurrency.max(1));
        let mut first_error = None;
        while let Some((name, result)) = results.next().await {
            match result {
                Ok(facts) => {
                    let mut e = evaluate_bucket_control(control, &facts, params, now);
                    e.ordering_timestamp = ordering;
                    summary.count(&e);
                    chunk.push(e);
                }
                // Deleted between the listing and the read: nothing to judge.
                Err(CollectError::BucketGone(_)) => summary.buckets -= 1,
                Err(err) => {
                    tracing::error!(bucket = %name, error = %err, "bucket unreadable; no verdict posted for it");
                    summary.failed.push(name);
                    first_error.get_or_insert(err);
                }
            }
            if chunk.len() == MAX_EVALUATIONS_PER_CALL {
                Box::pin(self.flush(&ctx, token, &mut chunk, &mut summary, keep)).await?;
            }
        }
        Box::pin(self.flush(&ctx, token, &mut chunk, &mut summary, keep)).await?;
        match first_error {
            Some(err) => Err(err.into()),
            None => Ok(summary),
        }
    }

    async fn flush(
        &self,
        ctx: &FindingContext,
        token: Option<&ResultToken>,
        chunk: &mut Vec<Evaluation>,
        summary: &mut ScanSummary,
        keep: bool,
    ) -> Result<(), HandlerError> {
        if chunk.is_empty() {
            return Ok(());
        }
        if let Some(t) = token {
            summary.put_evaluations_calls +=
                Box::pin(self.config.put_evaluations(t, chunk)).await?;
        }
        if let Some(hub) = &self.securityhub {
            summary.findings_imported +=
                Box::pin(hub.import(ctx, &findings_for(chunk, ctx), Utc::now()))
                    .await?
                    .imported;
        }
        if keep {
            summary.kept.append(chunk);
        } else {
            chunk.clear();
        }
        Ok(())
    }

    /// Which buckets CloudTrail S3 data events cover (trails this account cannot read are
    /// skipped and logged; their buckets are judged on server access logging alone).
    async fn data_events(
        &self,
    ) -> Result<crate::facts::data_events::DataEventCoverage, HandlerError> {
        let (coverage, unreadable) = Box::pin(crate::collect::trails::s3_data_event_coverage(
            &aws_sdk_cloudtrail::Client::new(&self.sdk),
        ))
        .await?;
        if !unreadable.is_empty() {
            tracing::warn!(trails = ?unreadable, "event selectors of these trails are not readable from this account");
        }
        Ok(coverage)
    }

    /// S3-003: the exposure alert rule is enabled and its topic has a confirmed subscription.
    pub async fn self_check(
        &self,
        account: &str,
        now: DateTime<Utc>,
    ) -> Result<Evaluation, HandlerError> {
        let (rule, topic) =
            self.monitor
                .as_ref()
                .ok_or(crate::settings::SettingsError::Missing(
                    "FTR_EXPOSURE_RULE_NAME and FTR_ALERT_TOPIC_ARN",
                ))?;
        let facts = Box::pin(crate::collect::monitoring::monitoring_facts(
            &aws_sdk_eventbridge::Client::new(&self.sdk),
            &aws_sdk_sns::Client::new(&self.sdk),
            account,
            rule,
            topic,
        ))
        .await?;
        Ok(crate::evaluate::s3_monitoring::exposure_alerting_in_place(
            &facts, now,
        ))
    }

    /// A Config rule invocation.
    pub async fn handle(
        &self,
        event: &Value,
        now: DateTime<Utc>,
    ) -> Result<ScanSummary, HandlerError> {
        let inv = RuleInvocation::parse(event)?;
        let mut served = S3_CONTROLS.to_vec();
        served.push(S3_SELF_CHECK);
        let control = inv.control_among(&served)?;
        let params = s3_params(&inv.parameters)?;
        let token = inv.result_token.clone();
        if control.id == S3_SELF_CHECK {
            let mut e = Box::pin(self.self_check(&inv.account_id, now)).await?;
            e.ordering_timestamp = inv.notification_time;
            let mut summary = ScanSummary::default();
            summary.count(&e);
            let ctx = FindingContext::new(&inv.account_id, &self.region);
            Box::pin(self.flush(&ctx, Some(&token), &mut vec![e], &mut summary, true)).await?;
            return Ok(summary);
        }
        match Box::pin(resolve_subject(&inv, &self.config_client)).await? {
            Subject::Gone { resource, at } => {
                let e = Evaluation::deleted(control, resource, at);
                let mut summary = ScanSummary {
                    buckets: 1,
                    ..Default::default()
                };
                summary.count(&e);
                let mut chunk = vec![e];
                let ctx = FindingContext::new(&inv.account_id, &self.region);
                Box::pin(self.flush(&ctx, Some(&token), &mut chunk, &mut summary, true)).await?;
                Ok(summary)
            }
            Subject::Item(item) if item.resource_type == BUCKET_RESOURCE_TYPE => {
                let bucket = item
                    .resource_name
                    .clone()
                    .unwrap_or_else(|| item.resource_id.clone());
                let acct = Box::pin(account_bpa(&self.s3.s3control, &inv.account_id)).await?;
                let client = self.client_for(item.region.as_deref());
                let facts = match Box::pin(bucket_facts_for(
                    &client,
                    &bucket,
                    &acct,
                    control.id,
                    &params.sensitive_tag_key,
                ))
                .await
                {
                    Ok(f) => f,
                    Err(CollectError::BucketGone(_)) => {
                        let e = Evaluation::deleted(
                            control,
                            Resource::new(BUCKET_RESOURCE_TYPE, &bucket),
                            item.capture_time,
                        );
                        let mut summary = ScanSummary {
                            buckets: 1,
                            ..Default::default()
                        };
                        summary.count(&e);
                        let ctx = FindingContext::new(&inv.account_id, &self.region);
                        Box::pin(self.flush(&ctx, Some(&token), &mut vec![e], &mut summary, true))
                            .await?;
                        return Ok(summary);
                    }
                    Err(e) => return Err(e.into()),
                };
                let mut facts = facts;
                if control.id == "SDAT-004" {
                    facts.data_events_logged = Box::pin(self.data_events()).await?.covers(&bucket);
                }
                let mut e = evaluate_bucket_control(control, &facts, &params, now);
                e.ordering_timestamp = item.capture_time;
                let mut summary = ScanSummary {
                    buckets: 1,
                    ..Default::default()
                };
                summary.count(&e);
                let ctx = FindingContext::new(&inv.account_id, &self.region);
                Box::pin(self.flush(&ctx, Some(&token), &mut vec![e], &mut summary, true)).await?;
                Ok(summary)
            }
            // Periodic, or the account's Block Public Access changed: every bucket.
            Subject::Everything | Subject::Item(_) => {
                Box::pin(self.scan(
                    control,
                    &params,
                    &inv.account_id,
                    Some(&token),
                    inv.notification_time,
                    now,
                    false,
                ))
                .await
            }
        }
    }
}
