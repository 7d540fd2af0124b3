//! The AWS backend: artifacts in one S3 bucket, runs in one DynamoDB table.
//!
//! One `SdkConfig` is loaded once (cold start) and each client is built once from it; the
//! standard `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3` and `AWS_ENDPOINT_URL_DYNAMODB` variables
//! are honoured by `aws-config`. When an endpoint override is set, S3 uses path-style
//! addressing (`http://host:port/bucket/key`), which local S3-compatible servers need.
//!
//! The table layout is described in the crate documentation (README.md).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, Put, ScalarAttributeType, TransactWriteItem,
};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;

use crate::error::{BoxError, StoreError};
use crate::key::{validate_key, validate_prefix};
use crate::run::{self, validate_id, Created, Lease, NewRun, RunRecord, RunStatus, Transition};
use crate::{ArtifactInfo, ArtifactStore, RunStore};

/// Partition key attribute of every item.
pub const PK: &str = "pk";
/// GSI listing a depot's runs by creation time.
pub const GSI_BY_DEPOT: &str = "by_depot";
/// Sparse GSI holding only unfinished (`queued`/`running`) runs.
pub const GSI_UNFINISHED: &str = "unfinished";
/// Attribute present (value `"1"`) only on unfinished runs: the sparse GSI's partition key.
pub const ATTR_UNFINISHED: &str = "unfinished";

fn run_pk(run_id: &str) -> String {
    format!("RUN#{run_id}")
}

fn idempotency_pk(key: &str) -> String {
    format!("IDEMP#{key}")
}

/// Artifacts in one S3 bucket.
#[derive(Debug, Clone)]
pub struct S3ArtifactStore {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3ArtifactStore {
    /// Wraps a built client.
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    fn err(&self, op: &'static str, key: &str, source: impl Into<BoxError>) -> StoreError {
        StoreError::S3 {
            op,
            bucket: self.bucket.clone(),
            key: key.to_owned(),
            source: source.into(),
        }
    }
}

#[async_trait]
impl ArtifactStore for S3ArtifactStore {
    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<(), StoreError> {
        validate_key(key)?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| self.err("PutObject", key, e))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        validate_key(key)?;
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(self.err("GetObject", key, e)),
        };
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| self.err("GetObject body", key, e))?;
        Ok(Some(bytes.into_bytes().to_vec()))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ArtifactInfo>, StoreError> {
        validate_prefix(prefix)?;
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| self.err("ListObjectsV2", prefix, e))?;
            for obj in page.contents() {
                if let Some(key) = obj.key() {
                    out.push(ArtifactInfo {
                        key: key.to_owned(),
                        size_bytes: obj.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                    });
                }
            }
            match page.next_continuation_token() {
                Some(t) if page.is_truncated().unwrap_or(false) => token = Some(t.to_owned()),
                _ => break,
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn presigned_url(&self, key: &str, expires_in: Duration) -> Result<String, StoreError> {
        validate_key(key)?;
        let config =
            PresigningConfig::expires_in(expires_in).map_err(|e| self.err("presign", key, e))?;
        let req = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| self.err("presign GetObject", key, e))?;
        Ok(req.uri().to_owned())
    }
}

