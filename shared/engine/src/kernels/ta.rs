//! TA-Lib-faithful loops for the technical family.
//!
//! Each kernel reproduces the floating-point operations of TA-Lib 0.8 (the C library inside
//! the `ta-lib` 0.8.2 wheel) one for one, so that our outputs agree with TA-Lib's to the
//! last bit on the golden cases, not merely within a tolerance. That matters because
//! TA-Lib 0.8 is not the textbook: it multiplies by a reciprocal where the textbook
//! divides (RSI), rounds the EMA and ATR recurrences with a fused multiply-add, re-sums
//! the WMA window from scratch every `8·period` bars, and computes the Bollinger deviation
//! on shifted data with a periodic re-centring. Each kernel's comment states the
//! recurrence it implements; where the order of operations looks arbitrary, it is the
//! order TA-Lib rounds in.
//!
//! Conventions shared by every kernel:
//! - the input holds no NaN (the primitives strip TA-Lib's leading-NaN prefix and refuse
//!   interior gaps before calling in);
//! - a kernel appends exactly one value per input value to each output `Vec`: NaN for its
//!   lookback (TA-Lib's NaN prefix), then the indicator, so no output is written twice
//!   (the stochastic, which works in place, takes pre-filled slices instead);
//! - an input no longer than the lookback gives an all-NaN output, as TA-Lib does;
//! - the appending kernels return whether their input was free of NaN, found at no cost
//!   on the way (a running sum or recurrence that every value enters turns NaN for good),
//!   so the caller need not scan the input for gaps first: `false` can also mean an
//!   infinity cancelled, and the caller's scan then decides;
//! - periods were validated by the caller (the ranges TA-Lib accepts, all ≥ 1).
//!
//! `f64::mul_add` is exact on every machine; where the CPU has FMA (checked once per call)
//! the EMA and ATR loops are compiled to use the instruction instead of a library call,
//! as TA-Lib's own build does, which changes the speed and never the result.
//!
//! Every kernel is a single O(n) pass (WMA's periodic re-sum and the Bollinger re-centring
//! add O(n/8) and O(n/32) work) and allocates at most one scratch vector per call.

use super::{recurrence, rolling};
use std::mem::MaybeUninit;

/// Lookback of a simple/weighted/exponential moving average: `period − 1` bars.
pub fn ma_lookback(period: usize) -> usize {
    period - 1
}

/// Whether `x` holds no NaN (for the paths with no running sum to tell).
fn no_nan(x: &[f64]) -> bool {
    super::reduce::count(x) == x.len()
}

/// Appends `k` NaN to `out` (a lookback prefix, or a whole too-short output).
fn push_nan(out: &mut Vec<f64>, k: usize) {
    out.resize(out.len() + k, f64::NAN);
}

/// Appends `m` values to each of three vectors: `f(j)` gives the `j`-th of each. The
/// values go straight into the vectors' spare capacity, so the loop carries no length
/// or capacity checks (three `push`es per step would reload each vector's length).
/// Always inlined, so that `f` is compiled with its caller's target features (MACD's
/// hardware FMA; otherwise each `mul_add` would be a library call).
#[inline(always)]
fn extend3(outs: [&mut Vec<f64>; 3], m: usize, mut f: impl FnMut(usize) -> (f64, f64, f64)) {
    let [a, b, c] = outs;
    for v in [&mut *a, &mut *b, &mut *c] {
        v.reserve(m);
    }
    let (sa, sb, sc) = (
        &mut a.spare_capacity_mut()[..m],
        &mut b.spare_capacity_mut()[..m],
        &mut c.spare_capacity_mut()[..m],
    );
    for (j, ((x, y), z)) in sa
        .iter_mut()
        .zip(sb.iter_mut())
        .zip(sc.iter_mut())
        .enumerate()
    {
        let (u, v, w) = f(j);
        x.write(u);
        y.write(v);
        z.write(w);
    }
    for v in [a, b, c] {
        // SAFETY: the three slices above are exactly the first `m` spare slots of each
        // vector (`reserve(m)` made them exist), and the loop wrote every one of them.
        unsafe { v.set_len(v.len() + m) };
    }
}

/// Simple moving average: the mean of each full window of `period` values (NaN for the
/// first `period − 1`), from the block sums of [`rolling::rolling_mean`] (each window is
/// a block's suffix plus the next block's prefix: nothing is subtracted, so there is no
/// running-sum drift; within ~1e-15 relative of TA-Lib's running sum on price data, and
/// 2–3× faster). Appends `x.len()` values to `out`; `true` when `x` has no NaN.
pub fn sma(x: &[f64], period: usize, out: &mut Vec<f64>) -> bool {
    let means = rolling::rolling_mean(x, period, period);
    if out.is_empty() {
        *out = means;
    } else {
        out.extend_from_slice(&means);
    }
    no_nan(x)
}

/// [`sma`] written into `out[lb..]` of a pre-filled slice as long as `x` (the stochastic
/// smooths in place).
fn sma_into(x: &[f64], period: usize, out: &mut [f64]) {
    let n = x.len();
    let lb = ma_lookback(period);
    if n <= lb {
        return;
    }
    let p = period as f64;
    let mut total: f64 = x[..lb].iter().sum();
    for i in lb..n {
        total += x[i];
        out[i] = total / p;
        total -= x[i - lb];
    }
}

