//! Is a bucket effectively public, for read and for write, and why? AWS's own definition: Block
//! Public Access at account and bucket level first, then the bucket policy (anyone-statements not
//! pinned by a fixed-value condition), then ACL grants to AllUsers / AuthenticatedUsers (unless
//! ACLs are disabled). Access points are judged on their own. Pure.

use crate::policy::{pinning_condition, Effect, PolicyDocument, Statement};

/// The four Block Public Access settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockPublicAccess {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl BlockPublicAccess {
    pub const ALL: BlockPublicAccess = BlockPublicAccess {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };

    pub fn all_on(&self) -> bool {
        *self == Self::ALL
    }
}

/// What the account-level settings are, as far as we could read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountBpa {
    /// `None`: no account-level configuration (all off).
    Known(Option<BlockPublicAccess>),
    /// The read failed (e.g. AccessDenied): assume no protection, and say so.
    Unknown(String),
}

/// Object Ownership of the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectOwnership {
    /// ACLs disabled: grants are ignored.
    BucketOwnerEnforced,
    BucketOwnerPreferred,
    ObjectWriter,
}

/// One ACL grant: grantee group URI (if a group) and permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclGrant {
    pub group_uri: Option<String>,
    pub permission: String,
}

/// An access point of the bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessPointFacts {
    pub name: String,
    pub policy: Option<PolicyDocument>,
    pub block_public_access: Option<BlockPublicAccess>,
    /// `true` when the network origin is `Internet` (not a VPC).
    pub internet_origin: bool,
}

/// Everything exposure depends on.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketExposureFacts {
    pub bucket: String,
    pub account_bpa: AccountBpa,
    pub bucket_bpa: Option<BlockPublicAccess>,
    pub policy: Option<PolicyDocument>,
    pub acl: Vec<AclGrant>,
    pub ownership: ObjectOwnership,
    pub access_points: Vec<AccessPointFacts>,
}

/// The verdict on exposure, with reasons.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exposure {
    pub read: bool,
    pub write: bool,
    /// What grants public access (statement or grant), when something does.
    pub grants: Vec<String>,
    /// Public grants that exist but are neutralised, and by what.
    pub neutralised: Vec<String>,
    /// Caveats (e.g. account settings unreadable).
    pub notes: Vec<String>,
    /// Public access points (judged on their own).
    pub public_access_points: Vec<String>,
}

impl Exposure {
    pub fn is_public(&self) -> bool {
        self.read || self.write
    }

    /// One sentence for annotations and alerts.
    pub fn summary(&self) -> String {
        let what = match (self.read, self.write) {
            (true, true) => "public read and write",
            (true, false) => "public read",
            (false, true) => "public write",
            (false, false) => "not public",
        };
        let mut s = what.to_string();
        if !self.grants.is_empty() {
            s.push_str(&format!(" via {}", self.grants.join("; ")));
        }
        if !self.neutralised.is_empty() {
            s.push_str(&format!("; neutralised: {}", self.neutralised.join("; ")));
        }
        if !self.notes.is_empty() {
            s.push_str(&format!("; note: {}", self.notes.join("; ")));
        }
        s
    }
}

/// Actions that expose data or configuration to reads (AWS's "bad actions" `s3:Get*`, `s3:List*`).
const READ_PROBES: &[&str] = &[
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:GetBucketAcl",
    "s3:GetBucketPolicy",
    "s3:GetBucketLocation",
    "s3:GetObjectAcl",
    "s3:ListMultipartUploadParts",
];
/// Actions that let the public change data or permissions (`s3:Put*`, `s3:Delete*`, ...).
const WRITE_PROBES: &[&str] = &[
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObjectAcl",
    "s3:PutBucketAcl",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:DeleteBucket",
    "s3:AbortMultipartUpload",
    "s3:RestoreObject",
    "s3:PutLifecycleConfiguration",
];

fn label(s: &Statement, index: usize) -> String {
    match &s.sid {
        Some(sid) if !sid.is_empty() => format!("policy statement \"{sid}\""),
        _ => format!("policy statement #{}", index + 1),
    }
}

/// Public read / write a policy grants (before Block Public Access), with reasons and the
/// conditions that pinned other anyone-statements.
fn policy_exposure(policy: &PolicyDocument) -> (bool, bool, Vec<String>, Vec<String>) {
    let (mut read, mut write) = (false, false);
    let (mut grants, mut pinned) = (Vec::new(), Vec::new());
    // Unconditional Deny to anyone removes those actions for everybody.
    let denied = |action: &str| {
        policy.statements.iter().any(|s| {
            s.effect == Effect::Deny
                && s.names_anyone()
                && s.conditions.is_empty()
                && s.covers_action(action)
        })
    };
    for (i, s) in policy.statements.iter().enumerate() {
        if s.effect != Effect::Allow || !s.names_anyone() {
            continue;
        }
        if let Some(pin) = s.conditions.iter().find_map(pinning_condition) {
            pinned.push(format!("{} limited by {pin}", label(s, i)));
            continue;
        }
        let r = READ_PROBES.iter().any(|a| s.covers_action(a) && !denied(a));
        let w = WRITE_PROBES
            .iter()
            .any(|a| s.covers_action(a) && !denied(a));
        if r || w {
            let who = if s.not_principal.is_some() {
                "everyone but NotPrincipal"
            } else {
                "anyone"
            };
            let rw = match (r, w) {
                (true, true) => "read and write",
                (true, false) => "read",
                _ => "write",
            };
            grants.push(format!("{} allows {who} to {rw}", label(s, i)));
        }
        read |= r;
        write |= w;
    }
    (read, write, grants, pinned)
}

