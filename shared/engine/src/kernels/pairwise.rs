//! Pairwise kernels for the analysis family: co-moments of two aligned value slices
//! (full-sample and rolling), and ordinary least squares with an intercept.
//!
//! Everything here works on slices that are already aligned row by row (the primitives
//! align series on the union of their dates first). A row takes part only when *both*
//! values are present ("pairwise complete"), as pandas does for `corr`, `cov` and
//! `rolling(w).corr`.
//!
//! Numerics, and why:
//! - Full-sample moments use two passes with compensated means, so a series with a large
//!   level (prices near 1e11) loses no digits to the level.
//! - Rolling co-moments are updated in O(1) per row with centred (Welford-style) add and
//!   remove steps, so a window of any length costs O(n) overall and never forms the
//!   catastrophic `E[xy] − E[x]E[y]` difference.
//! - A window whose present values of one side are all equal has exactly zero variance
//!   and covariance (pandas does the same); the running state is re-pinned to the exact
//!   constant there, which also clears any drift accumulated by earlier removals.
//! - OLS centres the columns (which removes the intercept column) and solves the centred
//!   problem with Householder QR, never forming X'X, so the condition number enters once.

/// A compensated (Neumaier) running sum: keeps full precision when adding many terms.
#[derive(Debug, Clone, Copy, Default)]
pub struct Neumaier {
    sum: f64,
    comp: f64,
}

impl Neumaier {
    /// Adds a term.
    #[inline]
    pub fn add(&mut self, v: f64) {
        let t = self.sum + v;
        if self.sum.abs() >= v.abs() {
            self.comp += (self.sum - t) + v;
        } else {
            self.comp += (v - t) + self.sum;
        }
        self.sum = t;
    }

    /// The compensated total.
    #[inline]
    pub fn value(&self) -> f64 {
        self.sum + self.comp
    }
}

/// Compensated (Neumaier) sum of `values`.
pub fn neumaier_sum(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut acc = Neumaier::default();
    for v in values {
        acc.add(v);
    }
    acc.value()
}

/// The rows where both values are present, as two dense vectors.
pub fn complete_pairs(x: &[f64], y: &[f64]) -> (Vec<f64>, Vec<f64>) {
    x.iter()
        .zip(y)
        .filter(|(a, b)| !a.is_nan() && !b.is_nan())
        .map(|(a, b)| (*a, *b))
        .unzip()
}

fn all_equal(v: &[f64]) -> bool {
    v.windows(2).all(|w| w[0] == w[1])
}

/// Centred second moments of two dense, NaN-free slices of equal length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    /// Number of pairs.
    pub n: usize,
    /// Σ(x − x̄)².
    pub sxx: f64,
    /// Σ(y − ȳ)².
    pub syy: f64,
    /// Σ(x − x̄)(y − ȳ).
    pub sxy: f64,
}

/// Two-pass co-moments with the corrected two-pass formula (Chan, Golub, LeVeque): the
/// second term cancels the rounding error left in the means. A side whose values are all
/// equal gets exactly zero moments.
pub fn moments(x: &[f64], y: &[f64]) -> Moments {
    let n = x.len().min(y.len());
    let (x, y) = (&x[..n], &y[..n]);
    let pairs = || x.iter().copied().zip(y.iter().copied());
    let c = two_pass(pairs, (all_equal(x), all_equal(y)));
    Moments {
        n: c.n,
        sxx: c.sxx,
        syy: c.syy,
        sxy: c.sxy,
    }
}

