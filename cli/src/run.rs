//! `auster run` and `auster validate`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use auster_data::Gateway;
use auster_engine::{check_model, prepare, Limits};
use auster_types::{Issue, ModelFile, RunResult};
use clap::{Args, ValueEnum};
use serde_json::{Map, Value as Json};

/// Output format of `auster run`.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// The RunResult JSON.
    Json,
    /// A readable summary.
    Table,
}

/// Arguments of `auster run`.
#[derive(Args)]
pub struct RunArgs {
    /// A model file path, or the slug of a seed model in seeds/models.
    model: String,
    /// A run input, NAME=VALUE (repeatable).
    #[arg(long = "input", short = 'i', value_name = "NAME=VALUE")]
    inputs: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
    /// Lift the API's size and time limits (trusted local use).
    #[arg(long)]
    unlimited: bool,
}

/// Arguments of `auster validate`.
#[derive(Args)]
pub struct ValidateArgs {
    /// A model file path, or a seed slug.
    model: String,
    /// Output format for the errors.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

/// Where seed models live (`AUSTER_SEEDS`, default `seeds/models`).
pub fn seeds_root() -> PathBuf {
    std::env::var_os("AUSTER_SEEDS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("seeds/models"))
}

/// Reads a model given as a path or a seed slug; `Err` is a message for stderr.
pub fn read_model_json(model: &str) -> Result<(PathBuf, Json), String> {
    let as_path = Path::new(model);
    let path = if as_path.is_file() {
        as_path.to_path_buf()
    } else {
        let seed = seeds_root().join(format!("{model}.json"));
        if !seed.is_file() {
            let mut slugs: Vec<String> = std::fs::read_dir(seeds_root())
                .map(|rd| {
                    rd.filter_map(|e| {
                        e.ok()?
                            .file_name()
                            .to_str()?
                            .strip_suffix(".json")
                            .map(String::from)
                    })
                    .collect()
                })
                .unwrap_or_default();
            slugs.sort();
            return Err(format!(
                "no model file {model:?} and no seed with that slug. Seeds: {}.",
                if slugs.is_empty() {
                    "none found (set AUSTER_SEEDS)".into()
                } else {
                    slugs.join(", ")
                }
            ));
        }
        seed
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let json = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not valid JSON: {e}", path.display()))?;
    Ok((path, json))
}

fn print_issues(issues: &[Issue], format: Format) {
    if format == Format::Json {
        eprintln!("{}", serde_json::json!({"valid": false, "errors": issues}));
    } else {
        for i in issues {
            eprintln!("error: {i}");
        }
    }
}

fn parse_inputs(raw: &[String]) -> Result<Map<String, Json>, String> {
    let mut out = Map::new();
    for kv in raw {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("--input {kv:?} must be NAME=VALUE"))?;
        out.insert(k.trim().to_string(), Json::String(v.to_string()));
    }
    Ok(out)
}

/// `auster run`.
pub fn run(args: RunArgs) -> ExitCode {
    let inputs = match parse_inputs(&args.inputs) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let limits = if args.unlimited {
        Limits::unlimited()
    } else {
        Limits::default()
    };
    let (_, json) = match read_model_json(&args.model) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let model: ModelFile = match check_model(&json, &limits) {
        Ok(m) => m,
        Err(issues) => {
            print_issues(&issues, Format::Table);
            return ExitCode::from(1);
        }
    };
    let program = match prepare(&model, &inputs) {
        Ok(p) => p,
        Err(issues) => {
            print_issues(&issues, Format::Table);
            return ExitCode::from(1);
        }
    };
    // The same gateway the API uses: bundled data, synthetic option chains offline, live
    // providers with AUSTER_DATA=live and a key (it needs a tokio runtime for HTTP).
    let source = match Gateway::from_env() {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: data configuration: {e}");
            return ExitCode::from(1);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let exec = match runtime.block_on(auster_engine::run(&program, &source, &limits)) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let result = exec.into_result(&model.slug, 1, program.inputs.clone());
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&result).unwrap_or_default()
        ),
        Format::Table => print_table(&result),
    }
    ExitCode::SUCCESS
}

fn fmt_opt(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{v:.6}"))
}

fn print_table(r: &RunResult) {
    println!(
        "{} (engine {}, {:.3} ms)",
        r.model_slug, r.engine_version, r.runtime_ms
    );
    for s in &r.outputs.scalars {
        println!("  {:<32} {}", s.label, fmt_opt(s.value));
    }
    for s in &r.outputs.series {
        let first = s
            .points
            .first()
            .map(|(d, v)| format!("{d} {}", fmt_opt(*v)))
            .unwrap_or_default();
        let last = s
            .points
            .last()
            .map(|(d, v)| format!("{d} {}", fmt_opt(*v)))
            .unwrap_or_default();
        println!(
            "  series {:<24} {} points  first {first}  last {last}",
            s.label,
            s.points.len()
        );
    }
    for t in &r.outputs.tables {
        println!(
            "  table {} ({} rows)",
            t.label.as_deref().unwrap_or(&t.id),
            t.rows.len()
        );
        println!("    {}", t.columns.join("\t"));
        for row in t.rows.iter().take(20) {
            let cells: Vec<String> = row
                .iter()
                .map(|c| match c {
                    Json::Number(n) => n.as_f64().map_or(n.to_string(), |x| format!("{x:.6}")),
                    Json::String(s) => s.clone(),
                    Json::Null => "—".into(),
                    other => other.to_string(),
                })
                .collect();
            println!("    {}", cells.join("\t"));
        }
    }
    println!("  steps:");
    for s in &r.steps {
        println!(
            "    {:<20} {:<22} {:>9.4} ms  {} × {}",
            s.id, s.operation, s.ms, s.kind, s.len
        );
    }
    for d in &r.data_sources {
        println!(
            "  data: {} {} sha256:{}",
            d.provider,
            d.dataset,
            &d.hash[..16.min(d.hash.len())]
        );
    }
}

/// `auster validate`.
pub fn validate(args: ValidateArgs) -> ExitCode {
    let (path, json) = match read_model_json(&args.model) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    match check_model(&json, &Limits::default()) {
        Ok(m) => {
            if args.format == Format::Json {
                println!("{}", serde_json::json!({"valid": true, "errors": []}));
            } else {
                println!(
                    "{} ({}): valid, {} steps",
                    path.display(),
                    m.slug,
                    m.dsl.steps.len()
                );
            }
            ExitCode::SUCCESS
        }
        Err(issues) => {
            if args.format == Format::Json {
                println!("{}", serde_json::json!({"valid": false, "errors": issues}));
            } else {
                print_issues(&issues, Format::Table);
            }
            ExitCode::from(1)
        }
    }
}
