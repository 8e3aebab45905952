//! The DynamoDB table definition, in one place.
//!
//! [`crate::init_aws`] creates the table from [`definition`], and `template.yaml` must
//! declare the same keys and indexes; a test can compare the two through this plain-data
//! description without touching the SDK.

/// DynamoDB attribute type of a key attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    /// String (`S`).
    S,
    /// Number (`N`).
    N,
}

impl AttrType {
    /// CloudFormation / DynamoDB spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::S => "S",
            AttrType::N => "N",
        }
    }
}

/// A global secondary index (projection ALL, on-demand billing like the table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gsi {
    /// Index name.
    pub name: &'static str,
    /// Partition key attribute.
    pub pk: &'static str,
    /// Sort key attribute.
    pub sk: &'static str,
}

/// The table's keys, indexes and TTL attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDefinition {
    /// Partition key attribute (`S`).
    pub pk: &'static str,
    /// Sort key attribute (`S`).
    pub sk: &'static str,
    /// Every key attribute with its type (table and indexes).
    pub attributes: Vec<(&'static str, AttrType)>,
    /// Global secondary indexes.
    pub gsis: Vec<Gsi>,
    /// Attribute holding the expiry (epoch seconds) for DynamoDB TTL.
    pub ttl_attribute: &'static str,
}

/// Partition key attribute.
pub const PK: &str = "pk";
/// Sort key attribute.
pub const SK: &str = "sk";
/// Owner-scoped listings: a user's models, runs, keys, artifacts, saves (newest first).
pub const GSI1: &str = "gsi1";
/// Public catalogue by run count.
pub const GSI_PUB_RUNS: &str = "pub_runs";
/// Public catalogue by average rating.
pub const GSI_PUB_RATING: &str = "pub_rating";
/// Public catalogue by creation time.
pub const GSI_PUB_NEW: &str = "pub_new";

/// The one table definition (see `docs/storage.md`).
pub fn definition() -> TableDefinition {
    TableDefinition {
        pk: PK,
        sk: SK,
        attributes: vec![
            (PK, AttrType::S),
            (SK, AttrType::S),
            ("gsi1pk", AttrType::S),
            ("gsi1sk", AttrType::S),
            ("pub", AttrType::S),
            ("runs", AttrType::N),
            ("rating_avg", AttrType::N),
            ("created_at", AttrType::N),
        ],
        gsis: vec![
            Gsi {
                name: GSI1,
                pk: "gsi1pk",
                sk: "gsi1sk",
            },
            Gsi {
                name: GSI_PUB_RUNS,
                pk: "pub",
                sk: "runs",
            },
            Gsi {
                name: GSI_PUB_RATING,
                pk: "pub",
                sk: "rating_avg",
            },
            Gsi {
                name: GSI_PUB_NEW,
                pk: "pub",
                sk: "created_at",
            },
        ],
        ttl_attribute: "ttl",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_index_key_is_a_declared_attribute_and_names_are_unique() {
        let d = definition();
        let declared: Vec<&str> = d.attributes.iter().map(|(n, _)| *n).collect();
        for g in &d.gsis {
            assert!(
                declared.contains(&g.pk) && declared.contains(&g.sk),
                "{g:?}"
            );
        }
        // CloudFormation refuses attribute definitions that no key uses.
        for a in &declared {
            let used = *a == d.pk || *a == d.sk || d.gsis.iter().any(|g| g.pk == *a || g.sk == *a);
            assert!(used, "{a} is declared but unused");
        }
        let mut names: Vec<&str> = d.gsis.iter().map(|g| g.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), d.gsis.len());
    }
}