/// Two passes over the pairs `pairs()` yields: compensated means, then compensated sums of
/// centred products with the corrected two-pass term. A side flagged constant contributes
/// exact zeros. Means returned are those of the values as given.
fn two_pass<I: Iterator<Item = (f64, f64)>>(
    pairs: impl Fn() -> I,
    (const_x, const_y): (bool, bool),
) -> CoMoments {
    let (mut n, mut sx, mut sy) = (0usize, Neumaier::default(), Neumaier::default());
    for (a, b) in pairs() {
        n += 1;
        sx.add(a);
        sy.add(b);
    }
    if n == 0 {
        return CoMoments::default();
    }
    let nf = n as f64;
    let (mean_x, mean_y) = (sx.value() / nf, sy.value() / nf);
    let mut acc = [Neumaier::default(); 5];
    for (a, b) in pairs() {
        let dx = if const_x { 0.0 } else { a - mean_x };
        let dy = if const_y { 0.0 } else { b - mean_y };
        acc[0].add(dx);
        acc[1].add(dy);
        acc[2].add(dx * dx);
        acc[3].add(dy * dy);
        acc[4].add(dx * dy);
    }
    let [sdx, sdy, sxx, syy, sxy] = acc.map(|a| a.value());
    CoMoments {
        n,
        mean_x,
        mean_y,
        sxx: (sxx - sdx * sdx / nf).max(0.0),
        syy: (syy - sdy * sdy / nf).max(0.0),
        sxy: sxy - sdx * sdy / nf,
    }
}

/// Co-moments of the complete pairs of `x` and `y` (rows where both are present), without
/// copying them out; a side whose present values are all equal gets exact zeros.
pub fn complete_moments(x: &[f64], y: &[f64]) -> Moments {
    // NaN-free, well-conditioned data takes the vectorised pass (same formula).
    if let Some((n, sxx, syy, sxy)) = super::reduce::co_moments(x, y) {
        return Moments { n, sxx, syy, sxy };
    }
    let pairs = || {
        x.iter()
            .copied()
            .zip(y.iter().copied())
            .filter(|(a, b)| !a.is_nan() && !b.is_nan())
    };
    let constant = |pick: fn((f64, f64)) -> f64| {
        let mut it = pairs().map(pick);
        it.next().is_none_or(|first| it.all(|v| v == first))
    };
    let c = two_pass(pairs, (constant(|p| p.0), constant(|p| p.1)));
    Moments {
        n: c.n,
        sxx: c.sxx,
        syy: c.syy,
        sxy: c.sxy,
    }
}

/// Pearson correlation over the complete pairs of `x` and `y`; NaN with fewer than two
/// pairs or when either side has zero variance. Clipped to [−1, 1] like pandas.
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    corr_of(&complete_moments(x, y))
}

fn corr_of(m: &Moments) -> f64 {
    if m.n < 2 || m.sxx <= 0.0 || m.syy <= 0.0 {
        return f64::NAN;
    }
    (m.sxy / m.sxx.sqrt() / m.syy.sqrt()).clamp(-1.0, 1.0)
}

/// Sample covariance over the complete pairs with `ddof` (NaN when pairs ≤ ddof).
pub fn covariance(x: &[f64], y: &[f64], ddof: usize) -> f64 {
    let m = complete_moments(x, y);
    if m.n <= ddof {
        return f64::NAN;
    }
    m.sxy / (m.n - ddof) as f64
}

/// Beta of `x` on `y` over the complete pairs: cov(x, y) / var(y). NaN with fewer than
/// two pairs or when `y` has zero variance.
pub fn beta(x: &[f64], y: &[f64]) -> f64 {
    let m = complete_moments(x, y);
    if m.n < 2 || m.syy <= 0.0 {
        return f64::NAN;
    }
    m.sxy / m.syy
}

/// Running centred co-moments of a window of pairs, updated one pair at a time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CoMoments {
    /// Pairs in the window.
    pub n: usize,
    /// Mean of x.
    pub mean_x: f64,
    /// Mean of y.
    pub mean_y: f64,
    /// Σ(x − x̄)².
    pub sxx: f64,
    /// Σ(y − ȳ)².
    pub syy: f64,
    /// Σ(x − x̄)(y − ȳ).
    pub sxy: f64,
}