/// Weighted moving average (weights 1…period, newest heaviest).
///
/// The window's plain sum and weighted sum are carried incrementally; TA-Lib 0.8 throws
/// both away and re-sums the window every `8·period` outputs to stop rounding drift, and
/// so do we, on the same bars.
/// Appends `x.len()` values to `out`; `true` when `x` has no NaN.
pub fn wma(x: &[f64], period: usize, out: &mut Vec<f64>) -> bool {
    let n = x.len();
    if period == 1 {
        out.extend_from_slice(x);
        return no_nan(x);
    }
    let lb = ma_lookback(period);
    if n <= lb {
        push_nan(out, n);
        return no_nan(x);
    }
    push_nan(out, lb);
    let p = period as f64;
    let divider = (p + 1.0) * p * 0.5;
    let (mut plain, mut weighted) = (0.0, 0.0);
    for (w, &v) in x[..lb].iter().enumerate() {
        plain += v;
        weighted += (w + 1) as f64 * v;
    }
    let resync_every = 8 * period;
    // Outputs until the next re-sum (the `resync_every`-th, 2·`resync_every`-th, …).
    let mut countdown = resync_every;
    let mut trailing = 0.0;
    // The re-sums drop old values, so a separate sum of every value sees any NaN.
    let mut probe = plain;
    for today in lb..n {
        probe += x[today];
        countdown -= 1;
        let value = if countdown == 0 {
            countdown = resync_every;
            let window = &x[today - lb..=today];
            let (mut s1, mut s2) = (0.0, 0.0);
            for (w, &v) in window.iter().enumerate() {
                s1 += v;
                s2 += (w + 1) as f64 * v;
            }
            plain = s1;
            weighted = s2 - plain;
            s2
        } else {
            let v = x[today];
            plain += v;
            plain -= trailing;
            let full = v * p + weighted;
            weighted = full - plain;
            full
        };
        out.push(value / divider);
        trailing = x[today - lb];
    }
    !probe.is_nan()
}

/// Exponential moving average with TA-Lib's default seeding: the first output (at
/// `period − 1`) is the SMA of the first `period` values; then
/// `ema = fma(x − ema, k, ema)` with `k = 2 / (period + 1)`. Period 1 is a copy.
/// Appends `x.len()` values to `out`; `true` when `x` has no NaN.
pub fn ema(x: &[f64], period: usize, out: &mut Vec<f64>) -> bool {
    if period == 1 {
        out.extend_from_slice(x);
        return no_nan(x);
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports FMA (checked on the line above), which is all
        // `ema_fma` requires.
        return unsafe { ema_fma(x, period, out) };
    }
    ema_body(x, period, out)
}

/// [`ema_body`] compiled with hardware FMA (same rounding, no library call).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
fn ema_fma(x: &[f64], period: usize, out: &mut Vec<f64>) -> bool {
    ema_body(x, period, out)
}

#[inline(always)]
fn ema_body(x: &[f64], period: usize, out: &mut Vec<f64>) -> bool {
    let n = x.len();
    let lb = ma_lookback(period);
    if lb >= n {
        push_nan(out, n);
        return no_nan(x);
    }
    push_nan(out, lb);
    let k = 2.0 / (period + 1) as f64;
    let seed: f64 = x[..=lb].iter().sum();
    let prev = seed / period as f64;
    out.push(prev);
    // TA-Lib's `prev + k·(v − prev)` is `(1 − k)·prev + k·v`, taken four values at a time
    // (within ulps of the step-by-step form).
    let last = recurrence::affine_scan(&x[lb + 1..], 1.0 - k, k, prev, out);
    // Every value entered the seed or the recurrence, which keeps a NaN.
    !last.is_nan()
}

/// Lookback of RSI: `period` bars (one difference per bar).
pub fn rsi_lookback(period: usize) -> usize {
    period
}

/// Relative strength index with Wilder smoothing (TA-Lib's classic, unstable period 0).
///
/// Gains and losses of the first `period` differences are summed and scaled by `1/period`
/// (TA-Lib 0.8 multiplies by the reciprocal); then `avg = (avg·(period−1) + today)·(1/period)`.
/// `RSI = 100·gain/(gain+loss)`, and 0 when `gain+loss` is not positive (a flat window).
/// Appends `x.len()` values to `out`; `true` when `x` has no NaN.
pub fn rsi(x: &[f64], period: usize, out: &mut Vec<f64>) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports FMA (checked on the line above), which is all
        // `rsi_fma` requires.
        return unsafe { rsi_fma(x, period, out) };
    }
    rsi_body(x, period, out)
}

/// [`rsi_body`] compiled with hardware FMA (same rounding, no library call).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
fn rsi_fma(x: &[f64], period: usize, out: &mut Vec<f64>) -> bool {
    rsi_body(x, period, out)
}

