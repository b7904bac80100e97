//! The S3 exposure evaluator, as a table: Block Public Access × policy × ACL × ownership → public
//! read / write and the reason. Handed cases 2, 3, 4, 5 and 7 are rows here.

use ftr_shared::evaluate::s3_exposure::{
    access_point_exposure, bucket_exposure, AccessPointFacts, AccountBpa, AclGrant,
    BlockPublicAccess, BucketExposureFacts, ObjectOwnership,
};
use ftr_shared::policy::PolicyDocument;

const B: &str = "arn:aws:s3:::example-data-bucket";

fn bpa(flags: &str) -> BlockPublicAccess {
    BlockPublicAccess {
        block_public_acls: flags.contains("BPA"),
        ignore_public_acls: flags.contains("IPA"),
        block_public_policy: flags.contains("BPP"),
        restrict_public_buckets: flags.contains("RPB"),
    }
}

fn allow(principal: &str, action: &str, condition: &str) -> String {
    let cond = if condition.is_empty() {
        String::new()
    } else {
        format!(r#","Condition":{condition}"#)
    };
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":{action},"Resource":["{B}","{B}/*"]{cond}}}]}}"#
    )
}

fn grant(group: &str, permission: &str) -> AclGrant {
    AclGrant {
        group_uri: Some(format!("http://acs.amazonaws.com/groups/global/{group}")),
        permission: permission.into(),
    }
}

struct Row {
    name: &'static str,
    account: Option<&'static str>,
    bucket: Option<&'static str>,
    policy: Option<String>,
    acl: Vec<AclGrant>,
    ownership: ObjectOwnership,
    read: bool,
    write: bool,
    reason: &'static str,
}

fn row(
    name: &'static str,
    policy: Option<String>,
    read: bool,
    write: bool,
    reason: &'static str,
) -> Row {
    Row {
        name,
        account: None,
        bucket: None,
        policy,
        acl: vec![],
        ownership: ObjectOwnership::BucketOwnerPreferred,
        read,
        write,
        reason,
    }
}

fn table() -> Vec<Row> {
    let get = r#""s3:GetObject""#;
    let all = r#""s3:*""#;
    let any = r#""*""#;
    let star = r#""*""#;
    let aws_star = r#"{"AWS":"*"}"#;
    let aws_list = r#"{"AWS":["*"]}"#;
    let mut t = vec![
        // --- principal spellings (case 3)
        row("no policy, no ACL", None, false, false, "not public"),
        row(
            "\"*\" GetObject",
            Some(allow(star, get, "")),
            true,
            false,
            "allows anyone to read",
        ),
        row(
            "{AWS:*} GetObject",
            Some(allow(aws_star, get, "")),
            true,
            false,
            "allows anyone to read",
        ),
        row(
            "{AWS:[*]} s3:* (case 3)",
            Some(allow(aws_list, all, "")),
            true,
            true,
            "read and write",
        ),
        row(
            "{AWS:[acct, *]} mixed list",
            Some(allow(
                r#"{"AWS":["arn:aws:iam::111122223333:root","*"]}"#,
                get,
                "",
            )),
            true,
            false,
            "anyone",
        ),
        row(
            "named account only",
            Some(allow(
                r#"{"AWS":"arn:aws:iam::444455556666:root"}"#,
                all,
                "",
            )),
            false,
            false,
            "not public",
        ),
        row(
            "service principal only",
            Some(allow(
                r#"{"Service":"logging.s3.amazonaws.com"}"#,
                r#""s3:PutObject""#,
                "",
            )),
            false,
            false,
            "not public",
        ),
        // --- actions and wildcards
        row(
            "Action * ",
            Some(allow(star, any, "")),
            true,
            true,
            "read and write",
        ),
        row(
            "s3:Get*",
            Some(allow(star, r#""s3:Get*""#, "")),
            true,
            false,
            "read",
        ),
        row(
            "s3:List*",
            Some(allow(star, r#""s3:List*""#, "")),
            true,
            false,
            "read",
        ),
        row(
            "s3:ListBucket",
            Some(allow(star, r#""s3:ListBucket""#, "")),
            true,
            false,
            "read",
        ),
        row(
            "s3:Put* (write only)",
            Some(allow(star, r#""s3:Put*""#, "")),
            false,
            true,
            "write",
        ),
        row(
            "s3:PutObject only",
            Some(allow(star, r#""s3:PutObject""#, "")),
            false,
            true,
            "write",
        ),
        row(
            "s3:DeleteObject only",
            Some(allow(star, r#""s3:DeleteObject""#, "")),
            false,
            true,
            "write",
        ),
        row(
            "mixed-case action S3:getobject",
            Some(allow(star, r#""S3:getobject""#, "")),
            true,
            false,
            "read",
        ),
        row(
            "non-S3 action only",
            Some(allow(star, r#""sqs:SendMessage""#, "")),
            false,
            false,
            "not public",
        ),
        // --- NotAction / NotPrincipal
        row(
            "NotAction s3:Delete* (everything else allowed)",
            Some(format!(
                r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","NotAction":"s3:Delete*","Resource":"{B}/*"}}]}}"#
            )),
            true,
            true,
            "read and write",
        ),
        row(
            "NotAction s3:* (nothing in S3)",
            Some(format!(
                r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","NotAction":"s3:*","Resource":"{B}/*"}}]}}"#
            )),
            false,
            false,
            "not public",
        ),
        row(
            "Allow with NotPrincipal",
            Some(format!(
                r#"{{"Statement":[{{"Effect":"Allow","NotPrincipal":{{"AWS":"arn:aws:iam::111122223333:root"}},"Action":"s3:GetObject","Resource":"{B}/*"}}]}}"#
            )),
            true,
            false,
            "everyone but NotPrincipal",
        ),
        // --- Deny statements never grant (case 5 second statement)
        row(
            "Deny * only",
            Some(format!(
                r#"{{"Statement":[{{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"{B}/*","Condition":{{"StringNotEquals":{{"aws:SourceVpce":"vpce-0example1234567"}}}}}}]}}"#
            )),
            false,
            false,
            "not public",
        ),
        row(
            "Allow GetObject + unconditional Deny GetObject",
            Some(format!(
                r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"{B}/*"}},{{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"{B}/*"}}]}}"#
            )),
            false,
            false,
            "not public",
        ),
        // --- conditions that pin (non-public)
        row(
            "aws:SourceVpce fixed",
            Some(allow(
                star,
                all,
                r#"{"StringEquals":{"aws:SourceVpce":"vpce-0example1234567"}}"#,
            )),
            false,
            false,
            "limited by",
        ),
        row(
            "aws:SourceVpc fixed",
            Some(allow(
                star,
                all,
                r#"{"StringEquals":{"aws:SourceVpc":"vpc-0example"}}"#,
            )),
            false,
            false,
            "limited by",
        ),
        row(
            "aws:PrincipalOrgID fixed",
            Some(allow(
                star,
                get,
                r#"{"StringEquals":{"aws:PrincipalOrgID":"o-exampleorgid"}}"#,
            )),
            false,
            false,
            "limited by",
        ),
        row(
            "aws:PrincipalAccount fixed",
            Some(allow(
                star,
                get,
                r#"{"StringEquals":{"aws:PrincipalAccount":"444455556666"}}"#,
            )),
            false,
            false,
            "limited by",
        ),
        row(
            "aws:SourceAccount fixed",
            Some(allow(
                star,
                r#""s3:PutObject""#,
                r#"{"StringEquals":{"aws:SourceAccount":"111122223333"}}"#,
            )),
            false,
            false,
            "limited by",
        ),
        row(
            "aws:SourceArn fixed (ArnLike, no wildcard)",
            Some(allow(
                star,
                r#""s3:PutObject""#,
                r#"{"ArnLike":{"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:111122223333:trail/org"}}"#,
            )),
            false,
            false,
            "limited by",
        ),
        row(
            "condition key in odd case AWS:SOURCEVPCE",
            Some(allow(
                star,
                all,
                r#"{"StringEquals":{"AWS:SOURCEVPCE":"vpce-0example1234567"}}"#,
            )),
            false,
            false,
            "limited by",
        ),
        row(
            "aws:SourceIp private range",
            Some(allow(
                star,
                get,
                r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
            )),
            false,
            false,
            "aws:SourceIp limited",
        ),
        row(
            "aws:SourceIp office /32",
            Some(allow(
                star,
                get,
                r#"{"IpAddress":{"aws:SourceIp":["203.0.113.7/32","198.51.100.0/24"]}}"#,
            )),
            false,
            false,
            "aws:SourceIp limited",
        ),
        // case 5
        row(
            "case 5: {AWS:*} pinned by fixed aws:userId + Deny *",
            Some(format!(
                r#"{{"Version":"2012-10-17","Statement":[
                {{"Effect":"Allow","Principal":{{"AWS":"*"}},"Action":["s3:GetBucketLocation","s3:GetBucketAcl"],"Resource":"{B}","Condition":{{"StringLike":{{"aws:userId":"AROAEXAMPLEROLEID0001:inventory-job"}}}}}},
                {{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["{B}","{B}/*"],"Condition":{{"StringNotEquals":{{"aws:SourceVpce":"vpce-0example1234567"}}}}}}]}}"#
            )),
            false,
            false,
            "limited by",
        ),
        row(
            "case 5 variant: aws:userId \"*\"",
            Some(allow(
                aws_star,
                r#"["s3:GetBucketLocation","s3:GetBucketAcl"]"#,
                r#"{"StringLike":{"aws:userId":"*"}}"#,
            )),
            true,
            false,
            "read",
        ),
        row(
            "case 5 variant: aws:userId \"AIDA*\"",
            Some(allow(
                aws_star,
                r#"["s3:GetBucketLocation","s3:GetBucketAcl"]"#,
                r#"{"StringLike":{"aws:userId":"AIDA*"}}"#,
            )),
            true,
            false,
            "read",
        ),
        // case 7: delegation to access points of a fixed account
        row(
            "case 7: s3:DataAccessPointAccount fixed",
            Some(allow(
                aws_star,
                r#"["s3:GetObject","s3:ListBucket"]"#,
                r#"{"StringEquals":{"s3:DataAccessPointAccount":"111122223333"}}"#,
            )),
            false,
            false,
            "limited by",
        ),
        // --- conditions that do not pin
        row(
            "StringLike aws:SourceVpc vpc-*",
            Some(allow(
                star,
                all,
                r#"{"StringLike":{"aws:SourceVpc":"vpc-*"}}"#,
            )),
            true,
            true,
            "read and write",
        ),
        row(
            "StringNotEquals aws:SourceVpce",
            Some(allow(
                star,
                get,
                r#"{"StringNotEquals":{"aws:SourceVpce":"vpce-0example1234567"}}"#,
            )),
            true,
            false,
            "read",
        ),
        row(
            "StringEqualsIfExists aws:SourceVpce",
            Some(allow(
                star,
                get,
                r#"{"StringEqualsIfExists":{"aws:SourceVpce":"vpce-0example1234567"}}"#,
            )),
            true,
            false,
            "read",
        ),
        row(
            "aws:SourceIp 0.0.0.0/0",
            Some(allow(
                star,
                get,
                r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#,
            )),
            true,
            false,
            "read",
        ),
        row(
            "aws:SourceIp ::/0 with a /32",
            Some(allow(
                star,
                get,
                r#"{"IpAddress":{"aws:SourceIp":["203.0.113.7/32","::/0"]}}"#,
            )),
            true,
            false,
            "read",
        ),
        row(
            "NotIpAddress aws:SourceIp",
            Some(allow(
                star,
                get,
                r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
            )),
            true,
            false,
            "read",
        ),
        row(
            "policy variable ${aws:username}",
            Some(allow(
                star,
                get,
                r#"{"StringEquals":{"aws:PrincipalArn":"${aws:username}"}}"#,
            )),
            true,
            false,
            "read",
        ),
        row(
            "aws:SecureTransport only",
            Some(allow(
                star,
                get,
                r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
            )),
            true,
            false,
            "read",
        ),
    ];
    // --- ACL grants (case 4)
    for (perm, read, write) in [
        ("READ", true, false),
        ("READ_ACP", true, false),
        ("WRITE", false, true),
        ("WRITE_ACP", false, true),
        ("FULL_CONTROL", true, true),
    ] {
        for group in ["AllUsers", "AuthenticatedUsers"] {
            let mut r = row("ACL grant", None, read, write, "ACL grants");
            r.name = Box::leak(format!("ACL {perm} to {group}").into_boxed_str());
            r.acl = vec![grant(group, perm)];
            r.ownership = ObjectOwnership::ObjectWriter;
            t.push(r);
        }
    }
    let mut r = row(
        "ACL to AuthenticatedUsers, https URI spelling",
        None,
        true,
        false,
        "AuthenticatedUsers",
    );
    r.acl = vec![AclGrant {
        group_uri: Some("https://acs.amazonaws.com/groups/global/AuthenticatedUsers".into()),
        permission: "READ".into(),
    }];
    t.push(r);
    let mut r = row("ACL to LogDelivery only", None, false, false, "not public");
    r.acl = vec![AclGrant {
        group_uri: Some("http://acs.amazonaws.com/groups/s3/LogDelivery".into()),
        permission: "WRITE".into(),
    }];
    t.push(r);
    let mut r = row(
        "case 4: AuthenticatedUsers READ, ObjectWriter",
        None,
        true,
        false,
        "AuthenticatedUsers",
    );
    r.acl = vec![
        AclGrant {
            group_uri: None,
            permission: "FULL_CONTROL".into(),
        },
        grant("AuthenticatedUsers", "READ"),
    ];
    r.ownership = ObjectOwnership::ObjectWriter;
    t.push(r);
    let mut r = row(
        "case 4 variant: BucketOwnerEnforced ignores ACLs",
        None,
        false,
        false,
        "BucketOwnerEnforced",
    );
    r.acl = vec![grant("AllUsers", "FULL_CONTROL")];
    r.ownership = ObjectOwnership::BucketOwnerEnforced;
    t.push(r);
    let mut r = row(
        "case 4 variant: bucket IgnorePublicAcls",
        None,
        false,
        false,
        "bucket IgnorePublicAcls",
    );
    r.acl = vec![grant("AllUsers", "READ")];
    r.bucket = Some("IPA");
    t.push(r);
    let mut r = row(
        "account IgnorePublicAcls",
        None,
        false,
        false,
        "account IgnorePublicAcls",
    );
    r.acl = vec![grant("AllUsers", "WRITE")];
    r.account = Some("IPA");
    t.push(r);
    let mut r = row(
        "BlockPublicAcls alone does not neuter an existing ACL",
        None,
        true,
        false,
        "ACL grants",
    );
    r.acl = vec![grant("AllUsers", "READ")];
    r.account = Some("BPA BPP");
    t.push(r);
    // --- Block Public Access on policies (case 2)
    let mut r = row(
        "case 2: account BPA all on, public policy",
        Some(allow(star, get, "")),
        false,
        false,
        "account RestrictPublicBuckets",
    );
    r.account = Some("BPA IPA BPP RPB");
    t.push(r);
    let mut r = row(
        "case 2 variant: account BPA without RPB",
        Some(allow(star, get, "")),
        true,
        false,
        "read",
    );
    r.account = Some("BPA BPP");
    t.push(r);
    let mut r = row(
        "bucket RestrictPublicBuckets",
        Some(allow(star, all, "")),
        false,
        false,
        "bucket RestrictPublicBuckets",
    );
    r.bucket = Some("RPB");
    t.push(r);
    let mut r = row(
        "BlockPublicPolicy alone does not neuter an existing policy",
        Some(allow(star, all, "")),
        true,
        true,
        "read and write",
    );
    r.bucket = Some("BPP");
    t.push(r);
    let mut r = row(
        "policy and ACL both public, only RPB",
        Some(allow(star, get, "")),
        false,
        true,
        "ACL grants WRITE",
    );
    r.bucket = Some("RPB");
    r.acl = vec![grant("AllUsers", "WRITE")];
    t.push(r);
    t
}

fn facts(r: &Row) -> BucketExposureFacts {
    BucketExposureFacts {
        bucket: "example-data-bucket".into(),
        account_bpa: AccountBpa::Known(r.account.map(bpa)),
        bucket_bpa: r.bucket.map(bpa),
        policy: r
            .policy
            .as_deref()
            .map(|p| PolicyDocument::parse(p).unwrap_or_else(|e| panic!("{}: {e}", r.name))),
        acl: r.acl.clone(),
        ownership: r.ownership,
        access_points: vec![],
    }
}

#[test]
fn exposure_table_gives_each_combination_its_verdict_and_reason() {
    let rows = table();
    assert!(rows.len() >= 40, "{} rows", rows.len());
    let mut failures = Vec::new();
    for r in &rows {
        let e = bucket_exposure(&facts(r));
        let summary = e.summary();
        if (e.read, e.write) != (r.read, r.write) || !summary.contains(r.reason) {
            failures.push(format!(
                "{}: got read={} write={} `{summary}`, want read={} write={} with `{}`",
                r.name, e.read, e.write, r.read, r.write, r.reason
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows wrong:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

/// Case 2 variant: account BPA unreadable → not assumed; judged from bucket level, annotated.
#[test]
fn unreadable_account_bpa_is_not_assumed_protective() {
    let mut f = facts(&row(
        "x",
        Some(allow(r#""*""#, r#""s3:GetObject""#, "")),
        true,
        false,
        "",
    ));
    f.account_bpa = AccountBpa::Unknown("AccessDenied".into());
    let e = bucket_exposure(&f);
    assert!(e.read);
    assert!(
        e.summary().contains("account Block Public Access unknown"),
        "{}",
        e.summary()
    );
    f.bucket_bpa = Some(BlockPublicAccess::ALL);
    let e = bucket_exposure(&f);
    assert!(!e.is_public());
    assert!(e.summary().contains("account Block Public Access unknown"));
}

/// Case 7: the access points are judged as their own resources.
#[test]
fn access_points_are_judged_on_their_own() {
    let open = PolicyDocument::parse(
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:eu-west-1:111122223333:accesspoint/open/object/*"}]}"#,
    )
    .unwrap();
    let internet = AccessPointFacts {
        name: "open".into(),
        policy: Some(open.clone()),
        block_public_access: None,
        internet_origin: true,
    };
    let none = BlockPublicAccess::default();
    assert!(access_point_exposure(&internet, &none, &none).read);
    let vpc = AccessPointFacts {
        internet_origin: false,
        ..internet.clone()
    };
    assert!(!access_point_exposure(&vpc, &none, &none).is_public());
    let own_bpa = AccessPointFacts {
        block_public_access: Some(BlockPublicAccess::ALL),
        ..internet.clone()
    };
    assert!(!access_point_exposure(&own_bpa, &none, &none).is_public());
    let mut f = facts(&row(
        "x",
        Some(allow(
            r#"{"AWS":"*"}"#,
            r#""s3:GetObject""#,
            r#"{"StringEquals":{"s3:DataAccessPointAccount":"111122223333"}}"#,
        )),
        false,
        false,
        "",
    ));
    f.access_points = vec![internet, vpc];
    let e = bucket_exposure(&f);
    assert!(
        !e.is_public(),
        "the delegating bucket policy itself is not public"
    );
    assert_eq!(e.public_access_points, vec!["open".to_string()]);
}
