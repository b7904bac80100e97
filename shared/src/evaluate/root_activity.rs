//! Live root-user activity (ARC-001, ARC-004): which CloudTrail records are a human using the root
//! user, and how bad each is. Pure: one record in, one decision out.

use crate::catalogue::{control, Control, Severity};
use crate::events::cloudtrail::CloudTrailEvent;

/// What kind of root activity a record shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootActivityCategory {
    /// Successful console sign-in as root.
    ConsoleSignIn,
    /// Failed console sign-in attempt as root: someone tried, nobody got in.
    FailedSignIn,
    /// Root created an access key for itself.
    RootAccessKeyCreated,
    /// An action in this account by a short-term root session from `sts:AssumeRoot`.
    AssumedRootSession,
    /// This account issued a short-term root session into a member account (`sts:AssumeRoot`).
    AssumeRootIssued,
    /// Any other API call made with root credentials.
    ApiCall,
}

impl RootActivityCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            RootActivityCategory::ConsoleSignIn => "root-console-sign-in",
            RootActivityCategory::FailedSignIn => "failed-root-sign-in",
            RootActivityCategory::RootAccessKeyCreated => "root-access-key-created",
            RootActivityCategory::AssumedRootSession => "privileged-root-task",
            RootActivityCategory::AssumeRootIssued => "root-session-issued",
            RootActivityCategory::ApiCall => "root-api-call",
        }
    }
}

/// A record that needs an alert and a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootActivity {
    pub category: RootActivityCategory,
    pub control: &'static Control,
    pub severity: Severity,
    /// One line: what happened (goes into the alert subject).
    pub headline: String,
    /// Extra facts for the alert body: label, value.
    pub details: Vec<(&'static str, String)>,
}

/// The decision for one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootActivityVerdict {
    Alert(RootActivity),
    /// Nothing to do, and why.
    NoAction(&'static str),
}

fn ctl(id: &str) -> &'static Control {
    control(id).expect("root controls are in the catalogue")
}

fn text(v: &serde_json::Value, key: &str) -> Option<String> {
    v.get(key).and_then(|x| x.as_str()).map(str::to_string)
}

/// Decide what a CloudTrail record means for the root user.
pub fn classify_root_activity(event: &CloudTrailEvent) -> RootActivityVerdict {
    let d = &event.detail;
    let id = &d.user_identity;

    // The issuing side of centralized root access: logged in the account that called AssumeRoot.
    if d.event_source == "sts.amazonaws.com" && d.event_name == "AssumeRoot" {
        if d.error_code.is_some() {
            return RootActivityVerdict::NoAction("AssumeRoot call failed; no root session issued");
        }
        let target = text(&d.request_parameters, "targetPrincipal").unwrap_or_default();
        let task = text(&d.request_parameters, "taskPolicyArn")
            .or_else(|| {
                d.request_parameters
                    .get("taskPolicyArn")
                    .and_then(|t| t.get("arn"))
                    .and_then(|a| a.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_default();
        return RootActivityVerdict::Alert(RootActivity {
            category: RootActivityCategory::AssumeRootIssued,
            control: ctl("ARC-001"),
            severity: Severity::Medium,
            headline: format!("Root session issued for account {target}"),
            details: vec![
                ("Target account", target),
                ("Task policy", task),
                ("Issuing account", event.account_id().to_string()),
            ],
        });
    }

    if id.identity_type.as_deref() != Some("Root") {
        return RootActivityVerdict::NoAction("not a root-user record");
    }
    if id.invoked_by.as_deref().is_some_and(|s| !s.is_empty()) {
        return RootActivityVerdict::NoAction("an AWS service acted on the root user's behalf");
    }
    if d.event_type.as_deref() == Some("AwsServiceEvent") {
        return RootActivityVerdict::NoAction("AWS service event, not a root action");
    }

    let failed = d.error_code.as_deref().filter(|s| !s.is_empty());
    let mut details = Vec::new();
    if let Some(code) = failed {
        details.push((
            "Error",
            format!("{code}: {}", d.error_message.clone().unwrap_or_default()),
        ));
    }

    if id
        .session_context
        .as_ref()
        .is_some_and(|s| s.is_assumed_root())
    {
        details.push((
            "Session",
            "short-term root session from sts:AssumeRoot (centralized root access); the task policy and issuing account are in the AssumeRoot record of the management or delegated administrator account".to_string(),
        ));
        return RootActivityVerdict::Alert(RootActivity {
            category: RootActivityCategory::AssumedRootSession,
            control: ctl("ARC-001"),
            severity: Severity::High,
            headline: format!("Privileged root task {} via AssumeRoot", d.event_name),
            details,
        });
    }

    if d.event_name == "ConsoleLogin" {
        let outcome = text(&d.response_elements, "ConsoleLogin");
        let mfa_used = text(&d.additional_event_data, "MFAUsed");
        if outcome.as_deref() == Some("Success") && failed.is_none() {
            let with_mfa = mfa_used.as_deref() == Some("Yes");
            details.push(("MFA used", mfa_used.unwrap_or_else(|| "unknown".into())));
            return RootActivityVerdict::Alert(RootActivity {
                category: RootActivityCategory::ConsoleSignIn,
                control: ctl("ARC-001"),
                severity: if with_mfa {
                    Severity::High
                } else {
                    Severity::Critical
                },
                headline: if with_mfa {
                    "Root console sign-in".to_string()
                } else {
                    "Root console sign-in without MFA".to_string()
                },
                details,
            });
        }
        if failed.is_none() {
            details.push((
                "Error",
                d.error_message
                    .clone()
                    .unwrap_or_else(|| "sign-in failed".into()),
            ));
        }
        return RootActivityVerdict::Alert(RootActivity {
            category: RootActivityCategory::FailedSignIn,
            control: ctl("ARC-001"),
            severity: Severity::Medium,
            headline: "Failed root sign-in attempt".to_string(),
            details,
        });
    }

    // CreateAccessKey without a userName creates a key for the caller: the root user itself.
    let for_user = text(&d.request_parameters, "userName").filter(|u| !u.is_empty());
    if d.event_source == "iam.amazonaws.com"
        && d.event_name == "CreateAccessKey"
        && for_user.is_none()
        && failed.is_none()
    {
        if let Some(key) = d
            .response_elements
            .get("accessKey")
            .and_then(|k| k.get("accessKeyId"))
            .and_then(|k| k.as_str())
        {
            details.push(("New access key", key.to_string()));
        }
        return RootActivityVerdict::Alert(RootActivity {
            category: RootActivityCategory::RootAccessKeyCreated,
            control: ctl("ARC-004"),
            severity: Severity::Critical,
            headline: "Root access key created".to_string(),
            details,
        });
    }
    if let Some(user) = for_user {
        details.push(("For IAM user", user));
    }
    RootActivityVerdict::Alert(RootActivity {
        category: RootActivityCategory::ApiCall,
        control: ctl("ARC-001"),
        severity: Severity::High,
        headline: if failed.is_some() {
            format!("Root API call {} (failed)", d.event_name)
        } else {
            format!("Root API call {}", d.event_name)
        },
        details,
    })
}