/// Runs in one DynamoDB table (see the crate docs for the item shape).
#[derive(Debug, Clone)]
pub struct DynamoRunStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// The DynamoDB item of a run record.
pub fn record_to_item(r: &RunRecord) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let mut item = HashMap::from([
        (PK.to_owned(), s(&run_pk(&r.run_id))),
        ("run_id".to_owned(), s(&r.run_id)),
        ("depot_id".to_owned(), s(&r.depot_id)),
        ("kind".to_owned(), s(&r.kind)),
        ("status".to_owned(), s(r.status.as_str())),
        ("version".to_owned(), n(r.version)),
        ("created_at_ms".to_owned(), n(r.created_at_ms)),
        ("updated_at_ms".to_owned(), n(r.updated_at_ms)),
        ("attempts".to_owned(), n(r.attempts)),
    ]);
    let mut opt = |name: &str, v: Option<AttributeValue>| {
        if let Some(v) = v {
            item.insert(name.to_owned(), v);
        }
    };
    opt("idempotency_key", r.idempotency_key.as_deref().map(s));
    opt("request_key", r.request_key.as_deref().map(s));
    opt("request_digest", r.request_digest.as_deref().map(s));
    opt("lease_owner", r.lease.as_ref().map(|l| s(&l.owner)));
    opt(
        "lease_expires_at_ms",
        r.lease.as_ref().map(|l| n(l.expires_at_ms)),
    );
    opt("error", r.error.as_deref().map(s));
    opt(ATTR_UNFINISHED, (!r.status.is_terminal()).then(|| s("1")));
    if !r.artifacts.is_empty() {
        opt(
            "artifacts",
            Some(AttributeValue::M(
                r.artifacts.iter().map(|(k, v)| (k.clone(), s(v))).collect(),
            )),
        );
    }
    if let Some(summary) = &r.summary {
        let json = serde_json::to_string(summary).map_err(|source| StoreError::Json {
            what: format!("summary of run {}", r.run_id),
            source,
        })?;
        item.insert("summary".to_owned(), s(&json));
    }
    Ok(item)
}

/// Decodes a run item (the inverse of [`record_to_item`]).
pub fn item_to_record(item: &HashMap<String, AttributeValue>) -> Result<RunRecord, StoreError> {
    let id = item
        .get(PK)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default();
    let corrupt = |what: String| StoreError::Corrupt {
        id: id.clone(),
        what,
    };
    let get_s = |name: &str| -> Result<Option<String>, StoreError> {
        match item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(v)) => Ok(Some(v.clone())),
            Some(_) => Err(corrupt(format!("{name} is not a string"))),
        }
    };
    let req_s = |name: &str| -> Result<String, StoreError> {
        get_s(name)?.ok_or_else(|| corrupt(format!("{name} is missing")))
    };
    let get_n = |name: &str| -> Result<Option<i64>, StoreError> {
        match item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::N(v)) => v
                .parse()
                .map(Some)
                .map_err(|_| corrupt(format!("{name} is not an integer"))),
            Some(_) => Err(corrupt(format!("{name} is not a number"))),
        }
    };
    let req_n = |name: &str| -> Result<i64, StoreError> {
        get_n(name)?.ok_or_else(|| corrupt(format!("{name} is missing")))
    };
    let status_s = req_s("status")?;
    let status =
        RunStatus::parse(&status_s).ok_or_else(|| corrupt(format!("unknown status {status_s}")))?;
    let lease = match (get_s("lease_owner")?, get_n("lease_expires_at_ms")?) {
        (Some(owner), Some(expires_at_ms)) => Some(Lease {
            owner,
            expires_at_ms,
        }),
        _ => None,
    };
    let artifacts = match item.get("artifacts") {
        None => BTreeMap::new(),
        Some(AttributeValue::M(m)) => m
            .iter()
            .map(|(k, v)| {
                v.as_s()
                    .map(|v| (k.clone(), v.clone()))
                    .map_err(|_| corrupt(format!("artifact {k} is not a string")))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(corrupt("artifacts is not a map".to_owned())),
    };
    let summary = get_s("summary")?
        .map(|j| serde_json::from_str(&j))
        .transpose()
        .map_err(|source| StoreError::Json {
            what: format!("summary of {id}"),
            source,
        })?;
    Ok(RunRecord {
        run_id: req_s("run_id")?,
        depot_id: req_s("depot_id")?,
        kind: req_s("kind")?,
        status,
        version: u64::try_from(req_n("version")?)
            .map_err(|_| corrupt("negative version".to_owned()))?,
        created_at_ms: req_n("created_at_ms")?,
        updated_at_ms: req_n("updated_at_ms")?,
        idempotency_key: get_s("idempotency_key")?,
        request_key: get_s("request_key")?,
        request_digest: get_s("request_digest")?,
        lease,
        attempts: u32::try_from(req_n("attempts")?)
            .map_err(|_| corrupt("attempts out of range".to_owned()))?,
        summary,
        artifacts,
        error: get_s("error")?,
    })
}

fn is_condition_failed_reason(code: Option<&str>) -> bool {
    code == Some("ConditionalCheckFailed")
}

impl DynamoRunStore {
    /// Wraps a built client.
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The table.
    pub fn table(&self) -> &str {
        &self.table
    }

    fn err(&self, op: &'static str, id: &str, source: impl Into<BoxError>) -> StoreError {
        StoreError::Dynamo {
            op,
            table: self.table.clone(),
            id: id.to_owned(),
            source: source.into(),
        }
    }

    async fn get_item(
        &self,
        pk: &str,
    ) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.err("GetItem", pk, e))?;
        Ok(out.item)
    }

    fn put_new(
        &self,
        item: HashMap<String, AttributeValue>,
        id: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .map_err(|e| self.err("build Put", id, e))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    async fn query_all(
        &self,
        what: &str,
        mut query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
        limit: usize,
    ) -> Result<Vec<RunRecord>, StoreError> {
        let mut out = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        while out.len() < limit {
            let page_limit = i32::try_from(limit - out.len()).unwrap_or(i32::MAX);
            let page = query
                .clone()
                .limit(page_limit)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.err("Query", what, e))?;
            for item in page.items() {
                out.push(item_to_record(item)?);
            }
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
            query = query.clone();
        }
        out.truncate(limit);
        Ok(out)
    }
}

