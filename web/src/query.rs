//! URL query strings: percent-encoding, and the catalogue's state (search text, filters,
//! sort, page cursor) as it lives in the address bar, so a filtered view can be shared,
//! bookmarked and restored with Back.

use auster_types::api::ModelListQuery;

/// Percent-encodes a query component (RFC 3986 unreserved characters kept).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `k=v&k2=v2` from pairs, skipping empty values.
pub fn to_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The catalogue's view state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Catalogue {
    /// Search text.
    pub q: String,
    /// Lab filter (`econ`, `derivatives`, `crypto`), or empty.
    pub lab: String,
    /// Tag filter, or empty.
    pub tag: String,
    /// Difficulty filter, or empty.
    pub difficulty: String,
    /// `popular`, `rating` or `new` (empty means popular).
    pub sort: String,
    /// Cursor of the current page, empty on the first.
    pub cursor: String,
}

/// Models per catalogue page.
pub const PAGE_SIZE: u32 = 12;

impl Catalogue {
    /// Reads the state from a lookup of URL query values.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let g = |k: &str| get(k).unwrap_or_default();
        Self {
            q: g("q"),
            lab: g("lab"),
            tag: g("tag"),
            difficulty: g("difficulty"),
            sort: g("sort"),
            cursor: g("cursor"),
        }
    }

    /// The address-bar query (without `?`), omitting defaults. `fixed_lab` is left out
    /// on a lab page, whose path already names the lab.
    pub fn to_url_query(&self, fixed_lab: bool) -> String {
        let lab = if fixed_lab { "" } else { self.lab.as_str() };
        let sort = if self.sort == "popular" {
            ""
        } else {
            self.sort.as_str()
        };
        to_query([
            ("q", self.q.as_str()),
            ("lab", lab),
            ("tag", self.tag.as_str()),
            ("difficulty", self.difficulty.as_str()),
            ("sort", sort),
            ("cursor", self.cursor.as_str()),
        ])
    }

    /// The API request for this state.
    pub fn to_api(&self) -> ModelListQuery {
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        ModelListQuery {
            lab: opt(&self.lab),
            tag: opt(&self.tag),
            difficulty: opt(&self.difficulty),
            q: opt(&self.q),
            sort: opt(&self.sort),
            limit: Some(PAGE_SIZE),
            cursor: opt(&self.cursor),
            owner: None,
        }
    }

    /// Whether any filter or search narrows the list.
    pub fn is_filtered(&self) -> bool {
        !(self.q.is_empty() && self.tag.is_empty() && self.difficulty.is_empty())
    }
}

/// The `GET /api/models` query string for a request.
pub fn list_query(q: &ModelListQuery) -> String {
    let limit = q.limit.map(|l| l.to_string()).unwrap_or_default();
    let s = |o: &Option<String>| o.clone().unwrap_or_default();
    let (lab, tag, difficulty, text, sort, cursor, owner) = (
        s(&q.lab),
        s(&q.tag),
        s(&q.difficulty),
        s(&q.q),
        s(&q.sort),
        s(&q.cursor),
        s(&q.owner),
    );
    to_query([
        ("lab", lab.as_str()),
        ("tag", tag.as_str()),
        ("difficulty", difficulty.as_str()),
        ("q", text.as_str()),
        ("sort", sort.as_str()),
        ("limit", limit.as_str()),
        ("cursor", cursor.as_str()),
        ("owner", owner.as_str()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_components() {
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(
            to_query([("q", "vol"), ("lab", ""), ("x", "1")]),
            "q=vol&x=1"
        );
    }

    #[test]
    fn catalogue_state_round_trips_through_the_url() {
        let c = Catalogue {
            q: "mean rev".into(),
            lab: "econ".into(),
            tag: "".into(),
            difficulty: "basic".into(),
            sort: "popular".into(),
            cursor: "".into(),
        };
        let url = c.to_url_query(false);
        assert_eq!(url, "q=mean%20rev&lab=econ&difficulty=basic");
        assert_eq!(c.to_url_query(true), "q=mean%20rev&difficulty=basic");
        let api = c.to_api();
        assert_eq!(api.limit, Some(PAGE_SIZE));
        assert_eq!(
            list_query(&api),
            "lab=econ&difficulty=basic&q=mean%20rev&sort=popular&limit=12"
        );
        let back = Catalogue::from_lookup(|k| match k {
            "q" => Some("mean rev".into()),
            "lab" => Some("econ".into()),
            "difficulty" => Some("basic".into()),
            _ => None,
        });
        assert_eq!(back.q, c.q);
        assert!(back.is_filtered());
    }
}
