//! Bucket facts read from S3 itself (the alert path re-reads the real state; the event payload is
//! not trusted), and the account's Block Public Access from S3 Control.

use aws_sdk_s3::types::{ObjectOwnership as SdkOwnership, Type as GranteeType};

use crate::collect::CollectError;
use crate::error::AwsCallError;
use crate::evaluate::s3_buckets::BucketFacts;
use crate::evaluate::s3_exposure::{
    AccessPointFacts, AccountBpa, AclGrant, BlockPublicAccess, BucketExposureFacts, ObjectOwnership,
};
use crate::policy::PolicyDocument;

/// S3 and S3 Control clients for one invocation. With an endpoint override (`AWS_ENDPOINT_URL`,
/// local emulators), S3 uses path-style addressing and S3 Control the override as given (no
/// account-id host prefix).
#[derive(Clone)]
pub struct S3Clients {
    pub s3: aws_sdk_s3::Client,
    pub s3control: aws_sdk_s3control::Client,
}

#[derive(Debug)]
struct FixedEndpoint(String);

impl aws_sdk_s3control::config::endpoint::ResolveEndpoint for FixedEndpoint {
    fn resolve_endpoint<'a>(
        &'a self,
        _params: &'a aws_sdk_s3control::config::endpoint::Params,
    ) -> aws_sdk_s3control::config::endpoint::EndpointFuture<'a> {
        aws_sdk_s3control::config::endpoint::EndpointFuture::ready(Ok(
            aws_smithy_types::endpoint::Endpoint::builder()
                .url(self.0.clone())
                .build(),
        ))
    }
}

impl S3Clients {
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        let override_url = sdk.endpoint_url().map(str::to_string);
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(sdk)
                .force_path_style(override_url.is_some())
                .build(),
        );
        let mut control = aws_sdk_s3control::config::Builder::from(sdk);
        if let Some(url) = override_url {
            control = control.endpoint_resolver(FixedEndpoint(url));
        }
        S3Clients {
            s3,
            s3control: aws_sdk_s3control::Client::from_conf(control.build()),
        }
    }
}

fn bpa_of(c: &aws_sdk_s3::types::PublicAccessBlockConfiguration) -> BlockPublicAccess {
    BlockPublicAccess {
        block_public_acls: c.block_public_acls().unwrap_or(false),
        ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
        block_public_policy: c.block_public_policy().unwrap_or(false),
        restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
    }
}

/// The same settings as S3 Control reports them (account and access points).
fn control_bpa_of(
    c: &aws_sdk_s3control::types::PublicAccessBlockConfiguration,
) -> BlockPublicAccess {
    BlockPublicAccess {
        block_public_acls: c.block_public_acls().unwrap_or(false),
        ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
        block_public_policy: c.block_public_policy().unwrap_or(false),
        restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
    }
}

/// The account-level Block Public Access. Absent → all off; AccessDenied → unknown (annotated,
/// never assumed protective); anything else → error.
pub async fn account_bpa(
    s3control: &aws_sdk_s3control::Client,
    account_id: &str,
) -> Result<AccountBpa, CollectError> {
    match s3control
        .get_public_access_block()
        .account_id(account_id)
        .send()
        .await
    {
        Ok(out) => Ok(AccountBpa::Known(
            out.public_access_block_configuration().map(control_bpa_of),
        )),
        Err(e) => {
            let e = AwsCallError::from_sdk("s3control:GetPublicAccessBlock", e);
            if e.code_is("NoSuchPublicAccessBlockConfiguration") {
                Ok(AccountBpa::Known(None))
            } else if e.is_access_denied() {
                Ok(AccountBpa::Unknown(
                    e.code.clone().unwrap_or_else(|| "AccessDenied".into()),
                ))
            } else {
                Err(e.into())
            }
        }
    }
}