#[async_trait]
impl RunStore for DynamoRunStore {
    async fn create(&self, new: NewRun) -> Result<Created, StoreError> {
        new.validate()?;
        let record = new.into_record();
        let item = record_to_item(&record)?;
        let run_id = record.run_id.clone();
        let Some(key) = record.idempotency_key.clone() else {
            let res = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", PK)
                .send()
                .await;
            return match res {
                Ok(_) => Ok(Created::New(record)),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
                {
                    Err(StoreError::AlreadyExists { run_id })
                }
                Err(e) => Err(self.err("PutItem", &run_id, e)),
            };
        };
        // The run and its idempotency item are written in one transaction, each only if absent.
        let idem_item = HashMap::from([
            (PK.to_owned(), s(&idempotency_pk(&key))),
            ("run_id".to_owned(), s(&run_id)),
            ("created_at_ms".to_owned(), n(record.created_at_ms)),
        ]);
        let res = self
            .client
            .transact_write_items()
            .transact_items(self.put_new(item, &run_id)?)
            .transact_items(self.put_new(idem_item, &run_id)?)
            .send()
            .await;
        let err = match res {
            Ok(_) => return Ok(Created::New(record)),
            Err(e) => e,
        };
        let reasons: Option<Vec<Option<String>>> = err.as_service_error().and_then(|s| match s {
            aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c) => Some(
                c.cancellation_reasons()
                    .iter()
                    .map(|r| r.code().map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        });
        let Some(reasons) = reasons else {
            return Err(self.err("TransactWriteItems", &run_id, err));
        };
        let key_taken = reasons
            .get(1)
            .is_some_and(|c| is_condition_failed_reason(c.as_deref()));
        let id_taken = reasons
            .first()
            .is_some_and(|c| is_condition_failed_reason(c.as_deref()));
        if key_taken {
            return match self.find_by_idempotency_key(&key).await? {
                Some(existing) => Ok(Created::Existing(existing)),
                None => Err(StoreError::Corrupt {
                    id: idempotency_pk(&key),
                    what: "idempotency key exists but its run does not".to_owned(),
                }),
            };
        }
        if id_taken {
            return Err(StoreError::AlreadyExists { run_id });
        }
        // Cancelled for another reason (e.g. a concurrent transaction on the same items).
        Err(self.err("TransactWriteItems", &run_id, err))
    }

    async fn get(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        validate_id("run_id", run_id)?;
        self.get_item(&run_pk(run_id))
            .await?
            .map(|item| item_to_record(&item))
            .transpose()
    }

    async fn find_by_idempotency_key(&self, key: &str) -> Result<Option<RunRecord>, StoreError> {
        let pk = idempotency_pk(key);
        let Some(item) = self.get_item(&pk).await? else {
            return Ok(None);
        };
        let run_id = match item.get("run_id") {
            Some(AttributeValue::S(id)) => id.clone(),
            _ => {
                return Err(StoreError::Corrupt {
                    id: pk,
                    what: "run_id missing".to_owned(),
                })
            }
        };
        self.get(&run_id).await
    }

    async fn transition(
        &self,
        run_id: &str,
        expected_version: u64,
        t: Transition,
    ) -> Result<RunRecord, StoreError> {
        let current = self.require(run_id).await?;
        run::check(&current, expected_version, &t)?;
        let next = run::apply(&current, t);
        // Compare-and-swap on the version: of two writers that read the same version, DynamoDB
        // lets exactly one through.
        let res = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(record_to_item(&next)?))
            .condition_expression("#v = :expected")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":expected", n(expected_version))
            .send()
            .await;
        match res {
            Ok(_) => Ok(next),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                let actual = self
                    .get(run_id)
                    .await?
                    .map(|r| r.version)
                    .unwrap_or_default();
                Err(StoreError::VersionConflict {
                    run_id: run_id.to_owned(),
                    expected: expected_version,
                    actual,
                })
            }
            Err(e) => Err(self.err("PutItem", run_id, e)),
        }
    }

    async fn list_by_depot(
        &self,
        depot_id: &str,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<RunRecord>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI_BY_DEPOT)
            .key_condition_expression("depot_id = :d AND created_at_ms BETWEEN :from AND :to")
            .expression_attribute_values(":d", s(depot_id))
            .expression_attribute_values(":from", n(from_ms))
            .expression_attribute_values(":to", n(to_ms))
            .scan_index_forward(false);
        self.query_all(depot_id, query, limit).await
    }

    async fn list_unfinished(&self, limit: usize) -> Result<Vec<RunRecord>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI_UNFINISHED)
            .key_condition_expression("#u = :one")
            .expression_attribute_names("#u", ATTR_UNFINISHED)
            .expression_attribute_values(":one", s("1"))
            .scan_index_forward(true);
        self.query_all(GSI_UNFINISHED, query, limit).await
    }
}

