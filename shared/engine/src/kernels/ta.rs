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
//! - every output slice is as long as the input and is pre-filled with NaN by the caller;
//!   a kernel writes only from its lookback on, which gives TA-Lib's NaN prefix;
//! - an input no longer than the lookback leaves the output all NaN, as TA-Lib does;
//! - periods were validated by the caller (the ranges TA-Lib accepts, all ≥ 1).
//!
//! `f64::mul_add` is exact on every machine; where the CPU has FMA (checked once per call)
//! the EMA and ATR loops are compiled to use the instruction instead of a library call,
//! as TA-Lib's own build does, which changes the speed and never the result.
//!
//! Every kernel is a single O(n) pass (WMA's periodic re-sum and the Bollinger re-centring
//! add O(n/8) and O(n/32) work) and allocates at most one scratch vector per call.

/// Lookback of a simple/weighted/exponential moving average: `period − 1` bars.
pub fn ma_lookback(period: usize) -> usize {
    period - 1
}

/// Simple moving average: TA-Lib's running sum (add the new value, divide by the period,
/// subtract the trailing value).
pub fn sma(x: &[f64], period: usize, out: &mut [f64]) {
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
pub fn wma(x: &[f64], period: usize, out: &mut [f64]) {
    let n = x.len();
    if period == 1 {
        out.copy_from_slice(x);
        return;
    }
    let lb = ma_lookback(period);
    if n <= lb {
        return;
    }
    let p = period as f64;
    let divider = (p + 1.0) * p * 0.5;
    let (mut plain, mut weighted) = (0.0, 0.0);
    for (w, &v) in x[..lb].iter().enumerate() {
        plain += v;
        weighted += (w + 1) as f64 * v;
    }
    let resync_every = 8 * period;
    let mut trailing = 0.0;
    for (k, today) in (lb..n).enumerate() {
        let value = if (k + 1) % resync_every == 0 {
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
        out[today] = value / divider;
        trailing = x[today - lb];
    }
}

/// Exponential moving average with TA-Lib's default seeding: the first output (at
/// `period − 1`) is the SMA of the first `period` values; then
/// `ema = fma(x − ema, k, ema)` with `k = 2 / (period + 1)`. Period 1 is a copy.
pub fn ema(x: &[f64], period: usize, out: &mut [f64]) {
    if period == 1 {
        out.copy_from_slice(x);
        return;
    }
    ema_from(x, period, 0, out);
}

/// The EMA whose first output sits at `start` (≥ `period − 1`): seeded with the SMA of
/// the `period` values ending at `start`. MACD calls this to align its fast EMA with the
/// slow one, exactly as TA-Lib does.
fn ema_from(x: &[f64], period: usize, start: usize, out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports FMA (checked on the line above), which is all
        // `ema_from_fma` requires.
        return unsafe { ema_from_fma(x, period, start, out) };
    }
    ema_from_body(x, period, start, out);
}

/// [`ema_from_body`] compiled with hardware FMA (same rounding, no library call).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
fn ema_from_fma(x: &[f64], period: usize, start: usize, out: &mut [f64]) {
    ema_from_body(x, period, start, out);
}

#[inline(always)]
fn ema_from_body(x: &[f64], period: usize, start: usize, out: &mut [f64]) {
    let n = x.len();
    let lb = ma_lookback(period);
    let start = start.max(lb);
    if start >= n {
        return;
    }
    let k = 2.0 / (period + 1) as f64;
    let seed: f64 = x[start - lb..=start].iter().sum();
    let mut prev = seed / period as f64;
    out[start] = prev;
    for i in start + 1..n {
        prev = (x[i] - prev).mul_add(k, prev);
        out[i] = prev;
    }
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
pub fn rsi(x: &[f64], period: usize, out: &mut [f64]) {
    let n = x.len();
    if n <= period {
        return;
    }
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
    out[period] = rsi_value(gain, loss);
    for i in period + 1..n {
        let d = x[i] - x[i - 1];
        let up = if 0.0 < d { d } else { 0.0 };
        gain = (gain * pm1 + up) * inv;
        loss = ((up - d) + loss * pm1) * inv;
        out[i] = rsi_value(gain, loss);
    }
}

#[inline]
fn rsi_value(gain: f64, loss: f64) -> f64 {
    let sum = gain + loss;
    if sum > 0.0 {
        100.0 * (gain / sum)
    } else {
        0.0
    }
}

/// True range of bar `i ≥ 1`: the largest of high−low, |close₋₁−high|, |close₋₁−low|.
#[inline]
fn true_range(high: &[f64], low: &[f64], close: &[f64], i: usize) -> f64 {
    let prev = close[i - 1];
    (prev - high[i])
        .abs()
        .max(high[i] - low[i])
        .max((prev - low[i]).abs())
}

/// Lookback of ATR: `period` bars (the first true range needs a previous close).
pub fn atr_lookback(period: usize) -> usize {
    period
}

/// Average true range, Wilder-smoothed as TA-Lib 0.8 rounds it: the first value is the
/// mean of the first `period` true ranges (bars 1…period); then
/// `atr = fma(a, atr, tr·(1−a))` with `a = (period−1)/period`. Period 1 is the true range.
pub fn atr(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports FMA (checked on the line above), which is all
        // `atr_fma` requires.
        return unsafe { atr_fma(high, low, close, period, out) };
    }
    atr_body(high, low, close, period, out);
}

/// [`atr_body`] compiled with hardware FMA (same rounding, no library call).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
fn atr_fma(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
    atr_body(high, low, close, period, out);
}

#[inline(always)]
fn atr_body(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
    let n = close.len();
    if period == 1 {
        for (i, o) in out.iter_mut().enumerate().take(n).skip(1) {
            *o = true_range(high, low, close, i);
        }
        return;
    }
    if n <= period {
        return;
    }
    let a = (period - 1) as f64 / period as f64;
    let b = 1.0 - a;
    let mut sum = 0.0;
    for i in 1..=period {
        sum += true_range(high, low, close, i);
    }
    let mut prev = sum / period as f64;
    out[period] = prev;
    for (i, o) in out.iter_mut().enumerate().take(n).skip(period + 1) {
        prev = a.mul_add(prev, true_range(high, low, close, i) * b);
        *o = prev;
    }
}

/// The three Bollinger outputs.
pub struct BandsOut<'a> {
    /// Middle + nbdevup·σ.
    pub upper: &'a mut [f64],
    /// The SMA.
    pub middle: &'a mut [f64],
    /// Middle − nbdevdn·σ.
    pub lower: &'a mut [f64],
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
pub fn bbands(x: &[f64], period: usize, dev_up: f64, dev_dn: f64, out: BandsOut<'_>) {
    let n = x.len();
    let lb = ma_lookback(period);
    if n <= lb {
        return;
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
    for i in lb..n {
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
        out.middle[i] = middle;
        if dev_up == dev_dn {
            let t = sd * dev_up;
            out.upper[i] = middle + t;
            out.lower[i] = middle - t;
        } else {
            out.upper[i] = sd.mul_add(dev_up, middle);
            out.lower[i] = middle - sd * dev_dn;
        }
    }
}

/// Lookback of MACD: `slow − 1 + signal − 1` (after ordering fast ≤ slow).
pub fn macd_lookback(fast: usize, slow: usize, signal: usize) -> usize {
    fast.max(slow) - 1 + signal - 1
}

/// The three MACD outputs.
pub struct MacdOut<'a> {
    /// Fast EMA − slow EMA.
    pub macd: &'a mut [f64],
    /// EMA of the MACD line.
    pub signal: &'a mut [f64],
    /// MACD − signal.
    pub hist: &'a mut [f64],
}

/// MACD as TA-Lib computes it: periods are swapped when `fast > slow`; both EMAs start at
/// bar `slow − 1`, the fast one seeded with the SMA of the `fast` values ending there (not
/// from the start of the data); the signal is the EMA of the MACD line from that bar
/// (period 1 = a copy); outputs begin at [`macd_lookback`].
///
/// The two EMAs run in one loop: their recurrences are independent, so the CPU overlaps
/// them, and the line is written once instead of being built from two stored EMAs.
pub fn macd(x: &[f64], fast: usize, slow: usize, signal: usize, out: MacdOut<'_>) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports FMA (checked on the line above), which is all
        // `macd_fma` requires.
        return unsafe { macd_fma(x, fast, slow, signal, out) };
    }
    macd_body(x, fast, slow, signal, out);
}

