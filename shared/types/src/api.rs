//! Request and response bodies of the HTTP API (interfaces.md §3) that are not model files
//! or run results: accounts, the catalogue, social actions, publishing and validation.
//!
//! The web app deserializes every response through these types, so optional and
//! additive fields carry `#[serde(default)]`: a server that adds a field never breaks an
//! older client, and a field a server leaves out reads as empty rather than failing.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::model::{Difficulty, Dsl, InputSchema, LabScope};
use crate::run::RunResult;

/// `POST /api/accounts` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateAccountRequest {
    /// Contact address; one account per address.
    pub email: String,
}

/// `201` answer of `POST /api/accounts`. The key is shown once and stored hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateAccountResponse {
    /// New user's id.
    pub user_id: String,
    /// Bearer key for `Authorization: Bearer …`; never retrievable again.
    pub api_key: String,
    /// Starting credit balance.
    pub credits: i64,
}

/// `GET /api/me`: the caller's profile and money.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    /// User id.
    pub user_id: String,
    /// Contact address.
    pub email: String,
    /// `free` or `paid`.
    pub plan: String,
    /// Credit balance.
    pub credits: i64,
    /// Runs and charges of the current UTC day.
    #[serde(default)]
    pub usage_today: UsageToday,
    /// Credit movements, newest first.
    #[serde(default)]
    pub ledger: Vec<LedgerEntry>,
}

/// Today's usage of the caller (UTC day).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UsageToday {
    /// Runs started today.
    #[serde(default)]
    pub runs: u64,
    /// Runs per day the plan allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_limit: Option<u64>,
    /// Runs left today that cost no credits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_runs_left: Option<u64>,
    /// Credits charged today.
    #[serde(default)]
    pub credits_spent: i64,
}

/// One credit movement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// RFC 3339 timestamp.
    #[serde(default)]
    pub at: String,
    /// Credits added (positive) or charged (negative).
    pub delta: i64,
    /// Why: `signup`, `run`, `refund`, `grant`, …
    #[serde(default)]
    pub reason: String,
    /// The run charged, when the movement is a run's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// The model run, when the movement is a run's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_slug: Option<String>,
    /// Balance after the movement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<i64>,
}

/// `POST /api/me/keys` body; an empty body is accepted too.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CreateApiKeyRequest {
    /// Optional label to tell keys apart (1–64 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// `201` answer of `POST /api/me/keys`. The key is shown once and stored hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateApiKeyResponse {
    /// Id used to revoke the key.
    pub key_id: String,
    /// Bearer key for `Authorization: Bearer …`; never retrievable again.
    pub api_key: String,
    /// The key's first characters, as key lists show them.
    pub prefix: String,
    /// Label, when one was given.
    #[serde(default)]
    pub label: Option<String>,
    /// RFC 3339 creation time.
    pub created_at: String,
}

/// One API key of the caller in `GET /api/me/keys`: never the key or its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeySummary {
    /// Id used to revoke the key.
    pub key_id: String,
    /// The key's first characters.
    pub prefix: String,
    /// Label, when one was given.
    #[serde(default)]
    pub label: Option<String>,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last successful authentication, if any.
    #[serde(default)]
    pub last_used_at: Option<String>,
    /// RFC 3339 revocation time; a revoked key never authenticates again.
    #[serde(default)]
    pub revoked_at: Option<String>,
    /// Whether this request was made with this key.
    #[serde(default)]
    pub current: bool,
}

/// `GET /api/me/keys` answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ApiKeyList {
    /// The caller's keys, newest first, revoked ones included.
    #[serde(default)]
    pub items: Vec<ApiKeySummary>,
}

/// Who may see a model or an artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Listed in the catalogue.
    #[default]
    Public,
    /// Reachable by link, not listed.
    Unlisted,
    /// Only the owner.
    Private,
}

