//! Typed configuration from the environment, the same in Lambda and locally.
//!
//! Every variable is named by a constant in [`vars`]; [`Config::from_env`] reads them all
//! and reports every missing or malformed one at once, so a misconfigured deployment is
//! fixed in one round trip.

use std::path::PathBuf;
use std::time::Duration;

use auster_data::GatewayConfig;

/// Names of the environment variables the API reads.
pub mod vars {
    /// `sqlite` (default) or `aws`.
    pub const STORE: &str = "AUSTER_STORE";
    /// Folder of the SQLite file and local blobs (default `./.auster`).
    pub const HOME: &str = "AUSTER_HOME";
    /// DynamoDB table (required with `AUSTER_STORE=aws`).
    pub const TABLE: &str = "AUSTER_TABLE";
    /// S3 bucket (required with `AUSTER_STORE=aws`).
    pub const BUCKET: &str = "AUSTER_BUCKET";
    /// `bundled` (default) or `live` (read by the data gateway).
    pub const DATA: &str = "AUSTER_DATA";
    /// Root of the bundled datasets (default `seeds/data`).
    pub const DATASETS: &str = "AUSTER_DATASETS";
    /// Largest request body accepted, in bytes (default 1 MiB).
    pub const MAX_BODY_BYTES: &str = "AUSTER_MAX_BODY_BYTES";
    /// Runs a day without credits on the free plan (default 10).
    pub const FREE_RUNS_PER_DAY: &str = "AUSTER_FREE_RUNS_PER_DAY";
    /// Runs a day without credits on the paid plan (default 100).
    pub const PAID_RUNS_PER_DAY: &str = "AUSTER_PAID_RUNS_PER_DAY";
    /// Runs a minute per user per model (default 3).
    pub const RUNS_PER_MINUTE: &str = "AUSTER_RUNS_PER_MINUTE";
    /// Credits a new account starts with (default 20).
    pub const SIGNUP_CREDITS: &str = "AUSTER_SIGNUP_CREDITS";
    /// Credits a run costs once the day's included runs are used (default 1).
    pub const RUN_COST: &str = "AUSTER_RUN_COST";
    /// Wall-clock budget of one run in seconds (default 30).
    pub const RUN_TIMEOUT_SECS: &str = "AUSTER_RUN_TIMEOUT_SECS";

    /// Every variable, for documentation and the template check.
    pub const ALL: [&str; 13] = [
        STORE,
        HOME,
        TABLE,
        BUCKET,
        DATA,
        DATASETS,
        MAX_BODY_BYTES,
        FREE_RUNS_PER_DAY,
        PAID_RUNS_PER_DAY,
        RUNS_PER_MINUTE,
        SIGNUP_CREDITS,
        RUN_COST,
        RUN_TIMEOUT_SECS,
    ];
}

/// Which store backend to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// Embedded SQLite under `home`.
    Sqlite {
        /// Folder of the database file and blobs.
        home: PathBuf,
    },
    /// DynamoDB + S3 (endpoint and region from the SDK's own variables).
    Aws {
        /// Table name.
        table: String,
        /// Bucket name.
        bucket: String,
    },
}

/// Plans, quotas and prices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pricing {
    /// Included runs a day on the free plan.
    pub free_runs_per_day: u64,
    /// Included runs a day on the paid plan.
    pub paid_runs_per_day: u64,
    /// Runs a minute per user per model.
    pub runs_per_minute: u64,
    /// Starting balance of a new account.
    pub signup_credits: i64,
    /// Credits charged for a run beyond the included ones.
    pub run_cost: u32,
}

impl Default for Pricing {
    fn default() -> Self {
        Self {
            free_runs_per_day: 10,
            paid_runs_per_day: 100,
            runs_per_minute: 3,
            signup_credits: 20,
            run_cost: 1,
        }
    }
}

/// The API's whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Store backend.
    pub store: StoreConfig,
    /// Data gateway settings (`AUSTER_DATA`, `AUSTER_DATASETS`, provider keys).
    pub data: GatewayConfig,
    /// Largest accepted body.
    pub max_body_bytes: usize,
    /// Plans and prices.
    pub pricing: Pricing,
    /// Per-run wall-clock budget.
    pub run_timeout: Duration,
}