impl CoMoments {
    /// Adds a pair (Welford's update, extended to the cross moment).
    pub fn add(&mut self, x: f64, y: f64) {
        self.n += 1;
        let nf = self.n as f64;
        let dx = x - self.mean_x;
        let dy = y - self.mean_y;
        self.mean_x += dx / nf;
        self.mean_y += dy / nf;
        self.sxx += dx * (x - self.mean_x);
        self.syy += dy * (y - self.mean_y);
        self.sxy += dx * (y - self.mean_y);
    }

    /// Removes a pair that was added earlier (the exact inverse of [`CoMoments::add`]).
    pub fn remove(&mut self, x: f64, y: f64) {
        if self.n <= 1 {
            // The window is empty again: start from an exact zero state.
            *self = CoMoments::default();
            return;
        }
        self.n -= 1;
        let nf = self.n as f64;
        let dx = x - self.mean_x;
        let dy = y - self.mean_y;
        self.mean_x -= dx / nf;
        self.mean_y -= dy / nf;
        self.sxx = (self.sxx - dx * (x - self.mean_x)).max(0.0);
        self.syy = (self.syy - dy * (y - self.mean_y)).max(0.0);
        self.sxy -= dx * (y - self.mean_y);
    }

    /// Records that every x in the window equals `value`: exact zero spread.
    fn pin_x(&mut self, value: f64) {
        self.mean_x = value;
        self.sxx = 0.0;
        self.sxy = 0.0;
    }

    /// Records that every y in the window equals `value`: exact zero spread.
    fn pin_y(&mut self, value: f64) {
        self.mean_y = value;
        self.syy = 0.0;
        self.sxy = 0.0;
    }

    fn as_moments(&self) -> Moments {
        Moments {
            n: self.n,
            sxx: self.sxx,
            syy: self.syy,
            sxy: self.sxy,
        }
    }
}

/// The statistic a rolling pairwise kernel yields for each window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairStat {
    /// Pearson correlation (NaN under two pairs or with a zero-variance side).
    Correlation,
    /// Covariance with the given delta degrees of freedom (NaN when pairs ≤ ddof).
    Covariance {
        /// Delta degrees of freedom (1 for the sample covariance).
        ddof: usize,
    },
    /// cov(x, y) / var(y) (NaN under two pairs or when y has zero variance).
    Beta,
}

impl PairStat {
    fn eval(self, m: &Moments) -> f64 {
        match self {
            PairStat::Correlation => corr_of(m),
            PairStat::Covariance { ddof } if m.n > ddof => m.sxy / (m.n - ddof) as f64,
            PairStat::Covariance { .. } => f64::NAN,
            PairStat::Beta if m.n >= 2 && m.syy > 0.0 => m.sxy / m.syy,
            PairStat::Beta => f64::NAN,
        }
    }
}

/// Length of the run of equal values ending at the latest present value.
#[derive(Debug, Clone, Copy, Default)]
struct EqualRun {
    last: f64,
    len: usize,
}

impl EqualRun {
    fn push(&mut self, v: f64) {
        if self.len > 0 && self.last == v {
            self.len += 1;
        } else {
            self.last = v;
            self.len = 1;
        }
    }
}

