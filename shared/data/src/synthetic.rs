//! Synthetic option chains: no registry package ships option-chain history, so offline
//! chains are generated, deterministically, for a symbol and a date, and always labelled
//! `provider: "synthetic"`.
//!
//! The model: the underlying's bundled close on the date; an at-the-money volatility
//! anchored to the bundled VIX close (`macro/VIXCLS`) for S&P 500 chains, else the 21-day
//! realized volatility of the underlying; a term structure mean-reverting from that anchor
//! halfway to 20%; a smile `σ(K,T) = σ_atm(T)·(1 − skew·m + curv·m²)` with
//! `m = ln(K/F)/√T` (steeper skew for indices); the rate from the bundled Fama–French
//! one-month T-bill (`macro/FF_RF`) or the statsmodels T-bill series; no dividends.
//! Expirations are the next five Friday weeklies, the next nine monthly third Fridays and
//! quarterly third Fridays out to two years. Prices and greeks are Black–Scholes; bid/ask
//! are rounded to the tick around the model price, wider away from the money; open
//! interest and volume peak at the money, on monthlies and on round strikes, with
//! deterministic noise.

use std::sync::Arc;

use auster_engine::data::BoxFuture;
use auster_engine::date::{self, civil_from_days, days_from_civil, Day};
use auster_engine::value::{ColumnData, Table};
use auster_engine::{content_hash, DataError, DataRequest, DataSource, Fetched, Value};

use crate::bsm;
use crate::bundled::BundledSource;
use crate::util::check_id;

/// Columns of every option chain table, synthetic or live, in order.
pub const CHAIN_COLUMNS: [&str; 14] = [
    "contract_type",
    "strike",
    "expiration",
    "bid",
    "ask",
    "last",
    "iv",
    "delta",
    "gamma",
    "theta",
    "vega",
    "open_interest",
    "volume",
    "underlying_price",
];

/// Symbols treated as indices: steeper skew, larger open interest, VIX anchoring for SPX.
const INDICES: &[&str] = &["SPX", "IXIC", "NDX", "RUT", "DJI"];

/// How the at-the-money volatility was anchored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VolAnchor {
    /// The VIX close (as a fraction) on or shortly before the date.
    Vix(f64),
    /// 21-day realized volatility of the underlying, annualised.
    Realized(f64),
}

/// The inputs a chain was generated from.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainInputs {
    /// The date of the chain.
    pub as_of: Day,
    /// The underlying's last close on or before `as_of`.
    pub spot: f64,
    /// The at-the-money 30-day volatility anchor.
    pub anchor: VolAnchor,
    /// Continuously compounded rate used.
    pub rate: f64,
    /// Expirations listed, ascending.
    pub expirations: Vec<Day>,
}

/// Generates chains from the bundled market, VIX and rate data.
pub struct SyntheticSource {
    bundled: Arc<BundledSource>,
}

/// 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday).
fn weekday(d: Day) -> i32 {
    (d + 4).rem_euclid(7)
}

/// The third Friday of a month.
fn third_friday(year: i32, month: u32) -> Day {
    let first = days_from_civil(year, month, 1);
    let to_friday = (5 - weekday(first)).rem_euclid(7);
    first + to_friday + 14
}

