//! SQLite schema versions: an older file upgrades in place, keeping its data.

mod support;

use auster_store::{sqlite::SqliteStore, *};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_1_file_upgrades_in_place() {
    let home = TempHome::new();
    // A file as version 1 of the schema wrote it: no cache, no idempotency tables.
    let old = SqliteStore::open_at_version(home.0.clone(), 1)
        .await
        .unwrap();
    assert_eq!(old.schema_version().await.unwrap(), 1);
    let key = generate_api_key(None);
    let acct = old
        .create_account(NewAccount {
            email: "old@example.com".into(),
            plan: Plan::Paid,
            initial_credits: 5,
            api_key: key.new_key.clone(),
        })
        .await
        .unwrap();
    let s: std::sync::Arc<dyn Store> = std::sync::Arc::new(old);
    model(&s, "legacy", &acct.id, Visibility::Public).await;
    // Version 1 has no cache table: the feature is missing, loudly, not silently.
    assert!(s.cache_put("k", b"v", 60).await.is_err());
    drop(s);

    // Opening with this build migrates to the current version and keeps everything.
    let s = SqliteStore::open(home.0.clone()).await.unwrap();
    assert_eq!(s.schema_version().await.unwrap(), sqlite::SCHEMA_VERSION);
    assert_eq!(s.authenticate(&key.new_key.hash).await.unwrap().id, acct.id);
    assert_eq!(s.get_account(&acct.id).await.unwrap().credits, 5);
    assert_eq!(
        s.get_model("legacy", None).await.unwrap().meta.name,
        "legacy"
    );
    s.cache_put("k", b"v", 60).await.unwrap();
    assert_eq!(s.cache_get("k").await.unwrap(), Some(b"v".to_vec()));
    let mut r = run_of(&acct.id, "legacy", None);
    r.idempotency_key = Some("k1".into());
    let a = s.record_run(r.clone()).await.unwrap();
    assert_eq!(s.record_run(r).await.unwrap().id, a.id);
    drop(s);

    // Re-opening an up-to-date file is a no-op.
    let s = SqliteStore::open(home.0.clone()).await.unwrap();
    assert_eq!(s.schema_version().await.unwrap(), sqlite::SCHEMA_VERSION);
    assert_eq!(s.get_model("legacy", None).await.unwrap().stats.runs, 1);
}

#[tokio::test]
async fn a_newer_file_is_refused() {
    let home = TempHome::new();
    let s = SqliteStore::open(home.0.clone()).await.unwrap();
    drop(s);
    let conn = rusqlite::Connection::open(home.0.join("auster.db")).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let e = SqliteStore::open(home.0.clone())
        .await
        .err()
        .expect("refused");
    assert!(e.to_string().contains("newer"), "{e}");
}

#[cfg(feature = "aws")]
#[tokio::test]
async fn aws_connect_refuses_a_missing_table_name() {
    let e = auster_store::aws::AwsStore::connect(auster_store::aws::AwsConfig::from_env(
        String::new(),
        "b".into(),
    ))
    .await
    .err()
    .expect("refused");
    assert_eq!(e.category(), ErrorCategory::Invalid);
    assert!(e.to_string().contains("AUSTER_TABLE"), "{e}");
}
