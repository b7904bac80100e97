//! An `AWS::S3::Bucket` configuration item (change notification or history) read into the facts
//! the bucket rules need, without any S3 call. Supplementary entries arrive as objects, JSON
//! strings, or JSON strings of JSON strings depending on the source; all three are accepted. What
//! the item does not carry stays unknown (`None`) so that the caller reads it from S3 instead of
//! guessing.

use serde_json::Value;

use crate::evaluate::s3_exposure::{AclGrant, BlockPublicAccess, ObjectOwnership};
use crate::events::config_rule::ConfigurationItem;
use crate::policy::{PolicyDocument, PolicyError};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BucketItemError {
    #[error("configuration item is a {0}, not an AWS::S3::Bucket")]
    WrongType(String),
    #[error("bucket {bucket}: {entry} is unreadable: {message}")]
    Unreadable {
        bucket: String,
        entry: &'static str,
        message: String,
    },
    #[error("bucket {bucket}: bucket policy: {source}")]
    Policy {
        bucket: String,
        #[source]
        source: PolicyError,
    },
}

/// What a bucket's configuration item says, each part `None` when the item does not carry it.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketItemFacts {
    pub bucket: String,
    /// `Some(None)`: the item says there is no policy.
    pub policy: Option<Option<PolicyDocument>>,
    pub acl: Option<Vec<AclGrant>>,
    /// `Some(None)`: no bucket-level Block Public Access configuration.
    pub bucket_bpa: Option<Option<BlockPublicAccess>>,
    pub ownership: Option<ObjectOwnership>,
    /// Default encryption algorithms; `Some(vec![])` when the item says none.
    pub encryption: Option<Vec<String>>,
    pub access_logging: Option<bool>,
    pub tags: Vec<(String, String)>,
}

/// Peel JSON-in-a-string wrappers (at most three deep).
fn unwrap_json(v: &Value) -> Result<Value, String> {
    let mut cur = v.clone();
    for _ in 0..3 {
        match cur {
            Value::String(s) => cur = serde_json::from_str(&s).map_err(|e| e.to_string())?,
            _ => return Ok(cur),
        }
    }
    Ok(cur)
}

