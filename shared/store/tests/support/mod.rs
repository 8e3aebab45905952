//! Fixtures shared by the store's test binaries: fresh stores, accounts and models.

#![allow(dead_code)]

use std::{path::PathBuf, sync::Arc};

use auster_store::prelude::*;
#[cfg(feature = "aws")]
use auster_store::{aws::AwsConfig, moto::MotoServer};
use auster_store::{
    generate_api_key, new_id, Account, ModelMeta, ModelRecord, NewAccount, NewModel, NewRun,
    NewVersion, Plan, RunOutput, RunRecord, Visibility,
};
use auster_types::{Dsl, InputSchema, LabScope, RunStatus};

/// A fresh SQLite store in its own temp folder (removed on drop).
pub struct TempHome(pub PathBuf);

impl TempHome {
    pub fn new() -> Self {
        let p = std::env::temp_dir().join(format!("auster-store-test-{}", new_id()));
        std::fs::create_dir_all(&p).expect("temp dir");
        TempHome(p)
    }
}

impl Drop for TempHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub async fn sqlite_store() -> (Arc<dyn Store>, TempHome) {
    let home = TempHome::new();
    let s = auster_store::sqlite::open(home.0.clone())
        .await
        .expect("open sqlite");
    (s, home)
}

#[cfg(feature = "aws")]
/// Starts moto unless `AUSTER_SKIP_MOTO=1` (then `None`: the caller skips, loudly).
pub fn start_moto() -> Option<MotoServer> {
    if std::env::var("AUSTER_SKIP_MOTO").as_deref() == Ok("1") {
        eprintln!("AUSTER_SKIP_MOTO=1: skipping the DynamoDB + S3 run");
        return None;
    }
    Some(MotoServer::start().expect("moto server (run `make setup` to install it)"))
}

#[cfg(feature = "aws")]
/// A fresh table and bucket on the moto server.
pub async fn aws_store(moto: &MotoServer) -> (Arc<dyn Store>, AwsConfig) {
    let id = new_id();
    let cfg = moto.config(&format!("t-{id}"), &format!("b-{id}"));
    aws_store_at(cfg).await
}

#[cfg(feature = "aws")]
pub async fn aws_store_at(cfg: AwsConfig) -> (Arc<dyn Store>, AwsConfig) {
    let r = auster_store::init_aws(&cfg).await.expect("init aws");
    assert!(
        r.table_created && r.bucket_created,
        "fresh table and bucket are created: {r:?}"
    );
    let again = auster_store::init_aws(&cfg).await.expect("init aws again");
    assert!(
        !again.table_created && !again.bucket_created,
        "init is idempotent: {again:?}"
    );
    let s = auster_store::aws::connect(cfg.clone())
        .await
        .expect("connect");
    (s, cfg)
}

pub async fn account(s: &Arc<dyn Store>, name: &str, credits: i64) -> Account {
    let k = generate_api_key(None);
    s.create_account(NewAccount {
        email: format!("{name}-{}@example.com", new_id()),
        plan: Plan::Free,
        initial_credits: credits,
        api_key: k.new_key,
    })
    .await
    .expect("create account")
}

pub fn dsl() -> Dsl {
    serde_json::from_value(serde_json::json!({
        "version": "1.0",
        "steps": [{"id": "px", "operation": "fetch_market_data", "params": {"symbol": "$symbol"}}],
        "outputs": {"series": [{"id": "px", "source": "px.close"}]}
    }))
    .expect("dsl")
}

pub fn meta(name: &str, lab: LabScope, vis: Visibility) -> ModelMeta {
    ModelMeta {
        name: name.into(),
        description: format!("Description of {name}"),
        lab_scope: lab,
        visibility: vis,
        tags: vec!["demo".into()],
        ..Default::default()
    }
}

pub fn new_model(slug: &str, owner: Option<&str>, meta: ModelMeta) -> NewModel {
    NewModel {
        slug: slug.into(),
        owner_id: owner.map(str::to_string),
        meta,
        is_template: false,
        forked_from: None,
        first_version: NewVersion {
            dsl: dsl(),
            input_schema: InputSchema::default(),
            changelog: "first".into(),
        },
    }
}

pub async fn model(s: &Arc<dyn Store>, slug: &str, owner: &str, vis: Visibility) -> ModelRecord {
    s.create_model(new_model(
        slug,
        Some(owner),
        meta(slug, LabScope::Econ, vis),
    ))
    .await
    .expect("create model")
}

pub fn run_of(user: &str, slug: &str, output: Option<Vec<u8>>) -> NewRun {
    NewRun {
        id: new_id(),
        user_id: user.into(),
        model_slug: slug.into(),
        version: 1,
        inputs: serde_json::from_value(serde_json::json!({"symbol": "SPX"})).expect("inputs"),
        status: RunStatus::Success,
        error: None,
        runtime_ms: 1.5,
        cost: 1,
        data_sources: vec![],
        output: output.map(RunOutput::Bytes),
        idempotency_key: None,
        cached: false,
    }
}

pub async fn run(s: &Arc<dyn Store>, user: &str, slug: &str) -> RunRecord {
    s.record_run(run_of(user, slug, Some(b"{\"ok\":true}".to_vec())))
        .await
        .expect("record run")
}