impl Visibility {
    /// All values, in display order.
    pub const ALL: [Visibility; 3] = [
        Visibility::Public,
        Visibility::Unlisted,
        Visibility::Private,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Catalogue sort orders (`sort=` of `GET /api/models`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Most runs first.
    #[default]
    Popular,
    /// Best average rating first.
    Rating,
    /// Newest first.
    New,
}

impl SortOrder {
    /// All orders, in display order.
    pub const ALL: [SortOrder; 3] = [SortOrder::Popular, SortOrder::Rating, SortOrder::New];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Popular => "popular",
            SortOrder::Rating => "rating",
            SortOrder::New => "new",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// Counters shown on a model card.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ModelStats {
    /// Completed runs.
    #[serde(default)]
    pub runs: u64,
    /// Users who saved it.
    #[serde(default)]
    pub saves: u64,
    /// Forks made of it.
    #[serde(default)]
    pub forks: u64,
    /// Mean star rating (1–5); null when unrated.
    #[serde(default)]
    pub rating_average: Option<f64>,
    /// Number of ratings.
    #[serde(default)]
    pub rating_count: u64,
}

/// One entry of the catalogue (`GET /api/models` items, `GET /api/me/saves` items).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    /// URL-safe unique name.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Plain-text description.
    #[serde(default)]
    pub description: String,
    /// Which lab lists it.
    #[serde(default)]
    pub lab_scope: LabScope,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Difficulty level.
    #[serde(default)]
    pub difficulty: Difficulty,
    /// Who may see it.
    #[serde(default)]
    pub visibility: Visibility,
    /// Counters.
    #[serde(default)]
    pub stats: ModelStats,
    /// Slug of the model this one was forked from.
    #[serde(default)]
    pub forked_from: Option<String>,
    /// Owner's user id; null for seed models owned by the platform.
    #[serde(default)]
    pub owner: Option<String>,
    /// RFC 3339 creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

/// `GET /api/models` answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ModelList {
    /// One page of models.
    #[serde(default)]
    pub items: Vec<ModelSummary>,
    /// Opaque cursor of the next page; null on the last page.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// Query of `GET /api/models`; every field is optional.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ModelListQuery {
    /// Only models of this lab (`both` models are listed in every lab).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab: Option<String>,
    /// Only models with this tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Only models of this difficulty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difficulty: Option<String>,
    /// Free-text search over name, description and tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// `popular`, `rating` or `new`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    /// Page size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Cursor from a previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// `me`: only the caller's own models (private ones included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// One immutable version of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionInfo {
    /// Version number, from 1.
    pub version: u32,
    /// RFC 3339 creation time.
    #[serde(default)]
    pub created_at: String,
    /// Optional change note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `GET /api/models/{slug}`: the card fields plus the latest version and its history.
///
/// Serialized with the summary's fields flattened in; deserialized through
/// [`ModelDetailWire`], which names the same fields flat, so reading it needs no buffering
/// of the whole object (what `#[serde(flatten)]` does on the way in, at a large code cost
/// in the web app's wasm module).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "ModelDetailWire")]
pub struct ModelDetail {
    /// Catalogue fields.
    #[serde(flatten)]
    pub summary: ModelSummary,
    /// Latest version number.
    #[serde(default = "one")]
    pub version: u32,
    /// Run inputs of the latest version.
    #[serde(default)]
    pub input_schema: InputSchema,
    /// The program of the latest version.
    pub dsl: Dsl,
    /// References (papers, docs).
    #[serde(default)]
    pub references: Vec<String>,
    /// Every version, newest first.
    #[serde(default)]
    pub versions: Vec<VersionInfo>,
}

fn one() -> u32 {
    1
}

/// The JSON shape of [`ModelDetail`], every field at the top level: [`ModelSummary`]'s
/// fields with the same names and defaults, then the detail's own.
#[derive(Deserialize)]
struct ModelDetailWire {
    slug: String,
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    lab_scope: LabScope,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    difficulty: Difficulty,
    #[serde(default)]
    visibility: Visibility,
    #[serde(default)]
    stats: ModelStats,
    #[serde(default)]
    forked_from: Option<String>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default = "one")]
    version: u32,
    #[serde(default)]
    input_schema: InputSchema,
    dsl: Dsl,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    versions: Vec<VersionInfo>,
}

impl From<ModelDetailWire> for ModelDetail {
    fn from(w: ModelDetailWire) -> Self {
        ModelDetail {
            summary: ModelSummary {
                slug: w.slug,
                name: w.name,
                description: w.description,
                lab_scope: w.lab_scope,
                tags: w.tags,
                difficulty: w.difficulty,
                visibility: w.visibility,
                stats: w.stats,
                forked_from: w.forked_from,
                owner: w.owner,
                created_at: w.created_at,
            },
            version: w.version,
            input_schema: w.input_schema,
            dsl: w.dsl,
            references: w.references,
            versions: w.versions,
        }
    }
}

