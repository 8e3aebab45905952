//! The arithmetic behind the SVG charts, kept free of the DOM so it is unit-tested on the
//! host: linear scales, "nice" value ticks, calendar-aligned date ticks, line paths with
//! gaps at missing values, nearest-point lookup for the hover read-out, and grouping of
//! series whose magnitudes differ so much that one axis would flatten some of them.

use crate::dates::{civil_from_days, days_from_civil, format_human, month_name, Day};
use auster_types::SeriesOutput;

/// Colours for series that bring none (Tailwind-like 600 shades, readable on both themes).
pub const PALETTE: [&str; 8] = [
    "#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563",
];

/// A series ready to draw: dates as day numbers, ascending.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// Output id.
    pub id: String,
    /// Legend label.
    pub label: String,
    /// CSS colour.
    pub color: String,
    /// Day numbers, ascending.
    pub days: Vec<Day>,
    /// Values; `None` is a gap.
    pub values: Vec<Option<f64>>,
}

impl Prepared {
    /// Converts a wire series (dates already checked while decoding); points are sorted so
    /// a server answer out of order cannot draw a scribble.
    pub fn from_output(s: &SeriesOutput, index: usize) -> Self {
        let mut pts: Vec<(Day, Option<f64>)> = s
            .points
            .iter()
            .map(|(d, v)| (d.day(), v.filter(|x| x.is_finite())))
            .collect();
        pts.sort_by_key(|p| p.0);
        let color = s
            .color
            .clone()
            .filter(|c| is_safe_color(c))
            .unwrap_or_else(|| PALETTE[index % PALETTE.len()].to_string());
        Self {
            id: s.id.clone(),
            label: s.label.clone(),
            color,
            days: pts.iter().map(|p| p.0).collect(),
            values: pts.iter().map(|p| p.1).collect(),
        }
    }

    /// Number of present (non-missing) values with a date in `[lo, hi]`.
    pub fn count_in(&self, lo: Day, hi: Day) -> usize {
        self.days
            .iter()
            .zip(&self.values)
            .filter(|(d, v)| **d >= lo && **d <= hi && v.is_some())
            .count()
    }

    /// Value at exactly `day`, if present.
    pub fn value_at(&self, day: Day) -> Option<f64> {
        self.days
            .binary_search(&day)
            .ok()
            .and_then(|i| self.values[i])
    }
}

/// Only `#rgb`/`#rrggbb` colours from the server are used, so a model author cannot inject
/// CSS through an attribute.
pub fn is_safe_color(c: &str) -> bool {
    let hex = c.strip_prefix('#').unwrap_or("");
    (hex.len() == 3 || hex.len() == 6) && hex.chars().all(|ch| ch.is_ascii_hexdigit())
}

/// Maps a domain interval onto a range interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// Domain start.
    pub d0: f64,
    /// Domain end.
    pub d1: f64,
    /// Range start (pixels).
    pub r0: f64,
    /// Range end (pixels).
    pub r1: f64,
}

impl Scale {
    /// A scale; a zero-width domain maps everything to the middle of the range.
    pub fn new(d0: f64, d1: f64, r0: f64, r1: f64) -> Self {
        Self { d0, d1, r0, r1 }
    }

