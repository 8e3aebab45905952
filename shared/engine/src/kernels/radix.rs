//! Least-significant-digit radix sort of `(key, row)` pairs by key: O(n) passes over the
//! data instead of O(n log n) comparisons, which is what ordering a million values costs
//! most. Stable: pairs with equal keys keep their input order, so pairs built in row order
//! come out in the order a stable sort of the rows by key gives.

/// Bits per digit: eight passes of 256 buckets. Wider digits mean fewer passes but more
/// buckets written at once, and the scatter is what costs: with 2,048 buckets (six passes)
/// a million pairs sorted more slowly than with 256 (measured in docs/performance.md).
const DIGIT_BITS: u32 = 8;
const BUCKETS: usize = 1 << DIGIT_BITS;
const PASSES: usize = 64usize.div_ceil(DIGIT_BITS as usize);
/// Below this many pairs a comparison sort is faster than six counting passes.
const SMALL: usize = 2048;

fn digit(key: u64, pass: usize) -> usize {
    ((key >> (pass as u32 * DIGIT_BITS)) as usize) & (BUCKETS - 1)
}

/// The pairs, sorted by key, stably (equal keys keep their order). The counts of every
/// pass are taken while the pairs are collected (one read of the input); passes whose digit
/// is the same for every key (e.g. the sign and exponent bits of prices in one range) are
/// skipped.
pub fn sorted_by_key(pairs: impl IntoIterator<Item = (u64, u32)>) -> Vec<(u64, u32)> {
    let pairs = pairs.into_iter();
    // Room for the most pairs there can be (a filtered input knows only that bound), so
    // the collection never reallocates and copies.
    let (least, most) = pairs.size_hint();
    let mut src: Vec<(u64, u32)> = Vec::with_capacity(most.unwrap_or(least));
    let mut counts = vec![[0u32; BUCKETS]; PASSES];
    for (key, row) in pairs {
        for (pass, c) in counts.iter_mut().enumerate() {
            c[digit(key, pass)] += 1;
        }
        src.push((key, row));
    }
    let n = src.len();
    if n < SMALL {
        src.sort_by_key(|p| p.0);
        return src;
    }
    let first = src[0].0;
    let mut dst = vec![(0u64, 0u32); n];
    for (pass, c) in counts.iter().enumerate() {
        if c[digit(first, pass)] as usize == n {
            continue;
        }
        let mut next = [0usize; BUCKETS];
        let mut at = 0usize;
        for (slot, &count) in next.iter_mut().zip(c.iter()) {
            *slot = at;
            at += count as usize;
        }
        for &pair in &src {
            let d = digit(pair.0, pass);
            dst[next[d]] = pair;
            next[d] += 1;
        }
        std::mem::swap(&mut src, &mut dst);
    }
    src
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64: a deterministic stream without a dependency.
    fn stream(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    #[test]
    fn matches_a_stable_comparison_sort() {
        let mut next = stream(0x9e37_79b9_7f4a_7c15);
        // Sizes around the small-input cutoff; keys from full-width, narrow (skipped
        // passes) and few-valued (many ties) distributions.
        for n in [0, 1, 2, 100, SMALL - 1, SMALL, SMALL + 1, 10_000, 70_001] {
            for shape in 0..3 {
                let pairs: Vec<(u64, u32)> = (0..n as u32)
                    .map(|row| {
                        let r = next();
                        let key = match shape {
                            0 => r,
                            1 => 0x4059_0000_0000_0000 | (r >> 30),
                            _ => r % 7,
                        };
                        (key, row)
                    })
                    .collect();
                let mut want = pairs.clone();
                want.sort_by_key(|p| p.0);
                assert_eq!(sorted_by_key(pairs), want, "n = {n}, shape {shape}");
            }
        }
    }
}
