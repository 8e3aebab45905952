//! Elementwise maps over f64 slices into fresh vectors, compiled both for the baseline
//! target and (on x86-64) for AVX2, chosen at run time: divisions, square roots,
//! comparisons and roundings then run four lanes at a time. The closure is inlined into
//! each version, so results are the same whichever runs (no fused multiply-add is
//! enabled, and Rust never contracts arithmetic on its own).

/// `f` over every value of `xs`.
#[inline(always)]
fn map_body<F: Fn(f64) -> f64>(xs: &[f64], f: &F) -> Vec<f64> {
    xs.iter().map(|&x| f(x)).collect()
}

/// `f` over pairs of `xs` and `ys` (the shorter length).
#[inline(always)]
fn zip_body<F: Fn(f64, f64) -> f64>(xs: &[f64], ys: &[f64], f: &F) -> Vec<f64> {
    xs.iter().zip(ys).map(|(&x, &y)| f(x, y)).collect()
}

/// `f` over pairs of `xs` and `ys`, appended to `out`.
#[inline(always)]
fn zip_extend_body<F: Fn(f64, f64) -> f64>(out: &mut Vec<f64>, xs: &[f64], ys: &[f64], f: &F) {
    out.extend(xs.iter().zip(ys).map(|(&x, &y)| f(x, y)));
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn zip_extend_wide<F: Fn(f64, f64) -> f64>(out: &mut Vec<f64>, xs: &[f64], ys: &[f64], f: &F) {
    zip_extend_body(out, xs, ys, f);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn map_wide<F: Fn(f64) -> f64>(xs: &[f64], f: &F) -> Vec<f64> {
    map_body(xs, f)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn zip_wide<F: Fn(f64, f64) -> f64>(xs: &[f64], ys: &[f64], f: &F) -> Vec<f64> {
    zip_body(xs, ys, f)
}

/// `f` applied to every value.
pub fn map(xs: &[f64], f: impl Fn(f64) -> f64) -> Vec<f64> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { map_wide(xs, &f) };
    }
    map_body(xs, &f)
}

/// `f` applied pairwise to two equally long slices (extra values of the longer are
/// ignored).
pub fn zip(xs: &[f64], ys: &[f64], f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { zip_wide(xs, ys, &f) };
    }
    zip_body(xs, ys, &f)
}

/// [`zip`] appending to `out` (no intermediate vector).
pub fn zip_extend(out: &mut Vec<f64>, xs: &[f64], ys: &[f64], f: impl Fn(f64, f64) -> f64) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { zip_extend_wide(out, xs, ys, &f) };
    }
    zip_extend_body(out, xs, ys, &f);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_agree_with_plain_loops() {
        let xs: Vec<f64> = (0..1003).map(|i| (i as f64 - 500.0) * 0.37).collect();
        let ys: Vec<f64> = (0..1003).map(|i| (i % 7) as f64 - 3.0).collect();
        let want: Vec<f64> = xs.iter().map(|x| x / 1.5).collect();
        assert_eq!(map(&xs, |x| x / 1.5), want);
        let q = zip(&xs, &ys, |x, y| x / y);
        for (i, v) in q.iter().enumerate() {
            let w = xs[i] / ys[i];
            assert!(v.to_bits() == w.to_bits() || (v.is_nan() && w.is_nan()));
        }
        assert_eq!(zip(&xs, &ys[..10], |x, y| x + y).len(), 10);
        let mut out = vec![f64::NAN];
        zip_extend(&mut out, &xs, &ys, |x, y| x - y);
        assert_eq!(out.len(), 1 + xs.len());
        assert_eq!(
            out[1..],
            xs.iter().zip(&ys).map(|(x, y)| x - y).collect::<Vec<_>>()[..]
        );
        assert!(map(&[], |x| x).is_empty());
    }
}