/// Both AWS stores, built from one `SdkConfig`.
#[derive(Debug, Clone)]
pub struct AwsStores {
    /// The S3 artifact store.
    pub artifacts: S3ArtifactStore,
    /// The DynamoDB run store.
    pub runs: DynamoRunStore,
}

impl AwsStores {
    /// Builds one S3 and one DynamoDB client from `sdk`. `force_path_style` should be true when
    /// an endpoint override points at a local S3-compatible server.
    pub fn from_sdk_config(
        sdk: &aws_config::SdkConfig,
        bucket: impl Into<String>,
        table: impl Into<String>,
        force_path_style: bool,
    ) -> Self {
        let s3_config = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(force_path_style)
            .build();
        let s3 = aws_sdk_s3::Client::from_conf(s3_config);
        let dynamo = aws_sdk_dynamodb::Client::new(sdk);
        Self {
            artifacts: S3ArtifactStore::new(s3, bucket),
            runs: DynamoRunStore::new(dynamo, table),
        }
    }

    /// Loads the default AWS configuration (env, profile, instance role) once and builds both
    /// clients.
    pub async fn connect(
        bucket: impl Into<String>,
        table: impl Into<String>,
        force_path_style: bool,
    ) -> Self {
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Self::from_sdk_config(&sdk, bucket, table, force_path_style)
    }

