//! The export generator of the `import` rows: a deterministic `aws iam
//! get-account-authorization-details` export (as the AWS CLI prints it,
//! indented by four spaces) of `n` roles and `n / 10` users, shaped like a
//! real account's.
//!
//! * Roles trust GitHub Actions (OIDC, `sub`/`aud` conditions, some with
//!   wildcards or two subjects), EKS service accounts (IRSA, six clusters),
//!   Lambda, EC2 (with an instance profile), ECS tasks, a role of a partner
//!   account (some with an external id) or IAM Roles Anywhere (a trust
//!   anchor and the certificate's CN); 5 % are service-linked
//!   (`/aws-service-role/…`) and one in 250 an Identity Center
//!   `AWSReservedSSO_` role.
//! * Each role has 1–4 inline policies of 2–6 statements: actions from a
//!   list of 280 real IAM actions of 34 services (a few `service:*`),
//!   ARN resources (`*` for the actions that take none), some conditions,
//!   one in ten a `Deny`, a few region locks written with `NotAction`;
//!   0–2 attached customer-managed policies (a pool of `n / 20`, in
//!   `Policies` with 1–3 versions, the newest the default) and some AWS
//!   managed ones; tags (owner or team, purpose, cost-center, environment);
//!   `RoleLastUsed`; paths `/` and `/service-role/`; one in seven has a
//!   permissions boundary.
//! * Users are in `max(5, n / 100)` groups, with their own inline and
//!   attached policies.
//!
//! Unique ids are 21 characters (`AROA` + 17), as AWS's are: a 20-character
//! `AKIA…`-shaped token would be a credential to nhi's scanner.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write as _};
use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

use crate::workspace::Rng;

const ACCOUNT: &str = "123456789012";
const PARTNERS: [&str; 4] = [
    "210987654321",
    "345678901234",
    "456789012345",
    "567890123456",
];
const REGIONS: [&str; 4] = ["eu-west-1", "us-east-1", "us-west-2", "ap-southeast-2"];
/// EKS clusters: name, region and the id of their OIDC issuer.
const CLUSTERS: [(&str, &str, &str); 6] = [
    ("prod-eu", "eu-west-1", "5C1D7E0A9B3F48E2A6D1C0B7E4F29A83"),
    ("prod-us", "us-east-1", "9E2B4C6D8F0A1B3C5D7E9F1A2B4C6D8E"),
    (
        "staging-eu",
        "eu-west-1",
        "1A3B5C7D9E0F2A4B6C8D0E1F3A5B7C9D",
    ),
    (
        "staging-us",
        "us-west-2",
        "B7C9D1E3F5A7B9C1D3E5F7A9B1C3D5E7",
    ),
    ("data", "eu-west-1", "D2E4F6A8B0C2D4E6F8A0B2C4D6E8F0A2"),
    ("tools", "us-east-1", "F0A2B4C6D8E0F2A4B6C8D0E2F4A6B8C0"),
];
/// Roles Anywhere trust anchors.
const ANCHORS: [&str; 2] = [
    "arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/3e7a1c5b-9d2f-4a6e-8b1c-0f5d7e9a2b4c",
    "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/8c2e4a6b-1d3f-4e5a-9b7c-2d4f6a8b0c1e",
];
/// The team as tags write it (owner or team tag), in 24 spellings.
const TEAMS: [&str; 24] = [
    "Payments",
    "platform",
    "Platform Engineering",
    "billing",
    "identity",
    "data-eng",
    "ML Infra",
    "support-tools",
    "growth",
    "security",
    "SRE",
    "mobile",
    "web",
    "search",
    "logistics",
    "finance",
    "risk",
    "analytics",
    "release-eng",
    "partner-api",
    "Core Banking",
    "fraud",
    "customer-data",
    "observability",
];
const SYSTEMS: [&str; 30] = [
    "ledger",
    "checkout",
    "orders",
    "invoices",
    "search",
    "catalog",
    "inventory",
    "shipping",
    "notifications",
    "reports",
    "analytics",
    "ingest",
    "etl",
    "billing",
    "auth",
    "profile",
    "recommendations",
    "pricing",
    "fraud",
    "kyc",
    "statements",
    "reconciliation",
    "exports",
    "audit",
    "backup",
    "metrics",
    "alerts",
    "scheduler",
    "webhooks",
    "mailer",
];
const COMPONENTS: [&str; 12] = [
    "api",
    "worker",
    "consumer",
    "sync",
    "cron",
    "batch",
    "gateway",
    "processor",
    "indexer",
    "exporter",
    "loader",
    "reader",
];

/// One AWS service's actions, by the resource they act on: `arn` with
/// `{r}` the region, `{a}` the account, `{n}` a name, `{k}` a key id;
/// `global` actions take `"Resource": "*"`.
struct Service {
    prefix: &'static str,
    arn: &'static str,
    actions: &'static [&'static str],
    global: &'static [&'static str],
}