/// `POST /api/models/run` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRequest {
    /// Model to run.
    pub model_slug: String,
    /// A specific version; the latest when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// Input values by field name; defaults fill the rest.
    #[serde(default)]
    pub inputs: Map<String, Value>,
}

/// `POST /api/models/fork` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForkRequest {
    /// Model to copy.
    pub model_slug: String,
    /// Slug of the copy; derived from the original when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_slug: Option<String>,
}

/// `POST` / `DELETE /api/models/save` body, and `DELETE /api/models/rate` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRef {
    /// The model.
    pub model_slug: String,
}

/// `GET /api/me/saves` answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SavesResponse {
    /// Saved models, newest save first.
    #[serde(default)]
    pub items: Vec<ModelSummary>,
}

/// `POST /api/models/rate` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateRequest {
    /// The model.
    pub model_slug: String,
    /// Stars, 1 to 5.
    pub rating: u8,
    /// Optional review text (plain text, never HTML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<String>,
}

/// The caller's own rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MyRating {
    /// Stars, 1 to 5.
    pub rating: u8,
    /// Review text, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<String>,
}

impl<'de> Deserialize<'de> for MyRating {
    /// Accepts `{"rating": 4, "review": "…"}` and, for lean servers, a bare `4`.
    ///
    /// A visitor rather than an untagged enum: untagged enums buffer the value first, which
    /// costs the web app's wasm module the whole buffered-content deserializer.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{self, MapAccess, Visitor};

        #[derive(Deserialize)]
        struct Full {
            rating: u8,
            #[serde(default)]
            review: Option<String>,
        }

        struct RatingVisitor;

        impl<'de> Visitor<'de> for RatingVisitor {
            type Value = MyRating;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a rating from 0 to 255 or an object with a rating")
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<MyRating, E> {
                let rating = u8::try_from(v)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))?;
                Ok(MyRating {
                    rating,
                    review: None,
                })
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<MyRating, E> {
                let rating = u8::try_from(v)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))?;
                Ok(MyRating {
                    rating,
                    review: None,
                })
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<MyRating, A::Error> {
                let Full { rating, review } =
                    Full::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(MyRating { rating, review })
            }
        }

        d.deserialize_any(RatingVisitor)
    }
}

/// `GET /api/models/rate?model_slug=` answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RatingSummary {
    /// Mean stars; null when unrated.
    #[serde(default)]
    pub average: Option<f64>,
    /// Number of ratings.
    #[serde(default)]
    pub count: u64,
    /// The caller's rating, when signed in and rated.
    #[serde(default)]
    pub mine: Option<MyRating>,
}

/// `POST /api/models/publish` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishRequest {
    /// The caller's run to publish.
    pub run_id: String,
    /// Title shown on the artifact page.
    pub title: String,
    /// Optional plain-text summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// `public` or `unlisted` (anyone with the link) or `private`.
    #[serde(default)]
    pub visibility: Visibility,
}

/// `201` answer of `POST /api/models/publish`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishResponse {
    /// Artifact slug.
    pub slug: String,
    /// Path or URL of the artifact page.
    pub url: String,
}

/// `GET /api/artifacts/{slug}`: a published run, readable by anyone with the link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    /// Artifact slug.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Summary text.
    #[serde(default)]
    pub summary: Option<String>,
    /// Who may see it.
    #[serde(default)]
    pub visibility: Visibility,
    /// RFC 3339 publication time.
    #[serde(default)]
    pub created_at: String,
    /// Publisher's user id.
    #[serde(default)]
    pub owner: Option<String>,
    /// Times the artifact was opened.
    #[serde(default)]
    pub views: u64,
    /// The model that produced it.
    pub model_slug: String,
    /// The model's display name at publication.
    #[serde(default)]
    pub model_name: Option<String>,
    /// The version that ran.
    #[serde(default = "one")]
    pub version: u32,
    /// The run, with its inputs and outputs.
    pub result: RunResult,
}