/// A rolling pairwise statistic over row windows of `window` rows ending at each row, as
/// pandas `x.rolling(window, min_periods).corr(y)` / `.cov(y)`: a row counts only when
/// both values are present, and a window with fewer than `max(min_periods, 1)` such pairs
/// yields NaN. O(n) whatever the window. `x` and `y` must have equal lengths (the shorter
/// length is used otherwise) and `window` must be at least 1 (0 yields all NaN).
pub fn rolling(
    x: &[f64],
    y: &[f64],
    window: usize,
    min_periods: usize,
    stat: PairStat,
) -> Vec<f64> {
    let n = x.len().min(y.len());
    let mut out = vec![f64::NAN; n];
    if window == 0 {
        return out;
    }
    let present = |i: usize| !x[i].is_nan() && !y[i].is_nan();
    let need = min_periods.max(1);
    // The running state holds moments of x − kx and y − ky, with (kx, ky) a recent pair:
    // near the data, so that a high level (prices near 1e6 with a spread of 0.01) does not
    // leave ulp(level)-sized errors in every update.
    let (mut kx, mut ky) = (0.0f64, 0.0f64);
    let mut m = CoMoments::default();
    let (mut run_x, mut run_y) = (EqualRun::default(), EqualRun::default());
    let mut last_present: Option<usize> = None;
    let mut since_rebuild = 0usize;
    for i in 0..n {
        if i >= window && present(i - window) {
            m.remove(x[i - window] - kx, y[i - window] - ky);
            if m.n == 1 {
                // One pair left: it is the latest present pair, so restart from it exactly
                // (a removal can leave rounding residue as large as the departed spread).
                if let Some(j) = last_present {
                    m = CoMoments::default();
                    m.add(x[j] - kx, y[j] - ky);
                }
            }
        }
        if present(i) {
            if m.n == 0 {
                (kx, ky) = (x[i], y[i]);
            }
            m.add(x[i] - kx, y[i] - ky);
            run_x.push(x[i]);
            run_y.push(y[i]);
            last_present = Some(i);
        }
        // Every `window` rows the window's moments are recomputed exactly about a fresh
        // shift (two passes over at most `window` rows: O(n) in total), so neither drift
        // from removals nor a wandering level can accumulate error.
        since_rebuild += 1;
        if since_rebuild >= window {
            since_rebuild = 0;
            if let (true, Some(j)) = (m.n > 1, last_present) {
                (kx, ky) = (x[j], y[j]);
                let lo = (i + 1).saturating_sub(window);
                m = exact_comoments(&x[lo..=i], &y[lo..=i], kx, ky);
            }
        }
        if m.n == 0 {
            continue;
        }
        // The pairs in the window are the latest `m.n` present pairs, so a run at least
        // that long means one side is constant across the window.
        if run_x.len >= m.n {
            m.pin_x(run_x.last - kx);
        }
        if run_y.len >= m.n {
            m.pin_y(run_y.last - ky);
        }
        if m.n >= need {
            out[i] = stat.eval(&m.as_moments());
        }
    }
    out
}

/// Two-pass co-moments of the complete pairs of a window about the shift (kx, ky), without
/// allocating; the means are those of x − kx and y − ky.
fn exact_comoments(x: &[f64], y: &[f64], kx: f64, ky: f64) -> CoMoments {
    let pairs = || {
        x.iter()
            .zip(y)
            .filter(|(a, b)| !a.is_nan() && !b.is_nan())
            .map(move |(a, b)| (a - kx, b - ky))
    };
    two_pass(pairs, (false, false))
}

/// Why a least-squares fit was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OlsError {
    /// Fewer complete rows than the fit needs (`need` = regressors + intercept + 1).
    TooFewRows {
        /// Complete rows available.
        n: usize,
        /// Rows needed.
        need: usize,
    },
    /// Regressor `index` (0-based) is constant or a linear combination of earlier ones.
    Collinear {
        /// The offending regressor.
        index: usize,
    },
}

/// An OLS fit of y on k regressors with an intercept.
#[derive(Debug, Clone, PartialEq)]
pub struct OlsFit {
    /// Slope coefficients, one per regressor.
    pub coef: Vec<f64>,
    /// The intercept.
    pub intercept: f64,
    /// Coefficient of determination, 1 − SSR / TSS (TSS centred).
    pub r2: f64,
    /// 1 − (n − 1) / (n − k − 1) · (1 − R²).
    pub adj_r2: f64,
    /// Standard errors of the slopes (σ̂² = SSR / (n − k − 1)).
    pub stderr: Vec<f64>,
    /// t statistics of the slopes.
    pub tstat: Vec<f64>,
    /// Standard error of the intercept.
    pub intercept_stderr: f64,
    /// t statistic of the intercept.
    pub intercept_tstat: f64,
    /// Complete rows used.
    pub n: usize,
}

