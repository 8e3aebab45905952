//! Store latency benchmark (`auster bench store`): get-model, list-public-models (page of
//! 24), record-run and charge-credit, each timed one call at a time, per backend.
//!
//! Figures are printed, never asserted: speed targets (SQLite p99 under 1 ms) are read
//! from the report.

use std::{fmt, sync::Arc, time::Instant};

use auster_types::{Dsl, InputSchema, LabScope, RunStatus};

#[cfg(feature = "aws")]
use crate::aws::AwsConfig;
use crate::prelude::*;
use crate::{
    generate_api_key, new_id, CreditMemo, ModelMeta, ModelQuery, NewAccount, NewModel, NewRun,
    NewVersion, PageRequest, Plan, Result, RunOutput, StoredBlob, Visibility,
};

/// What to benchmark.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Timed calls per operation on SQLite.
    pub sqlite_iterations: usize,
    /// Timed calls per operation on the aws backend.
    pub aws_iterations: usize,
    /// Public models seeded before timing.
    pub models: usize,
    /// Also benchmark DynamoDB + S3 at this configuration (the table and bucket are
    /// created when missing).
    #[cfg(feature = "aws")]
    pub aws: Option<AwsConfig>,
    /// When `aws` is None: start a moto server (if installed) and benchmark against it.
    pub moto: bool,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            sqlite_iterations: 2000,
            aws_iterations: 200,
            models: 120,
            #[cfg(feature = "aws")]
            aws: None,
            moto: true,
        }
    }
}

/// Latencies of one operation.
#[derive(Debug, Clone, PartialEq)]
pub struct OpStats {
    /// Operation name.
    pub op: &'static str,
    /// Calls timed.
    pub n: usize,
    /// Median latency in milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency in milliseconds.
    pub p99_ms: f64,
    /// Calls per second, one at a time.
    pub per_sec: f64,
}

/// The figures of one backend.
#[derive(Debug, Clone, PartialEq)]
pub struct BackendReport {
    /// `sqlite`, `aws`, or `aws (moto)`.
    pub backend: String,
    /// One line per operation.
    pub ops: Vec<OpStats>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    /// Per backend.
    pub backends: Vec<BackendReport>,
    /// Backends that were skipped, with why.
    pub skipped: Vec<String>,
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<14} {:<20} {:>7} {:>10} {:>10} {:>10}",
            "backend", "operation", "n", "p50 ms", "p99 ms", "ops/s"
        )?;
        for b in &self.backends {
            for o in &b.ops {
                writeln!(
                    f,
                    "{:<14} {:<20} {:>7} {:>10.3} {:>10.3} {:>10.0}",
                    b.backend, o.op, o.n, o.p50_ms, o.p99_ms, o.per_sec
                )?;
            }
        }
        for s in &self.skipped {
            writeln!(f, "skipped: {s}")?;
        }
        Ok(())
    }
}

fn stats(op: &'static str, mut ms: Vec<f64>, total_s: f64) -> OpStats {
    ms.sort_by(f64::total_cmp);
    let pick = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    OpStats {
        op,
        n: ms.len(),
        p50_ms: pick(0.50),
        p99_ms: pick(0.99),
        per_sec: ms.len() as f64 / total_s.max(1e-9),
    }
}

async fn timed<F, Fut>(op: &'static str, n: usize, mut f: F) -> Result<OpStats>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let mut ms = Vec::with_capacity(n);
    let start = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        f(i).await?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok(stats(op, ms, start.elapsed().as_secs_f64()))
}

fn tiny_dsl() -> Dsl {
    serde_json::from_value(serde_json::json!({
        "version": "1.0",
        "steps": [{"id": "px", "operation": "fetch_market_data", "params": {"symbol": "$symbol"}}],
        "outputs": {"series": [{"id": "px", "source": "px.close"}]}
    }))
    .unwrap_or(Dsl {
        version: "1.0".into(),
        steps: vec![],
        outputs: Default::default(),
    })
}