fn public_group(uri: &str) -> Option<&'static str> {
    let u = uri.trim().trim_end_matches('/').to_ascii_lowercase();
    let u = u
        .strip_prefix("http://")
        .or_else(|| u.strip_prefix("https://"))
        .unwrap_or(&u)
        .to_string();
    match u.as_str() {
        "acs.amazonaws.com/groups/global/allusers" => Some("AllUsers"),
        "acs.amazonaws.com/groups/global/authenticatedusers" => Some("AuthenticatedUsers"),
        _ => None,
    }
}

fn acl_exposure(acl: &[AclGrant]) -> (bool, bool, Vec<String>) {
    let (mut read, mut write, mut grants) = (false, false, Vec::new());
    for g in acl {
        let Some(group) = g.group_uri.as_deref().and_then(public_group) else {
            continue;
        };
        let (r, w) = match g.permission.to_ascii_uppercase().as_str() {
            "READ" | "READ_ACP" => (true, false),
            "WRITE" | "WRITE_ACP" => (false, true),
            "FULL_CONTROL" => (true, true),
            _ => (false, false),
        };
        if r || w {
            grants.push(format!("ACL grants {} to {group}", g.permission));
        }
        read |= r;
        write |= w;
    }
    (read, write, grants)
}

/// Effective exposure of a bucket (its access points reported separately in the result).
pub fn bucket_exposure(f: &BucketExposureFacts) -> Exposure {
    let mut e = Exposure::default();
    let account = match &f.account_bpa {
        AccountBpa::Known(b) => b.unwrap_or_default(),
        AccountBpa::Unknown(why) => {
            e.notes.push(format!(
                "account Block Public Access unknown ({why}); judged from bucket level"
            ));
            BlockPublicAccess::default()
        }
    };
    let bucket = f.bucket_bpa.unwrap_or_default();
    let restrict = match (
        account.restrict_public_buckets,
        bucket.restrict_public_buckets,
    ) {
        (true, _) => Some("account RestrictPublicBuckets"),
        (_, true) => Some("bucket RestrictPublicBuckets"),
        _ => None,
    };
    let ignore_acls = match (account.ignore_public_acls, bucket.ignore_public_acls) {
        (true, _) => Some("account IgnorePublicAcls"),
        (_, true) => Some("bucket IgnorePublicAcls"),
        _ => None,
    };

    if let Some(policy) = &f.policy {
        let (r, w, grants, pinned) = policy_exposure(policy);
        e.notes.extend(pinned);
        match restrict {
            Some(by) if r || w => e
                .neutralised
                .extend(grants.into_iter().map(|g| format!("{g} (by {by})"))),
            _ => {
                e.read |= r;
                e.write |= w;
                e.grants.extend(grants);
            }
        }
    }

    let (r, w, grants) = acl_exposure(&f.acl);
    if r || w {
        if f.ownership == ObjectOwnership::BucketOwnerEnforced {
            e.neutralised.extend(
                grants
                    .into_iter()
                    .map(|g| format!("{g} (ACLs disabled by BucketOwnerEnforced)")),
            );
        } else if let Some(by) = ignore_acls {
            e.neutralised
                .extend(grants.into_iter().map(|g| format!("{g} (by {by})")));
        } else {
            e.read |= r;
            e.write |= w;
            e.grants.extend(grants);
        }
    }

    for ap in &f.access_points {
        if access_point_exposure(ap, &account, &bucket).is_public() {
            e.public_access_points.push(ap.name.clone());
        }
    }
    e
}

/// An access point's own exposure: its policy, under the account's, the bucket's and its own
/// Block Public Access, and only when reachable from the internet.
pub fn access_point_exposure(
    ap: &AccessPointFacts,
    account: &BlockPublicAccess,
    bucket: &BlockPublicAccess,
) -> Exposure {
    let mut e = Exposure::default();
    let Some(policy) = &ap.policy else {
        return e;
    };
    let own = ap.block_public_access.unwrap_or_default();
    let (r, w, grants, pinned) = policy_exposure(policy);
    e.notes.extend(pinned);
    if !(r || w) {
        return e;
    }
    if !ap.internet_origin {
        e.neutralised.extend(
            grants
                .into_iter()
                .map(|g| format!("{g} (VPC-only access point)")),
        );
    } else if account.restrict_public_buckets
        || bucket.restrict_public_buckets
        || own.restrict_public_buckets
    {
        e.neutralised.extend(
            grants
                .into_iter()
                .map(|g| format!("{g} (by RestrictPublicBuckets)")),
        );
    } else {
        e.read = r;
        e.write = w;
        e.grants = grants;
    }
    e
}