#[inline(always)]
fn rsi_body(x: &[f64], period: usize, out: &mut Vec<f64>) -> bool {
    let n = x.len();
    if n <= period {
        push_nan(out, n);
        return no_nan(x);
    }
    push_nan(out, period);
    let inv = 1.0 / period as f64;
    let pm1 = (period - 1) as f64;
    let (mut gain, mut loss) = (0.0, 0.0);
    for i in 1..=period {
        let d = x[i] - x[i - 1];
        let up = if 0.0 < d { d } else { 0.0 };
        gain += up;
        loss += up - d;
    }
    gain *= inv;
    loss *= inv;
    out.push(rsi_value(gain, loss));
    // Then, a block at a time: the bar's gain and loss, both averages as linear
    // recurrences (TA-Lib's `(avg·(period−1) + today)·(1/period)` is `d·avg + c·today`
    // with d = (period−1)/period, c = 1/period; four values per step of each carried
    // chain, within ulps of the step-by-step form), then the RSI of each bar.
    let (d, c) = (pm1 * inv, inv);
    let mut ups = [0.0; RSI_BLOCK];
    let mut downs = [0.0; RSI_BLOCK];
    let mut gains = [MaybeUninit::uninit(); RSI_BLOCK];
    let mut losses = [MaybeUninit::uninit(); RSI_BLOCK];
    for (today, yesterday) in x[period + 1..]
        .chunks(RSI_BLOCK)
        .zip(x[period..].chunks(RSI_BLOCK))
    {
        let m = today.len();
        for ((t, y), (up, down)) in today
            .iter()
            .zip(yesterday)
            .zip(ups.iter_mut().zip(&mut downs))
        {
            let diff = t - y;
            *up = if 0.0 < diff { diff } else { 0.0 };
            *down = *up - diff;
        }
        (gain, loss) = recurrence::affine_scan_pair_into(
            (&ups[..m], &downs[..m]),
            d,
            c,
            (gain, loss),
            (&mut gains[..m], &mut losses[..m]),
        );
        // SAFETY: `affine_scan_pair_into` wrote the first `m` slots of both buffers.
        out.extend(
            gains[..m]
                .iter()
                .zip(&losses[..m])
                .map(|(g, l)| unsafe { rsi_value(g.assume_init(), l.assume_init()) }),
        );
    }
    // Every value entered a difference, and a NaN difference stays in the average loss.
    !loss.is_nan()
}

/// Bars per block of the RSI loop (its buffers live on the stack).
const RSI_BLOCK: usize = 256;

/// `100·gain/(gain+loss)`, 0 for a flat window; branch-free so that blocks vectorise.
#[inline(always)]
fn rsi_value(gain: f64, loss: f64) -> f64 {
    let sum = gain + loss;
    let rsi = 100.0 * (gain / sum);
    if sum > 0.0 {
        rsi
    } else {
        0.0
    }
}

/// True range of a bar from its high, low and the previous close: the largest of
/// high−low, |close₋₁−high|, |close₋₁−low| (no NaN reaches here, so plain comparisons,
/// as TA-Lib's, pick the same value as `f64::max`).
#[inline(always)]
fn true_range(high: f64, low: f64, prev: f64) -> f64 {
    let mut greatest = high - low;
    let up = (prev - high).abs();
    if up > greatest {
        greatest = up;
    }
    let down = (prev - low).abs();
    if down > greatest {
        greatest = down;
    }
    greatest
}

/// True ranges of bars `from..` (`from ≥ 1`) of equally long columns.
fn true_ranges<'a>(
    high: &'a [f64],
    low: &'a [f64],
    close: &'a [f64],
    from: usize,
) -> impl Iterator<Item = f64> + 'a {
    high[from..]
        .iter()
        .zip(&low[from..])
        .zip(&close[from - 1..])
        .map(|((&h, &l), &c)| true_range(h, l, c))
}

/// Lookback of ATR: `period` bars (the first true range needs a previous close).
pub fn atr_lookback(period: usize) -> usize {
    period
}

/// Average true range, Wilder-smoothed as TA-Lib 0.8 rounds it: the first value is the
/// mean of the first `period` true ranges (bars 1…period); then
/// `atr = fma(a, atr, tr·(1−a))` with `a = (period−1)/period`. Period 1 is the true range.
/// Appends `close.len()` values to `out` (`high` and `low` are as long as `close`); `true`
/// when no column has a NaN.
pub fn atr(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut Vec<f64>) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports FMA (checked on the line above), which is all
        // `atr_fma` requires.
        return unsafe { atr_fma(high, low, close, period, out) };
    }
    atr_body(high, low, close, period, out)
}

/// [`atr_body`] compiled with hardware FMA (same rounding, no library call).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
fn atr_fma(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut Vec<f64>) -> bool {
    atr_body(high, low, close, period, out)
}

#[inline(always)]
fn atr_body(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut Vec<f64>) -> bool {
    let n = close.len().min(high.len()).min(low.len());
    let (high, low, close) = (&high[..n], &low[..n], &close[..n]);
    let all_present = || no_nan(high) && no_nan(low) && no_nan(close);
    if period == 1 {
        push_nan(out, n.min(1));
        if n > 1 {
            out.extend(true_ranges(high, low, close, 1));
        }
        return all_present();
    }
    if n <= period {
        push_nan(out, n);
        return all_present();
    }
    push_nan(out, period);
    let a = (period - 1) as f64 / period as f64;
    let b = 1.0 - a;
    let mut sum = 0.0;
    for tr in true_ranges(&high[..=period], &low[..=period], &close[..=period], 1) {
        sum += tr;
    }
    let mut prev = sum / period as f64;
    out.push(prev);
    // A true range can hide a NaN close (NaN fails the comparisons), so every value of
    // the bars the ranges use goes into a probe sum too; bar 0's high and low and the
    // last close, which no range reads, join it at the end.
    let mut probe = 0.0;
    for i in 1..=period {
        probe += (high[i] - low[i]) + close[i - 1];
    }
    out.extend(
        high[period + 1..]
            .iter()
            .zip(&low[period + 1..])
            .zip(&close[period..])
            .map(|((&h, &l), &c)| {
                probe += (h - l) + c;
                prev = a.mul_add(prev, true_range(h, l, c) * b);
                prev
            }),
    );
    !(probe + (high[0] - low[0]) + close[n - 1]).is_nan()
}