/// `Ok(None)` when the call failed with one of `absent` (the thing is not configured).
fn optional<T>(r: Result<T, AwsCallError>, absent: &[&str]) -> Result<Option<T>, CollectError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if absent.iter().any(|c| e.code_is(c)) => Ok(None),
        Err(e) if e.code_is("NoSuchBucket") => Err(CollectError::BucketGone(e.message)),
        Err(e) => Err(e.into()),
    }
}

/// Which parts to read: exposure needs five calls; the data-protection controls two more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    Exposure,
    Full,
}

/// One S3 read per function: what it returns when the thing is not configured is spelled out.
async fn read_policy(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<Option<PolicyDocument>, CollectError> {
    let out = optional(
        s3.get_bucket_policy()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| AwsCallError::from_sdk("s3:GetBucketPolicy", e)),
        &["NoSuchBucketPolicy"],
    )?;
    match out.and_then(|p| p.policy) {
        Some(text) => Ok(Some(PolicyDocument::parse(&text).map_err(|e| {
            CollectError::Unreadable {
                what: format!("bucket policy of {bucket}"),
                message: e.to_string(),
            }
        })?)),
        None => Ok(None),
    }
}

async fn read_acl(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<Vec<AclGrant>, CollectError> {
    let out = optional(
        s3.get_bucket_acl()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| AwsCallError::from_sdk("s3:GetBucketAcl", e)),
        &[],
    )?;
    Ok(out
        .map(|a| {
            a.grants()
                .iter()
                .map(|g| AclGrant {
                    group_uri: g
                        .grantee()
                        .filter(|gr| gr.r#type() == &GranteeType::Group)
                        .and_then(|gr| gr.uri().map(str::to_string)),
                    permission: g
                        .permission()
                        .map(|p| p.as_str().to_string())
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default())
}

async fn read_bucket_bpa(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<Option<BlockPublicAccess>, CollectError> {
    let out = optional(
        s3.get_public_access_block()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| AwsCallError::from_sdk("s3:GetPublicAccessBlock", e)),
        &["NoSuchPublicAccessBlockConfiguration"],
    )?;
    Ok(out.and_then(|b| b.public_access_block_configuration().map(bpa_of)))
}

async fn read_ownership(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<ObjectOwnership, CollectError> {
    let out = optional(
        s3.get_bucket_ownership_controls()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| AwsCallError::from_sdk("s3:GetBucketOwnershipControls", e)),
        &["OwnershipControlsNotFoundError"],
    )?;
    Ok(
        match out.and_then(|o| {
            o.ownership_controls()
                .and_then(|c| c.rules().first().map(|r| r.object_ownership().clone()))
        }) {
            Some(SdkOwnership::BucketOwnerEnforced) => ObjectOwnership::BucketOwnerEnforced,
            Some(SdkOwnership::BucketOwnerPreferred) => ObjectOwnership::BucketOwnerPreferred,
            // No ownership controls: the pre-2023 default, ACLs in effect.
            _ => ObjectOwnership::ObjectWriter,
        },
    )
}

async fn read_tags(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<Vec<(String, String)>, CollectError> {
    let out = optional(
        s3.get_bucket_tagging()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| AwsCallError::from_sdk("s3:GetBucketTagging", e)),
        &["NoSuchTagSet", "NoSuchTagSetError"],
    )?;
    Ok(out
        .map(|t| {
            t.tag_set()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect()
        })
        .unwrap_or_default())
}

async fn read_encryption(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<Vec<String>, CollectError> {
    let out = optional(
        s3.get_bucket_encryption()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| AwsCallError::from_sdk("s3:GetBucketEncryption", e)),
        &["ServerSideEncryptionConfigurationNotFoundError"],
    )?;
    Ok(out
        .and_then(|e| {
            e.server_side_encryption_configuration().map(|c| {
                c.rules()
                    .iter()
                    .filter_map(|r| {
                        r.apply_server_side_encryption_by_default()
                            .map(|d| d.sse_algorithm().as_str().to_string())
                    })
                    .collect()
            })
        })
        .unwrap_or_default())
}

async fn read_access_logging(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<bool, CollectError> {
    let out = optional(
        s3.get_bucket_logging()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| AwsCallError::from_sdk("s3:GetBucketLogging", e)),
        &[],
    )?;
    Ok(out.is_some_and(|l| l.logging_enabled().is_some()))
}

fn empty_facts(bucket: &str, account: AccountBpa) -> BucketFacts {
    BucketFacts {
        exposure: BucketExposureFacts {
            bucket: bucket.to_string(),
            account_bpa: account,
            bucket_bpa: None,
            policy: None,
            acl: vec![],
            ownership: ObjectOwnership::BucketOwnerEnforced,
            access_points: vec![],
        },
        tags: vec![],
        encryption: vec![],
        access_logging: false,
        data_events_logged: false,
    }
}

/// Read one bucket's facts (calls made concurrently).
pub async fn bucket_facts(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    account: AccountBpa,
    depth: Depth,
) -> Result<BucketFacts, CollectError> {
    let (policy, acl, bpa, ownership, tags) = tokio::join!(
        Box::pin(read_policy(s3, bucket)),
        Box::pin(read_acl(s3, bucket)),
        Box::pin(read_bucket_bpa(s3, bucket)),
        Box::pin(read_ownership(s3, bucket)),
        Box::pin(read_tags(s3, bucket)),
    );
    let mut f = empty_facts(bucket, account);
    f.exposure.policy = policy?;
    f.exposure.acl = acl?;
    f.exposure.bucket_bpa = bpa?;
    f.exposure.ownership = ownership?;
    f.tags = tags?;
    if depth == Depth::Full {
        let (enc, log) = tokio::join!(
            Box::pin(read_encryption(s3, bucket)),
            Box::pin(read_access_logging(s3, bucket))
        );
        f.encryption = enc?;
        f.access_logging = log?;
    }
    Ok(f)
}

fn has_public_grant(acl: &[AclGrant]) -> bool {
    acl.iter().any(|g| {
        g.group_uri.as_deref().is_some_and(|u| {
            u.contains("/global/AllUsers") || u.contains("/global/AuthenticatedUsers")
        })
    })
}

/// Read only what a control's verdict depends on, in order, stopping as soon as the verdict is
/// settled: account settings that neutralise policies or ACLs spare those reads, the ownership
/// is read only when the ACL has a public grant, tags only when an exemption could matter.
pub async fn bucket_facts_for(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    account: &AccountBpa,
    control_id: &str,
    sensitive_tag_key: &str,
) -> Result<BucketFacts, CollectError> {
    let acct = match account {
        AccountBpa::Known(b) => b.unwrap_or_default(),
        AccountBpa::Unknown(_) => BlockPublicAccess::default(),
    };
    let mut f = empty_facts(bucket, account.clone());
    match control_id {
        "S3-001" | "S3-002" => {
            if control_id == "S3-002" && acct.all_on() {
                return Ok(f);
            }
            f.exposure.bucket_bpa = Box::pin(read_bucket_bpa(s3, bucket)).await?;
            let bucket_bpa = f.exposure.bucket_bpa.unwrap_or_default();
            if control_id == "S3-002" {
                if !bucket_bpa.all_on() {
                    f.tags = Box::pin(read_tags(s3, bucket)).await?;
                }
                return Ok(f);
            }
            if !(acct.restrict_public_buckets || bucket_bpa.restrict_public_buckets) {
                f.exposure.policy = Box::pin(read_policy(s3, bucket)).await?;
            }
            if !(acct.ignore_public_acls || bucket_bpa.ignore_public_acls) {
                f.exposure.acl = Box::pin(read_acl(s3, bucket)).await?;
                if has_public_grant(&f.exposure.acl) {
                    f.exposure.ownership = Box::pin(read_ownership(s3, bucket)).await?;
                }
            }
            if crate::evaluate::s3_exposure::bucket_exposure(&f.exposure).is_public() {
                f.tags = Box::pin(read_tags(s3, bucket)).await?;
            }
        }
        "SDAT-002" => f.encryption = Box::pin(read_encryption(s3, bucket)).await?,
        "SDAT-003" => f.exposure.policy = Box::pin(read_policy(s3, bucket)).await?,
        _ => {
            // SDAT-004: tags first; logging only for sensitive buckets.
            f.tags = Box::pin(read_tags(s3, bucket)).await?;
            let sensitive = f.tags.iter().any(|(k, v)| {
                k.eq_ignore_ascii_case(sensitive_tag_key) && !v.eq_ignore_ascii_case("false")
            });
            if sensitive {
                f.access_logging = Box::pin(read_access_logging(s3, bucket)).await?;
            }
        }
    }
    Ok(f)
}

/// Every bucket of the account with its region (paginated `ListBuckets`).
pub async fn list_buckets(
    s3: &aws_sdk_s3::Client,
) -> Result<Vec<(String, Option<String>)>, CollectError> {
    let mut out = Vec::new();
    let mut pages = s3.list_buckets().max_buckets(1000).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsCallError::from_sdk("s3:ListBuckets", e))?;
        out.extend(page.buckets().iter().filter_map(|b| {
            b.name()
                .map(|n| (n.to_string(), b.bucket_region().map(str::to_string)))
        }));
    }
    Ok(out)
}

/// An access point as listed: name, bucket, whether it is reachable from the internet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessPointRef {
    pub name: String,
    pub bucket: String,
    pub internet_origin: bool,
}

/// The account's access points (all, or one bucket's), paginated.
pub async fn list_access_points(
    s3control: &aws_sdk_s3control::Client,
    account_id: &str,
    bucket: Option<&str>,
) -> Result<Vec<AccessPointRef>, CollectError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = s3control
            .list_access_points()
            .account_id(account_id)
            .set_bucket(bucket.map(str::to_string))
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| AwsCallError::from_sdk("s3control:ListAccessPoints", e))?;
        out.extend(page.access_point_list().iter().map(|a| AccessPointRef {
            name: a.name().to_string(),
            bucket: a.bucket().to_string(),
            internet_origin: a.network_origin()
                == &aws_sdk_s3control::types::NetworkOrigin::Internet,
        }));
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// One access point's Block Public Access and policy.
pub async fn access_point_facts(
    s3control: &aws_sdk_s3control::Client,
    account_id: &str,
    ap: &AccessPointRef,
) -> Result<AccessPointFacts, CollectError> {
    let details = s3control
        .get_access_point()
        .account_id(account_id)
        .name(&ap.name)
        .send()
        .await
        .map_err(|e| AwsCallError::from_sdk("s3control:GetAccessPoint", e))?;
    let policy = match s3control
        .get_access_point_policy()
        .account_id(account_id)
        .name(&ap.name)
        .send()
        .await
    {
        Ok(p) => match p.policy() {
            Some(text) if !text.trim().is_empty() => Some(PolicyDocument::parse(text).map_err(
                |e| CollectError::Unreadable {
                    what: format!("policy of access point {}", ap.name),
                    message: e.to_string(),
                },
            )?),
            _ => None,
        },
        Err(e) => {
            let e = AwsCallError::from_sdk("s3control:GetAccessPointPolicy", e);
            if e.code_is("NoSuchAccessPointPolicy") {
                None
            } else {
                return Err(e.into());
            }
        }
    };
    Ok(AccessPointFacts {
        name: ap.name.clone(),
        policy,
        block_public_access: details
            .public_access_block_configuration()
            .map(control_bpa_of),
        internet_origin: ap.internet_origin,
    })
}

/// The facts of every access point in `refs` (one bucket's).
pub async fn access_points_facts(
    s3control: &aws_sdk_s3control::Client,
    account_id: &str,
    refs: &[AccessPointRef],
) -> Result<Vec<AccessPointFacts>, CollectError> {
    let mut out = Vec::with_capacity(refs.len());
    for r in refs {
        out.push(Box::pin(access_point_facts(s3control, account_id, r)).await?);
    }
    Ok(out)
}