/// Seeds `models` public models and one rich account, then times the four operations.
pub async fn run_on(
    store: Arc<dyn Store>,
    label: &str,
    iterations: usize,
    models: usize,
) -> Result<BackendReport> {
    let tag = new_id();
    let key = generate_api_key(None);
    let acct = store
        .create_account(NewAccount {
            email: format!("bench-{tag}@example.com"),
            plan: Plan::Paid,
            initial_credits: 1_000_000_000,
            api_key: key.new_key,
        })
        .await?;
    let mut slugs = Vec::new();
    for i in 0..models.max(1) {
        let slug = format!("bench-{tag}-{i}");
        store
            .create_model(NewModel {
                slug: slug.clone(),
                owner_id: Some(acct.id.clone()),
                meta: ModelMeta {
                    name: format!("Bench model {i}"),
                    description: "A model seeded by the store benchmark.".into(),
                    lab_scope: LabScope::ALL[i % 4],
                    visibility: Visibility::Public,
                    tags: vec!["bench".into()],
                    ..Default::default()
                },
                is_template: false,
                forked_from: None,
                first_version: NewVersion {
                    dsl: tiny_dsl(),
                    input_schema: InputSchema::default(),
                    changelog: String::new(),
                },
            })
            .await?;
        slugs.push(slug);
    }
    let output = vec![b'x'; 2048];
    let mut ops = Vec::new();
    ops.push(
        timed("get-model", iterations, |i| {
            let (s, slug) = (store.clone(), slugs[i % slugs.len()].clone());
            async move { s.get_model(&slug, None).await.map(|_| ()) }
        })
        .await?,
    );
    ops.push(
        timed("list-public (24)", iterations, |_| {
            let s = store.clone();
            async move {
                s.list_public_models(&ModelQuery::default(), &PageRequest::first(24))
                    .await
                    .map(|_| ())
            }
        })
        .await?,
    );
    // API runs point at one stored blob shared by identical runs (`RunOutput::Stored`);
    // a run with its own output blob is measured too.
    let shared = StoredBlob::shared_run_output(&output);
    store.put_blob(&shared.key, &output).await?;
    // One run of the benchmark account on the i-th model, with the given output.
    let run_of = |i: usize, output: RunOutput| NewRun {
        id: new_id(),
        user_id: acct.id.clone(),
        model_slug: slugs[i % slugs.len()].clone(),
        version: 1,
        inputs: serde_json::Map::new(),
        status: RunStatus::Success,
        error: None,
        runtime_ms: 0.5,
        cost: 1,
        data_sources: vec![],
        output: Some(output),
        idempotency_key: None,
        cached: false,
    };
    ops.push(
        timed("record-run", iterations, |i| {
            let (s, run) = (store.clone(), run_of(i, RunOutput::Stored(shared.clone())));
            async move { s.record_run(run).await.map(|_| ()) }
        })
        .await?,
    );
    ops.push(
        timed("record-run + 2 KB blob", iterations, |i| {
            let (s, run) = (store.clone(), run_of(i, RunOutput::Bytes(output.clone())));
            async move { s.record_run(run).await.map(|_| ()) }
        })
        .await?,
    );
    ops.push(
        timed("charge-credit", iterations, |_| {
            let (s, user) = (store.clone(), acct.id.clone());
            async move {
                s.charge_credits(
                    &user,
                    1,
                    CreditMemo {
                        reason: "bench".into(),
                        ..Default::default()
                    },
                )
                .await
                .map(|_| ())
            }
        })
        .await?,
    );
    Ok(BackendReport {
        backend: label.to_string(),
        ops,
    })
}

/// Runs the benchmark on SQLite (a fresh folder under the temp dir) and, as configured,
/// on DynamoDB + S3; returns the report (print it with `{}`).
pub async fn bench(opts: &BenchOptions) -> Result<BenchReport> {
    let mut report = BenchReport {
        backends: vec![],
        skipped: vec![],
    };
    let dir = std::env::temp_dir().join(format!("auster-bench-{}", new_id()));
    let sqlite = crate::sqlite::open(&dir).await?;
    let r = run_on(sqlite, "sqlite", opts.sqlite_iterations, opts.models).await;
    let _ = std::fs::remove_dir_all(&dir);
    report.backends.push(r?);
    // The SQLite figures stand on their own: a DynamoDB endpoint that cannot be reached
    // is reported as skipped, with why, rather than discarding them.
    #[cfg(feature = "aws")]
    if let Err(e) = bench_aws(opts, &mut report).await {
        report.skipped.push(format!("aws: {e}"));
    }
    #[cfg(not(feature = "aws"))]
    if opts.moto {
        report
            .skipped
            .push("aws: auster-store was built without its `aws` feature".into());
    }
    Ok(report)
}

#[cfg(feature = "aws")]
async fn bench_aws(opts: &BenchOptions, report: &mut BenchReport) -> Result<()> {
    let mut _moto = None;
    let aws_cfg = match (&opts.aws, opts.moto) {
        (Some(c), _) => Some((c.clone(), "aws")),
        (None, true) => match crate::moto::MotoServer::start() {
            Ok(m) => {
                let c = m.config("auster-bench", "auster-bench");
                _moto = Some(m);
                Some((c, "aws (moto)"))
            }
            Err(e) => {
                report.skipped.push(format!("aws: {e}"));
                None
            }
        },
        (None, false) => None,
    };
    if let Some((cfg, label)) = aws_cfg {
        crate::init_aws(&cfg).await?;
        let store = crate::aws::connect(cfg).await?;
        report
            .backends
            .push(run_on(store, label, opts.aws_iterations, opts.models.min(60)).await?);
    }
    Ok(())
}

/// Blocking entry point for `auster bench store`: runs [`bench`] on its own runtime and
/// returns the printable report.
pub fn bench_report(opts: &BenchOptions) -> Result<String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| StoreError::Internal(format!("runtime: {e}")))?;
    rt.block_on(bench(opts)).map(|r| r.to_string())
}