    /// Creates the bucket and the table with its two indexes, as template.yaml declares them.
    /// For tests and local development against an S3/DynamoDB-compatible server; in AWS the
    /// stack owns them.
    pub async fn create_resources(&self) -> Result<(), StoreError> {
        let bucket = self.artifacts.bucket.clone();
        let s3 = &self.artifacts.client;
        let mut create = s3.create_bucket().bucket(&bucket);
        let region = s3.config().region().map(|r| r.as_ref().to_owned());
        if let Some(region) = region.filter(|r| r != "us-east-1") {
            create = create.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                        region.as_str(),
                    ))
                    .build(),
            );
        }
        match create.send().await {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_bucket_already_owned_by_you()) => {}
            Err(e) => return Err(self.artifacts.err("CreateBucket", "", e)),
        }

        let runs = &self.runs;
        let attr = |name: &str, t: ScalarAttributeType| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(t)
                .build()
                .map_err(|e| runs.err("build AttributeDefinition", name, e))
        };
        let key = |name: &str, t: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(t)
                .build()
                .map_err(|e| runs.err("build KeySchemaElement", name, e))
        };
        let gsi = |name: &str, hash: &str| -> Result<GlobalSecondaryIndex, StoreError> {
            GlobalSecondaryIndex::builder()
                .index_name(name)
                .key_schema(key(hash, KeyType::Hash)?)
                .key_schema(key("created_at_ms", KeyType::Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(|e| runs.err("build GlobalSecondaryIndex", name, e))
        };
        let res = runs
            .client
            .create_table()
            .table_name(&runs.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr(PK, ScalarAttributeType::S)?)
            .attribute_definitions(attr("depot_id", ScalarAttributeType::S)?)
            .attribute_definitions(attr("created_at_ms", ScalarAttributeType::N)?)
            .attribute_definitions(attr(ATTR_UNFINISHED, ScalarAttributeType::S)?)
            .key_schema(key(PK, KeyType::Hash)?)
            .global_secondary_indexes(gsi(GSI_BY_DEPOT, "depot_id")?)
            .global_secondary_indexes(gsi(GSI_UNFINISHED, ATTR_UNFINISHED)?)
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_in_use_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(runs.err("CreateTable", &runs.table, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_round_trips_and_only_unfinished_runs_carry_the_sparse_key() {
        let mut r = NewRun {
            run_id: "r1".into(),
            depot_id: "north".into(),
            kind: "depot_simulation".into(),
            idempotency_key: Some("k 1".into()),
            request_key: Some("runs/r1/request.json".into()),
            request_digest: None,
            now_ms: 1_700_000_000_000,
        }
        .into_record();
        let item = record_to_item(&r).unwrap();
        assert_eq!(item.get(PK), Some(&s("RUN#r1")));
        assert_eq!(item.get(ATTR_UNFINISHED), Some(&s("1")));
        assert_eq!(item_to_record(&item).unwrap(), r);

        r.status = RunStatus::Succeeded;
        r.summary = Some(serde_json::json!({"peak_kw": 412.5, "departures": 100}));
        r.artifacts
            .insert("soc_csv".into(), "runs/r1/soc.csv".into());
        let item = record_to_item(&r).unwrap();
        assert!(!item.contains_key(ATTR_UNFINISHED));
        assert_eq!(item_to_record(&item).unwrap(), r);
    }

    #[test]
    fn a_malformed_item_is_reported_not_panicked_on() {
        let mut item = record_to_item(
            &NewRun {
                run_id: "r1".into(),
                depot_id: "d".into(),
                kind: "k".into(),
                idempotency_key: None,
                request_key: None,
                request_digest: None,
                now_ms: 0,
            }
            .into_record(),
        )
        .unwrap();
        item.insert("status".into(), s("exploded"));
        assert!(matches!(
            item_to_record(&item),
            Err(StoreError::Corrupt { .. })
        ));
    }
}