fn flag(v: &Value, key: &str) -> bool {
    match v.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn acl_permission(p: &str) -> String {
    match p {
        "FullControl" => "FULL_CONTROL".into(),
        "ReadAcp" => "READ_ACP".into(),
        "WriteAcp" => "WRITE_ACP".into(),
        other => other.to_ascii_uppercase(),
    }
}

fn group_uri(grantee: &Value) -> Option<String> {
    match grantee {
        // Config writes groups as their bare names ("AllUsers"), or as the URI.
        Value::String(g) if g.contains("://") => Some(g.clone()),
        Value::String(g) => Some(match g.as_str() {
            "LogDelivery" => "http://acs.amazonaws.com/groups/s3/LogDelivery".to_string(),
            other => format!("http://acs.amazonaws.com/groups/global/{other}"),
        }),
        Value::Object(o) => o
            .get("uri")
            .or_else(|| o.get("URI"))
            .and_then(Value::as_str)
            .map(str::to_string),
        _ => None,
    }
}

/// Read a bucket's configuration item.
pub fn bucket_item_facts(item: &ConfigurationItem) -> Result<BucketItemFacts, BucketItemError> {
    if item.resource_type != "AWS::S3::Bucket" {
        return Err(BucketItemError::WrongType(item.resource_type.clone()));
    }
    let bucket = item
        .resource_name
        .clone()
        .unwrap_or_else(|| item.resource_id.clone());
    let supp = &item.supplementary_configuration;
    let unreadable = |entry: &'static str, message: String| BucketItemError::Unreadable {
        bucket: bucket.clone(),
        entry,
        message,
    };
    let entry = |name: &'static str| -> Result<Option<Value>, BucketItemError> {
        match supp.get(name) {
            None => Ok(None),
            Some(v) => unwrap_json(v).map(Some).map_err(|m| unreadable(name, m)),
        }
    };

    let policy = match entry("BucketPolicy")? {
        None => None,
        Some(v) => match v.get("policyText") {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(t)) if t.trim().is_empty() => Some(None),
            Some(Value::String(t)) => Some(Some(PolicyDocument::parse(t).map_err(|source| {
                BucketItemError::Policy {
                    bucket: bucket.clone(),
                    source,
                }
            })?)),
            Some(other) => Some(Some(PolicyDocument::from_value(other).map_err(
                |source| BucketItemError::Policy {
                    bucket: bucket.clone(),
                    source,
                },
            )?)),
        },
    };

    let acl = match entry("AccessControlList")? {
        None => None,
        Some(v) => {
            let list = v.get("grantList").cloned().unwrap_or(Value::Array(vec![]));
            let Value::Array(list) = list else {
                return Err(unreadable(
                    "AccessControlList",
                    "grantList is not a list".into(),
                ));
            };
            Some(
                list.iter()
                    .map(|g| AclGrant {
                        group_uri: g.get("grantee").and_then(group_uri),
                        permission: acl_permission(
                            g.get("permission").and_then(Value::as_str).unwrap_or(""),
                        ),
                    })
                    .collect(),
            )
        }
    };

    let bucket_bpa = match entry("PublicAccessBlockConfiguration")? {
        None => None,
        Some(Value::Null) => Some(None),
        Some(v) => Some(Some(BlockPublicAccess {
            block_public_acls: flag(&v, "blockPublicAcls"),
            ignore_public_acls: flag(&v, "ignorePublicAcls"),
            block_public_policy: flag(&v, "blockPublicPolicy"),
            restrict_public_buckets: flag(&v, "restrictPublicBuckets"),
        })),
    };

    let encryption = match entry("ServerSideEncryptionConfiguration")? {
        None => None,
        Some(Value::Null) => Some(vec![]),
        Some(v) => Some(
            v.get("rules")
                .and_then(Value::as_array)
                .map(|rules| {
                    rules
                        .iter()
                        .filter_map(|r| {
                            r.pointer("/applyServerSideEncryptionByDefault/sseAlgorithm")
                                .and_then(Value::as_str)
                                .map(str::to_string)
                        })
                        .collect()
                })
                .unwrap_or_default(),
        ),
    };

    let access_logging = entry("BucketLoggingConfiguration")?.map(|v| {
        v.get("destinationBucketName")
            .and_then(Value::as_str)
            .is_some_and(|d| !d.is_empty())
    });

    let ownership = entry("BucketOwnershipControls")?.and_then(|v| {
        let rule = v
            .pointer("/ownershipControls/rules/0/objectOwnership")
            .or_else(|| v.pointer("/rules/0/objectOwnership"))
            .and_then(Value::as_str)?
            .to_string();
        Some(match rule.as_str() {
            "BucketOwnerEnforced" => ObjectOwnership::BucketOwnerEnforced,
            "BucketOwnerPreferred" => ObjectOwnership::BucketOwnerPreferred,
            _ => ObjectOwnership::ObjectWriter,
        })
    });

    let mut tags: Vec<(String, String)> = item
        .tags
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    if tags.is_empty() {
        if let Some(v) = entry("BucketTaggingConfiguration")? {
            if let Some(map) = v.pointer("/tagSets/0/tags").and_then(Value::as_object) {
                tags = map
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect();
            }
        }
    }

    Ok(BucketItemFacts {
        bucket,
        policy,
        acl,
        bucket_bpa,
        ownership,
        encryption,
        access_logging,
        tags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::config_rule::parse_item;
    use serde_json::json;

    fn item(supp: Value, tags: Value) -> ConfigurationItem {
        parse_item(&json!({
            "resourceType": "AWS::S3::Bucket",
            "resourceId": "example-data-bucket",
            "resourceName": "example-data-bucket",
            "awsAccountId": "111122223333",
            "awsRegion": "eu-west-1",
            "configurationItemStatus": "OK",
            "configurationItemCaptureTime": "2026-11-30T10:00:00.000Z",
            "configuration": {"name": "example-data-bucket"},
            "supplementaryConfiguration": supp,
            "tags": tags
        }))
        .unwrap()
    }

    /// The shape AWS Config delivers: ACL as a JSON string, policy text as a string.
    #[test]
    fn reads_a_config_delivered_item() {
        let acl = json!({"grantSet": null, "grantList": [
            {"grantee": {"id": "exampleownercanonicalid", "displayName": null}, "permission": "FullControl"},
            {"grantee": "AllUsers", "permission": "Read"}], "owner": {"id": "exampleownercanonicalid"}});
        let f = bucket_item_facts(&item(
            json!({
                "AccessControlList": acl.to_string(),
                "BucketPolicy": {"policyText": "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::example-data-bucket/*\"}]}"},
                "PublicAccessBlockConfiguration": {"blockPublicAcls": true, "ignorePublicAcls": false, "blockPublicPolicy": true, "restrictPublicBuckets": false},
                "ServerSideEncryptionConfiguration": {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256", "kmsMasterKeyID": null}, "bucketKeyEnabled": false}]},
                "BucketLoggingConfiguration": {"destinationBucketName": "logs", "logFilePrefix": "x/"}
            }),
            json!({"ftr:sensitive": "true"}),
        ))
        .unwrap();
        assert_eq!(f.bucket, "example-data-bucket");
        assert_eq!(
            f.acl.as_ref().unwrap()[1].group_uri.as_deref(),
            Some("http://acs.amazonaws.com/groups/global/AllUsers")
        );
        assert_eq!(f.acl.as_ref().unwrap()[1].permission, "READ");
        assert_eq!(f.acl.as_ref().unwrap()[0].permission, "FULL_CONTROL");
        assert!(f.policy.as_ref().unwrap().is_some());
        let bpa = f.bucket_bpa.unwrap().unwrap();
        assert!(
            bpa.block_public_acls
                && !bpa.ignore_public_acls
                && bpa.block_public_policy
                && !bpa.restrict_public_buckets
        );
        assert_eq!(f.encryption, Some(vec!["AES256".to_string()]));
        assert_eq!(f.access_logging, Some(true));
        assert_eq!(
            f.ownership, None,
            "not in the item: unknown, to be read from S3"
        );
        assert_eq!(
            f.tags,
            vec![("ftr:sensitive".to_string(), "true".to_string())]
        );
    }

    /// The shape moto's Config query returns: the ACL JSON wrapped twice, BPA and tags as strings.
    #[test]
    fn reads_double_wrapped_entries() {
        let acl = json!({"grantSet": null, "owner": {"id": "x"}, "grantList": [{"grantee": "AuthenticatedUsers", "permission": "Write"}]});
        let f = bucket_item_facts(&item(
            json!({
                "AccessControlList": serde_json::to_string(&acl.to_string()).unwrap(),
                "PublicAccessBlockConfiguration": json!({"blockPublicAcls": true, "ignorePublicAcls": true, "blockPublicPolicy": true, "restrictPublicBuckets": true}).to_string(),
                "BucketPolicy": {"policyText": null},
                "BucketLoggingConfiguration": {"destinationBucketName": null, "logFilePrefix": null},
                "BucketTaggingConfiguration": json!({"tagSets": [{"tags": {"ftr:exempt": "S3-001"}}]}).to_string()
            }),
            json!({}),
        ))
        .unwrap();
        assert_eq!(f.acl.unwrap()[0].permission, "WRITE");
        assert!(f.bucket_bpa.unwrap().unwrap().all_on());
        assert_eq!(f.policy, Some(None));
        assert_eq!(f.access_logging, Some(false));
        assert_eq!(f.encryption, None);
        assert_eq!(
            f.tags,
            vec![("ftr:exempt".to_string(), "S3-001".to_string())]
        );
    }

    #[test]
    fn unreadable_entries_are_errors_not_guesses() {
        assert!(matches!(
            bucket_item_facts(&item(json!({"AccessControlList": "{broken"}), json!({}))),
            Err(BucketItemError::Unreadable {
                entry: "AccessControlList",
                ..
            })
        ));
        assert!(matches!(
            bucket_item_facts(&item(
                json!({"BucketPolicy": {"policyText": "{\"Statement\":7}"}}),
                json!({})
            )),
            Err(BucketItemError::Policy { .. })
        ));
        let mut i = item(json!({}), json!({}));
        i.resource_type = "AWS::IAM::User".into();
        assert!(matches!(
            bucket_item_facts(&i),
            Err(BucketItemError::WrongType(_))
        ));
    }
}