/// The three Bollinger outputs (each gets `x.len()` values appended).
pub struct BandsOut<'a> {
    /// Middle + nbdevup·σ.
    pub upper: &'a mut Vec<f64>,
    /// The SMA.
    pub middle: &'a mut Vec<f64>,
    /// Middle − nbdevdn·σ.
    pub lower: &'a mut Vec<f64>,
}

/// Bollinger bands on an SMA middle band, with the population standard deviation of the
/// window (TA-Lib's MA type 0).
///
/// The middle band is TA-Lib's SMA running sum. The variance is TA-Lib 0.8's
/// cancellation-resistant form: sums of `x − shift` and `(x − shift)²` carried over the
/// window, with the shift first the window's first value; the sums are rebuilt around the
/// window mean whenever the variance looks cancelled (`var < 1e-6·E[(x−shift)²]`), a
/// dropped term dwarfs the sum (`> 1e6×`), or `32·period` bars have passed. A rebuilt
/// variance below `1e-12·E[(x−shift)²]` is taken as exactly 0.
///
/// Appends `x.len()` values to each output; `true` when `x` has no NaN.
pub fn bbands(x: &[f64], period: usize, dev_up: f64, dev_dn: f64, out: BandsOut<'_>) -> bool {
    let n = x.len();
    let lb = ma_lookback(period);
    let prefix = if n <= lb { n } else { lb };
    for o in [&mut *out.upper, &mut *out.middle, &mut *out.lower] {
        push_nan(o, prefix);
        o.reserve(n - prefix);
    }
    if n <= lb {
        return no_nan(x);
    }
    let p = period as f64;
    let inv = 1.0 / p;
    let mut shift = x[0];
    let (mut ma, mut s1, mut s2) = (0.0, 0.0, 0.0);
    for &v in &x[..lb] {
        ma += v;
        let d = v - shift;
        s1 += d;
        s2 += d * d;
    }
    let reseed_every = 32 * period;
    let mut countdown = reseed_every;
    let BandsOut {
        upper,
        middle: mid,
        lower,
    } = out;
    extend3([upper, mid, lower], n - lb, |j| {
        let i = lb + j;
        let v = x[i];
        ma += v;
        let d = v - shift;
        s1 += d;
        s2 += d * d;
        let m1 = s1 * inv;
        let mut variance = s2 * inv - m1 * m1;
        let middle = ma / p;
        let old = x[i - lb];
        ma -= old;
        let od = old - shift;
        s1 -= od;
        let od2 = od * od;
        s2 -= od2;
        countdown -= 1;
        if variance < 1e-6 * (s2 * inv) || od2 > 1e6 * s2 || countdown == 0 {
            countdown = reseed_every;
            let window = &x[i - lb..=i];
            let mut sum = 0.0;
            for &w in window {
                sum += w;
            }
            shift = sum * inv;
            s1 = 0.0;
            s2 = 0.0;
            for &w in window {
                let d = w - shift;
                s1 += d;
                s2 += d * d;
            }
            let m1 = s1 * inv;
            variance = s2 * inv - m1 * m1;
            if variance < 1e-12 * (s2 * inv) {
                variance = 0.0;
            }
            let d = window[0] - shift;
            s1 -= d;
            s2 -= d * d;
        }
        let sd = if variance != 0.0 {
            variance.sqrt()
        } else {
            0.0
        };
        if dev_up == dev_dn {
            let t = sd * dev_up;
            (middle + t, middle, middle - t)
        } else {
            (sd.mul_add(dev_up, middle), middle, middle - sd * dev_dn)
        }
    });
    // Every value entered the SMA's running sum, which is never rebuilt.
    !ma.is_nan()
}

/// Lookback of MACD: `slow − 1 + signal − 1` (after ordering fast ≤ slow).
pub fn macd_lookback(fast: usize, slow: usize, signal: usize) -> usize {
    fast.max(slow) - 1 + signal - 1
}

/// The three MACD outputs (each gets `x.len()` values appended).
pub struct MacdOut<'a> {
    /// Fast EMA − slow EMA.
    pub macd: &'a mut Vec<f64>,
    /// EMA of the MACD line.
    pub signal: &'a mut Vec<f64>,
    /// MACD − signal.
    pub hist: &'a mut Vec<f64>,
}