/// Relative size below which a QR pivot counts as zero: the column is then (numerically)
/// a combination of the earlier ones. Generous enough to accept condition numbers near
/// 1e10, where the fitted coefficients still carry several correct digits.
const RANK_TOL: f64 = 1e-10;

/// OLS of `y` on the columns `xs` plus an intercept, using only rows where `y` and every
/// x are present (statsmodels `OLS(y, add_constant(X), missing='drop')`). Needs at least
/// k + 2 complete rows so that the residual variance has a degree of freedom.
pub fn ols(y: &[f64], xs: &[&[f64]]) -> Result<OlsFit, OlsError> {
    let k = xs.len();
    let rows = xs.iter().fold(y.len(), |len, c| len.min(c.len()));
    let keep: Vec<usize> = (0..rows)
        .filter(|&i| !y[i].is_nan() && xs.iter().all(|c| !c[i].is_nan()))
        .collect();
    let n = keep.len();
    if n < k + 2 {
        return Err(OlsError::TooFewRows { n, need: k + 2 });
    }
    let nf = n as f64;
    // A constant column centres to exact zeros (and its mean is the constant itself), so
    // that a constant x is reported as such rather than as rounding noise.
    let centred = |v: Vec<f64>| -> (f64, Vec<f64>) {
        if all_equal(&v) {
            return (v[0], vec![0.0; v.len()]);
        }
        let mean = neumaier_sum(v.iter().copied()) / nf;
        (mean, v.into_iter().map(|x| x - mean).collect())
    };
    let (ybar, yc) = centred(keep.iter().map(|&i| y[i]).collect());
    let mut xbar = Vec::with_capacity(k);
    let mut cols: Vec<Vec<f64>> = Vec::with_capacity(k);
    for c in xs {
        let (m, v) = centred(keep.iter().map(|&i| c[i]).collect());
        xbar.push(m);
        cols.push(v);
    }
    let col_norms: Vec<f64> = cols.iter().map(|c| norm2(c)).collect();
    let xc = cols.clone();

    // Householder QR of the centred design, applied to y as well: R is left in the upper
    // triangle of `cols` (column-major), Qᵀy in `qty`.
    let mut qty = yc.clone();
    let mut r_diag = vec![0.0; k];
    for j in 0..k {
        let norm = norm2(&cols[j][j..]);
        if norm == 0.0 || norm <= RANK_TOL * col_norms[j] {
            return Err(OlsError::Collinear { index: j });
        }
        let alpha = if cols[j][j] > 0.0 { -norm } else { norm };
        let mut v = cols[j][j..].to_vec();
        v[0] -= alpha;
        let vv: f64 = v.iter().map(|a| a * a).sum();
        let reflect = |target: &mut [f64]| {
            let s = 2.0 * v.iter().zip(target.iter()).map(|(a, b)| a * b).sum::<f64>() / vv;
            for (t, a) in target.iter_mut().zip(&v) {
                *t -= s * a;
            }
        };
        for col in cols.iter_mut().skip(j) {
            reflect(&mut col[j..]);
        }
        reflect(&mut qty[j..]);
        r_diag[j] = alpha;
    }
    let r = |row: usize, col: usize| {
        if row == col {
            r_diag[row]
        } else {
            cols[col][row]
        }
    };

    // Back substitution R b = (Qᵀy)[..k].
    let mut coef = vec![0.0; k];
    for j in (0..k).rev() {
        let s: f64 = (j + 1..k).map(|m| r(j, m) * coef[m]).sum();
        coef[j] = (qty[j] - s) / r(j, j);
    }
    // R⁻¹ (upper triangular), for the covariance σ̂²(XcᵀXc)⁻¹ = σ̂² R⁻¹R⁻ᵀ.
    // Stored by columns: `rinv_cols[c][j]` is (R⁻¹)_{jc} for j ≤ c (solves R z = e_c).
    let rinv_cols: Vec<Vec<f64>> = (0..k)
        .map(|c| {
            let mut z = vec![0.0; c + 1];
            for j in (0..=c).rev() {
                let e = if j == c { 1.0 } else { 0.0 };
                let s: f64 = (j + 1..=c).map(|m| r(j, m) * z[m]).sum();
                z[j] = (e - s) / r(j, j);
            }
            z
        })
        .collect();
    let rinv = |j: usize, c: usize| if j <= c { rinv_cols[c][j] } else { 0.0 };

    // Residuals from the centred fit, directly (more accurate than ‖(Qᵀy)[k..]‖).
    let ssr = neumaier_sum((0..n).map(|i| {
        let fit: f64 = (0..k).map(|j| xc[j][i] * coef[j]).sum();
        let e = yc[i] - fit;
        e * e
    }));
    let tss = neumaier_sum(yc.iter().map(|v| v * v));
    let df = (n - k - 1) as f64;
    let r2 = 1.0 - ssr / tss;
    let adj_r2 = 1.0 - (nf - 1.0) / df * (1.0 - r2);
    let sigma2 = ssr / df;
    let stderr: Vec<f64> = (0..k)
        .map(|j| (sigma2 * (j..k).map(|c| rinv(j, c).powi(2)).sum::<f64>()).sqrt())
        .collect();
    let tstat = coef.iter().zip(&stderr).map(|(b, s)| b / s).collect();
    let intercept = ybar - coef.iter().zip(&xbar).map(|(b, m)| b * m).sum::<f64>();
    // Var(intercept) = σ̂² (1/n + x̄ᵀ(XcᵀXc)⁻¹x̄) = σ̂² (1/n + ‖R⁻ᵀx̄‖²).
    let quad: f64 = (0..k)
        .map(|m| (0..=m).map(|j| rinv(j, m) * xbar[j]).sum::<f64>().powi(2))
        .sum();
    let intercept_stderr = (sigma2 * (1.0 / nf + quad)).sqrt();
    Ok(OlsFit {
        coef,
        intercept,
        r2,
        adj_r2,
        stderr,
        tstat,
        intercept_stderr,
        intercept_tstat: intercept / intercept_stderr,
        n,
    })
}