#[rustfmt::skip]
const SERVICES: [Service; 40] = [
    Service { prefix: "s3", arn: "arn:aws:s3:::{n}/*", actions: &["GetObject", "PutObject", "DeleteObject", "GetObjectVersion", "GetObjectTagging", "PutObjectTagging", "AbortMultipartUpload", "ListMultipartUploadParts", "RestoreObject", "GetObjectAcl"], global: &["ListAllMyBuckets"] },
    Service { prefix: "s3", arn: "arn:aws:s3:::{n}", actions: &["ListBucket", "GetBucketLocation", "ListBucketVersions", "GetBucketPolicy", "GetBucketVersioning", "PutBucketNotification"], global: &[] },
    Service { prefix: "dynamodb", arn: "arn:aws:dynamodb:{r}:{a}:table/{n}", actions: &["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem", "DescribeTable", "ConditionCheckItem", "DescribeStream", "GetRecords", "GetShardIterator"], global: &["ListTables", "ListStreams"] },
    Service { prefix: "sqs", arn: "arn:aws:sqs:{r}:{a}:{n}", actions: &["SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueAttributes", "GetQueueUrl", "ChangeMessageVisibility", "PurgeQueue", "SetQueueAttributes"], global: &["ListQueues"] },
    Service { prefix: "sns", arn: "arn:aws:sns:{r}:{a}:{n}", actions: &["Publish", "Subscribe", "GetTopicAttributes", "SetTopicAttributes", "ListSubscriptionsByTopic"], global: &["ListTopics"] },
    Service { prefix: "kms", arn: "arn:aws:kms:{r}:{a}:key/{k}", actions: &["Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "DescribeKey", "ReEncryptFrom", "ReEncryptTo", "CreateGrant", "Sign", "Verify", "GetPublicKey"], global: &["ListAliases", "ListKeys"] },
    Service { prefix: "secretsmanager", arn: "arn:aws:secretsmanager:{r}:{a}:secret:{n}-*", actions: &["GetSecretValue", "DescribeSecret", "PutSecretValue", "UpdateSecretVersionStage", "RotateSecret", "ListSecretVersionIds", "TagResource"], global: &["ListSecrets", "GetRandomPassword"] },
    Service { prefix: "ssm", arn: "arn:aws:ssm:{r}:{a}:parameter/{n}/*", actions: &["GetParameter", "GetParameters", "GetParametersByPath", "PutParameter", "DeleteParameter", "GetParameterHistory"], global: &["DescribeParameters"] },
    Service { prefix: "lambda", arn: "arn:aws:lambda:{r}:{a}:function:{n}", actions: &["InvokeFunction", "GetFunction", "UpdateFunctionCode", "UpdateFunctionConfiguration", "PublishVersion", "UpdateAlias", "CreateAlias", "GetFunctionConfiguration", "ListVersionsByFunction", "AddPermission", "RemovePermission"], global: &["ListFunctions"] },
    Service { prefix: "logs", arn: "arn:aws:logs:{r}:{a}:log-group:/aws/{n}:*", actions: &["CreateLogGroup", "CreateLogStream", "PutLogEvents", "DescribeLogStreams", "GetLogEvents", "FilterLogEvents", "PutRetentionPolicy"], global: &["DescribeLogGroups", "GetQueryResults", "StopQuery"] },
    Service { prefix: "ecr", arn: "arn:aws:ecr:{r}:{a}:repository/{n}", actions: &["BatchCheckLayerAvailability", "GetDownloadUrlForLayer", "BatchGetImage", "PutImage", "InitiateLayerUpload", "UploadLayerPart", "CompleteLayerUpload", "DescribeImages", "ListImages", "DescribeRepositories"], global: &["GetAuthorizationToken"] },
    Service { prefix: "ecs", arn: "arn:aws:ecs:{r}:{a}:service/{n}/*", actions: &["UpdateService", "DescribeServices", "DeleteService"], global: &["RegisterTaskDefinition", "DescribeTaskDefinition", "DeregisterTaskDefinition", "ListTaskDefinitions", "ListClusters"] },
    Service { prefix: "ecs", arn: "arn:aws:ecs:{r}:{a}:task-definition/{n}:*", actions: &["RunTask", "StartTask"], global: &[] },
    Service { prefix: "ecs", arn: "arn:aws:ecs:{r}:{a}:task/{n}/*", actions: &["StopTask", "DescribeTasks"], global: &[] },
    Service { prefix: "ec2", arn: "arn:aws:ec2:{r}:{a}:instance/*", actions: &["StartInstances", "StopInstances", "RebootInstances", "TerminateInstances", "CreateTags", "ModifyInstanceAttribute"], global: &["DescribeInstances", "DescribeVolumes", "DescribeSnapshots", "DescribeSecurityGroups", "DescribeSubnets", "DescribeVpcs", "DescribeNetworkInterfaces", "CreateNetworkInterface", "DeleteNetworkInterface", "DescribeImages", "DescribeTags", "DescribeRegions", "DescribeAvailabilityZones"] },
    Service { prefix: "cloudwatch", arn: "arn:aws:cloudwatch:{r}:{a}:alarm:{n}-*", actions: &["PutMetricAlarm", "DescribeAlarmHistory", "SetAlarmState", "DeleteAlarms", "EnableAlarmActions", "DisableAlarmActions"], global: &["PutMetricData", "GetMetricData", "GetMetricStatistics", "ListMetrics", "DescribeAlarms"] },
    Service { prefix: "events", arn: "arn:aws:events:{r}:{a}:rule/{n}-*", actions: &["PutRule", "PutTargets", "DescribeRule", "RemoveTargets", "DeleteRule", "EnableRule", "DisableRule"], global: &[] },
    Service { prefix: "events", arn: "arn:aws:events:{r}:{a}:event-bus/{n}", actions: &["PutEvents", "DescribeEventBus"], global: &[] },
    Service { prefix: "states", arn: "arn:aws:states:{r}:{a}:stateMachine:{n}", actions: &["StartExecution", "StartSyncExecution", "ListExecutions", "DescribeStateMachine"], global: &["SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat", "ListStateMachines"] },
    Service { prefix: "states", arn: "arn:aws:states:{r}:{a}:execution:{n}:*", actions: &["DescribeExecution", "StopExecution", "GetExecutionHistory"], global: &[] },
    Service { prefix: "kinesis", arn: "arn:aws:kinesis:{r}:{a}:stream/{n}", actions: &["PutRecord", "PutRecords", "GetRecords", "GetShardIterator", "DescribeStream", "DescribeStreamSummary", "ListShards"], global: &["ListStreams"] },
    Service { prefix: "firehose", arn: "arn:aws:firehose:{r}:{a}:deliverystream/{n}", actions: &["PutRecord", "PutRecordBatch", "DescribeDeliveryStream"], global: &[] },
    Service { prefix: "rds", arn: "arn:aws:rds:{r}:{a}:db:{n}", actions: &["DescribeDBInstances", "CreateDBSnapshot", "ModifyDBInstance", "RebootDBInstance", "StartDBInstance", "StopDBInstance", "ListTagsForResource"], global: &["DescribeDBClusters", "DescribeDBEngineVersions"] },
    Service { prefix: "rds-db", arn: "arn:aws:rds-db:{r}:{a}:dbuser:*/{n}", actions: &["connect"], global: &[] },
    Service { prefix: "elasticloadbalancing", arn: "arn:aws:elasticloadbalancing:{r}:{a}:targetgroup/{n}/*", actions: &["RegisterTargets", "DeregisterTargets"], global: &["DescribeTargetHealth", "DescribeTargetGroups", "DescribeLoadBalancers", "DescribeListeners"] },
    Service { prefix: "cloudformation", arn: "arn:aws:cloudformation:{r}:{a}:stack/{n}/*", actions: &["CreateStack", "UpdateStack", "DeleteStack", "DescribeStacks", "DescribeStackEvents", "CreateChangeSet", "ExecuteChangeSet", "DescribeChangeSet", "DeleteChangeSet", "GetTemplate"], global: &["ValidateTemplate", "ListStacks"] },
    Service { prefix: "iam", arn: "arn:aws:iam::{a}:role/{n}-*", actions: &["PassRole", "GetRole", "TagRole", "ListAttachedRolePolicies", "ListRolePolicies", "GetRolePolicy"], global: &["ListRoles", "ListPolicies"] },
    Service { prefix: "sts", arn: "arn:aws:iam::{p}:role/{n}", actions: &["AssumeRole", "TagSession"], global: &["GetCallerIdentity"] },
    Service { prefix: "glue", arn: "arn:aws:glue:{r}:{a}:table/{n}/*", actions: &["GetTable", "GetTables", "GetPartitions", "GetPartition", "BatchCreatePartition", "UpdateTable", "CreateTable", "BatchGetPartition"], global: &["GetDatabases"] },
    Service { prefix: "glue", arn: "arn:aws:glue:{r}:{a}:job/{n}", actions: &["StartJobRun", "GetJobRun", "GetJobRuns", "BatchStopJobRun"], global: &[] },
    Service { prefix: "athena", arn: "arn:aws:athena:{r}:{a}:workgroup/{n}", actions: &["StartQueryExecution", "GetQueryExecution", "GetQueryResults", "StopQueryExecution", "GetWorkGroup", "BatchGetQueryExecution"], global: &["ListWorkGroups"] },
    Service { prefix: "route53", arn: "arn:aws:route53:::hostedzone/Z{k}", actions: &["ChangeResourceRecordSets", "ListResourceRecordSets", "GetHostedZone"], global: &["ListHostedZones", "GetChange"] },
    Service { prefix: "acm", arn: "arn:aws:acm:{r}:{a}:certificate/{k}", actions: &["DescribeCertificate", "GetCertificate", "AddTagsToCertificate"], global: &["ListCertificates", "RequestCertificate"] },
    Service { prefix: "xray", arn: "*", actions: &[], global: &["PutTraceSegments", "PutTelemetryRecords", "GetSamplingRules", "GetSamplingTargets", "GetSamplingStatisticSummaries"] },
    Service { prefix: "eks", arn: "arn:aws:eks:{r}:{a}:cluster/{n}", actions: &["DescribeCluster", "AccessKubernetesApi", "ListNodegroups", "DescribeUpdate"], global: &["ListClusters"] },
    Service { prefix: "bedrock", arn: "arn:aws:bedrock:{r}::foundation-model/*", actions: &["InvokeModel", "InvokeModelWithResponseStream"], global: &["ListFoundationModels"] },
    Service { prefix: "cloudfront", arn: "arn:aws:cloudfront::{a}:distribution/*", actions: &["CreateInvalidation", "GetInvalidation", "GetDistribution", "ListInvalidations"], global: &[] },
    Service { prefix: "ses", arn: "arn:aws:ses:{r}:{a}:identity/*", actions: &["SendEmail", "SendRawEmail", "SendTemplatedEmail"], global: &[] },
    Service { prefix: "codebuild", arn: "arn:aws:codebuild:{r}:{a}:project/{n}", actions: &["StartBuild", "BatchGetBuilds", "StopBuild", "RetryBuild"], global: &[] },
    Service { prefix: "es", arn: "arn:aws:es:{r}:{a}:domain/{n}/*", actions: &["ESHttpGet", "ESHttpPost", "ESHttpPut", "ESHttpDelete", "ESHttpHead"], global: &[] },
];

/// What accounts deny their workloads, as guardrails.
const DENIED: [&str; 12] = [
    "s3:DeleteBucket",
    "s3:PutBucketPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
    "iam:CreateUser",
    "iam:CreateAccessKey",
    "dynamodb:DeleteTable",
    "rds:DeleteDBInstance",
    "logs:DeleteLogGroup",
    "ec2:DeleteVpc",
    "cloudtrail:StopLogging",
    "cloudtrail:DeleteTrail",
];

// ---------------------------------------------------------------------------
// the export's shapes, in the order the AWS CLI prints their keys

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Export<U, R> {
    user_detail_list: U,
    group_detail_list: Vec<Group>,
    role_detail_list: R,
    policies: Vec<Policy>,
}

/// A list written item by item as it is serialised, so the export of a
/// large account is never held whole in memory.
struct Seq<F>(usize, F);

impl<T: Serialize, F: Fn(usize) -> T> Serialize for Seq<F> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq((0..self.0).map(&self.1))
    }
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Document {
    version: &'static str,
    statement: Vec<Statement>,
}

type Conditions = BTreeMap<&'static str, BTreeMap<String, Value>>;

#[derive(Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Statement {
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    effect: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    not_action: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<Value>,
    #[serde(skip_serializing_if = "Conditions::is_empty")]
    condition: Conditions,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Role {
    path: String,
    role_name: String,
    role_id: String,
    arn: String,
    create_date: String,
    assume_role_policy_document: Document,
    instance_profile_list: Vec<InstanceProfile>,
    role_policy_list: Vec<Inline>,
    attached_managed_policies: Vec<Attached>,
    #[serde(skip_serializing_if = "Option::is_none")]
    permissions_boundary: Option<Boundary>,
    tags: Vec<Tag>,
    role_last_used: LastUsed,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InstanceProfile {
    path: String,
    instance_profile_name: String,
    instance_profile_id: String,
    arn: String,
    create_date: String,
    roles: Vec<ProfileRole>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProfileRole {
    path: String,
    role_name: String,
    role_id: String,
    arn: String,
    create_date: String,
    assume_role_policy_document: Document,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Inline {
    policy_name: String,
    policy_document: Document,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Attached {
    policy_name: String,
    policy_arn: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Boundary {
    permissions_boundary_type: &'static str,
    permissions_boundary_arn: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Tag {
    key: &'static str,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct LastUsed {
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Policy {
    policy_name: String,
    policy_id: String,
    arn: String,
    path: &'static str,
    default_version_id: String,
    attachment_count: usize,
    permissions_boundary_usage_count: usize,
    is_attachable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    create_date: String,
    update_date: String,
    policy_version_list: Vec<Version>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Version {
    document: Document,
    version_id: String,
    is_default_version: bool,
    create_date: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct User {
    path: &'static str,
    user_name: String,
    user_id: String,
    arn: String,
    create_date: String,
    user_policy_list: Vec<Inline>,
    group_list: Vec<String>,
    attached_managed_policies: Vec<Attached>,
    tags: Vec<Tag>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Group {
    path: &'static str,
    group_name: String,
    group_id: String,
    arn: String,
    create_date: String,
    group_policy_list: Vec<Inline>,
    attached_managed_policies: Vec<Attached>,
}

// ---------------------------------------------------------------------------
// small pieces

/// A generator of its own for each item, so any item can be made alone.
fn rng_for(kind: u64, i: usize) -> Rng {
    // splitmix64 of the kind and index: well-spread, never zero
    let mut z = (kind << 40 ^ i as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    Rng::new((z ^ (z >> 31)) | 1)
}

/// An IAM unique id: the prefix and 17 characters, 21 in all.
fn unique_id(prefix: &str, rng: &mut Rng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut id = String::with_capacity(21);
    id.push_str(prefix);
    while id.len() < 21 {
        id.push(char::from(ALPHABET[rng.below(ALPHABET.len())]));
    }
    id
}

fn hex(rng: &mut Rng, len: usize) -> String {
    (0..len)
        .map(|_| char::from(b"0123456789abcdef"[rng.below(16)]))
        .collect()
}

/// A key id, certificate id or trust anchor id: a UUID.
fn uuid(rng: &mut Rng) -> String {
    format!(
        "{}-{}-4{}-{}-{}",
        hex(rng, 8),
        hex(rng, 4),
        hex(rng, 3),
        hex(rng, 4),
        hex(rng, 12)
    )
}

/// A date the IAM API would print, in `from..=to`.
fn date(rng: &mut Rng, from: usize, to: usize) -> String {
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
        from + rng.below(to - from + 1),
        1 + rng.below(12),
        1 + rng.below(28),
        rng.below(24),
        rng.below(60),
        rng.below(60)
    )
}

fn one_or_many(mut items: Vec<String>) -> Value {
    if items.len() == 1 {
        Value::String(items.remove(0))
    } else {
        Value::from(items)
    }
}

fn pascal(words: &str) -> String {
    words
        .split(['-', '_', ' '])
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or_else(String::new, |f| {
                f.to_ascii_uppercase().to_string() + c.as_str()
            })
        })
        .collect()
}

fn document(statement: Vec<Statement>) -> Document {
    Document {
        version: "2012-10-17",
        statement,
    }
}

/// What a role or user is about: its system, component, team and region.
struct Context {
    system: String,
    team: &'static str,
    region: &'static str,
}

impl Context {
    fn of(i: usize, rng: &mut Rng) -> Self {
        Self {
            system: format!(
                "{}-{}",
                SYSTEMS[i % SYSTEMS.len()],
                COMPONENTS[(i / SYSTEMS.len()) % COMPONENTS.len()]
            ),
            team: TEAMS[(i / 3) % TEAMS.len()],
            // most of an account in its home region
            region: match rng.below(10) {
                0..=5 => REGIONS[0],
                6 | 7 => REGIONS[1],
                8 => REGIONS[2],
                _ => REGIONS[3],
            },
        }
    }
}

// ---------------------------------------------------------------------------
// permissions

/// One statement of an identity's own policy: a few actions of one
/// service (`SERVICES[service]`, else any) on its resources, sometimes
/// under a condition.
fn statement(
    rng: &mut Rng,
    cx: &Context,
    sid: Option<String>,
    service: Option<usize>,
) -> Statement {
    if rng.below(10) == 0 {
        return deny(rng, sid);
    }
    let service = &SERVICES[service.unwrap_or_else(|| rng.below(SERVICES.len()))];
    let global = service.actions.is_empty() || (!service.global.is_empty() && rng.below(5) == 0);
    let pool = if global {
        service.global
    } else {
        service.actions
    };
    let mut actions: Vec<String> = Vec::new();
    if rng.below(25) == 0 {
        actions.push(format!("{}:*", service.prefix));
    } else {
        for _ in 0..1 + rng.below(5.min(pool.len())) {
            let a = format!("{}:{}", service.prefix, rng.pick(pool));
            if !actions.contains(&a) {
                actions.push(a);
            }
        }
    }
    let resources = if global {
        vec!["*".to_owned()]
    } else {
        let names = [
            cx.system.clone(),
            format!("{}-prod", cx.system),
            format!("{}-staging", cx.system),
            format!("{}-{}", SYSTEMS[rng.below(SYSTEMS.len())], cx.region),
        ];
        (0..1 + rng.below(2))
            .map(|_| {
                service
                    .arn
                    .replace("{r}", cx.region)
                    .replace("{a}", ACCOUNT)
                    .replace("{p}", PARTNERS[rng.below(PARTNERS.len())])
                    .replace("{n}", &names[rng.below(names.len())])
                    .replace("{k}", &uuid(rng))
            })
            .fold(Vec::new(), |mut all, arn| {
                if !all.contains(&arn) {
                    all.push(arn);
                }
                all
            })
    };
    Statement {
        sid,
        effect: "Allow",
        action: Some(one_or_many(actions)),
        resource: Some(one_or_many(resources)),
        condition: if rng.below(5) == 0 {
            condition(rng, cx, service.prefix)
        } else {
            Conditions::new()
        },
        ..Statement::default()
    }
}

fn deny(rng: &mut Rng, sid: Option<String>) -> Statement {
    let actions: Vec<String> = (0..1 + rng.below(3))
        .map(|k| DENIED[(rng.below(DENIED.len()) + k) % DENIED.len()].to_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut condition = Conditions::new();
    if rng.below(4) == 0 {
        condition.insert(
            "Bool",
            [("aws:MultiFactorAuthPresent".to_owned(), json!("false"))].into(),
        );
    }
    Statement {
        sid,
        effect: "Deny",
        action: Some(one_or_many(actions)),
        resource: Some(json!("*")),
        condition,
        ..Statement::default()
    }
}

fn condition(rng: &mut Rng, cx: &Context, prefix: &str) -> Conditions {
    let (op, key, value) = match (prefix, rng.below(6)) {
        ("kms", _) => (
            "StringEquals",
            "kms:ViaService",
            json!(format!("s3.{}.amazonaws.com", cx.region)),
        ),
        ("s3", 0) => (
            "StringLike",
            "s3:prefix",
            json!([format!("{}/*", cx.system), "shared/*"]),
        ),
        (_, 0 | 1) => ("Bool", "aws:SecureTransport", json!("true")),
        (_, 2) => ("StringEquals", "aws:RequestedRegion", json!([cx.region])),
        (_, 3) => (
            "StringEquals",
            "aws:ResourceTag/team",
            json!(crate_label(cx.team)),
        ),
        (_, 4) => (
            "StringEquals",
            "aws:SourceVpce",
            json!(format!("vpce-0{}", hex(rng, 16))),
        ),
        _ => (
            "IpAddress",
            "aws:SourceIp",
            json!(["10.0.0.0/8", "172.16.0.0/12"]),
        ),
    };
    [(op, [(key.to_owned(), value)].into())].into()
}

fn crate_label(team: &str) -> String {
    team.to_ascii_lowercase().replace(' ', "-")
}

/// A statement id as people and consoles write them, or none.
fn sid(rng: &mut Rng, policy: &str, k: usize) -> Option<String> {
    match rng.below(10) {
        0..=3 => None,
        4 | 5 => Some(format!("VisualEditor{k}")),
        6 => Some(format!("Stmt15{:011}", rng.below(99_999_999_999))),
        _ => Some(format!("{}{}", pascal(policy), k + 1)),
    }
}

/// An inline policy of 2–6 statements.
fn inline(rng: &mut Rng, cx: &Context, role: &str, k: usize) -> Inline {
    // a policy named after a service grants mostly that service
    let service = rng.below(SERVICES.len());
    let svc = SERVICES[service].prefix;
    let named = rng.below(8);
    let name = match named {
        0 => format!("{role}-policy"),
        1 => format!("{svc}-access"),
        2 => "default".to_owned(),
        3 => format!("{}-{svc}", cx.system),
        4 => format!("{}Permissions{k}", pascal(&cx.system)),
        5 => format!("inline-{k}"),
        6 => format!("{role}-{svc}-{k}"),
        _ => format!("allow-{svc}"),
    };
    let statements = (0..2 + rng.below(5))
        .map(|s| {
            let sid = sid(rng, &name, s);
            let prefer = [1, 3, 6, 7].contains(&named) && rng.below(3) > 0;
            statement(rng, cx, sid, prefer.then_some(service))
        })
        .collect();
    Inline {
        policy_name: name,
        policy_document: document(statements),
    }
}

/// The statement locking a role to its region, written with `NotAction`.
fn region_lock(cx: &Context) -> Inline {
    let mut condition = Conditions::new();
    condition.insert(
        "StringNotEquals",
        [("aws:RequestedRegion".to_owned(), json!([cx.region]))].into(),
    );
    Inline {
        policy_name: "region-lock".to_owned(),
        policy_document: document(vec![Statement {
            sid: Some("DenyOutsideHomeRegion".to_owned()),
            effect: "Deny",
            not_action: Some(json!([
                "iam:*",
                "sts:*",
                "cloudfront:*",
                "route53:*",
                "support:*"
            ])),
            resource: Some(json!("*")),
            condition,
            ..Statement::default()
        }]),
    }
}

// ---------------------------------------------------------------------------
// managed policies

/// The AWS managed policies the account's roles attach: name, path and
/// statements (actions and resource), shortened from AWS's own.
type Managed = (
    &'static str,
    &'static str,
    &'static [(&'static [&'static str], &'static str)],
);

#[rustfmt::skip]
const AWS_MANAGED: [Managed; 14] = [
    ("ReadOnlyAccess", "/", &[(&["s3:Get*", "s3:List*", "ec2:Describe*", "cloudwatch:Get*", "cloudwatch:List*", "logs:Describe*", "logs:Get*", "dynamodb:Describe*", "dynamodb:List*", "lambda:Get*", "lambda:List*", "sqs:Get*", "sqs:List*"], "*")]),
    ("AmazonS3ReadOnlyAccess", "/", &[(&["s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*", "s3-object-lambda:List*"], "*")]),
    ("AWSLambdaBasicExecutionRole", "/service-role/", &[(&["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "*")]),
    ("AWSLambdaVPCAccessExecutionRole", "/service-role/", &[(&["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"], "*")]),
    ("AmazonSSMManagedInstanceCore", "/", &[
        (&["ssm:DescribeAssociation", "ssm:GetDeployablePatchSnapshotForInstance", "ssm:GetDocument", "ssm:DescribeDocument", "ssm:GetManifest", "ssm:GetParameter", "ssm:GetParameters", "ssm:ListAssociations", "ssm:ListInstanceAssociations", "ssm:PutInventory", "ssm:PutComplianceItems", "ssm:PutConfigurePackageResult", "ssm:UpdateAssociationStatus", "ssm:UpdateInstanceAssociationStatus", "ssm:UpdateInstanceInformation"], "*"),
        (&["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"], "*"),
        (&["ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage", "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply"], "*"),
    ]),
    ("CloudWatchAgentServerPolicy", "/", &[
        (&["cloudwatch:PutMetricData", "ec2:DescribeVolumes", "ec2:DescribeTags", "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:DescribeLogGroups", "logs:CreateLogStream", "logs:CreateLogGroup"], "*"),
        (&["ssm:GetParameter"], "arn:aws:ssm:*:*:parameter/AmazonCloudWatch-*"),
    ]),
    ("AmazonEC2ContainerRegistryReadOnly", "/", &[(&["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:GetRepositoryPolicy", "ecr:DescribeRepositories", "ecr:ListImages", "ecr:DescribeImages", "ecr:BatchGetImage", "ecr:GetLifecyclePolicy", "ecr:GetLifecyclePolicyPreview", "ecr:ListTagsForResource", "ecr:DescribeImageScanFindings"], "*")]),
    ("AWSXRayDaemonWriteAccess", "/", &[(&["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"], "*")]),
    ("AmazonECSTaskExecutionRolePolicy", "/service-role/", &[(&["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "logs:CreateLogStream", "logs:PutLogEvents"], "*")]),
    ("AdministratorAccess", "/", &[(&["*"], "*")]),
    ("ViewOnlyAccess", "/job-function/", &[(&["cloudwatch:Describe*", "cloudwatch:List*", "ec2:Describe*", "s3:ListAllMyBuckets", "s3:ListBucket", "iam:List*", "lambda:List*"], "*")]),
    ("AutoScalingServiceRolePolicy", "/aws-service-role/", &[(&["ec2:AttachClassicLinkVpc", "ec2:CancelSpotInstanceRequests", "ec2:CreateFleet", "ec2:CreateTags", "ec2:DeleteTags", "ec2:Describe*", "ec2:RunInstances", "ec2:TerminateInstances", "elasticloadbalancing:Register*", "elasticloadbalancing:Deregister*", "elasticloadbalancing:Describe*"], "*")]),
    ("AmazonECSServiceRolePolicy", "/aws-service-role/", &[(&["ec2:AttachNetworkInterface", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:Describe*", "elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:Describe*", "elasticloadbalancing:RegisterTargets", "route53:ChangeResourceRecordSets", "servicediscovery:DeregisterInstance", "servicediscovery:RegisterInstance"], "*")]),
    ("AWSSupportServiceRolePolicy", "/aws-service-role/", &[(&["support:*", "trustedadvisor:Describe*", "iam:GetRole", "iam:ListRoles", "ec2:Describe*"], "*")]),
];

/// The statements of an AWS managed policy.
fn aws_managed_statements(managed: &Managed) -> Vec<Statement> {
    managed
        .2
        .iter()
        .map(|(actions, resource)| Statement {
            effect: "Allow",
            action: Some(json!(actions)),
            resource: Some(json!(resource)),
            ..Statement::default()
        })
        .collect()
}

fn aws_managed_arn(name: &str, path: &str) -> String {
    format!("arn:aws:iam::aws:policy{path}{name}")
}

/// What the workloads attach, by index into [`AWS_MANAGED`].
const WORKLOAD_MANAGED: [usize; 9] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const SSO_MANAGED: [usize; 2] = [9, 10];
const LINKED_MANAGED: [usize; 3] = [11, 12, 13];

/// The customer-managed policy `k` of the pool: its name and ARN.
fn customer_policy(k: usize) -> (String, String) {
    let cx = Context::of(k * 7 + 3, &mut rng_for(5, k));
    let kind = ["read", "write", "ops", "deploy", "shared"][k % 5];
    let name = format!("{}-{}-{kind}-{k}", crate_label(cx.team), cx.system);
    let arn = format!("arn:aws:iam::{ACCOUNT}:policy/{name}");
    (name, arn)
}

const BOUNDARY: &str = "arn:aws:iam::123456789012:policy/boundaries/workload-boundary";

fn policies(pool: usize) -> Vec<Policy> {
    let mut out: Vec<Policy> = (0..pool).map(customer).collect();
    for (k, managed) in AWS_MANAGED.iter().enumerate() {
        let (name, path, _) = *managed;
        let mut rng = rng_for(6, k);
        out.push(Policy {
            policy_id: unique_id("ANPA", &mut rng),
            arn: aws_managed_arn(name, path),
            policy_name: name.to_owned(),
            path,
            default_version_id: "v1".to_owned(),
            attachment_count: 1 + rng.below(400),
            permissions_boundary_usage_count: 0,
            is_attachable: true,
            description: None,
            create_date: date(&mut rng, 2015, 2018),
            update_date: date(&mut rng, 2019, 2025),
            policy_version_list: vec![Version {
                document: document(aws_managed_statements(managed)),
                version_id: "v1".to_owned(),
                is_default_version: true,
                create_date: date(&mut rng, 2019, 2025),
            }],
        });
    }
    let mut rng = rng_for(7, 0);
    let cx = Context::of(0, &mut rng);
    out.push(Policy {
        policy_name: "workload-boundary".to_owned(),
        policy_id: unique_id("ANPA", &mut rng),
        arn: BOUNDARY.to_owned(),
        path: "/boundaries/",
        default_version_id: "v1".to_owned(),
        attachment_count: 0,
        permissions_boundary_usage_count: pool,
        is_attachable: true,
        description: Some("The most any workload role may do".to_owned()),
        create_date: date(&mut rng, 2021, 2022),
        update_date: date(&mut rng, 2023, 2024),
        policy_version_list: vec![Version {
            document: document(vec![
                Statement {
                    effect: "Allow",
                    action: Some(json!("*")),
                    resource: Some(json!("*")),
                    ..Statement::default()
                },
                deny(&mut rng, Some("DenyGuardrails".to_owned())),
                region_lock(&cx).policy_document.statement.remove(0),
            ]),
            version_id: "v1".to_owned(),
            is_default_version: true,
            create_date: date(&mut rng, 2023, 2024),
        }],
    });
    out
}

/// Customer-managed policy `k`: 1–3 versions, the newest the default.
fn customer(k: usize) -> Policy {
    let (name, arn) = customer_policy(k);
    let mut rng = rng_for(4, k);
    let cx = Context::of(k * 7 + 3, &mut rng);
    let versions = 1 + rng.below(3);
    Policy {
        policy_name: name.clone(),
        policy_id: unique_id("ANPA", &mut rng),
        arn,
        path: "/",
        default_version_id: format!("v{versions}"),
        attachment_count: 1 + rng.below(40),
        permissions_boundary_usage_count: 0,
        is_attachable: true,
        description: (rng.below(2) == 0)
            .then(|| format!("Shared access to {} for the {} team", cx.system, cx.team)),
        create_date: date(&mut rng, 2020, 2022),
        update_date: date(&mut rng, 2023, 2025),
        policy_version_list: (1..=versions)
            .map(|v| Version {
                document: document(
                    (0..2 + rng.below(5))
                        .map(|s| {
                            let sid = sid(&mut rng, &name, s);
                            statement(&mut rng, &cx, sid, None)
                        })
                        .collect(),
                ),
                version_id: format!("v{v}"),
                is_default_version: v == versions,
                create_date: date(&mut rng, 2020 + v, 2020 + v),
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------
// roles

/// The services whose service-linked roles the account holds: their
/// principal and the role's name.
const LINKED: [(&str, &str); 5] = [
    ("autoscaling", "AutoScaling"),
    ("ecs", "ECS"),
    ("elasticloadbalancing", "ElasticLoadBalancing"),
    ("rds", "RDS"),
    ("support", "Support"),
];

/// How a role is assumed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Trust {
    GitHub,
    Eks,
    Lambda,
    Ec2,
    Ecs,
    Partner,
    RolesAnywhere,
    ServiceLinked,
    Sso,
}

impl Trust {
    fn of(i: usize, rng: &mut Rng) -> Self {
        if i % 250 == 7 {
            return Self::Sso;
        }
        match rng.below(100) {
            0..5 => Self::ServiceLinked,
            5..29 => Self::GitHub,
            29..51 => Self::Eks,
            51..69 => Self::Lambda,
            69..79 => Self::Ec2,
            79..85 => Self::Ecs,
            85..94 => Self::Partner,
            _ => Self::RolesAnywhere,
        }
    }
}

/// The role's path and name.
fn role_name(trust: Trust, i: usize, cx: &Context, rng: &mut Rng) -> (String, String) {
    let sys = &cx.system;
    match trust {
        Trust::GitHub => (
            "/".into(),
            match rng.below(3) {
                0 => format!(
                    "gha-{sys}-{}-{i}",
                    rng.pick(&[
                        "deploy",
                        "release",
                        "ci",
                        "terraform-plan",
                        "terraform-apply"
                    ])
                ),
                1 => format!("GitHubActions{}Deploy{i}", pascal(sys)),
                _ => format!("github-{sys}-{i}"),
            },
        ),
        Trust::Eks => (
            "/".into(),
            format!("{}-{sys}-{i}-irsa", CLUSTERS[i % CLUSTERS.len()].0),
        ),
        Trust::Lambda if rng.below(2) == 0 => (
            "/service-role/".into(),
            format!("{sys}-{i}-role-{}", hex(rng, 8)),
        ),
        Trust::Lambda => ("/".into(), format!("{}Lambda{i}", pascal(sys))),
        Trust::Ec2 => ("/".into(), format!("{sys}-ec2-{i}")),
        Trust::Ecs => (
            "/service-role/".into(),
            format!("{}TaskRole{i}", pascal(sys)),
        ),
        Trust::Partner => (
            "/".into(),
            format!(
                "{}-cross-account-{sys}-{i}",
                rng.pick(&["datadog", "snowflake", "vendor", "audit", "tools"])
            ),
        ),
        Trust::RolesAnywhere => ("/".into(), format!("{sys}-onprem-{i}")),
        Trust::ServiceLinked => {
            let (svc, role) = LINKED[i % LINKED.len()];
            (
                format!("/aws-service-role/{svc}.amazonaws.com/"),
                format!("AWSServiceRoleFor{role}_{i}"),
            )
        }
        Trust::Sso => (
            "/aws-reserved/sso.amazonaws.com/eu-west-1/".into(),
            format!(
                "AWSReservedSSO_{}_{}",
                ["AdministratorAccess", "ReadOnly", "Developer", "Billing"][i % 4],
                hex(rng, 16)
            ),
        ),
    }
}

/// One condition key and its value.
fn one(key: &str, value: Value) -> BTreeMap<String, Value> {
    BTreeMap::from([(key.to_owned(), value)])
}

/// A web identity federation with `host`, its subjects under `op`.
fn web_identity(s: &mut Statement, host: &str, op: &'static str, sub: Value) {
    s.principal = Some(json!({
        "Federated": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{host}")
    }));
    s.action = Some(json!("sts:AssumeRoleWithWebIdentity"));
    let aud = (format!("{host}:aud"), json!("sts.amazonaws.com"));
    s.condition.entry("StringEquals").or_default().extend([aud]);
    s.condition
        .entry(op)
        .or_default()
        .insert(format!("{host}:sub"), sub);
}

/// GitHub Actions: a branch, an environment, both, or any ref of a repo.
fn github(s: &mut Statement, i: usize, cx: &Context, rng: &mut Rng) {
    let repo = format!("repo:acme/{}-{i}", cx.system);
    let main = format!("{repo}:ref:refs/heads/main");
    let production = format!("{repo}:environment:production");
    let (op, sub) = match rng.below(4) {
        0 => ("StringLike", json!(format!("{repo}:*"))),
        1 => ("StringEquals", json!([main, production])),
        2 => ("StringEquals", json!(production)),
        _ => ("StringEquals", json!(main)),
    };
    web_identity(s, "token.actions.githubusercontent.com", op, sub);
}

/// The trust policy's one statement.
fn trust_statement(trust: Trust, i: usize, cx: &Context, rng: &mut Rng) -> Statement {
    let mut s = Statement {
        effect: "Allow",
        action: Some(json!("sts:AssumeRole")),
        ..Statement::default()
    };
    let service = |name: &str| Some(json!({ "Service": name }));
    match trust {
        Trust::GitHub => github(&mut s, i, cx, rng),
        Trust::Eks => {
            let (_, region, id) = CLUSTERS[i % CLUSTERS.len()];
            let host = format!("oidc.eks.{region}.amazonaws.com/id/{id}");
            let account = format!(
                "system:serviceaccount:{}:{}-{i}",
                crate_label(cx.team),
                cx.system
            );
            web_identity(&mut s, &host, "StringEquals", json!(account));
        }
        Trust::Lambda => s.principal = service("lambda.amazonaws.com"),
        Trust::Ec2 => s.principal = service("ec2.amazonaws.com"),
        Trust::Ecs => s.principal = service("ecs-tasks.amazonaws.com"),
        Trust::Partner => {
            let partner = PARTNERS[i % PARTNERS.len()];
            let principal = if rng.below(2) == 0 {
                format!("arn:aws:iam::{partner}:root")
            } else {
                format!("arn:aws:iam::{partner}:role/{}-integration", cx.system)
            };
            s.principal = Some(json!({ "AWS": principal }));
            if rng.below(2) == 0 {
                let external = json!(format!("{}-{}", cx.system, hex(rng, 12)));
                s.condition
                    .insert("StringEquals", one("sts:ExternalId", external));
            }
        }
        Trust::RolesAnywhere => {
            s.principal = service("rolesanywhere.amazonaws.com");
            s.action = Some(json!([
                "sts:AssumeRole",
                "sts:TagSession",
                "sts:SetSourceIdentity"
            ]));
            // one role in seven trusts the second anchor
            s.condition
                .insert("ArnEquals", one("aws:SourceArn", json!(ANCHORS[i % 7 / 6])));
            let cn = json!(format!("{}-{i}.onprem.example.com", cx.system));
            s.condition
                .insert("StringEquals", one("aws:PrincipalTag/x509Subject/CN", cn));
        }
        Trust::ServiceLinked => {
            s.principal = service(&format!("{}.amazonaws.com", LINKED[i % LINKED.len()].0));
        }
        Trust::Sso => {
            let provider = format!("AWSSSO_{}_DO_NOT_DELETE", hex(rng, 16));
            s.principal = Some(json!({
                "Federated": format!("arn:aws:iam::{ACCOUNT}:saml-provider/{provider}")
            }));
            s.action = Some(json!(["sts:AssumeRoleWithSAML", "sts:TagSession"]));
            let aud = json!("https://signin.aws.amazon.com/saml");
            s.condition.insert("StringEquals", one("SAML:aud", aud));
        }
    }
    s
}

fn tags(rng: &mut Rng, cx: &Context) -> Vec<Tag> {
    let mut tags = Vec::new();
    if rng.below(10) < 9 {
        let key = rng.pick(&["owner", "team", "Owner", "Team"]);
        tags.push(Tag {
            key,
            value: cx.team.to_owned(),
        });
    }
    if rng.below(10) < 7 {
        let what = rng.pick(&[
            "Reads and writes",
            "Publishes",
            "Consumes",
            "Deploys",
            "Reconciles",
            "Exports",
        ]);
        tags.push(Tag {
            key: "purpose",
            value: format!("{what} {} data for the {} team", cx.system, cx.team),
        });
    }
    if rng.below(10) < 6 {
        tags.push(Tag {
            key: "cost-center",
            value: format!("cc-{:04}", 1000 + rng.below(250)),
        });
    }
    if rng.below(2) == 0 {
        tags.push(Tag {
            key: "environment",
            value: rng.pick(&["production", "staging", "shared"]).to_owned(),
        });
    }
    if rng.below(3) == 0 {
        tags.push(Tag {
            key: "managed-by",
            value: rng.pick(&["terraform", "cloudformation", "cdk"]).to_owned(),
        });
    }
    tags
}

fn attached(rng: &mut Rng, trust: Trust, pool: usize) -> Vec<Attached> {
    let aws = |k: usize| {
        let (name, path, _) = AWS_MANAGED[k];
        Attached {
            policy_name: (*name).to_owned(),
            policy_arn: aws_managed_arn(name, path),
        }
    };
    match trust {
        Trust::ServiceLinked => return vec![aws(LINKED_MANAGED[rng.below(LINKED_MANAGED.len())])],
        Trust::Sso => return vec![aws(SSO_MANAGED[rng.below(SSO_MANAGED.len())])],
        _ => {}
    }
    let mut out: Vec<Attached> = (0..rng.below(3))
        .map(|_| {
            let (policy_name, policy_arn) = customer_policy(rng.below(pool));
            Attached {
                policy_name,
                policy_arn,
            }
        })
        .collect();
    match trust {
        Trust::Lambda => out.push(aws(2 + rng.below(2))),
        Trust::Ec2 => out.push(aws(4)),
        Trust::Ecs => out.push(aws(8)),
        _ if rng.below(6) == 0 => {
            out.push(aws(WORKLOAD_MANAGED[rng.below(WORKLOAD_MANAGED.len())]))
        }
        _ => {}
    }
    out.dedup_by(|a, b| a.policy_arn == b.policy_arn);
    out
}

/// Role `i` of an account of `n`.
fn role(i: usize, pool: usize) -> Role {
    let mut rng = rng_for(1, i);
    let trust = Trust::of(i, &mut rng);
    let cx = Context::of(i, &mut rng);
    let (path, name) = role_name(trust, i, &cx, &mut rng);
    let arn = format!("arn:aws:iam::{ACCOUNT}:role{path}{name}");
    let role_id = unique_id("AROA", &mut rng);
    let create_date = date(&mut rng, 2019, 2025);
    let trust_doc = document(vec![trust_statement(trust, i, &cx, &mut rng)]);
    let own = !matches!(trust, Trust::ServiceLinked | Trust::Sso);
    let mut policies: Vec<Inline> = if own {
        (0..1 + rng.below(4))
            .map(|k| inline(&mut rng, &cx, &name, k))
            .collect()
    } else {
        Vec::new()
    };
    if own && rng.below(30) == 0 {
        policies.push(region_lock(&cx));
    }
    let instance_profile_list = if trust == Trust::Ec2 {
        vec![InstanceProfile {
            path: path.clone(),
            instance_profile_name: name.clone(),
            instance_profile_id: unique_id("AIPA", &mut rng),
            arn: format!("arn:aws:iam::{ACCOUNT}:instance-profile{path}{name}"),
            create_date: create_date.clone(),
            roles: vec![ProfileRole {
                path: path.clone(),
                role_name: name.clone(),
                role_id: role_id.clone(),
                arn: arn.clone(),
                create_date: create_date.clone(),
                assume_role_policy_document: trust_doc.clone(),
            }],
        }]
    } else {
        Vec::new()
    };
    let used = rng.below(10) < 7;
    Role {
        attached_managed_policies: attached(&mut rng, trust, pool),
        permissions_boundary: (own && rng.below(7) == 0).then(|| Boundary {
            permissions_boundary_type: "Policy",
            permissions_boundary_arn: BOUNDARY.to_owned(),
        }),
        tags: if own { tags(&mut rng, &cx) } else { Vec::new() },
        role_last_used: LastUsed {
            last_used_date: used.then(|| {
                format!(
                    "2026-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
                    1 + rng.below(10),
                    1 + rng.below(28),
                    rng.below(24),
                    rng.below(60),
                    rng.below(60)
                )
            }),
            region: used.then_some(cx.region),
        },
        path,
        role_name: name,
        role_id,
        arn,
        create_date,
        assume_role_policy_document: trust_doc,
        instance_profile_list,
        role_policy_list: policies,
    }
}

// ---------------------------------------------------------------------------
// users and groups

fn group_name(g: usize) -> String {
    let kind = ["deployers", "readers", "operators", "integrations", "ci"][g % 5];
    format!("{}-{kind}-{g}", crate_label(TEAMS[g % TEAMS.len()]))
}

fn group(g: usize, pool: usize) -> Group {
    let mut rng = rng_for(3, g);
    let cx = Context::of(g * 11, &mut rng);
    let name = group_name(g);
    Group {
        path: "/",
        arn: format!("arn:aws:iam::{ACCOUNT}:group/{name}"),
        group_id: unique_id("AGPA", &mut rng),
        create_date: date(&mut rng, 2018, 2024),
        group_policy_list: (0..rng.below(2))
            .map(|k| inline(&mut rng, &cx, &name, k))
            .collect(),
        attached_managed_policies: (0..rng.below(3))
            .map(|_| {
                let (policy_name, policy_arn) = customer_policy(rng.below(pool));
                Attached {
                    policy_name,
                    policy_arn,
                }
            })
            .collect(),
        group_name: name,
    }
}

fn user(u: usize, groups: usize, pool: usize) -> User {
    let mut rng = rng_for(2, u);
    let cx = Context::of(u * 13 + 5, &mut rng);
    let name = match rng.below(10) {
        0..=5 => format!("svc-{}-{u}", cx.system),
        6 | 7 => format!("{}-ci-{u}", cx.system),
        _ => format!(
            "{}.{}{u}",
            rng.pick(&[
                "ana", "ben", "chen", "dara", "eli", "fatima", "goran", "hana"
            ]),
            rng.pick(&[
                "silva", "okafor", "li", "novak", "schmidt", "tanaka", "haddad"
            ])
        ),
    };
    let mut group_list: Vec<String> = (0..1 + rng.below(2))
        .map(|_| group_name(rng.below(groups)))
        .collect();
    group_list.dedup();
    User {
        path: if rng.below(4) == 0 { "/system/" } else { "/" },
        arn: format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
        user_id: unique_id("AIDA", &mut rng),
        create_date: date(&mut rng, 2016, 2024),
        user_policy_list: (0..rng.below(2))
            .map(|k| inline(&mut rng, &cx, &name, k))
            .collect(),
        group_list,
        attached_managed_policies: (0..rng.below(2))
            .map(|_| {
                let (policy_name, policy_arn) = customer_policy(rng.below(pool));
                Attached {
                    policy_name,
                    policy_arn,
                }
            })
            .collect(),
        tags: tags(&mut rng, &cx),
        user_name: name,
    }
}

// ---------------------------------------------------------------------------

/// How many of each the export holds.
pub(crate) struct Counts {
    pub(crate) users: usize,
    pub(crate) bytes: u64,
}

/// Write the export of an account of `n` roles to `path`.
pub(crate) fn generate(path: &Path, n: usize) -> Counts {
    let pool = (n / 20).max(20);
    let users = n / 10;
    let groups = (n / 100).max(5);
    let export = Export {
        user_detail_list: Seq(users, |u| user(u, groups, pool)),
        group_detail_list: (0..groups).map(|g| group(g, pool)).collect(),
        role_detail_list: Seq(n, |i| role(i, pool)),
        policies: policies(pool),
    };
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    export.serialize(&mut serializer).unwrap();
    out.write_all(b"\n").unwrap();
    out.flush().unwrap();
    drop(out);
    Counts {
        users,
        bytes: std::fs::metadata(path).unwrap().len(),
    }
}
