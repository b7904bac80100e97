//! AWS Config `PutEvaluations`: chunks of at most 100, `TestMode` for the `TESTMODE` token,
//! failed evaluations retried and then surfaced.

use std::time::Duration;

use aws_sdk_config::types::{ComplianceType, Evaluation as ConfigEvaluation};
use aws_smithy_types::DateTime as SmithyDateTime;

use crate::error::AwsCallError;
use crate::evaluation::{Compliance, Evaluation};
use crate::events::config_rule::ResultToken;
use crate::sinks::SinkError;

/// PutEvaluations accepts at most 100 evaluations per call.
pub const MAX_EVALUATIONS_PER_CALL: usize = 100;
const RETRIES_OF_FAILED: usize = 3;

pub struct ConfigSink {
    client: aws_sdk_config::Client,
}

/// Turn our verdict into the Config API's shape.
pub fn to_config_evaluation(e: &Evaluation) -> Result<ConfigEvaluation, SinkError> {
    ConfigEvaluation::builder()
        .compliance_resource_type(&e.resource.resource_type)
        .compliance_resource_id(&e.resource.resource_id)
        .compliance_type(match e.compliance {
            Compliance::Compliant => ComplianceType::Compliant,
            Compliance::NonCompliant => ComplianceType::NonCompliant,
            Compliance::NotApplicable => ComplianceType::NotApplicable,
        })
        .annotation(&e.annotation)
        .ordering_timestamp(SmithyDateTime::from_millis(
            e.ordering_timestamp.timestamp_millis(),
        ))
        .build()
        .map_err(|err| {
            SinkError::Invalid(format!("evaluation for {}: {err}", e.resource.resource_id))
        })
}

impl ConfigSink {
    pub fn new(client: aws_sdk_config::Client) -> Self {
        ConfigSink { client }
    }

    /// Post every evaluation; returns the number of PutEvaluations calls made.
    pub async fn put_evaluations(
        &self,
        token: &ResultToken,
        evaluations: &[Evaluation],
    ) -> Result<usize, SinkError> {
        let (token_str, test_mode) = match token {
            ResultToken::TestMode => ("TESTMODE", true),
            ResultToken::Token(t) => (t.as_str(), false),
        };
        let mut calls = 0;
        for chunk in evaluations.chunks(MAX_EVALUATIONS_PER_CALL) {
            let mut pending: Vec<ConfigEvaluation> = chunk
                .iter()
                .map(to_config_evaluation)
                .collect::<Result<_, _>>()?;
            let mut attempt = 0;
            loop {
                calls += 1;
                let out = self
                    .client
                    .put_evaluations()
                    .result_token(token_str)
                    .test_mode(test_mode)
                    .set_evaluations(Some(pending.clone()))
                    .send()
                    .await
                    .map_err(|e| AwsCallError::from_sdk("config:PutEvaluations", e))?;
                let failed = out.failed_evaluations();
                if failed.is_empty() {
                    break;
                }
                attempt += 1;
                if attempt >= RETRIES_OF_FAILED {
                    return Err(SinkError::Rejected {
                        sink: "config:PutEvaluations",
                        count: failed.len(),
                        details: failed
                            .iter()
                            .map(|f| f.compliance_resource_id().to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                }
                let failed_ids: Vec<(String, String)> = failed
                    .iter()
                    .map(|f| {
                        (
                            f.compliance_resource_type().to_string(),
                            f.compliance_resource_id().to_string(),
                        )
                    })
                    .collect();
                pending.retain(|p| {
                    failed_ids.iter().any(|(t, id)| {
                        p.compliance_resource_type() == t && p.compliance_resource_id() == id
                    })
                });
                tokio::time::sleep(Duration::from_millis(200 * attempt as u64)).await;
            }
        }
        Ok(calls)
    }
}