/// [`macd_body`] compiled with hardware FMA (same rounding, no library call).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
fn macd_fma(x: &[f64], fast: usize, slow: usize, signal: usize, out: MacdOut<'_>) {
    macd_body(x, fast, slow, signal, out);
}

#[inline(always)]
fn macd_body(x: &[f64], fast: usize, slow: usize, signal: usize, out: MacdOut<'_>) {
    let (fast, slow) = if slow < fast {
        (slow, fast)
    } else {
        (fast, slow)
    };
    let n = x.len();
    let lookback = macd_lookback(fast, slow, signal);
    if n <= lookback {
        return;
    }
    let start = slow - 1;
    let seed = |period: usize| x[start + 1 - period..=start].iter().sum::<f64>() / period as f64;
    let (k_slow, k_fast) = (2.0 / (slow + 1) as f64, 2.0 / (fast + 1) as f64);
    let (mut ema_slow, mut ema_fast) = (seed(slow), seed(fast));
    out.macd[start] = ema_fast - ema_slow;
    for (&v, line) in x[start + 1..].iter().zip(&mut out.macd[start + 1..]) {
        ema_slow = (v - ema_slow).mul_add(k_slow, ema_slow);
        ema_fast = (v - ema_fast).mul_add(k_fast, ema_fast);
        *line = ema_fast - ema_slow;
    }
    if signal == 1 {
        out.signal[start..].copy_from_slice(&out.macd[start..]);
    } else {
        let line = &out.macd[start..];
        let k = 2.0 / (signal + 1) as f64;
        let mut ema = line[..signal].iter().sum::<f64>() / signal as f64;
        out.signal[lookback] = ema;
        for (j, &v) in line.iter().enumerate().skip(signal) {
            ema = (v - ema).mul_add(k, ema);
            out.signal[start + j] = ema;
        }
    }
    for i in lookback..n {
        out.hist[i] = out.macd[i] - out.signal[i];
    }
    for v in &mut out.macd[..lookback] {
        *v = f64::NAN;
    }
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
    window_extremes(low, fastk, f64::min, d_out);
    let mut fast = vec![0.0; n];
    window_extremes(high, fastk, f64::max, &mut fast);
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
        sma(&fast, slowk, slow_k);
    }
    let first_k = lbk + slowk - 1;
    if slowd == 1 {
        d_out[first_k..].copy_from_slice(&k_out[first_k..]);
    } else {
        sma(&k_out[first_k..], slowd, &mut d_out[first_k..]);
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
        let mut out = nan(5);
        sma(&x, 3, &mut out);
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(&out[2..], &[2.0, 3.0, 4.0]);
    }

    #[test]
    fn short_input_stays_all_nan() {
        let x = [1.0, 2.0];
        let mut out = nan(2);
        rsi(&x, 14, &mut out);
        ema(&x, 3, &mut out);
        wma(&x, 3, &mut out);
        assert!(out.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn wma_matches_the_definition_across_resyncs() {
        // 200 bars with period 3 crosses several 24-bar re-sums.
        let x: Vec<f64> = (0..200)
            .map(|i| (i as f64 * 0.37).sin() * 10.0 + 50.0)
            .collect();
        let mut out = nan(x.len());
        wma(&x, 3, &mut out);
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
        let mut out = nan(30);
        rsi(&up, 14, &mut out);
        assert_eq!(out[14], 100.0);
        let flat = vec![5.0; 30];
        let mut out = nan(30);
        rsi(&flat, 14, &mut out);
        assert_eq!(out[29], 0.0);
    }

    #[test]
    fn bollinger_of_a_constant_has_zero_width() {
        let x = vec![7.0; 60];
        let (mut u, mut m, mut l) = (nan(60), nan(60), nan(60));
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
        assert!(u[18].is_nan());
        assert_eq!((u[59], m[59], l[59]), (7.0, 7.0, 7.0));
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