/// MACD as TA-Lib computes it: periods are swapped when `fast > slow`; both EMAs start at
/// bar `slow − 1`, the fast one seeded with the SMA of the `fast` values ending there (not
/// from the start of the data); the signal is the EMA of the MACD line from that bar
/// (period 1 = a copy); outputs begin at [`macd_lookback`].
///
/// The two EMAs and, from its first output on, the signal EMA run in one loop: their
/// recurrences are independent chains, so the CPU overlaps them, and every output is
/// written once. The line values before the signal's first output (its SMA seed) are
/// kept in a scratch vector of `signal` values.
///
/// Appends `x.len()` values to each output; `true` when `x` has no NaN.
pub fn macd(x: &[f64], fast: usize, slow: usize, signal: usize, out: MacdOut<'_>) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports FMA (checked on the line above), which is all
        // `macd_fma` requires.
        return unsafe { macd_fma(x, fast, slow, signal, out) };
    }
    macd_body(x, fast, slow, signal, out)
}

/// [`macd_body`] compiled with hardware FMA (same rounding, no library call).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
fn macd_fma(x: &[f64], fast: usize, slow: usize, signal: usize, out: MacdOut<'_>) -> bool {
    macd_body(x, fast, slow, signal, out)
}

#[inline(always)]
fn macd_body(x: &[f64], fast: usize, slow: usize, signal: usize, out: MacdOut<'_>) -> bool {
    let (fast, slow) = if slow < fast {
        (slow, fast)
    } else {
        (fast, slow)
    };
    let n = x.len();
    let lookback = macd_lookback(fast, slow, signal);
    let prefix = if n <= lookback { n } else { lookback };
    for o in [&mut *out.macd, &mut *out.signal, &mut *out.hist] {
        push_nan(o, prefix);
        o.reserve(n - prefix);
    }
    if n <= lookback {
        return no_nan(x);
    }
    let start = slow - 1;
    let seed = |period: usize| x[start + 1 - period..=start].iter().sum::<f64>() / period as f64;
    let (k_slow, k_fast) = (2.0 / (slow + 1) as f64, 2.0 / (fast + 1) as f64);
    let (mut ema_slow, mut ema_fast) = (seed(slow), seed(fast));
    // The line at bars start..=lookback: the signal's seed.
    let mut head = Vec::with_capacity(signal);
    head.push(ema_fast - ema_slow);
    for &v in &x[start + 1..=lookback] {
        ema_slow = (v - ema_slow).mul_add(k_slow, ema_slow);
        ema_fast = (v - ema_fast).mul_add(k_fast, ema_fast);
        head.push(ema_fast - ema_slow);
    }
    let first = head[signal - 1];
    let ema = if signal == 1 {
        first
    } else {
        head.iter().sum::<f64>() / signal as f64
    };
    out.macd.push(first);
    out.signal.push(ema);
    out.hist.push(first - ema);
    let k = 2.0 / (signal + 1) as f64;
    let rest = &x[lookback + 1..];
    let m = rest.len();
    for v in [&mut *out.macd, &mut *out.signal, &mut *out.hist] {
        v.reserve(m);
    }
    // The outputs go straight into the vectors' spare capacity, and the loop runs in its
    // own function with its state passed by value and the signal's period-1 case decided
    // outside it: otherwise the three averages were kept on the stack (a store and a
    // load on every recurrence).
    let slots = out.macd.spare_capacity_mut()[..m]
        .iter_mut()
        .zip(&mut out.signal.spare_capacity_mut()[..m])
        .zip(&mut out.hist.spare_capacity_mut()[..m]);
    let state = (ema_slow, ema_fast, ema);
    let ks = (k_slow, k_fast, k);
    (ema_slow, _, _) = if signal == 1 {
        macd_run::<true>(rest, slots, state, ks)
    } else {
        macd_run::<false>(rest, slots, state, ks)
    };
    for v in [&mut *out.macd, &mut *out.signal, &mut *out.hist] {
        // SAFETY: `reserve(m)` made `m` spare slots in each vector, and the loop above
        // wrote all `m` of each (`rest` has `m` values).
        unsafe { v.set_len(v.len() + m) };
    }
    // Every value entered the slow EMA (its seed is the first `slow` values).
    !ema_slow.is_nan()
}

/// The slots of one MACD row: line, signal, histogram.
type MacdSlot<'a> = (
    (&'a mut MaybeUninit<f64>, &'a mut MaybeUninit<f64>),
    &'a mut MaybeUninit<f64>,
);

/// MACD's main loop from the signal's first output on: for each price, both EMAs, the
/// line, the signal EMA (a copy of the line when `SIGNAL_ONE`: period 1, where k = 1
/// would round differently) and the histogram, written to `slots` (as many as `rest`).
/// Returns the final (slow, fast, signal) averages.
#[inline(always)]
fn macd_run<'a, const SIGNAL_ONE: bool>(
    rest: &[f64],
    slots: impl Iterator<Item = MacdSlot<'a>>,
    state: (f64, f64, f64),
    ks: (f64, f64, f64),
) -> (f64, f64, f64) {
    let (mut slow, mut fast, mut sig) = state;
    let (k_slow, k_fast, k) = ks;
    for (&v, ((line_out, sig_out), hist_out)) in rest.iter().zip(slots) {
        slow = (v - slow).mul_add(k_slow, slow);
        fast = (v - fast).mul_add(k_fast, fast);
        let line = fast - slow;
        sig = if SIGNAL_ONE {
            line
        } else {
            (line - sig).mul_add(k, sig)
        };
        line_out.write(line);
        sig_out.write(sig);
        hist_out.write(line - sig);
    }
    (slow, fast, sig)
}