/// `POST /api/validate` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidateRequest {
    /// The DSL document to check.
    pub dsl: Value,
    /// Optional input schema the `$names` refer to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_schema: Option<Value>,
}

/// `POST /api/validate` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidateResponse {
    /// Whether the document is valid.
    pub valid: bool,
    /// Every problem found.
    #[serde(default)]
    pub errors: Vec<crate::error::Issue>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_item_reads_the_pinned_shape() {
        let json = r#"{"items":[{"slug":"momentum-strategy","name":"Momentum","description":"d",
            "lab_scope":"econ","tags":["momentum"],"difficulty":"basic","visibility":"public",
            "stats":{"runs":3,"saves":1,"forks":0,"rating_average":4.5,"rating_count":2},
            "forked_from":null,"owner":null}],"next_cursor":"abc"}"#;
        let list: ModelList = serde_json::from_str(json).unwrap();
        assert_eq!(list.items[0].stats.rating_average, Some(4.5));
        assert_eq!(list.next_cursor.as_deref(), Some("abc"));
    }

    #[test]
    fn my_rating_reads_a_bare_number_or_an_object() {
        let a: RatingSummary =
            serde_json::from_str(r#"{"average":4.0,"count":1,"mine":4}"#).unwrap();
        assert_eq!(a.mine.unwrap().rating, 4);
        let b: RatingSummary = serde_json::from_str(
            r#"{"average":null,"count":0,"mine":{"rating":2,"review":"meh"}}"#,
        )
        .unwrap();
        assert_eq!(b.mine.unwrap().review.as_deref(), Some("meh"));
        let c: RatingSummary =
            serde_json::from_str(r#"{"average":null,"count":0,"mine":null}"#).unwrap();
        assert!(c.mine.is_none());
    }

    #[test]
    fn model_detail_flattens_the_summary() {
        let json = r#"{"slug":"x","name":"X","lab_scope":"crypto","version":2,
            "input_schema":{"fields":[{"name":"symbol","type":"symbol","default":"BTC"}]},
            "dsl":{"version":"1.0","steps":[]},"versions":[{"version":2,"created_at":"t"}]}"#;
        let d: ModelDetail = serde_json::from_str(json).unwrap();
        assert_eq!(d.summary.lab_scope, LabScope::Crypto);
        assert_eq!(d.version, 2);
        assert_eq!(d.input_schema.fields.len(), 1);
    }

    #[test]
    fn model_detail_round_trips_and_ignores_unknown_fields() {
        let json = r#"{"slug":"x","name":"X","description":"d","lab_scope":"crypto",
            "tags":["a"],"difficulty":"advanced","visibility":"unlisted",
            "stats":{"runs":3,"forks":1,"rating_average":4.5,"rating_count":2,"saves":0},
            "forked_from":"y","owner":"u1","created_at":"2026-01-01T00:00:00Z",
            "extra":{"nested":[1,2]},"version":2,"dsl":{"version":"1.0","steps":[]},
            "references":["r"],"versions":[{"version":2,"created_at":"t","note":"n"}]}"#;
        let d: ModelDetail = serde_json::from_str(json).unwrap();
        assert_eq!(d.summary.tags, vec!["a".to_string()]);
        assert_eq!(d.summary.forked_from.as_deref(), Some("y"));
        assert_eq!(d.summary.owner.as_deref(), Some("u1"));
        assert_eq!(d.references, vec!["r".to_string()]);
        assert_eq!(d.versions[0].note.as_deref(), Some("n"));
        let again: ModelDetail = serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
        assert_eq!(again, d);
        // `slug`, `name` and `dsl` stay required.
        assert!(serde_json::from_str::<ModelDetail>(
            r#"{"name":"X","dsl":{"version":"1.0","steps":[]}}"#
        )
        .is_err());
    }

    #[test]
    fn my_rating_rejects_what_is_not_a_rating() {
        for bad in [
            r#"300"#,
            r#"-1"#,
            r#""4""#,
            r#"4.5"#,
            r#"{"review":"x"}"#,
            r#"[4]"#,
        ] {
            assert!(serde_json::from_str::<MyRating>(bad).is_err(), "{bad}");
        }
        let r: MyRating = serde_json::from_str(r#"{"rating":5,"other":1}"#).unwrap();
        assert_eq!(r.rating, 5);
    }
}
