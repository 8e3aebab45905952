//! A moto server on a free loopback port, for tests and benchmarks of the aws backend.
//!
//! moto (PyPI `moto[server]`) serves DynamoDB and S3 on one port; `make test`'s setup
//! installs it into `$AUSTER_VENV` (default `~/.cache/auster/venv`). The server is killed
//! when the handle drops, so a failing test never leaves it behind.

use std::{
    net::{SocketAddr, TcpListener, TcpStream},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::{aws::AwsConfig, Result, StoreError};

/// A running moto server.
pub struct MotoServer {
    child: Option<Child>,
    port: u16,
}

/// Where `moto_server` is expected: `$AUSTER_VENV/bin/moto_server`.
pub fn moto_binary() -> PathBuf {
    let venv = std::env::var("AUSTER_VENV")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| {
            let home = std::env::var("HOME").unwrap_or_else(|_| ".".into());
            format!("{home}/.cache/auster/venv")
        });
    PathBuf::from(venv).join("bin").join("moto_server")
}

impl MotoServer {
    /// Starts moto on a free loopback port and waits (up to 30 s) until it answers.
    /// Unavailable when the binary is missing or does not come up.
    pub fn start() -> Result<Self> {
        let bin = moto_binary();
        if !bin.exists() {
            return Err(StoreError::Unavailable(format!(
                "{} not found; run `make setup` (installs moto into $AUSTER_VENV)",
                bin.display()
            )));
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(|e| StoreError::Unavailable(format!("no free port: {e}")))?;
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| StoreError::Unavailable(format!("cannot start {}: {e}", bin.display())))?;
        let mut server = MotoServer {
            child: Some(child),
            port,
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if Instant::now() > deadline {
                server.stop();
                return Err(StoreError::Unavailable(format!(
                    "moto did not answer on port {port}"
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(server)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A backend configuration pointing at this server, with dummy credentials and short
    /// timeouts (a stopped server fails fast).
    pub fn config(&self, table: &str, bucket: &str) -> AwsConfig {
        AwsConfig {
            table: table.into(),
            bucket: bucket.into(),
            endpoint_url: Some(self.endpoint()),
            region: Some("us-east-1".into()),
            credentials: Some(("testing".into(), "testing".into())),
            attempt_timeout: Duration::from_secs(5),
            max_attempts: 3,
            // moto rolls a cancelled transaction back by restoring a whole-table snapshot.
            serialize_writes: true,
        }
    }

    /// Kills the server (idempotent).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        self.stop();
    }
}