/// The extreme (`pick` = `f64::min` or `f64::max`) of every window of `k` values, written
/// to `g[..a.len() + 1 − k]`: entry `s` covers `a[s..s + k]` (`a.len() ≥ k`; `g` is as
/// long as `a` and its tail is scratch).
///
/// Van Herk / Gil-Werman: split `a` into blocks of `k`; a window spans the suffix of one
/// block and the prefix of the next, so it is `pick(suffix extreme, prefix extreme)`.
/// Three comparisons per value and no data-dependent branch, unlike a monotonic deque
/// (whose pops mispredict on noisy prices) or TA-Lib's re-scan (O(n·k) on trends). The
/// extremes are exact, so the result equals TA-Lib's whichever way it is found.
fn window_extremes(a: &[f64], k: usize, pick: impl Fn(f64, f64) -> f64, g: &mut [f64]) {
    let n = a.len();
    g.copy_from_slice(a);
    // Suffix extremes within each block.
    for b in (0..n).step_by(k) {
        let end = (b + k).min(n);
        for i in (b..end - 1).rev() {
            g[i] = pick(g[i], g[i + 1]);
        }
    }
    // Running prefix extreme; window [s, t] with t = s + k − 1 reads g[s] before
    // overwriting it, so the result can share the buffer.
    for b in (0..n).step_by(k) {
        let end = (b + k).min(n);
        let mut h = a[b];
        for (t, &v) in a.iter().enumerate().take(end).skip(b) {
            h = pick(h, v);
            if t + 1 >= k {
                let s = t + 1 - k;
                g[s] = pick(g[s], h);
            }
        }
    }
}

/// Lookback of the slow stochastic: `(fastk − 1) + (slowk − 1) + (slowd − 1)`.
pub fn stoch_lookback(fastk: usize, slowk: usize, slowd: usize) -> usize {
    fastk - 1 + slowk - 1 + slowd - 1
}

