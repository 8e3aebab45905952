//! Store records → wire types of `auster_types::api`.

use auster_store::{ModelRecord, ModelVersionRecord};
use auster_types::api::{self, ModelDetail, ModelStats, ModelSummary, VersionInfo, Visibility};

/// RFC 3339 (UTC, millisecond precision) of a store timestamp.
pub fn rfc3339(ms: i64) -> String {
    let day = ms.div_euclid(86_400_000) as i32;
    let rem = ms.rem_euclid(86_400_000);
    let (h, m, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    format!(
        "{}T{h:02}:{m:02}:{s:02}.{milli:03}Z",
        auster_engine::date::format_iso(day)
    )
}

/// The store's visibility as the wire's.
pub fn visibility_out(v: auster_store::Visibility) -> Visibility {
    match v {
        auster_store::Visibility::Public => Visibility::Public,
        auster_store::Visibility::Unlisted => Visibility::Unlisted,
        auster_store::Visibility::Private => Visibility::Private,
    }
}

/// The wire's visibility as the store's.
pub fn visibility_in(v: Visibility) -> auster_store::Visibility {
    match v {
        Visibility::Public => auster_store::Visibility::Public,
        Visibility::Unlisted => auster_store::Visibility::Unlisted,
        Visibility::Private => auster_store::Visibility::Private,
    }
}

/// A stored API key as the caller's key list shows it: never the key or its hash.
/// `current_hash` is the hash of the key the request was made with.
pub fn api_key(k: &auster_store::ApiKeyRecord, current_hash: Option<&str>) -> api::ApiKeySummary {
    api::ApiKeySummary {
        key_id: k.id.clone(),
        prefix: k.prefix.clone(),
        label: k.name.clone(),
        created_at: rfc3339(k.created_at),
        last_used_at: k.last_used_at.map(rfc3339),
        revoked_at: k.revoked_at.map(rfc3339),
        current: current_hash == Some(k.hash.as_str()),
    }
}

/// A catalogue entry.
pub fn summary(m: &ModelRecord) -> ModelSummary {
    ModelSummary {
        slug: m.slug.clone(),
        name: m.meta.name.clone(),
        description: m.meta.description.clone(),
        lab_scope: m.meta.lab_scope,
        tags: m.meta.tags.clone(),
        difficulty: m.meta.difficulty,
        visibility: visibility_out(m.meta.visibility),
        stats: ModelStats {
            runs: m.stats.runs,
            saves: m.stats.saves,
            forks: m.stats.forks,
            rating_average: m.stats.rating_average(),
            rating_count: m.stats.rating_count,
        },
        forked_from: m.forked_from.clone(),
        owner: m.owner_id.clone(),
        created_at: Some(rfc3339(m.created_at)),
    }
}

/// The detail of a model with its latest version and history (newest first).
pub fn detail(
    m: &ModelRecord,
    latest: &ModelVersionRecord,
    versions: &[ModelVersionRecord],
) -> ModelDetail {
    ModelDetail {
        summary: summary(m),
        version: latest.version,
        input_schema: latest.input_schema.clone(),
        dsl: latest.dsl.clone(),
        references: m.meta.references.clone(),
        versions: versions
            .iter()
            .map(|v| VersionInfo {
                version: v.version,
                created_at: rfc3339(v.created_at),
                note: (!v.changelog.is_empty()).then(|| v.changelog.clone()),
            })
            .collect(),
    }
}

/// A ledger line.
pub fn ledger(e: &auster_store::LedgerEntry) -> api::LedgerEntry {
    api::LedgerEntry {
        at: rfc3339(e.created_at),
        delta: e.delta,
        reason: e.reason.clone(),
        run_id: e.run_id.clone(),
        model_slug: e.model_slug.clone(),
        balance: Some(e.balance_after),
    }
}

/// A rating aggregate.
pub fn rating(s: auster_store::RatingSummary) -> api::RatingSummary {
    api::RatingSummary {
        average: s.average,
        count: s.count,
        mine: s.mine.map(|r| api::MyRating {
            rating: r.stars,
            review: r.review,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }
}