/// Expirations after `d`: weeklies, monthlies and quarterlies, ascending and distinct.
pub fn expirations_after(d: Day) -> Vec<Day> {
    let mut out = Vec::new();
    let mut friday = d + (5 - weekday(d)).rem_euclid(7);
    if friday == d {
        friday += 7;
    }
    for k in 0..5 {
        out.push(friday + 7 * k);
    }
    let (y, m, _) = civil_from_days(d);
    let mut monthlies = 0;
    for k in 0..30u32 {
        let mm = (m - 1 + k) % 12 + 1;
        let yy = y + ((m - 1 + k) / 12) as i32;
        let tf = third_friday(yy, mm);
        if tf <= d {
            continue;
        }
        if monthlies < 9 {
            out.push(tf);
            monthlies += 1;
        } else if mm % 3 == 0 && tf - d <= 731 {
            out.push(tf);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// SplitMix64: deterministic noise keyed by the contract.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform number in [0, 1) from a key.
fn unit(key: u64) -> f64 {
    (mix(key) >> 11) as f64 / (1u64 << 53) as f64
}

/// The largest "nice" strike step (…, 1, 2.5, 5, 10, 25, …) not above `x`, at least 0.5.
fn nice_step(x: f64) -> f64 {
    let mut best = 0.5;
    let mut base = 1.0;
    while base <= 1e6 {
        for m in [1.0, 2.5, 5.0] {
            if base * m <= x {
                best = base * m;
            }
        }
        base *= 10.0;
    }
    best
}

/// The smallest "nice" step strictly above `x`.
fn nice_above(x: f64) -> f64 {
    if !x.is_finite() {
        return f64::INFINITY; // the caller's loop then stops; never spin on inf or NaN
    }
    let mut base = 0.1;
    loop {
        for m in [1.0, 2.5, 5.0] {
            if base * m > x * (1.0 + 1e-12) {
                return base * m;
            }
        }
        base *= 10.0;
    }
}

/// Rounds to a multiple of `tick` (down or up), fixing binary noise to 1e-9.
fn to_tick(x: f64, tick: f64, up: bool) -> f64 {
    let q = x / tick;
    let n = if up {
        (q - 1e-9).ceil()
    } else {
        (q + 1e-9).floor()
    };
    (n * tick * 100.0).round() / 100.0
}

impl SyntheticSource {
    /// A generator over bundled data.
    pub fn new(bundled: Arc<BundledSource>) -> Self {
        Self { bundled }
    }

    /// The inputs for `symbol` on `as_of` (the last bundled date when absent).
    pub fn inputs(&self, symbol: &str, as_of: Option<Day>) -> Result<ChainInputs, DataError> {
        let (first, last) = self.bundled.span("market", symbol).map_err(|e| match e {
            DataError::NotFound(m) => DataError::NotFound(format!(
                "synthetic option chains are generated from bundled market data; {m}"
            )),
            other => other,
        })?;
        let as_of = as_of.unwrap_or(last);
        let (closes_d, closes) = self
            .bundled
            .tail_upto("market", symbol, "close", as_of, 22)?;
        let spot_day = closes_d.last().copied();
        // A chain needs a close within a week of its date (weekends and holidays allowed).
        if spot_day.is_none_or(|d| as_of - d > 7) || as_of < first {
            return Err(DataError::Invalid(format!(
                "no synthetic option chain for {symbol} on {}: its bundled prices cover {} to \
                 {}; pick an as_of in that range (or AUSTER_DATA=live for today's chain).",
                date::format_iso(as_of),
                date::format_iso(first),
                date::format_iso(last)
            )));
        }
        let spot = *closes.last().unwrap_or(&f64::NAN);
        let vix = if symbol == "SPX" {
            self.bundled
                .tail_upto("macro", "VIXCLS", "value", as_of, 1)
                .ok()
                .and_then(|(d, v)| (d.last().is_some_and(|&d| as_of - d <= 7)).then(|| v[0]))
        } else {
            None
        };
        let anchor = match vix {
            Some(v) => VolAnchor::Vix(v / 100.0),
            None => {
                let rets: Vec<f64> = closes.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
                if rets.len() < 10 {
                    return Err(DataError::Invalid(format!(
                        "no synthetic option chain for {symbol} on {}: realized volatility \
                         needs 11 closes before it; bundled prices start {}.",
                        date::format_iso(as_of),
                        date::format_iso(first)
                    )));
                }
                let mean = rets.iter().sum::<f64>() / rets.len() as f64;
                let var =
                    rets.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (rets.len() - 1) as f64;
                VolAnchor::Realized((var * 252.0).sqrt().clamp(0.05, 2.0))
            }
        };
        let rate = self.rate(as_of);
        Ok(ChainInputs {
            as_of,
            spot,
            anchor,
            rate,
            expirations: expirations_after(as_of),
        })
    }

    /// The risk-free rate on `d`: Fama–French RF (monthly percent) annualised, else the
    /// statsmodels 3-month T-bill, else 2% when no bundled rate covers the date.
    fn rate(&self, d: Day) -> f64 {
        let recent = |name: &str, max_gap: Day| {
            self.bundled
                .tail_upto("macro", name, "value", d, 1)
                .ok()
                .and_then(|(dd, v)| dd.last().is_some_and(|&x| d - x <= max_gap).then(|| v[0]))
        };
        if let Some(rf) = recent("FF_RF", 62) {
            return (1.0 + rf / 100.0).powi(12).ln();
        }
        if let Some(tb) = recent("MACRODATA_TBILRATE", 100) {
            return (1.0 + tb / 100.0).ln();
        }
        0.02
    }

    /// The chain table for `symbol` on `as_of`, one expiration or all.
    pub fn chain(
        &self,
        symbol: &str,
        expiration: Option<Day>,
        as_of: Option<Day>,
    ) -> Result<Table, DataError> {
        let symbol = check_id("symbol", symbol).map_err(DataError::Invalid)?;
        let inp = self.inputs(&symbol, as_of)?;
        let exps: Vec<Day> = match expiration {
            None => inp.expirations.clone(),
            Some(e) if inp.expirations.contains(&e) => vec![e],
            Some(e) => {
                let listed: Vec<String> = inp
                    .expirations
                    .iter()
                    .map(|&d| date::format_iso(d))
                    .collect();
                return Err(DataError::NotFound(format!(
                    "the synthetic {symbol} chain on {} has no expiration {}; listed \
                     expirations (weekly Fridays, monthly and quarterly third Fridays): {}.",
                    date::format_iso(inp.as_of),
                    date::format_iso(e),
                    listed.join(", ")
                )));
            }
        };
        let index = INDICES.contains(&symbol.as_str());
        let (skew, curv) = if index { (0.8, 0.9) } else { (0.4, 0.6) };
        let sigma0 = match inp.anchor {
            VolAnchor::Vix(v) | VolAnchor::Realized(v) => v,
        };
        let sigma_lr = 0.5 * (sigma0 + 0.20);
        let s = inp.spot;
        let r = inp.rate;
        let seed = symbol.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        }) ^ (inp.as_of as u64).wrapping_mul(0x9E37_79B9);
        let oi_scale = if index { 20_000.0 } else { 5_000.0 };

        let mut kind: Vec<String> = Vec::new();
        let mut exp_col: Vec<String> = Vec::new();
        let mut num: [Vec<f64>; 12] = Default::default();
        for &e in &exps {
            let t = f64::from(e - inp.as_of) / 365.0;
            let f = s * (r * t).exp();
            let atm = sigma_lr + (sigma0 - sigma_lr) * (-(t - 30.0 / 365.0).max(0.0) / 0.5).exp();
            let (ey, em, _) = civil_from_days(e);
            let third = e == third_friday(ey, em);
            let quarterly = third && matches!(em, 3 | 6 | 9 | 12);
            let mut step = nice_step(s * 0.0025);
            if t > 0.25 {
                step = nice_step(step * 2.0);
            }
            if t > 0.75 {
                step = nice_step(step * 2.5);
            }
            let width = (atm * t.sqrt()).max(0.02);
            let lo_k = f * (-4.0 * width).exp().min(0.95);
            let hi_k = f * (2.5 * width).exp().max(1.05);
            // Each pass strictly widens the step, so this ends.
            while (hi_k - lo_k) / step > 120.0 {
                step = nice_above(step);
            }
            let e_iso = date::format_iso(e);
            let first_k = (lo_k / step).ceil() as i64;
            let last_k = (hi_k / step).floor() as i64;
            for call in [true, false] {
                for ki in first_k..=last_k {
                    let k = ki as f64 * step;
                    if k <= 0.0 {
                        continue;
                    }
                    let m = (k / f).ln() / t.sqrt();
                    let iv = atm * (1.0 - skew * m + curv * m * m).clamp(0.5, 4.0);
                    let p = bsm::price(call, s, k, t, r, 0.0, iv);
                    let key = seed
                        ^ (e as u64).rotate_left(20)
                        ^ k.to_bits().rotate_left(7)
                        ^ u64::from(call);
                    let tick = if p.price < 3.0 { 0.05 } else { 0.10 };
                    let pct = 0.02 + 0.04 * m.abs().min(1.0) + 0.02 / (1.0 + 20.0 * t);
                    let spread = (p.price * pct).max(tick);
                    let bid = to_tick(p.price - spread / 2.0, tick, false).max(0.0);
                    let ask = to_tick(p.price + spread / 2.0, tick, true).max(tick);
                    let last = ((bid + unit(key) * (ask - bid)) * 100.0).round() / 100.0;
                    // Open interest: bell-shaped in moneyness, puts heavier below the
                    // forward, monthlies and quarterlies heavier, round strikes popular.
                    let side = if call == (k >= f) { 1.0 } else { 0.35 };
                    let put_bias = if !call && k < f { 1.6 } else { 1.0 };
                    let cycle = if quarterly {
                        4.0
                    } else if third {
                        3.0
                    } else {
                        1.0
                    };
                    let round = if (k / (step * 10.0)).fract().abs() < 1e-9 {
                        1.8
                    } else {
                        1.0
                    };
                    let bell = (-(m * m) / (2.0 * 0.35 * 0.35)).exp() + 0.02;
                    let noise = 0.6 + 0.8 * unit(key ^ 0x5151);
                    let oi = (oi_scale * bell * side * put_bias * cycle * round * noise
                        / (1.0 + t))
                        .round();
                    let turnover = (0.05 + 0.4 * (-12.0 * t).exp()) * (0.5 + unit(key ^ 0xa7a7));
                    let volume = (oi * turnover).round();
                    kind.push(if call { "call" } else { "put" }.to_string());
                    exp_col.push(e_iso.clone());
                    for (col, x) in num.iter_mut().zip([
                        k, bid, ask, last, iv, p.delta, p.gamma, p.theta, p.vega, oi, volume, s,
                    ]) {
                        col.push(x);
                    }
                }
            }
        }
        let [strike, bid, ask, last, iv, delta, gamma, theta, vega, oi, vol, und] = num;
        let nums = |n: &str, v: Vec<f64>| (n.to_string(), ColumnData::Num(v));
        Ok(Table {
            columns: vec![
                ("contract_type".into(), ColumnData::Text(kind)),
                nums("strike", strike),
                ("expiration".into(), ColumnData::Text(exp_col)),
                nums("bid", bid),
                nums("ask", ask),
                nums("last", last),
                nums("iv", iv),
                nums("delta", delta),
                nums("gamma", gamma),
                nums("theta", theta),
                nums("vega", vega),
                nums("open_interest", oi),
                nums("volume", vol),
                nums("underlying_price", und),
            ],
        })
    }

    fn serve(&self, req: &DataRequest) -> Result<Fetched, DataError> {
        let DataRequest::OptionsChain {
            symbol,
            expiration,
            as_of,
        } = req
        else {
            return Err(DataError::Invalid(format!(
                "the synthetic provider only generates option chains, not {}",
                req.label()
            )));
        };
        let table = self.chain(symbol, *expiration, *as_of)?;
        let value = Value::Table(table);
        let hash = content_hash(&value);
        Ok(Fetched {
            value,
            provider: "synthetic".into(),
            dataset: format!("options/{}", symbol.to_ascii_uppercase()),
            hash,
        })
    }
}

impl DataSource for SyntheticSource {
    fn fetch<'a>(&'a self, request: &'a DataRequest) -> BoxFuture<'a, Result<Fetched, DataError>> {
        Box::pin(async move { self.serve(request) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src() -> SyntheticSource {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../seeds/data");
        SyntheticSource::new(Arc::new(BundledSource::new(root)))
    }

    fn d(s: &str) -> Day {
        date::parse_iso(s).unwrap()
    }

    #[test]
    fn expirations_are_fridays_with_third_friday_monthlies() {
        let e = expirations_after(d("2018-06-01"));
        assert!(e.iter().all(|&x| weekday(x) == 5));
        assert_eq!(date::format_iso(e[0]), "2018-06-08");
        assert!(e.contains(&d("2018-06-15")) && e.contains(&d("2018-07-20")));
        assert!(e.contains(&d("2019-12-20")), "quarterly two years out");
        assert!(e.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(third_friday(2018, 9), d("2018-09-21"));
    }

    #[test]
    fn spx_chain_is_anchored_to_vix_and_arbitrage_sane() {
        let s = src();
        let inp = s.inputs("SPX", Some(d("2018-06-01"))).unwrap();
        // Bundled closes: SPX 2734.62 on 2018-06-01, VIX 13.46.
        assert!((inp.spot - 2734.62).abs() < 0.01, "{}", inp.spot);
        assert_eq!(inp.anchor, VolAnchor::Vix(0.1346));
        let exp = d("2018-06-15");
        let t = s.chain("SPX", Some(exp), Some(d("2018-06-01"))).unwrap();
        let strikes = t.num_column("strike").unwrap();
        let iv = t.num_column("iv").unwrap();
        let kinds = t.text_column("contract_type").unwrap();
        let (bid, ask) = (t.num_column("bid").unwrap(), t.num_column("ask").unwrap());
        assert!(t.len() > 40);
        assert_eq!(
            t.columns
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>(),
            CHAIN_COLUMNS
        );
        // Skew: lower strikes carry higher implied volatility among puts below the money.
        let puts: Vec<usize> = (0..t.len()).filter(|&i| kinds[i] == "put").collect();
        let low = puts.iter().find(|&&i| strikes[i] < 2600.0).unwrap();
        let atm = puts.iter().min_by(|&&a, &&b| {
            (strikes[a] - 2734.62)
                .abs()
                .total_cmp(&(strikes[b] - 2734.62).abs())
        });
        assert!(iv[*low] > iv[*atm.unwrap()]);
        assert!((0..t.len()).all(|i| bid[i] <= ask[i] && bid[i] >= 0.0));
        // Deterministic: the same request gives identical data.
        let again = s.chain("SPX", Some(exp), Some(d("2018-06-01"))).unwrap();
        assert_eq!(
            content_hash(&Value::Table(t)),
            content_hash(&Value::Table(again))
        );
    }

    #[test]
    fn full_chains_have_bounded_strike_counts() {
        assert_eq!(nice_above(10.0), 25.0);
        assert_eq!(nice_above(0.5), 1.0);
        assert_eq!(nice_above(2.5), 5.0);
        let s = src();
        for (sym, day) in [
            ("SPX", "2018-06-01"),
            ("SPX", "2008-10-10"),
            ("MSFT", "2000-04-14"),
        ] {
            let t = s.chain(sym, None, Some(d(day))).unwrap();
            let per_expiry = t.len() / expirations_after(d(day)).len();
            assert!(
                t.len() > 200 && per_expiry <= 2 * 125,
                "{sym} {day}: {}",
                t.len()
            );
        }
    }

    #[test]
    fn other_symbols_use_realized_volatility() {
        let inp = src().inputs("MSFT", Some(d("2017-06-02"))).unwrap();
        assert!(matches!(inp.anchor, VolAnchor::Realized(v) if v > 0.05 && v < 0.6));
    }

    #[test]
    fn errors_name_what_is_available() {
        let s = src();
        let e = s
            .chain("SPX", None, Some(d("1990-01-02")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("1999-01-04") && e.contains("2018-12-31"), "{e}");
        let e = s
            .chain("SPX", Some(d("2018-06-13")), Some(d("2018-06-01")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("2018-06-15"), "{e}");
        let e = s.chain("NOPE", None, None).unwrap_err().to_string();
        assert!(e.contains("SPX") && e.contains("MSFT"), "{e}");
    }
}
