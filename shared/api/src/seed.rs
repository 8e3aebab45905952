//! Loading the seed models (`seeds/models/*.json`) into a store, idempotently.
//!
//! Each valid file becomes a public, platform-owned template model; a slug already in the
//! store is left as it is, so running the loader twice changes nothing. Invalid files are
//! reported with every issue and skipped: one broken seed never blocks the others.

use std::path::Path;

#[allow(unused_imports)]
use crate::prelude::*;
use auster_engine::{check_model, Limits};
use auster_store::{ModelMeta, NewModel, NewVersion, Store, StoreError, Visibility};

/// What a seeding pass did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeedReport {
    /// Slugs created now.
    pub created: Vec<String>,
    /// Slugs that were already there.
    pub existing: Vec<String>,
    /// Files skipped, with why.
    pub invalid: Vec<(String, String)>,
}

/// Loads every `*.json` of `dir` (sorted by name). Fails only when the folder cannot be
/// read or the store fails; a missing folder is an empty report.
pub async fn load_seeds(store: &dyn Store, dir: &Path) -> Result<SeedReport, StoreError> {
    let mut report = SeedReport::default();
    let mut files: Vec<_> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(report),
        Err(e) => {
            return Err(StoreError::Invalid(format!(
                "cannot read {}: {e}",
                dir.display()
            )))
        }
    };
    files.sort();
    let limits = Limits::default();
    for path in files {
        let name = path.display().to_string();
        let json = match std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).map_err(|e| e.to_string()))
        {
            Ok(j) => j,
            Err(e) => {
                report.invalid.push((name, e));
                continue;
            }
        };
        let model = match check_model(&json, &limits) {
            Ok(m) => m,
            Err(issues) => {
                let msg = issues
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ");
                report.invalid.push((name, msg));
                continue;
            }
        };
        let new = NewModel {
            slug: model.slug.clone(),
            owner_id: None,
            meta: ModelMeta {
                name: model.name,
                description: model.description,
                lab_scope: model.lab_scope,
                visibility: Visibility::Public,
                tags: model.tags,
                difficulty: model.difficulty,
                references: model.references,
            },
            is_template: true,
            forked_from: None,
            first_version: NewVersion {
                dsl: model.dsl,
                input_schema: model.input_schema,
                changelog: "seed".into(),
            },
        };
        match store.create_model(new).await {
            Ok(_) => report.created.push(model.slug),
            Err(StoreError::Conflict(_)) => report.existing.push(model.slug),
            Err(StoreError::Invalid(m)) => report.invalid.push((name, m)),
            Err(e) => return Err(e),
        }
    }
    Ok(report)
}
