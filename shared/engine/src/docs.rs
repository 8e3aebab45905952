//! The DSL reference (`docs/dsl.md`), generated from the registry so it cannot drift.
//! A test regenerates it and fails when the committed file differs.

use std::fmt::Write;

use crate::registry::{registry, Family};

/// Renders the complete DSL reference as Markdown.
pub fn reference_markdown() -> String {
    let mut out = String::new();
    out.push_str("<!-- Generated from the primitive registry by `auster docs` (cargo run -p auster-cli -- docs > docs/dsl.md). Do not edit by hand. -->\n\n");
    out.push_str("# DSL reference\n\n");
    out.push_str(INTRO);
    let reg = registry();
    out.push_str("\n## Contents\n\n");
    for fam in Family::ALL {
        let names: Vec<_> = reg
            .all()
            .iter()
            .filter(|p| p.family == fam)
            .map(|p| format!("[`{0}`](#{0})", p.name))
            .collect();
        if !names.is_empty() {
            let _ = writeln!(out, "- **{}**: {}", fam.title(), names.join(", "));
        }
    }
    for fam in Family::ALL {
        let prims: Vec<_> = reg.all().iter().filter(|p| p.family == fam).collect();
        if prims.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n## {}\n", fam.title());
        for p in prims {
            let _ = writeln!(out, "### {}\n\n{}\n\n{}\n", p.name, p.summary, p.doc);
            if !p.inputs.is_empty() {
                out.push_str("| input | kinds | |\n|---|---|---|\n");
                for o in p.inputs {
                    let mut notes = o.doc.to_string();
                    if o.optional {
                        notes.push_str(" (optional)");
                    }
                    if o.variadic {
                        notes.push_str(" (one or more)");
                    }
                    let _ = writeln!(out, "| `{}` | {} | {} |", o.name, o.kinds.describe(), notes);
                }
                out.push('\n');
            }
            if !p.params.is_empty() {
                out.push_str("| param | type | default | |\n|---|---|---|---|\n");
                for q in p.params {
                    let default = match (q.default, q.required) {
                        (Some(d), _) => format!("`{}`", d.to_json()),
                        (None, true) => "required".into(),
                        (None, false) => "—".into(),
                    };
                    let range = q.range_words();
                    let doc = if range.is_empty() {
                        q.doc.to_string()
                    } else {
                        format!("{}; {range}", q.doc)
                    };
                    let _ = writeln!(
                        out,
                        "| `{}` | {} | {} | {} |",
                        q.name,
                        q.ty.describe(),
                        default,
                        doc
                    );
                }
                out.push('\n');
            }
            let _ = writeln!(
                out,
                "Returns: {}. Reference: {}\n",
                describe_returns(p),
                p.reference
            );
        }
    }
    out
}

fn describe_returns(p: &crate::registry::Primitive) -> String {
    p.catalogue_json()["returns"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

const INTRO: &str = "A model's `dsl` is `{\"version\": \"1.0\", \"steps\": [...], \"outputs\": {...}}`. \
Each step is `{\"id\", \"operation\", \"params\", \"inputs\"}`: `inputs` name earlier steps whose values are the \
operation's positional operands; a param written `\"$name\"` takes the run input `name` (`\"$$x\"` is the literal \
`\"$x\"`). Steps run in dependency order. Values are `scalar`, `series` (dated f64, NaN = missing), `frame` \
(dated named columns), `record` (named scalars), `table`, `text` and `bool`; NaN and infinities are `null` in JSON.\n\n\
Binary operations on two series align them on the union of their dates, exactly as pandas does. Rolling windows \
yield NaN until `min_periods` (default: the window) non-NaN values are in the window. Every numeric primitive is \
tested against the reference named below to a relative error of 1e-9 (1e-6 for iterative methods) by golden cases \
generated with that reference (`tests/reference/`).\n\n\
Outputs: `series` (`source` = a series step or `step.column` of a frame), `tables` (a table, frame, record or \
series step; `columns` to pick), `scalars` (a scalar step or `step.field` of a record).\n\n\
Limits (API defaults): 200 steps, 5,000,000 points per value, 50 MB of live intermediate values, 30 s wall clock; \
charted series above 40,000 points in total are thinned (min/max per bucket) with the full data kept for artifacts.\n";