/// Euclidean norm, scaled so that squares of large values cannot overflow.
fn norm2(v: &[f64]) -> f64 {
    let scale = v.iter().fold(0.0f64, |m, a| m.max(a.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return scale;
    }
    scale * v.iter().map(|a| (a / scale).powi(2)).sum::<f64>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SplitMix64: a tiny deterministic generator so the tests need no crate.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Random data with NaN runs, isolated NaNs and runs of a repeated value.
    fn data(seed: u64, n: usize, level: f64) -> Vec<f64> {
        let mut rng = Rng(seed);
        let mut out = Vec::with_capacity(n);
        let mut i = 0;
        while i < n {
            let u = rng.next();
            if u < 0.03 {
                let run = 1 + (rng.next() * 12.0) as usize;
                out.extend(std::iter::repeat_n(f64::NAN, run));
                i += run;
            } else if u < 0.05 {
                let run = 1 + (rng.next() * 10.0) as usize;
                let v = level + rng.next();
                out.extend(std::iter::repeat_n(v, run));
                i += run;
            } else {
                out.push(level + rng.next() * 2.0 - 1.0);
                i += 1;
            }
        }
        out.truncate(n);
        out
    }

    /// The O(n·w) definition: fresh two-pass moments over each window's complete pairs.
    fn naive(x: &[f64], y: &[f64], w: usize, minp: usize, stat: PairStat) -> Vec<f64> {
        (0..x.len())
            .map(|i| {
                let lo = (i + 1).saturating_sub(w);
                let (a, b) = complete_pairs(&x[lo..=i], &y[lo..=i]);
                if a.len() < minp.max(1) {
                    return f64::NAN;
                }
                stat.eval(&moments(&a, &b))
            })
            .collect()
    }

    fn assert_close(got: &[f64], want: &[f64], rtol: f64, what: &str) {
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            if w.is_nan() {
                assert!(g.is_nan(), "{what}[{i}]: got {g}, want NaN");
            } else {
                assert!(
                    (g - w).abs() <= rtol * w.abs().max(1e-12),
                    "{what}[{i}]: got {g}, want {w}"
                );
            }
        }
    }

    #[test]
    fn rolling_matches_the_naive_definition() {
        for (seed, level) in [(1u64, 0.0), (2, 100.0), (3, 1e6)] {
            let x = data(seed, 3000, level);
            let y = data(seed + 100, 3000, -level / 3.0);
            for w in [1usize, 2, 3, 7, 30, 250] {
                for minp in [0usize, 1, 2, w] {
                    for stat in [
                        PairStat::Correlation,
                        PairStat::Covariance { ddof: 1 },
                        PairStat::Beta,
                    ] {
                        let got = rolling(&x, &y, w, minp, stat);
                        let want = naive(&x, &y, w, minp, stat);
                        let what = format!("{stat:?} w={w} minp={minp} level={level}");
                        assert_close(&got, &want, 1e-9, &what);
                    }
                }
            }
        }
    }

    #[test]
    fn constant_window_gives_nan_correlation_and_zero_covariance() {
        let x = [1.0, 5.0, -3.0, 0.7, 0.7, 0.7, 0.7, 2.0];
        let y = [0.3, 0.1, 0.9, 0.2, 0.8, 0.4, 0.6, 0.5];
        let c = rolling(&x, &y, 4, 4, PairStat::Correlation);
        let v = rolling(&x, &y, 4, 4, PairStat::Covariance { ddof: 1 });
        assert!(c[6].is_nan());
        assert_eq!(v[6], 0.0);
        assert!(c[7].is_finite());
        let b = rolling(&y, &x, 4, 4, PairStat::Beta);
        assert!(b[6].is_nan(), "benchmark without variance has no beta");
    }

    #[test]
    fn full_sample_moments_survive_a_large_level() {
        let x: Vec<f64> = (0..500).map(|i| 1e12 + (i as f64 * 0.37).sin()).collect();
        let y: Vec<f64> = (0..500)
            .map(|i| -4e11 + 2.0 * (i as f64 * 0.37).sin())
            .collect();
        assert!((pearson(&x, &y) - 1.0).abs() < 1e-6);
        assert!((beta(&y, &x) - 2.0).abs() < 1e-5);
    }

    #[test]
    fn ols_recovers_exact_coefficients_and_refuses_bad_designs() {
        let x1: Vec<f64> = (0..50).map(|i| (i as f64 * 0.7).sin()).collect();
        let x2: Vec<f64> = (0..50).map(|i| (i as f64 * 0.3).cos() + 1e6).collect();
        let noise: Vec<f64> = (0..50).map(|i| ((i * 7919) % 13) as f64 * 1e-3).collect();
        let y: Vec<f64> = (0..50)
            .map(|i| 2.0 + 3.0 * x1[i] - 0.5 * x2[i] + noise[i])
            .collect();
        let fit = ols(&y, &[&x1, &x2]).unwrap();
        assert!((fit.coef[0] - 3.0).abs() < 1e-2 && (fit.coef[1] + 0.5).abs() < 1e-2);
        assert!(fit.r2 > 0.99 && fit.n == 50);
        let twice: Vec<f64> = x1.iter().map(|v| 2.0 * v).collect();
        assert_eq!(
            ols(&y, &[&x1, &twice]),
            Err(OlsError::Collinear { index: 1 })
        );
        assert_eq!(
            ols(&y[..3], &[&x1[..3], &x2[..3]]),
            Err(OlsError::TooFewRows { n: 3, need: 4 })
        );
        let flat = vec![4.0; 50];
        assert_eq!(ols(&y, &[&flat]), Err(OlsError::Collinear { index: 0 }));
    }
}
