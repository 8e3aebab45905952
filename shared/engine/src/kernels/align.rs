//! Aligning dated values on the union of their dates (pandas' default for binary ops).

use std::sync::Arc;

use crate::date::Day;
use crate::value::Series;

/// Positions of each output date in the two inputs (`None` where missing).
pub struct Union {
    /// The union index.
    pub dates: Arc<Vec<Day>>,
    /// For each union date, the index in the left input.
    pub left: Vec<Option<u32>>,
    /// For each union date, the index in the right input.
    pub right: Vec<Option<u32>>,
}

/// Whether two series share one index (same allocation or equal dates).
pub fn same_index(a: &Series, b: &Series) -> bool {
    Arc::ptr_eq(&a.dates, &b.dates) || a.dates == b.dates
}

/// Merges two sorted date lists into their union with positions.
pub fn union(a: &[Day], b: &[Day]) -> Union {
    let mut dates = Vec::with_capacity(a.len().max(b.len()));
    let mut left = Vec::with_capacity(dates.capacity());
    let mut right = Vec::with_capacity(dates.capacity());
    let (mut i, mut j) = (0usize, 0usize);
    while i < a.len() || j < b.len() {
        let take_a = j >= b.len() || (i < a.len() && a[i] <= b[j]);
        let take_b = i >= a.len() || (j < b.len() && b[j] <= a[i]);
        let d = if take_a { a[i] } else { b[j] };
        dates.push(d);
        left.push(take_a.then_some(i as u32));
        right.push(take_b.then_some(j as u32));
        if take_a {
            i += 1;
        }
        if take_b {
            j += 1;
        }
    }
    Union {
        dates: Arc::new(dates),
        left,
        right,
    }
}

/// Applies `f` to two series aligned on the union of their dates; a side missing a date
/// contributes NaN there. Identical indices take a fast path without any merging.
pub fn zip_with(a: &Series, b: &Series, f: impl Fn(f64, f64) -> f64) -> Series {
    if same_index(a, b) {
        return a.with_values(super::elementwise::zip(&a.values, &b.values, f));
    }
    let u = union(&a.dates, &b.dates);
    let pick = |v: &[f64], ix: Option<u32>| ix.map_or(f64::NAN, |k| v[k as usize]);
    let values = u
        .left
        .iter()
        .zip(&u.right)
        .map(|(&l, &r)| f(pick(&a.values, l), pick(&b.values, r)))
        .collect();
    Series::new(u.dates, values)
}

/// Both series reindexed onto the union of their dates (NaN where missing).
pub fn align_pair(a: &Series, b: &Series) -> (Series, Series) {
    if same_index(a, b) {
        return (a.clone(), b.clone().with_index_of(a));
    }
    let u = union(&a.dates, &b.dates);
    let pick = |v: &[f64], ix: &[Option<u32>]| {
        ix.iter()
            .map(|k| k.map_or(f64::NAN, |k| v[k as usize]))
            .collect()
    };
    (
        Series::new(Arc::clone(&u.dates), pick(&a.values, &u.left)),
        Series::new(u.dates, pick(&b.values, &u.right)),
    )
}

/// Reindexes `s` onto `dates` (a superset or any sorted list): NaN where `s` has no value.
pub fn reindex(s: &Series, dates: &Arc<Vec<Day>>) -> Series {
    if Arc::ptr_eq(&s.dates, dates) || s.dates.as_slice() == dates.as_slice() {
        return Series::shared(Arc::clone(dates), Arc::clone(&s.values));
    }
    let mut out = Vec::with_capacity(dates.len());
    let mut j = 0;
    for &d in dates.iter() {
        while j < s.dates.len() && s.dates[j] < d {
            j += 1;
        }
        out.push(if j < s.dates.len() && s.dates[j] == d {
            s.values[j]
        } else {
            f64::NAN
        });
    }
    Series::new(Arc::clone(dates), out)
}

impl Series {
    /// The same values on `other`'s index allocation (caller ensures equal dates).
    fn with_index_of(self, other: &Series) -> Series {
        Series::shared(Arc::clone(&other.dates), self.values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_merges_and_marks_missing() {
        let a = Series::from_vecs(vec![1, 3, 5], vec![1.0, 3.0, 5.0]);
        let b = Series::from_vecs(vec![2, 3, 6], vec![20.0, 30.0, 60.0]);
        let s = zip_with(&a, &b, |x, y| x + y);
        assert_eq!(*s.dates, vec![1, 2, 3, 5, 6]);
        assert!(s.values[0].is_nan() && s.values[1].is_nan());
        assert_eq!(s.values[2], 33.0);
        assert!(s.values[3].is_nan() && s.values[4].is_nan());
    }
}
