//! The catalogue and model management: list, create, detail, update, delete, fork.

use auster_engine::check_model;
use auster_store::{
    new_id, ModelMeta, ModelPatch, ModelQuery, ModelSort, NewModel, NewVersion, PageRequest,
};
use auster_types::api::{ForkRequest, ModelDetail, ModelList, Visibility};
use auster_types::{Difficulty, LabScope, ModelFile};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{Body, Created, Ok200, Path, PathBody, Query};
use crate::convert;
use crate::ctx::Ctx;
use crate::error::ApiError;
#[allow(unused_imports)]
use crate::prelude::*;
use crate::text;

/// Slugs that name routes under `/api/models/…` and so cannot name a model.
pub const RESERVED_SLUGS: [&str; 5] = ["run", "fork", "save", "rate", "publish"];

fn parse_enum<T>(
    name: &str,
    value: &str,
    parse: impl Fn(&str) -> Option<T>,
    allowed: &[&str],
) -> Result<T, ApiError> {
    parse(value).ok_or_else(|| {
        ApiError::invalid(
            &format!("/query/{name}"),
            format!(
                "{name} must be one of {}, got `{value}`",
                allowed.join(", ")
            ),
        )
    })
}

/// `GET /api/models`: public models filtered, searched, sorted and paged; `owner=me`
/// lists the caller's own models (private ones included), newest first.
pub async fn list_models(ctx: &Ctx, input: Query) -> Result<Ok200<ModelList>, ApiError> {
    let mut query = ModelQuery::default();
    if let Some(v) = input.get("lab").filter(|v| !v.is_empty()) {
        query.lab = Some(parse_enum(
            "lab",
            v,
            LabScope::parse,
            &["econ", "derivatives", "crypto", "both"],
        )?);
    }
    if let Some(v) = input.get("difficulty").filter(|v| !v.is_empty()) {
        query.difficulty = Some(parse_enum(
            "difficulty",
            v,
            Difficulty::parse,
            &["basic", "intermediate", "advanced"],
        )?);
    }
    if let Some(v) = input.get("sort").filter(|v| !v.is_empty()) {
        query.sort = parse_enum(
            "sort",
            v,
            |s| match s {
                "popular" => Some(ModelSort::Popular),
                "rating" => Some(ModelSort::Rating),
                "new" => Some(ModelSort::New),
                _ => None,
            },
            &["popular", "rating", "new"],
        )?;
    }
    query.tag = input
        .get("tag")
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    query.q = input
        .get("q")
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.trim().to_string());
    let limit = match input.get("limit").filter(|v| !v.is_empty()) {
        None => 20,
        Some(v) => match v.parse::<u32>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                return Err(ApiError::invalid(
                    "/query/limit",
                    format!("limit must be a whole number from 1 to 100, got `{v}`"),
                ))
            }
        },
    };
    let page = PageRequest {
        limit,
        cursor: input
            .get("cursor")
            .filter(|v| !v.is_empty())
            .map(str::to_string),
    };
    let result = match input.get("owner").filter(|v| !v.is_empty()) {
        None => ctx.store.list_public_models(&query, &page).await,
        Some("me") => {
            let user = input.caller.require()?;
            ctx.store.list_user_models(user, Some(user), &page).await
        }
        Some(other) => {
            return Err(ApiError::invalid(
                "/query/owner",
                format!("owner must be `me` (the caller's own models), got `{other}`"),
            ))
        }
    };
    let page = result.map_err(cursor_error)?;
    Ok(Ok200(ModelList {
        items: page.items.iter().map(convert::summary).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Bad cursors are the caller's mistake (400), whatever the store calls them.
fn cursor_error(e: auster_store::StoreError) -> ApiError {
    match e {
        auster_store::StoreError::Invalid(m) => ApiError::invalid("/query/cursor", m),
        other => other.into(),
    }
}

/// Checks the free-text fields of model metadata.
fn check_meta_text(meta: &ModelMeta) -> Result<(), ApiError> {
    text::line("/name", &meta.name, 120)?;
    text::multiline("/description", &meta.description, 4000)?;
    for (i, t) in meta.tags.iter().enumerate() {
        text::line(&format!("/tags/{i}"), t, 32)?;
    }
    for (i, r) in meta.references.iter().enumerate() {
        text::line(&format!("/references/{i}"), r, 500)?;
    }
    Ok(())
}

/// Splits an optional `visibility` off a JSON object (it is not part of a model file).
fn take_visibility(obj: &mut Map<String, Value>) -> Result<Option<Visibility>, ApiError> {
    match obj.remove("visibility") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Visibility::parse(&s).map(Some).ok_or_else(|| {
            ApiError::invalid(
                "/visibility",
                format!("visibility must be public, unlisted or private, got `{s}`"),
            )
        }),
        Some(_) => Err(ApiError::invalid(
            "/visibility",
            "visibility must be a string: public, unlisted or private",
        )),
    }
}

/// Validates a model file with the engine (every issue with its path).
fn validated(ctx: &Ctx, json: &Value) -> Result<ModelFile, ApiError> {
    check_model(json, &ctx.limits).map_err(ApiError::InvalidModel)
}

async fn detail_of(ctx: &Ctx, slug: &str, viewer: Option<&str>) -> Result<ModelDetail, ApiError> {
    let model = ctx.store.get_model(slug, viewer).await?;
    let versions = ctx.store.list_versions(slug, viewer).await?;
    let latest = match versions.first() {
        Some(v) => v.clone(),
        None => ctx.store.get_version(slug, None, viewer).await?,
    };
    Ok(convert::detail(&model, &latest, &versions))
}

/// `POST /api/models`: creates a model owned by the caller from a model file (plus an
/// optional `visibility`, default public). The DSL is validated first (422 with every
/// issue).
pub async fn create_model(ctx: &Ctx, input: Body<Value>) -> Result<Created<ModelDetail>, ApiError> {
    let user = input.caller.require()?.to_string();
    let mut body = input.body;
    let Some(obj) = body.as_object_mut() else {
        return Err(ApiError::invalid(
            "",
            "the request body must be a model file (a JSON object)",
        ));
    };
    let visibility = take_visibility(obj)?.unwrap_or_default();
    let model = validated(ctx, &body)?;
    if RESERVED_SLUGS.contains(&model.slug.as_str()) {
        return Err(ApiError::InvalidModel(vec![auster_types::Issue::new(
            "/slug",
            format!("`{}` names an API route; choose another slug", model.slug),
        )]));
    }
    let meta = ModelMeta {
        name: model.name.clone(),
        description: model.description.clone(),
        lab_scope: model.lab_scope,
        visibility: convert::visibility_in(visibility),
        tags: model.tags.clone(),
        difficulty: model.difficulty,
        references: model.references.clone(),
    };
    check_meta_text(&meta)?;
    ctx.store
        .create_model(NewModel {
            slug: model.slug.clone(),
            owner_id: Some(user.clone()),
            meta,
            is_template: false,
            forked_from: None,
            first_version: NewVersion {
                dsl: model.dsl,
                input_schema: model.input_schema,
                changelog: "created".into(),
            },
        })
        .await?;
    Ok(Created(detail_of(ctx, &model.slug, Some(&user)).await?))
}

/// `GET /api/models/{slug}`: detail with the latest version, input schema and stats.
pub async fn get_model(ctx: &Ctx, input: Path) -> Result<Ok200<ModelDetail>, ApiError> {
    Ok(Ok200(
        detail_of(ctx, &input.param, input.caller.user_id()).await?,
    ))
}

/// `PATCH /api/models/{slug}` body: any subset of the metadata and/or a new program.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelUpdate {
    /// New display name.
    #[serde(default)]
    pub name: Option<String>,
    /// New description.
    #[serde(default)]
    pub description: Option<String>,
    /// New visibility.
    #[serde(default)]
    pub visibility: Option<Visibility>,
    /// New tags.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// New difficulty.
    #[serde(default)]
    pub difficulty: Option<Difficulty>,
    /// New lab.
    #[serde(default)]
    pub lab_scope: Option<LabScope>,
    /// New references.
    #[serde(default)]
    pub references: Option<Vec<String>>,
    /// A new program: creates version latest + 1.
    #[serde(default)]
    pub dsl: Option<Value>,
    /// The new version's inputs (the current ones when absent).
    #[serde(default)]
    pub input_schema: Option<Value>,
    /// What changed in the new version.
    #[serde(default)]
    pub changelog: Option<String>,
}

/// `PATCH /api/models/{slug}` (owner only): metadata changes in place; a new `dsl`
/// (with or without `input_schema`) becomes a new immutable version.
pub async fn update_model(
    ctx: &Ctx,
    input: PathBody<ModelUpdate>,
) -> Result<Ok200<ModelDetail>, ApiError> {
    let user = input.caller.require()?.to_string();
    let slug = input.param;
    let u = input.body;
    let model = ctx.store.get_model(&slug, Some(&user)).await?;
    if model.owner_id.as_deref() != Some(user.as_str()) {
        return Err(ApiError::Forbidden(format!(
            "only the owner may change `{slug}`"
        )));
    }
    let patch = ModelPatch {
        name: u.name,
        description: u.description,
        lab_scope: u.lab_scope,
        visibility: u.visibility.map(convert::visibility_in),
        tags: u.tags,
        difficulty: u.difficulty,
        references: u.references,
    };
    let mut meta = model.meta.clone();
    if let Some(v) = &patch.name {
        meta.name = v.clone();
    }
    if let Some(v) = &patch.description {
        meta.description = v.clone();
    }
    if let Some(v) = &patch.tags {
        meta.tags = v.clone();
    }
    if let Some(v) = &patch.references {
        meta.references = v.clone();
    }
    check_meta_text(&meta)?;
    let new_version = match (u.dsl, u.input_schema) {
        (None, None) => None,
        (dsl, schema) => {
            let current = ctx.store.get_version(&slug, None, Some(&user)).await?;
            let dsl = match dsl {
                Some(d) => d,
                None => serde_json::to_value(&current.dsl)
                    .map_err(|e| ApiError::Internal(e.to_string()))?,
            };
            let schema = match schema {
                Some(s) => s,
                None => serde_json::to_value(&current.input_schema)
                    .map_err(|e| ApiError::Internal(e.to_string()))?,
            };
            let file = serde_json::json!({
                "slug": slug, "name": meta.name, "input_schema": schema, "dsl": dsl,
            });
            let checked = validated(ctx, &file)?;
            let changelog = u.changelog.unwrap_or_default();
            text::multiline("/changelog", &changelog, 2000)?;
            Some(NewVersion {
                dsl: checked.dsl,
                input_schema: checked.input_schema,
                changelog,
            })
        }
    };
    let touches_meta = patch.name.is_some()
        || patch.description.is_some()
        || patch.lab_scope.is_some()
        || patch.visibility.is_some()
        || patch.tags.is_some()
        || patch.difficulty.is_some()
        || patch.references.is_some();
    if !touches_meta && new_version.is_none() {
        return Err(ApiError::invalid(
            "",
            "nothing to change: send at least one of name, description, visibility, tags, \
             difficulty, lab_scope, references, dsl, input_schema",
        ));
    }
    if touches_meta {
        ctx.store.update_model(&slug, &user, patch).await?;
    }
    if let Some(v) = new_version {
        ctx.store.add_version(&slug, &user, v).await?;
    }
    Ok(Ok200(detail_of(ctx, &slug, Some(&user)).await?))
}

/// Answer of `DELETE /api/models/{slug}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Deleted {
    /// The deleted model.
    pub slug: String,
    /// Always true.
    pub deleted: bool,
}

