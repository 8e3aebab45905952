//! The DSL reference is generated from the registry: fail when `docs/dsl.md` drifts or a
//! primitive is undocumented. Regenerate with `make docs`.

use auster_engine::registry::registry;

#[test]
fn every_primitive_is_documented() {
    let mut missing = Vec::new();
    for p in registry().all() {
        if p.summary.trim().is_empty() || p.doc.trim().is_empty() || p.reference.trim().is_empty() {
            missing.push(format!(
                "{}: summary, doc and reference are required",
                p.name
            ));
        }
        for o in p.inputs {
            if o.doc.trim().is_empty() {
                missing.push(format!("{}: input `{}` has no doc", p.name, o.name));
            }
        }
        for q in p.params {
            if q.doc.trim().is_empty() {
                missing.push(format!("{}: param `{}` has no doc", p.name, q.name));
            }
        }
    }
    assert!(missing.is_empty(), "undocumented:\n{}", missing.join("\n"));
}

#[test]
fn primitive_names_are_unique() {
    let mut names: Vec<_> = registry().all().iter().map(|p| p.name).collect();
    let n = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), n, "two primitives share a name");
}

#[test]
fn docs_dsl_md_matches_the_registry() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/dsl.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = auster_engine::docs::reference_markdown();
    assert!(
        committed == generated,
        "docs/dsl.md is out of date with the primitive registry; run `make docs` and commit it"
    );
}
