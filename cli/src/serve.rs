//! `auster serve`: the API's route functions behind one local HTTP server, plus the web
//! app at `/`. Also the `api` benchmark, which drives this very server.
//!
//! The local adapter mirrors the Lambda one: convert the hyper request to an
//! [`ApiRequest`], [`dispatch`] it over every route, convert the [`ApiResponse`] back.
//! Paths outside `/api` serve files of `--web-dir`, falling back to `index.html` so the
//! single-page app's own routes load on refresh.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[allow(unused_imports)]
use auster_api::prelude::*;
use auster_api::{dispatch, ApiError, ApiRequest, ApiResponse, Config, Ctx, ROUTES};
use bytes::Bytes;
use clap::Args;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Arguments of `auster serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Folder of the built web app, served at `/`.
    #[arg(long, default_value = "web/dist")]
    web_dir: PathBuf,
    /// Do not load the seed models on start.
    #[arg(long)]
    no_seed: bool,
}

/// Initializes logging once (RUST_LOG, default `info`, to stderr).
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
}

/// A multi-threaded runtime for the commands that talk to the store.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// `auster serve`.
pub fn serve(args: ServeArgs) -> ExitCode {
    init_tracing();
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    rt.block_on(async move {
        let config = match Config::from_env() {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        let ctx = match Ctx::from_config(config).await {
            Ok(c) => Arc::new(c),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        };
        if !args.no_seed {
            match auster_api::seed::load_seeds(ctx.store.as_ref(), &crate::run::seeds_root()).await
            {
                Ok(r) => {
                    eprintln!(
                        "seed models: {} loaded, {} already present, {} skipped",
                        r.created.len(),
                        r.existing.len(),
                        r.invalid.len()
                    );
                    for (file, why) in &r.invalid {
                        eprintln!("  skipped {file}: {why}");
                    }
                }
                Err(e) => {
                    eprintln!("error: loading seed models failed: {e}");
                    return ExitCode::from(1);
                }
            }
        }
        let listener = match TcpListener::bind(args.addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: cannot listen on {}: {e}", args.addr);
                return ExitCode::from(1);
            }
        };
        let addr = listener.local_addr().unwrap_or(args.addr);
        let web = args
            .web_dir
            .join("index.html")
            .is_file()
            .then_some(args.web_dir.clone());
        if web.is_none() {
            eprintln!(
                "note: {} has no index.html (build the web app); serving the API only",
                args.web_dir.display()
            );
        }
        println!(
            "Auster Models on http://{addr} (store: {}, API at /api)",
            ctx.store.backend()
        );
        tokio::select! {
            r = run_server(listener, ctx, web) => match r {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => { eprintln!("error: {e}"); ExitCode::from(1) }
            },
            _ = tokio::signal::ctrl_c() => { eprintln!("stopping"); ExitCode::SUCCESS }
        }
    })
}

/// Accepts connections forever, serving each on its own task.
pub async fn run_server(
    listener: TcpListener,
    ctx: Arc<Ctx>,
    web: Option<PathBuf>,
) -> std::io::Result<()> {
    let web = Arc::new(web);
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                // Out of descriptors and similar: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (ctx, web) = (ctx.clone(), web.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let (ctx, web) = (ctx.clone(), web.clone());
                async move { Ok::<_, Infallible>(handle(ctx, web.as_ref().as_deref(), req).await) }
            });
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, "connection ended");
            }
        });
    }
}

/// Most bytes of an oversized body read (and dropped) before answering 413.
const DRAIN_LIMIT: usize = 64 << 20;

fn request_id() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    static PREFIX: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let p = PREFIX.get_or_init(|| auster_store::new_id()[12..20].to_string());
    format!("local-{p}-{}", N.fetch_add(1, Ordering::Relaxed))
}

async fn handle(
    ctx: Arc<Ctx>,
    web: Option<&Path>,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    if path == "/api" || path.starts_with("/api/") {
        let id = request_id();
        let resp = match to_api_request(&ctx, req, id.clone()).await {
            Ok(api) => dispatch(ctx, ROUTES, api).await,
            Err(e) => e.into_response(&id),
        };
        return to_hyper(resp);
    }
    match web {
        Some(dir) => static_file(dir, &path).await,
        None => to_hyper(
            ApiError::NotFound(format!("{path} is not an API path and no web app is built"))
                .into_response(""),
        ),
    }
}

/// Reads the request, refusing bodies over the limit (413) before reading them whole.
async fn to_api_request(
    ctx: &Ctx,
    req: Request<Incoming>,
    request_id: String,
) -> Result<ApiRequest, ApiError> {
    let max = ctx.config.max_body_bytes;
    let too_large = |n: Option<u64>| {
        ApiError::TooLarge(match n {
            Some(n) => format!("the request body is {n} bytes; at most {max} are accepted"),
            None => format!("the request body exceeds {max} bytes"),
        })
    };
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let (parts, mut body) = req.into_parts();
    if declared.is_some_and(|n| n > max as u64) {
        // Read and discard the body (up to a bound) so the client, which is usually still
        // sending, sees the 413 instead of a reset connection.
        let mut seen = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, |d| d.len());
            if seen > DRAIN_LIMIT {
                break;
            }
        }
        return Err(too_large(declared));
    }
    let body = Limited::new(body, max)
        .collect()
        .await
        .map_err(|_| too_large(None))?
        .to_bytes();
    Ok(ApiRequest {
        method: parts.method.as_str().to_ascii_uppercase(),
        path: parts.uri.path().to_string(),
        query: ApiRequest::parse_query(parts.uri.query().unwrap_or("")),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
        request_id,
        path_params: Vec::new(),
    })
}

fn to_hyper(resp: ApiResponse) -> Response<Full<Bytes>> {
    let mut b = Response::builder().status(resp.status);
    for (k, v) in &resp.headers {
        b = b.header(*k, v);
    }
    b.body(Full::new(Bytes::from(resp.body)))
        .unwrap_or_else(|_| {
            let mut r = Response::new(Full::new(Bytes::from_static(b"internal error")));
            *r.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            r
        })
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// A file of the web app, or `index.html` for any other path (client-side routes).
async fn static_file(dir: &Path, url_path: &str) -> Response<Full<Bytes>> {
    let decoded = auster_api::request::percent_decode(url_path);
    let rel = Path::new(decoded.trim_start_matches('/'));
    // Only plain components: no `..`, no absolute paths, so nothing outside `dir` is served.
    let safe = rel.components().all(|c| matches!(c, Component::Normal(_)));
    let candidate = dir.join(rel);
    let file = if safe && !rel.as_os_str().is_empty() && candidate.is_file() {
        candidate
    } else {
        dir.join("index.html")
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => Response::builder()
            .status(200)
            .header("content-type", content_type(&file))
            .header("x-content-type-options", "nosniff")
            .body(Full::new(Bytes::from(bytes)))
            .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()))),
        Err(_) => {
            let mut r = Response::new(Full::new(Bytes::from_static(b"not found")));
            *r.status_mut() = hyper::StatusCode::NOT_FOUND;
            r
        }
    }
}

// ---------------------------------------------------------------------------------------
// The `api` benchmark
// ---------------------------------------------------------------------------------------

/// A minimal keep-alive HTTP/1.1 client for the benchmark (one connection per client).
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(1 << 16),
        })
    }

    /// Sends a request; answers (status, body). The body borrows the connection's buffer,
    /// which is reused: the client should cost the two shared cores as little as it can,
    /// since it runs beside the server it measures.
    async fn call(
        &mut self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: &str,
    ) -> std::io::Result<(u16, &[u8])> {
        let auth = key
            .map(|k| format!("authorization: Bearer {k}\r\n"))
            .unwrap_or_default();
        let req = format!(
            "{method} {path} HTTP/1.1\r\nhost: bench\r\n{auth}content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream.write_all(req.as_bytes()).await?;
        self.buf.clear();
        let header_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            self.fill().await?;
        };
        let head = String::from_utf8_lossy(&self.buf[..header_end]).to_ascii_lowercase();
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        self.buf
            .reserve((header_end + len).saturating_sub(self.buf.len()));
        while self.buf.len() < header_end + len {
            self.fill().await?;
        }
        Ok((status, &self.buf[header_end..header_end + len]))
    }

    /// Reads what the socket has into the buffer's spare room (at least 64 KiB of it).
    async fn fill(&mut self) -> std::io::Result<()> {
        self.buf.reserve(1 << 16);
        if self.stream.read_buf(&mut self.buf).await? == 0 {
            return Err(std::io::Error::other("connection closed"));
        }
        Ok(())
    }
}

/// Figures of one benchmark phase.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchFigures {
    /// Requests completed.
    pub runs: usize,
    /// Median latency (ms).
    pub p50_ms: f64,
    /// 99th percentile latency (ms).
    pub p99_ms: f64,
    /// Throughput.
    pub runs_per_sec: f64,
    /// Non-200 answers.
    pub errors: usize,
}

fn figures(mut lat: Vec<f64>, errors: usize, elapsed: Duration) -> BenchFigures {
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        if lat.is_empty() {
            f64::NAN
        } else {
            lat[((lat.len() as f64 - 1.0) * p).round() as usize]
        }
    };
    BenchFigures {
        runs: lat.len(),
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
        runs_per_sec: lat.len() as f64 / elapsed.as_secs_f64(),
        errors,
    }
}

/// Drives `POST /api/models/run` of `model` on a fresh local server (embedded store in a
/// temporary folder, quotas lifted) with `clients` concurrent keep-alive clients:
/// a warm-cache phase of `warm` and an uncached phase (each run's inputs differ) of
/// `uncached`, then the uncached phase again with one client per core, which measures
/// an uncached run's own latency rather than its wait behind the runs of other clients.
/// Prints and returns the three phases' names and figures.
pub async fn bench_api(
    model_file: &Path,
    clients: usize,
    warm: Duration,
    uncached: Duration,
) -> Result<Vec<(String, BenchFigures)>, String> {
    let home = std::env::temp_dir().join(format!("auster-bench-api-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let mut config = Config::from_lookup(|k| match k {
        "AUSTER_STORE" => Some("sqlite".into()),
        "AUSTER_HOME" => Some(home.display().to_string()),
        other => std::env::var(other).ok(),
    })
    .map_err(|e| e.to_string())?;
    config.pricing.free_runs_per_day = u32::MAX as u64;
    config.pricing.runs_per_minute = u32::MAX as u64;
    let ctx = Arc::new(Ctx::from_config(config).await?);
    let text = std::fs::read_to_string(model_file)
        .map_err(|e| format!("{}: {e}", model_file.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let slug = json["slug"].as_str().unwrap_or_default().to_string();
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let server = tokio::spawn(run_server(listener, ctx.clone(), None));

    let mut admin = Conn::open(addr).await.map_err(|e| e.to_string())?;
    let (s, body) = admin
        .call(
            "POST",
            "/api/accounts",
            None,
            r#"{"email":"bench@example.com"}"#,
        )
        .await
        .map_err(|e| e.to_string())?;
    if s != 201 {
        return Err(format!(
            "account creation answered {s}: {}",
            String::from_utf8_lossy(body)
        ));
    }
    let key = serde_json::from_slice::<serde_json::Value>(body).map_err(|e| e.to_string())?
        ["api_key"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (s, body) = admin
        .call("POST", "/api/models", Some(&key), &text)
        .await
        .map_err(|e| e.to_string())?;
    if s != 201 {
        return Err(format!(
            "model creation answered {s}: {}",
            String::from_utf8_lossy(body)
        ));
    }
    let warm_body = format!(r#"{{"model_slug":"{slug}","inputs":{{}}}}"#);
    let (s, body) = admin
        .call("POST", "/api/models/run", Some(&key), &warm_body)
        .await
        .map_err(|e| e.to_string())?;
    if s != 200 {
        return Err(format!(
            "the first run answered {s}: {}",
            String::from_utf8_lossy(body)
        ));
    }

    let counter = Arc::new(AtomicU64::new(0));
    let phase = |cached: bool, dur: Duration, clients: usize| {
        let (key, slug, counter, warm_body) = (
            key.clone(),
            slug.clone(),
            counter.clone(),
            warm_body.clone(),
        );
        async move {
            let start = Instant::now();
            let mut tasks = Vec::new();
            for _ in 0..clients {
                let (key, slug, counter, warm_body) = (
                    key.clone(),
                    slug.clone(),
                    counter.clone(),
                    warm_body.clone(),
                );
                tasks.push(tokio::spawn(async move {
                    let mut conn = Conn::open(addr).await.map_err(|e| e.to_string())?;
                    let (mut lat, mut errors) = (Vec::new(), 0usize);
                    while start.elapsed() < dur {
                        let body = if cached {
                            warm_body.clone()
                        } else {
                            // Distinct inputs per request: every run misses the run cache.
                            let i = counter.fetch_add(1, Ordering::Relaxed);
                            format!(
                                r#"{{"model_slug":"{slug}","inputs":{{"lookback":{},"cost_bps":{}}}}}"#,
                                5 + i % 700,
                                (i / 700) as f64 * 0.5
                            )
                        };
                        let t = Instant::now();
                        let (s, _) = conn.call("POST", "/api/models/run", Some(&key), &body).await.map_err(|e| e.to_string())?;
                        lat.push(t.elapsed().as_secs_f64() * 1e3);
                        if s != 200 {
                            errors += 1;
                        }
                    }
                    Ok::<_, String>((lat, errors))
                }));
            }
            let (mut all, mut errors) = (Vec::new(), 0);
            for t in tasks {
                let (lat, e) = t.await.map_err(|e| e.to_string())??;
                all.extend(lat);
                errors += e;
            }
            Ok::<_, String>(figures(all, errors, start.elapsed()))
        }
    };
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut phases = Vec::new();
    for (name, cached, dur, n) in [
        ("warm cache", true, warm, clients),
        ("uncached", false, uncached, clients),
        ("uncached, one client per core", false, uncached, cores),
    ] {
        let f = phase(cached, dur, n).await?;
        println!(
            "api run {slug} ({name}, {n} clients): {} runs, p50 {:.2} ms, p99 {:.2} ms, {:.0} runs/s, {} errors",
            f.runs, f.p50_ms, f.p99_ms, f.runs_per_sec, f.errors
        );
        phases.push((name.to_string(), f));
    }
    server.abort();
    drop(ctx);
    let _ = std::fs::remove_dir_all(&home);
    Ok(phases)
}

/// `auster bench api`: the benchmark above on the momentum seed with 8 clients.
pub fn bench_api_command() -> ExitCode {
    let model = crate::run::seeds_root().join("momentum-strategy.json");
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(bench_api(
        &model,
        8,
        Duration::from_secs(5),
        Duration::from_secs(5),
    )) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