/// `DELETE /api/models/{slug}` (owner only).
pub async fn delete_model(ctx: &Ctx, input: Path) -> Result<Ok200<Deleted>, ApiError> {
    let user = input.caller.require()?;
    ctx.store.delete_model(&input.param, user).await?;
    Ok(Ok200(Deleted {
        slug: input.param,
        deleted: true,
    }))
}

/// `POST /api/models/fork`: copies the latest version into the caller's account as a
/// private model with `forked_from` set; the original's fork count rises.
pub async fn fork_model(
    ctx: &Ctx,
    input: Body<ForkRequest>,
) -> Result<Created<ModelDetail>, ApiError> {
    let user = input.caller.require()?.to_string();
    let req = input.body;
    text::line("/model_slug", &req.model_slug, 64)?;
    let original = ctx.store.get_model(&req.model_slug, Some(&user)).await?;
    let version = ctx
        .store
        .get_version(&req.model_slug, None, Some(&user))
        .await?;
    let slug = match req.new_slug {
        Some(s) => {
            text::line("/new_slug", &s, 64)?;
            if !auster_engine::parse::is_valid_slug(&s) || RESERVED_SLUGS.contains(&s.as_str()) {
                return Err(ApiError::invalid(
                    "/new_slug",
                    format!("new_slug must be 2–64 characters of a-z, 0-9 and '-' (not a route name), got `{s}`"),
                ));
            }
            s
        }
        None => {
            let base: String = original.slug.chars().take(44).collect();
            let id = new_id();
            format!(
                "{}-fork-{}",
                base.trim_end_matches('-'),
                &id[id.len() - 8..]
            )
        }
    };
    let mut meta = original.meta.clone();
    meta.visibility = auster_store::Visibility::Private;
    ctx.store
        .create_model(NewModel {
            slug: slug.clone(),
            owner_id: Some(user.clone()),
            meta,
            is_template: false,
            forked_from: Some(original.slug.clone()),
            first_version: NewVersion {
                dsl: version.dsl,
                input_schema: version.input_schema,
                changelog: format!("forked from {} v{}", original.slug, version.version),
            },
        })
        .await?;
    Ok(Created(detail_of(ctx, &slug, Some(&user)).await?))
}
