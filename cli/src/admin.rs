//! Operator commands: `auster seed`, `auster store init`, `auster credits grant`.
//!
//! Each opens the store the environment names (interfaces.md §2), does one thing, and
//! prints what it did. Exit codes: 0 done, 1 the store refused or failed, 2 usage error.

use std::process::ExitCode;

#[allow(unused_imports)]
use auster_api::prelude::*;
use auster_store::{CreditMemo, StoreError};
use clap::{Args, Subcommand};

use crate::serve::{init_tracing, runtime};

/// `auster store …`.
#[derive(Subcommand)]
pub enum StoreCommand {
    /// With AUSTER_STORE=aws: create the DynamoDB table and the S3 bucket when missing
    /// (idempotent). With the embedded store: create the database file.
    Init,
}

/// `auster credits …`.
#[derive(Subcommand)]
pub enum CreditsCommand {
    /// Add credits to an account (operator top-up).
    Grant(GrantArgs),
}

/// Arguments of `auster credits grant`.
#[derive(Args)]
pub struct GrantArgs {
    /// The account's email.
    email: String,
    /// Credits to add (a positive whole number).
    amount: i64,
}

fn block_on<F: std::future::Future<Output = ExitCode>>(f: F) -> ExitCode {
    init_tracing();
    match runtime() {
        Ok(rt) => rt.block_on(f),
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            ExitCode::from(1)
        }
    }
}

async fn open() -> Result<std::sync::Arc<dyn auster_store::Store>, ExitCode> {
    auster_store::open_from_env().await.map_err(|e| {
        eprintln!("error: {e}");
        match e {
            StoreError::Invalid(_) => ExitCode::from(2),
            _ => ExitCode::from(1),
        }
    })
}

/// `auster seed`: loads `seeds/models/*.json` (or `$AUSTER_SEEDS`) into the store.
pub fn seed() -> ExitCode {
    block_on(async {
        let store = match open().await {
            Ok(s) => s,
            Err(code) => return code,
        };
        let dir = crate::run::seeds_root();
        match auster_api::seed::load_seeds(store.as_ref(), &dir).await {
            Ok(r) => {
                for s in &r.created {
                    println!("created  {s}");
                }
                for s in &r.existing {
                    println!("present  {s}");
                }
                for (file, why) in &r.invalid {
                    eprintln!("skipped  {file}: {why}");
                }
                println!(
                    "{} created, {} already present, {} skipped ({})",
                    r.created.len(),
                    r.existing.len(),
                    r.invalid.len(),
                    dir.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(1)
            }
        }
    })
}

/// `auster store init`.
pub fn store(cmd: StoreCommand) -> ExitCode {
    match cmd {
        StoreCommand::Init => block_on(async {
            let aws = std::env::var("AUSTER_STORE").is_ok_and(|v| v.trim() == "aws");
            if !aws {
                return match open().await {
                    Ok(s) => {
                        println!("embedded store ready ({})", s.backend());
                        ExitCode::SUCCESS
                    }
                    Err(code) => code,
                };
            }
            match auster_store::init_aws_from_env().await {
                Ok(r) => {
                    println!(
                        "table {}, bucket {}",
                        if r.table_created {
                            "created"
                        } else {
                            "already present"
                        },
                        if r.bucket_created {
                            "created"
                        } else {
                            "already present"
                        }
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(1)
                }
            }
        }),
    }
}

/// `auster credits grant EMAIL AMOUNT`.
pub fn credits(cmd: CreditsCommand) -> ExitCode {
    let CreditsCommand::Grant(args) = cmd;
    if args.amount <= 0 {
        eprintln!(
            "error: AMOUNT must be a positive whole number of credits, got {}",
            args.amount
        );
        return ExitCode::from(2);
    }
    block_on(async move {
        let store = match open().await {
            Ok(s) => s,
            Err(code) => return code,
        };
        let account = match store.get_account_by_email(&args.email).await {
            Ok(a) => a,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        };
        let memo = CreditMemo {
            reason: "grant".into(),
            run_id: None,
            model_slug: None,
        };
        match store.grant_credits(&account.id, args.amount, memo).await {
            Ok(entry) => {
                println!(
                    "granted {} credits to {} ({}); balance {}",
                    args.amount, account.email, account.id, entry.balance_after
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(1)
            }
        }
    })
}