/// Slow stochastic %K and %D with SMA smoothing (TA-Lib's default MA types).
///
/// Fast %K at bar t is `((close − LL)/(HH − LL))·100` over the last `fastk` bars, and 0
/// when `|HH − LL| ≤ 1e-14·(|HH| + |LL|)` (a flat window; TA-Lib 0.8's test). Slow %K is
/// the SMA of fast %K over `slowk`; %D is the SMA of slow %K over `slowd`. The window
/// extremes come from [`window_extremes`], O(n) whatever the window or the data.
pub fn stoch(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    periods: (usize, usize, usize),
    k_out: &mut [f64],
    d_out: &mut [f64],
) {
    let (fastk, slowk, slowd) = periods;
    let n = close.len();
    let lookback = stoch_lookback(fastk, slowk, slowd);
    if n <= lookback {
        return;
    }
    let lbk = fastk - 1;
    // Fast %K for bars lbk..n at index t − lbk. The window lows go to `d_out` (scratch
    // until %D is written) and the highs to the one buffer this call allocates, which
    // then holds fast %K in place: one 8-byte-per-bar allocation, not three.
    // Plain comparisons (one instruction, no NaN reaches here) pick the same extreme as
    // `f64::min`/`f64::max`, as TA-Lib's own `<`/`>` tests do.
    window_extremes(low, fastk, |a, b| if b < a { b } else { a }, d_out);
    let mut fast = vec![0.0; n];
    window_extremes(high, fastk, |a, b| if b > a { b } else { a }, &mut fast);
    fast.truncate(n - lbk);
    for (j, slot) in fast.iter_mut().enumerate() {
        let (ll, hh) = (d_out[j], *slot);
        let range = hh - ll;
        *slot = if range.abs() > (hh.abs() + ll.abs()) * 1e-14 {
            ((close[j + lbk] - ll) / range) * 100.0
        } else {
            0.0
        };
    }
    d_out.fill(f64::NAN);
    // Slow %K over the fast series (SMA of `slowk`), written at bar lbk + index.
    let slow_k = &mut k_out[lbk..];
    if slowk == 1 {
        slow_k.copy_from_slice(&fast);
    } else {
        sma_into(&fast, slowk, slow_k);
    }
    let first_k = lbk + slowk - 1;
    if slowd == 1 {
        d_out[first_k..].copy_from_slice(&k_out[first_k..]);
    } else {
        sma_into(&k_out[first_k..], slowd, &mut d_out[first_k..]);
    }
    for v in &mut k_out[..lookback] {
        *v = f64::NAN;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nan(n: usize) -> Vec<f64> {
        vec![f64::NAN; n]
    }

    #[test]
    fn sma_has_the_lookback_prefix_and_window_means() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let mut out = Vec::new();
        sma(&x, 3, &mut out);
        assert_eq!(out.len(), 5);
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(&out[2..], &[2.0, 3.0, 4.0]);
    }

    #[test]
    fn short_input_stays_all_nan() {
        let x = [1.0, 2.0];
        let mut out = Vec::new();
        rsi(&x, 14, &mut out);
        ema(&x, 3, &mut out);
        wma(&x, 3, &mut out);
        sma(&x, 3, &mut out);
        atr(&x, &x, &x, 2, &mut out);
        assert_eq!(out.len(), 10);
        assert!(out.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn wma_matches_the_definition_across_resyncs() {
        // 200 bars with period 3 crosses several 24-bar re-sums.
        let x: Vec<f64> = (0..200)
            .map(|i| (i as f64 * 0.37).sin() * 10.0 + 50.0)
            .collect();
        let mut out = Vec::new();
        wma(&x, 3, &mut out);
        assert_eq!(out.len(), x.len());
        for i in 2..x.len() {
            let want = (x[i - 2] + 2.0 * x[i - 1] + 3.0 * x[i]) / 6.0;
            assert!(
                (out[i] - want).abs() < 1e-12,
                "bar {i}: {} vs {want}",
                out[i]
            );
        }
    }

    #[test]
    fn rsi_of_a_rising_series_is_100_and_flat_is_0() {
        let up: Vec<f64> = (0..30).map(f64::from).collect();
        let mut out = Vec::new();
        rsi(&up, 14, &mut out);
        assert!(out[13].is_nan());
        assert_eq!(out[14], 100.0);
        let flat = vec![5.0; 30];
        let mut out = Vec::new();
        rsi(&flat, 14, &mut out);
        assert_eq!(out.len(), 30);
        assert_eq!(out[29], 0.0);
    }

    /// A price-like random walk with a NaN at `gap` (if any).
    fn walk(n: usize, gap: Option<usize>) -> Vec<f64> {
        let mut s = 0x2545_F491_4F6C_DD1Du64;
        let mut p = 50.0;
        (0..n)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                p *= 1.0 + 0.04 * ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5);
                if Some(i) == gap {
                    f64::NAN
                } else {
                    p
                }
            })
            .collect()
    }

    fn assert_within(what: &str, got: &[f64], want: &[f64], rtol: f64) {
        assert_eq!(got.len(), want.len(), "{what}: length");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            let same_nan = g.is_nan() && w.is_nan();
            assert!(
                same_nan || (g - w).abs() <= rtol * w.abs().max(1.0),
                "{what} at {i}: {g} vs {w}"
            );
        }
    }

    /// The blocked recurrences of `ema` and `rsi` against TA-Lib's step-by-step formulas,
    /// on lengths around the RSI block and the groups of four, with and without a NaN.
    #[test]
    fn blocked_ema_and_rsi_follow_the_step_by_step_formulas() {
        for n in [20, 259, 513, 1_030] {
            for gap in [None, Some(n / 2)] {
                let x = walk(n, gap);
                for period in [2, 14] {
                    let lb = ma_lookback(period);
                    let k = 2.0 / (period + 1) as f64;
                    let mut want = vec![f64::NAN; lb];
                    let mut prev = x[..=lb].iter().sum::<f64>() / period as f64;
                    want.push(prev);
                    for &v in &x[lb + 1..] {
                        prev += k * (v - prev);
                        want.push(prev);
                    }
                    let mut got = Vec::new();
                    ema(&x, period, &mut got);
                    assert_within("ema", &got, &want, 1e-13);

                    let (pm1, inv) = ((period - 1) as f64, 1.0 / period as f64);
                    let mut want = vec![f64::NAN; period];
                    let (mut gain, mut loss) = (0.0, 0.0);
                    // TA-Lib's split of a difference: a NaN one is no gain and a NaN loss.
                    let split = |d: f64| {
                        let up = if 0.0 < d { d } else { 0.0 };
                        (up, up - d)
                    };
                    for i in 1..=period {
                        let (up, down) = split(x[i] - x[i - 1]);
                        gain += up;
                        loss += down;
                    }
                    gain *= inv;
                    loss *= inv;
                    let value = |g: f64, l: f64| {
                        if g + l > 0.0 {
                            100.0 * g / (g + l)
                        } else {
                            0.0
                        }
                    };
                    want.push(value(gain, loss));
                    for i in period + 1..n {
                        let (up, down) = split(x[i] - x[i - 1]);
                        gain = (gain * pm1 + up) * inv;
                        loss = (loss * pm1 + down) * inv;
                        want.push(value(gain, loss));
                    }
                    let mut got = Vec::new();
                    rsi(&x, period, &mut got);
                    assert_within("rsi", &got, &want, 1e-12);
                }
            }
        }
    }

    #[test]
    fn bollinger_of_a_constant_has_zero_width() {
        let x = vec![7.0; 60];
        let (mut u, mut m, mut l) = (Vec::new(), Vec::new(), Vec::new());
        bbands(
            &x,
            20,
            2.0,
            2.0,
            BandsOut {
                upper: &mut u,
                middle: &mut m,
                lower: &mut l,
            },
        );
        assert!(u[18].is_nan() && m[18].is_nan() && l[18].is_nan());
        assert_eq!((u.len(), m.len(), l.len()), (60, 60, 60));
        assert_eq!((u[59], m[59], l[59]), (7.0, 7.0, 7.0));
    }

    #[test]
    fn one_loop_macd_equals_the_three_pass_recurrences_bit_for_bit() {
        let x: Vec<f64> = (0..700)
            .map(|i| 100.0 + (i as f64 * 0.31).sin() * 7.0 + i as f64 * 0.01)
            .collect();
        for (fast, slow, signal) in [(12, 26, 9), (26, 12, 1), (3, 5, 2), (5, 5, 30)] {
            let (f, s) = (fast.min(slow), fast.max(slow));
            let lookback = macd_lookback(f, s, signal);
            let start = s - 1;
            // Both EMAs from bar slow − 1, seeded with the SMA of the values ending there.
            let ema_at = |period: usize| {
                let k = 2.0 / (period + 1) as f64;
                let mut e = x[start + 1 - period..=start].iter().sum::<f64>() / period as f64;
                let mut v = vec![e];
                for &p in &x[start + 1..] {
                    e = (p - e).mul_add(k, e);
                    v.push(e);
                }
                v
            };
            let line: Vec<f64> = ema_at(f)
                .iter()
                .zip(ema_at(s))
                .map(|(a, b)| a - b)
                .collect();
            let mut sig = line.clone();
            if signal > 1 {
                let k = 2.0 / (signal + 1) as f64;
                let mut e = line[..signal].iter().sum::<f64>() / signal as f64;
                sig[signal - 1] = e;
                for j in signal..line.len() {
                    e = (line[j] - e).mul_add(k, e);
                    sig[j] = e;
                }
            }
            let (mut m, mut g, mut h) = (Vec::new(), Vec::new(), Vec::new());
            macd(
                &x,
                fast,
                slow,
                signal,
                MacdOut {
                    macd: &mut m,
                    signal: &mut g,
                    hist: &mut h,
                },
            );
            assert_eq!((m.len(), g.len(), h.len()), (700, 700, 700));
            for i in 0..700 {
                if i < lookback {
                    assert!(m[i].is_nan() && g[i].is_nan() && h[i].is_nan());
                } else {
                    let j = i - start;
                    assert_eq!(m[i].to_bits(), line[j].to_bits(), "line {i}");
                    assert_eq!(g[i].to_bits(), sig[j].to_bits(), "signal {i}");
                    assert_eq!(h[i].to_bits(), (line[j] - sig[j]).to_bits(), "hist {i}");
                }
            }
        }
    }

    /// WMA against TA-Lib's bar-by-bar sums written out (with its re-sums), on lengths
    /// around several re-sum periods.
    #[test]
    fn wma_follows_ta_libs_bar_by_bar_sums() {
        for period in [2, 3, 5, 30] {
            for n in [
                period,
                period + 1,
                period + 6,
                8 * period + 3,
                40 * period + 7,
            ] {
                let x = walk(n, None);
                let lb = period - 1;
                let p = period as f64;
                let divider = (p + 1.0) * p * 0.5;
                let mut want = vec![f64::NAN; lb];
                let (mut plain, mut weighted) = (0.0, 0.0);
                for (w, &v) in x[..lb].iter().enumerate() {
                    plain += v;
                    weighted += (w + 1) as f64 * v;
                }
                let mut trailing = 0.0;
                for today in lb..n {
                    let full = if (today - lb + 1) % (8 * period) == 0 {
                        let (mut s1, mut s2) = (0.0, 0.0);
                        for (w, &v) in x[today - lb..=today].iter().enumerate() {
                            s1 += v;
                            s2 += (w + 1) as f64 * v;
                        }
                        plain = s1;
                        weighted = s2 - s1;
                        s2
                    } else {
                        plain += x[today];
                        plain -= trailing;
                        let full = x[today] * p + weighted;
                        weighted = full - plain;
                        full
                    };
                    want.push(full / divider);
                    trailing = x[today - lb];
                }
                let mut got = Vec::new();
                assert!(wma(&x, period, &mut got));
                assert_within("wma", &got, &want, 1e-13);
            }
        }
    }

    #[test]
    fn window_extremes_match_a_brute_force_scan() {
        let x = walk(777, None);
        for k in 1..=40 {
            for n in [k, k + 1, 300, 777] {
                let a = &x[..n];
                let (mut lo, mut hi) = (vec![0.0; n], vec![0.0; n]);
                window_extremes(a, k, |p, q| if q < p { q } else { p }, &mut lo);
                window_extremes(a, k, |p, q| if q > p { q } else { p }, &mut hi);
                for s in 0..=n - k {
                    let w = &a[s..s + k];
                    assert_eq!(
                        lo[s],
                        w.iter().cloned().fold(f64::MAX, f64::min),
                        "k {k} n {n} min {s}"
                    );
                    assert_eq!(
                        hi[s],
                        w.iter().cloned().fold(f64::MIN, f64::max),
                        "k {k} n {n} max {s}"
                    );
                }
            }
        }
    }

    #[test]
    fn stochastic_deques_match_a_brute_force_window() {
        let n = 120;
        let close: Vec<f64> = (0..n)
            .map(|i| 100.0 + (i as f64 * 0.5).sin() * 5.0)
            .collect();
        let high: Vec<f64> = close.iter().map(|c| c + 1.0).collect();
        let low: Vec<f64> = close.iter().map(|c| c - 1.5).collect();
        let (mut k, mut d) = (nan(n), nan(n));
        stoch(&high, &low, &close, (5, 1, 1), &mut k, &mut d);
        for t in 4..n {
            let hh = high[t - 4..=t].iter().cloned().fold(f64::MIN, f64::max);
            let ll = low[t - 4..=t].iter().cloned().fold(f64::MAX, f64::min);
            let want = (close[t] - ll) / (hh - ll) * 100.0;
            assert!((k[t] - want).abs() < 1e-12 && k[t] == d[t]);
        }
        assert!(k[3].is_nan());
    }
}