/// Every problem found in the environment, one sentence each.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration: {}", .0.join("; "))]
pub struct ConfigError(pub Vec<String>);

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads variables through `get` (tests pass a map); reports every problem at once.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut problems = Vec::new();
        let store = match var(vars::STORE).as_deref().unwrap_or("sqlite") {
            "sqlite" => StoreConfig::Sqlite {
                home: PathBuf::from(var(vars::HOME).unwrap_or_else(|| "./.auster".into())),
            },
            "aws" => {
                let (table, bucket) = (var(vars::TABLE), var(vars::BUCKET));
                for (name, v) in [(vars::TABLE, &table), (vars::BUCKET, &bucket)] {
                    if v.is_none() {
                        problems.push(format!("{name} must be set when AUSTER_STORE=aws"));
                    }
                }
                StoreConfig::Aws {
                    table: table.unwrap_or_default(),
                    bucket: bucket.unwrap_or_default(),
                }
            }
            other => {
                problems.push(format!(
                    "{} must be `sqlite` or `aws`, not `{other}`",
                    vars::STORE
                ));
                StoreConfig::Sqlite {
                    home: PathBuf::new(),
                }
            }
        };
        let data = match GatewayConfig::from_lookup(&get) {
            Ok(d) => d,
            Err(e) => {
                problems.extend(e.0);
                GatewayConfig::bundled("seeds/data")
            }
        };
        let mut num = |name: &str, default: u64, min: u64, max: u64| -> u64 {
            match var(name) {
                None => default,
                Some(v) => match v.parse::<u64>() {
                    Ok(n) if (min..=max).contains(&n) => n,
                    _ => {
                        problems.push(format!(
                            "{name} must be a whole number from {min} to {max}, got `{v}`"
                        ));
                        default
                    }
                },
            }
        };
        let d = Pricing::default();
        let max_body_bytes = num(vars::MAX_BODY_BYTES, 1 << 20, 1024, 64 << 20) as usize;
        let pricing = Pricing {
            free_runs_per_day: num(vars::FREE_RUNS_PER_DAY, d.free_runs_per_day, 0, 1 << 32),
            paid_runs_per_day: num(vars::PAID_RUNS_PER_DAY, d.paid_runs_per_day, 0, 1 << 32),
            runs_per_minute: num(vars::RUNS_PER_MINUTE, d.runs_per_minute, 1, 1 << 32),
            signup_credits: num(vars::SIGNUP_CREDITS, d.signup_credits as u64, 0, 1 << 32) as i64,
            run_cost: num(vars::RUN_COST, d.run_cost as u64, 1, 1_000_000) as u32,
        };
        let run_timeout = Duration::from_secs(num(vars::RUN_TIMEOUT_SECS, 30, 1, 900));
        if problems.is_empty() {
            Ok(Config {
                store,
                data,
                max_body_bytes,
                pricing,
                run_timeout,
            })
        } else {
            Err(ConfigError(problems))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        // Tests run in the crate's folder; the default `seeds/data` is relative to the repo.
        m.entry("AUSTER_DATASETS".into())
            .or_insert_with(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../../seeds/data").into());
        Config::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn defaults_are_the_embedded_store_and_the_free_plan() {
        let c = cfg(&[]).unwrap();
        assert_eq!(
            c.store,
            StoreConfig::Sqlite {
                home: "./.auster".into()
            }
        );
        assert_eq!(c.pricing, Pricing::default());
        assert_eq!(c.max_body_bytes, 1 << 20);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let e = cfg(&[("AUSTER_STORE", "aws"), ("AUSTER_RUNS_PER_MINUTE", "lots")]).unwrap_err();
        let all = e.to_string();
        assert!(all.contains("AUSTER_TABLE"), "{all}");
        assert!(all.contains("AUSTER_BUCKET"), "{all}");
        assert!(all.contains("AUSTER_RUNS_PER_MINUTE"), "{all}");
        assert_eq!(e.0.len(), 3);
    }

    #[test]
    fn aws_with_table_and_bucket_is_accepted() {
        let c = cfg(&[
            ("AUSTER_STORE", "aws"),
            ("AUSTER_TABLE", "t"),
            ("AUSTER_BUCKET", "b"),
        ])
        .unwrap();
        assert_eq!(
            c.store,
            StoreConfig::Aws {
                table: "t".into(),
                bucket: "b".into()
            }
        );
    }
}
