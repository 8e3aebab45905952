//! Bitcoin's issuance schedule as a function of the calendar: supply, issuance,
//! stock-to-flow and thermocap.
//!
//! **Documented approximation.** The chain's block height is modelled as exactly 144 blocks
//! a day from the genesis block on 2009-01-03 (height = 144 × whole days since genesis).
//! The subsidy is 50 BTC, halving every 210,000 blocks, computed in satoshis with the
//! protocol's integer right shift, so the supply is exact *for a given height*. Real blocks
//! came faster than every 10 minutes on average (hash rate kept rising ahead of difficulty
//! adjustments), so the modelled halvings fall later than the real ones: 2013-01-01 vs
//! 2012-11-28, 2016-12-29 vs 2016-07-09, 2020-12-26 vs 2020-05-11, 2024-12-24 vs
//! 2024-04-20. Around each halving the modelled supply and flow therefore lag the
//! chain's by a few months; the stock-to-flow step up comes correspondingly later.

use crate::date::Day;

/// 2009-01-03, the genesis block's date, as days since 1970-01-01.
pub const GENESIS: Day = 14_247;
/// Modelled blocks per day (one every ten minutes).
pub const BLOCKS_PER_DAY: i64 = 144;
/// Blocks between subsidy halvings.
pub const HALVING_INTERVAL: i64 = 210_000;
/// The first subsidy, in satoshis.
const INITIAL_SUBSIDY_SATS: i64 = 50 * 100_000_000;

/// Modelled block height at the end of `day` (0 on or before the genesis day).
pub fn height(day: Day) -> i64 {
    i64::from(day - GENESIS).max(0) * BLOCKS_PER_DAY
}

/// Coins issued by the first `blocks` blocks, in satoshis.
pub fn supply_sats(blocks: i64) -> i64 {
    let mut left = blocks.max(0);
    let mut total = 0i64;
    let mut era = 0u32;
    while left > 0 && era < 64 {
        let subsidy = INITIAL_SUBSIDY_SATS >> era;
        if subsidy == 0 {
            break;
        }
        let n = left.min(HALVING_INTERVAL);
        total += n * subsidy;
        left -= n;
        era += 1;
    }
    total
}

/// Coins outstanding at the end of `day`, in BTC.
pub fn supply(day: Day) -> f64 {
    supply_sats(height(day)) as f64 / 1e8
}

/// Coins issued after the end of `from` up to the end of `to`, in BTC.
pub fn issued_between(from: Day, to: Day) -> f64 {
    (supply_sats(height(to)) - supply_sats(height(from))) as f64 / 1e8
}

/// Stock-to-flow on `day`: supply / annualized issuance over the trailing `window_days`
/// (flow = issued in the window × 365 / window_days).
pub fn stock_to_flow(day: Day, window_days: i32) -> f64 {
    let stock = supply(day);
    let flow = issued_between(day - window_days, day) * 365.0 / f64::from(window_days);
    if flow > 0.0 {
        stock / flow
    } else {
        f64::NAN
    }
}

/// Thermocap: Σ over observations of (coins issued since the previous observation) ×
/// price. The first observation counts one day of issuance. Missing prices (NaN or ≤ 0)
/// give NaN and their issuance is valued at the next valid price.
pub fn thermocap(dates: &[Day], prices: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(dates.len());
    let mut total = 0.0;
    let mut prev: Option<Day> = None;
    for (&d, &p) in dates.iter().zip(prices) {
        if !(p.is_finite() && p > 0.0) {
            out.push(f64::NAN);
            continue;
        }
        let from = prev.unwrap_or(d - 1);
        total += issued_between(from, d) * p;
        prev = Some(d);
        out.push(total);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::parse_iso;

    #[test]
    fn supply_follows_the_schedule() {
        assert_eq!(supply(GENESIS), 0.0);
        assert_eq!(supply(GENESIS + 1), 7200.0);
        // First halving after 210,000 blocks: exactly 10.5M coins.
        let d = GENESIS + (210_000 / 144) + 1;
        assert_eq!(supply(d), 10_500_000.0 + 96.0 * 25.0);
        // The supply never exceeds 21M and approaches it.
        let far = parse_iso("2200-01-01").expect("date");
        let s = supply(far);
        assert!(s < 21_000_000.0 && s > 20_999_999.0, "{s}");
    }

    #[test]
    fn thermocap_accumulates_issuance_times_price() {
        let d0 = parse_iso("2011-01-01").expect("date");
        let t = thermocap(&[d0, d0 + 1, d0 + 3], &[1.0, 2.0, 4.0]);
        assert_eq!(t[0], 7200.0);
        assert_eq!(t[1], 7200.0 + 7200.0 * 2.0);
        assert_eq!(t[2], t[1] + 2.0 * 7200.0 * 4.0);
    }
}
