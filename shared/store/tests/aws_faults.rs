//! Faults of the aws backend, through the real SDK and moto:
//!
//! - a stopped moto server gives a clean `Unavailable`;
//! - the service vanishing in the middle of a write sequence (a loopback proxy between the
//!   SDK and moto that starts refusing connections) leaves no half-written state: no run
//!   pointing at a missing object, no charge without its ledger entry;
//! - throttling answers are retried with backoff, and reported as `Unavailable` when they
//!   persist.

mod support;

use std::{
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use auster_store::{moto::MotoServer, *};
use support::*;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

/// A TCP proxy in front of moto that can refuse connections or answer throttling errors.
struct Proxy {
    port: u16,
    down: Arc<AtomicBool>,
    throttle: Arc<AtomicUsize>,
    throttled: Arc<AtomicUsize>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

const THROTTLE_BODY: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#;

async fn read_request(s: &mut TcpStream) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = s.read(&mut chunk).await?;
                if n == 0 {
                    return Ok(());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Ok(());
        }
    }
}

impl Proxy {
    async fn start(target: u16) -> Proxy {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let down = Arc::new(AtomicBool::new(false));
        let throttle = Arc::new(AtomicUsize::new(0));
        let throttled = Arc::new(AtomicUsize::new(0));
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (d, t, td, c) = (
            down.clone(),
            throttle.clone(),
            throttled.clone(),
            conns.clone(),
        );
        let accept = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = l.accept().await else {
                    return;
                };
                if d.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let take = t
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| v.checked_sub(1))
                    .is_ok();
                let td = td.clone();
                let h = tokio::spawn(async move {
                    if take {
                        if read_request(&mut inbound).await.is_ok() {
                            let resp = format!(
                                "HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-RequestId: proxy\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                                THROTTLE_BODY.len(),
                                THROTTLE_BODY
                            );
                            let _ = inbound.write_all(resp.as_bytes()).await;
                            td.fetch_add(1, Ordering::SeqCst);
                        }
                        return;
                    }
                    if let Ok(mut out) = TcpStream::connect(("127.0.0.1", target)).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
                c.lock().unwrap().push(h);
            }
        });
        Proxy {
            port,
            down,
            throttle,
            throttled,
            conns,
            accept,
        }
    }

    /// Cuts every open connection (so pooled keep-alive connections die too).
    fn cut(&self) {
        for h in self.conns.lock().unwrap().drain(..) {
            h.abort();
        }
    }

    fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
        if down {
            self.cut();
        }
    }

    fn throttle_next(&self, n: usize) {
        self.throttle.store(n, Ordering::SeqCst);
        self.cut();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

fn via_proxy(moto: &MotoServer, proxy: &Proxy, table: &str, bucket: &str) -> aws::AwsConfig {
    let mut cfg = moto.config(table, bucket);
    cfg.endpoint_url = Some(format!("http://127.0.0.1:{}", proxy.port));
    cfg.attempt_timeout = Duration::from_secs(2);
    cfg.max_attempts = 3;
    cfg
}

fn moto_port(m: &MotoServer) -> u16 {
    m.endpoint()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stopped_moto_gives_clean_unavailable() {
    let Some(mut moto) = start_moto() else { return };
    let (s, _) = aws_store(&moto).await;
    let a = account(&s, "a", 5).await;
    moto.stop();
    let t = Instant::now();
    for r in [
        s.get_account(&a.id).await.map(|_| ()),
        s.charge_credits(
            &a.id,
            1,
            CreditMemo {
                reason: "run".into(),
                ..Default::default()
            },
        )
        .await
        .map(|_| ()),
        s.put_blob("x/y", b"z").await,
        s.ping().await,
    ] {
        let e = r.expect_err("moto is stopped");
        assert_eq!(e.category(), ErrorCategory::Unavailable, "{e}");
    }
    assert!(
        t.elapsed() < Duration::from_secs(60),
        "fails fast: {:?}",
        t.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn service_gone_mid_sequence_leaves_no_half_written_state() {
    let Some(moto) = start_moto() else { return };
    let proxy = Proxy::start(moto_port(&moto)).await;
    let id = new_id();
    let (table, bucket) = (format!("t-{id}"), format!("b-{id}"));
    // Direct handle for setup and for the audit afterwards; proxied handle for the sequence.
    let (direct, _) = aws_store_at(moto.config(&table, &bucket)).await;
    let flaky = aws::connect(via_proxy(&moto, &proxy, &table, &bucket))
        .await
        .unwrap();
    let a = account(&direct, "a", 100).await;
    model(&direct, "m", &a.id, Visibility::Public).await;

    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (user, store) = (a.id.clone(), flaky.clone());
    let writer = tokio::spawn(async move {
        let mut tx = Some(tx);
        let mut results = Vec::new();
        for i in 0..40 {
            let charge = store
                .charge_credits(
                    &user,
                    1,
                    CreditMemo {
                        reason: "run".into(),
                        run_id: None,
                        model_slug: Some("m".into()),
                    },
                )
                .await
                .map(|_| ());
            results.push(charge);
            let out = vec![b'o'; 4096 + i];
            results.push(
                store
                    .record_run(run_of(&user, "m", Some(out)))
                    .await
                    .map(|_| ()),
            );
            if i == 4 {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(());
                }
            }
        }
        results
    });
    rx.await.unwrap();
    tokio::time::sleep(Duration::from_millis(7)).await;
    proxy.set_down(true);
    let results = writer.await.unwrap();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert!(ok >= 10, "the sequence ran before the fault ({ok} ok)");
    assert!(ok < results.len(), "the fault hit the sequence");
    for e in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(e.category(), ErrorCategory::Unavailable, "{e}");
    }

    // Audit through the direct handle: every charge has its ledger entry, every run its output.
    let acct = direct.get_account(&a.id).await.unwrap();
    let ledger = direct
        .list_ledger(&a.id, &PageRequest::first(100))
        .await
        .unwrap()
        .items;
    assert_eq!(
        ledger.iter().map(|e| e.delta).sum::<i64>(),
        acct.credits,
        "ledger sums to the balance"
    );
    assert_eq!(
        ledger.len() as i64 - 1,
        100 - acct.credits,
        "one entry per charge"
    );
    let mut runs = Vec::new();
    let mut page = PageRequest::first(100);
    loop {
        let p = direct.list_user_runs(&a.id, &page).await.unwrap();
        runs.extend(p.items);
        match p.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => break,
        }
    }
    assert!(!runs.is_empty());
    for r in &runs {
        let out = direct
            .get_run_output(&r.id, &a.id)
            .await
            .expect("every stored run has its output");
        assert_eq!(out.len() as u64, r.output_size);
    }
    assert_eq!(
        direct.get_model("m", None).await.unwrap().stats.runs,
        runs.len() as u64,
        "counter matches the log"
    );

    // Back up: the proxied handle works again.
    proxy.set_down(false);
    flaky.get_account(&a.id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn throttling_is_retried_then_reported() {
    let Some(moto) = start_moto() else { return };
    let proxy = Proxy::start(moto_port(&moto)).await;
    let id = new_id();
    let (table, bucket) = (format!("t-{id}"), format!("b-{id}"));
    let (direct, _) = aws_store_at(moto.config(&table, &bucket)).await;
    let a = account(&direct, "a", 3).await;
    let s = aws::connect(via_proxy(&moto, &proxy, &table, &bucket))
        .await
        .unwrap();
    // Two throttled answers, then the real one: the caller only sees success.
    proxy.throttle_next(2);
    assert_eq!(s.get_account(&a.id).await.unwrap().credits, 3);
    assert_eq!(proxy.throttled.load(Ordering::SeqCst), 2);
    // Throttled on every attempt: Unavailable, nothing changed.
    proxy.throttle_next(50);
    let e = s
        .charge_credits(
            &a.id,
            1,
            CreditMemo {
                reason: "run".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.category(), ErrorCategory::Unavailable, "{e}");
    assert!(e.to_string().contains("Throttling"), "{e}");
    proxy.throttle_next(0);
    assert_eq!(direct.get_account(&a.id).await.unwrap().credits, 3);
}