    /// Domain → range.
    pub fn map(&self, x: f64) -> f64 {
        if self.d1 == self.d0 {
            return (self.r0 + self.r1) / 2.0;
        }
        self.r0 + (x - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
    }

    /// Range → domain.
    pub fn invert(&self, y: f64) -> f64 {
        if self.r1 == self.r0 {
            return self.d0;
        }
        self.d0 + (y - self.r0) / (self.r1 - self.r0) * (self.d1 - self.d0)
    }
}

/// The "nice" step (1, 2 or 5 × 10ⁿ) that splits `span` into about `target` parts.
pub fn nice_step(span: f64, target: usize) -> f64 {
    if !(span.is_finite() && span > 0.0) {
        return 1.0;
    }
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm < 1.5 {
        1.0
    } else if norm < 3.0 {
        2.0
    } else if norm < 7.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// Axis bounds widened to whole steps, and the ticks between them.
pub fn nice_ticks(min: f64, max: f64, target: usize) -> (f64, f64, Vec<f64>) {
    let (min, max) = if min == max {
        let pad = if min == 0.0 { 1.0 } else { min.abs() * 0.1 };
        (min - pad, max + pad)
    } else {
        (min, max)
    };
    let step = nice_step(max - min, target);
    let lo = (min / step).floor() * step;
    let hi = (max / step).ceil() * step;
    let n = ((hi - lo) / step).round() as usize;
    let ticks = (0..=n)
        .map(|i| {
            let v = lo + i as f64 * step;
            // Snap tiny float noise (0.30000000000000004) so labels stay clean.
            (v / step).round() * step
        })
        .collect();
    (lo, hi, ticks)
}

/// Label for a value tick with as many decimals as the step needs.
pub fn format_tick(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 || step <= 0.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    let v = if v == 0.0 { 0.0 } else { v }; // no "-0"
    if v.abs() >= 1e6 && decimals == 0 {
        crate::format::compact(v)
    } else {
        format!("{v:.decimals$}")
    }
}

/// Calendar-aligned ticks between two days, at most about `target` of them, labelled
/// in the unit of the step (years, months or days).
pub fn date_ticks(d0: Day, d1: Day, target: usize) -> Vec<(Day, String)> {
    if d1 < d0 {
        return Vec::new();
    }
    let span = (d1 - d0) as f64;
    let target = target.max(2) as f64;
    let (y0, m0, _) = civil_from_days(d0);
    // Year steps.
    for k in [1, 2, 5, 10, 20, 50, 100] {
        if span / (365.25 * k as f64) <= target && span >= 365.25 * 1.5 {
            let first = if y0 % k == 0 {
                y0
            } else {
                y0 + (k - y0.rem_euclid(k))
            };
            let mut out = Vec::new();
            let mut y = first;
            loop {
                let d = days_from_civil(y, 1, 1);
                if d > d1 {
                    break;
                }
                if d >= d0 {
                    out.push((d, y.to_string()));
                }
                y += k;
            }
            if out.len() >= 2 || k == 100 {
                return out;
            }
        }
    }
    // Month steps.
    for k in [1u32, 2, 3, 6] {
        if span / (30.44 * k as f64) <= target && span >= 45.0 {
            let mut out = Vec::new();
            let (mut y, mut m) = (y0, m0);
            // Align to a multiple of k months (Jan, Apr, Jul, Oct for k = 3).
            while (m - 1) % k != 0 {
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
            loop {
                let d = days_from_civil(y, m, 1);
                if d > d1 {
                    break;
                }
                if d >= d0 {
                    let label = if m == 1 || out.is_empty() {
                        format!("{} {y}", month_name(m))
                    } else {
                        month_name(m).to_string()
                    };
                    out.push((d, label));
                }
                m += k;
                while m > 12 {
                    m -= 12;
                    y += 1;
                }
            }
            if out.len() >= 2 {
                return out;
            }
        }
    }
    // Day steps.
    let step = [1, 2, 7, 14]
        .into_iter()
        .find(|k| span / *k as f64 <= target)
        .unwrap_or(14);
    (0..)
        .map(|i| d0 + i * step)
        .take_while(|d| *d <= d1)
        .map(|d| {
            let (_, m, day) = civil_from_days(d);
            (d, format!("{day} {}", month_name(m)))
        })
        .collect()
}

/// An SVG path through the present points with a day in `[lo, hi]`; a missing value
/// starts a new sub-path so gaps stay visible. Returns the path and the points drawn.
pub fn line_path(s: &Prepared, lo: Day, hi: Day, x: &Scale, y: &Scale) -> (String, usize) {
    let mut d = String::with_capacity(s.days.len() * 14);
    let mut pen_down = false;
    let mut drawn = 0;
    for (day, v) in s.days.iter().zip(&s.values) {
        if *day < lo || *day > hi {
            continue;
        }
        match v {
            Some(v) => {
                let cmd = if pen_down { 'L' } else { 'M' };
                d.push_str(&format!("{cmd}{:.1},{:.1}", x.map(*day as f64), y.map(*v)));
                pen_down = true;
                drawn += 1;
            }
            None => pen_down = false,
        }
    }
    (d, drawn)
}

/// Smallest and largest present value of the given series within `[lo, hi]`.
pub fn value_extent<'a>(
    series: impl IntoIterator<Item = &'a Prepared>,
    lo: Day,
    hi: Day,
) -> Option<(f64, f64)> {
    let mut ext: Option<(f64, f64)> = None;
    for s in series {
        for (day, v) in s.days.iter().zip(&s.values) {
            if let (true, Some(v)) = (*day >= lo && *day <= hi, v) {
                ext = Some(match ext {
                    None => (*v, *v),
                    Some((a, b)) => (a.min(*v), b.max(*v)),
                });
            }
        }
    }
    ext
}

/// First and last day of all series.
pub fn day_extent(series: &[Prepared]) -> Option<(Day, Day)> {
    let lo = series.iter().filter_map(|s| s.days.first()).min()?;
    let hi = series.iter().filter_map(|s| s.days.last()).max()?;
    Some((*lo, *hi))
}

/// The sorted union of the series' days within `[lo, hi]` (the hover cursor's stops).
pub fn union_days(series: &[&Prepared], lo: Day, hi: Day) -> Vec<Day> {
    let mut all: Vec<Day> = series
        .iter()
        .flat_map(|s| s.days.iter().copied())
        .filter(|d| *d >= lo && *d <= hi)
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// Index of the element of the sorted `days` nearest to `target`.
pub fn nearest_index(days: &[Day], target: f64) -> Option<usize> {
    if days.is_empty() {
        return None;
    }
    let i = days.partition_point(|d| (*d as f64) < target);
    if i == 0 {
        return Some(0);
    }
    if i == days.len() {
        return Some(days.len() - 1);
    }
    let before = target - days[i - 1] as f64;
    let after = days[i] as f64 - target;
    Some(if before <= after { i - 1 } else { i })
}

/// Groups series indices into charts: series whose typical magnitudes (median of |v|) are
/// within a factor of 8 share an axis; a price next to a percentage gets its own chart.
pub fn group_by_scale(series: &[Prepared]) -> Vec<Vec<usize>> {
    let mags: Vec<f64> = series
        .iter()
        .map(|s| {
            let mut v: Vec<f64> = s.values.iter().flatten().map(|x| x.abs()).collect();
            if v.is_empty() {
                return 0.0;
            }
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        })
        .collect();
    let mut groups: Vec<(f64, Vec<usize>)> = Vec::new();
    for (i, m) in mags.iter().enumerate() {
        let close = |a: f64, b: f64| {
            let (a, b) = (a.max(1e-12), b.max(1e-12));
            a.max(b) / a.min(b) <= 8.0
        };
        match groups.iter_mut().find(|(g, _)| close(*g, *m)) {
            Some((_, members)) => members.push(i),
            None => groups.push((*m, vec![i])),
        }
    }
    groups.into_iter().map(|(_, g)| g).collect()
}

/// Text of the hover read-out's date line.
pub fn readout_date(day: Day) -> String {
    format_human(day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dates::parse_iso;
    use auster_types::IsoDate;

    fn series(points: &[(&str, Option<f64>)]) -> Prepared {
        Prepared::from_output(
            &SeriesOutput {
                id: "s".into(),
                label: "S".into(),
                color: Some("red;}".into()),
                points: points
                    .iter()
                    .map(|(d, v)| (IsoDate(parse_iso(d).unwrap()), *v))
                    .collect(),
                downsampled_from: None,
            },
            1,
        )
    }

    #[test]
    fn scale_maps_and_inverts() {
        let s = Scale::new(10.0, 20.0, 0.0, 100.0);
        assert_eq!(s.map(15.0), 50.0);
        assert_eq!(s.invert(25.0), 12.5);
        // A flat domain lands mid-range instead of dividing by zero.
        assert_eq!(Scale::new(3.0, 3.0, 0.0, 10.0).map(3.0), 5.0);
    }

    #[test]
    fn nice_ticks_cover_the_data_with_round_steps() {
        let (lo, hi, t) = nice_ticks(0.13, 0.92, 5);
        assert_eq!((lo, hi), (0.0, 1.0));
        let want = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0];
        assert_eq!(t.len(), want.len());
        assert!(
            t.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12),
            "{t:?}"
        );
        let (lo, hi, t) = nice_ticks(-37.0, 1234.0, 5);
        assert!(lo <= -37.0 && hi >= 1234.0);
        assert_eq!(t[1] - t[0], 200.0);
        let (lo, hi, _) = nice_ticks(5.0, 5.0, 4);
        assert!(lo < 5.0 && hi > 5.0);
        assert_eq!(format_tick(0.30000000000000004, 0.1), "0.3");
        assert_eq!(format_tick(-0.0, 1.0), "0");
        assert_eq!(format_tick(2500.0, 500.0), "2500");
    }

    #[test]
    fn date_ticks_pick_calendar_units() {
        let d = |s| parse_iso(s).unwrap();
        let years = date_ticks(d("2010-03-04"), d("2020-06-30"), 6);
        assert_eq!(years.first().unwrap().1, "2012");
        assert!(years.len() <= 7 && years.len() >= 4, "{years:?}");
        assert!(years.iter().all(|(day, _)| civil_from_days(*day).1 == 1));
        let months = date_ticks(d("2021-01-15"), d("2021-12-20"), 4);
        assert_eq!(months[0].1, "Apr 2021");
        assert_eq!(
            months.iter().map(|m| m.1.as_str()).collect::<Vec<_>>(),
            ["Apr 2021", "Jul", "Oct"]
        );
        let days = date_ticks(d("2021-03-01"), d("2021-03-10"), 5);
        assert_eq!(days[0].1, "1 Mar");
        assert_eq!(days[1].0 - days[0].0, 2);
        assert!(date_ticks(10, 5, 5).is_empty());
    }

    #[test]
    fn line_path_breaks_at_gaps_and_counts_points() {
        let s = series(&[
            ("2020-01-03", Some(2.0)),
            ("2020-01-01", Some(1.0)),
            ("2020-01-02", None),
            ("2020-01-04", Some(f64::NAN)),
        ]);
        assert_eq!(s.days.len(), 4, "every dated point kept");
        assert_eq!(s.color, PALETTE[1], "unsafe colours replaced");
        let (lo, hi) = day_extent(std::slice::from_ref(&s)).unwrap();
        let x = Scale::new(lo as f64, hi as f64, 0.0, 30.0);
        let y = Scale::new(0.0, 2.0, 100.0, 0.0);
        let (path, n) = line_path(&s, lo, hi, &x, &y);
        assert_eq!(n, 2);
        assert_eq!(path, "M0.0,50.0M20.0,0.0");
        assert_eq!(s.count_in(lo, hi), 2);
        assert_eq!(value_extent([&s], lo, hi), Some((1.0, 2.0)));
        assert_eq!(s.value_at(lo + 2), Some(2.0));
    }

    #[test]
    fn nearest_index_snaps_to_the_closest_day() {
        let days = [10, 20, 30];
        assert_eq!(nearest_index(&days, 0.0), Some(0));
        assert_eq!(nearest_index(&days, 14.9), Some(0));
        assert_eq!(nearest_index(&days, 15.1), Some(1));
        assert_eq!(nearest_index(&days, 99.0), Some(2));
        assert_eq!(nearest_index(&[], 1.0), None);
    }

    #[test]
    fn series_of_different_magnitude_get_separate_charts() {
        let a = series(&[("2020-01-01", Some(3000.0)), ("2020-01-02", Some(3100.0))]);
        let b = series(&[("2020-01-01", Some(0.01)), ("2020-01-02", Some(-0.02))]);
        let c = series(&[("2020-01-01", Some(2900.0))]);
        assert_eq!(group_by_scale(&[a, b, c]), vec![vec![0, 2], vec![1]]);
    }

    #[test]
    fn colours_are_checked() {
        assert!(is_safe_color("#2563eb"));
        assert!(is_safe_color("#abc"));
        assert!(!is_safe_color("red"));
        assert!(!is_safe_color("#12345g"));
    }
}
