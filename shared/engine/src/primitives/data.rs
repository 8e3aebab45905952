//! Data: the only primitives that read data. Each builds a [`DataRequest`] from its params
//! when the program is bound; the run fetches every request (concurrently) through the
//! data gateway before execution, and `eval` hands the fetched value to the program.

use crate::data::DataRequest;
use crate::params::Params;
use crate::registry::{Call, EvalError, Family, Param, Primitive, Returns};
use crate::value::{Kind, Value};

/// The data family.
pub static PRIMITIVES: &[&Primitive] = &[
    &FETCH_MARKET_DATA,
    &FETCH_MACRO_DATA,
    &FETCH_CRYPTO_DATA,
    &FETCH_OPTIONS_CHAIN,
];

const START: Param = Param::date(
    "start",
    "first date, inclusive (earliest available when absent)",
);
const END: Param = Param::date("end", "last date, inclusive (latest available when absent)");

fn range(p: &Params) -> Result<(Option<i32>, Option<i32>), EvalError> {
    let (s, e) = (p.opt_date("start")?, p.opt_date("end")?);
    if let (Some(s), Some(e)) = (s, e) {
        if s > e {
            return Err(EvalError::new(format!(
                "`start` ({}) is after `end` ({}); swap them or widen the range.",
                crate::date::format_iso(s),
                crate::date::format_iso(e)
            )));
        }
    }
    Ok((s, e))
}

/// Hands over the fetched dataset, refusing an empty one with a useful sentence.
fn fetched(call: &Call<'_>, what: &str) -> Result<Value, EvalError> {
    let v = call
        .data
        .ok_or_else(|| EvalError::new(format!("no {what} was fetched for this step.")))?;
    if v.is_empty() {
        return Err(EvalError::new(format!(
            "the {what} has no rows in the requested date range; widen `start`/`end`."
        )));
    }
    Ok(v.clone())
}

static FETCH_MARKET_DATA: Primitive = Primitive {
    name: "fetch_market_data",
    family: Family::Data,
    summary: "Daily OHLCV bars of a ticker → frame open high low close volume [adj_close]",
    doc: "Reads daily bars from the data gateway: bundled CSVs offline (AUSTER_DATA=bundled), or a live provider. Dates are trading days, ascending.",
    reference: "—",
    inputs: &[],
    params: &[
        Param::text("symbol", "ticker, e.g. SPX").required(),
        START,
        END,
        Param::one_of("interval", &["1d"], "bar size").default_text("1d"),
    ],
    returns: Returns::Fixed(Kind::Frame),
    request: Some(|p| {
        let (start, end) = range(p)?;
        Ok(DataRequest::Market { symbol: p.text("symbol")?.trim().to_ascii_uppercase(), start, end })
    }),
    eval: |c| fetched(c, "market data"),
};

static FETCH_MACRO_DATA: Primitive = Primitive {
    name: "fetch_macro_data",
    family: Family::Data,
    summary: "A macro-economic series by id (FRED ids) → series",
    doc: "Reads a macro series (e.g. DCOILWTICO, CPILFESL) from the data gateway; missing observations are dropped.",
    reference: "—",
    inputs: &[],
    params: &[Param::text("series_id", "series id, e.g. CPILFESL").required(), START, END],
    returns: Returns::Fixed(Kind::Series),
    request: Some(|p| {
        let (start, end) = range(p)?;
        Ok(DataRequest::Macro { series_id: p.text("series_id")?.trim().to_ascii_uppercase(), start, end })
    }),
    eval: |c| fetched(c, "macro series"),
};

static FETCH_CRYPTO_DATA: Primitive = Primitive {
    name: "fetch_crypto_data",
    family: Family::Data,
    summary: "Daily close of a crypto asset in USD → series",
    doc: "Reads the daily USD close of a crypto asset (BTC) from the data gateway.",
    reference: "—",
    inputs: &[],
    params: &[
        Param::text("asset", "asset code").default_text("BTC"),
        START,
        END,
    ],
    returns: Returns::Fixed(Kind::Series),
    request: Some(|p| {
        let (start, end) = range(p)?;
        Ok(DataRequest::Crypto {
            asset: p.text("asset")?.trim().to_ascii_uppercase(),
            start,
            end,
        })
    }),
    eval: |c| fetched(c, "crypto series"),
};

static FETCH_OPTIONS_CHAIN: Primitive = Primitive {
    name: "fetch_options_chain",
    family: Family::Data,
    summary: "An options chain snapshot → table",
    doc: "Reads an options chain with columns contract_type strike expiration bid ask last iv delta gamma theta vega open_interest volume underlying_price. Offline the chain is synthetic (labelled so in data_sources).",
    reference: "—",
    inputs: &[],
    params: &[
        Param::text("symbol", "underlying ticker").required(),
        Param::date("expiration", "expiration date (all expirations when absent)"),
        Param::date("as_of", "snapshot date (latest when absent)"),
    ],
    returns: Returns::Fixed(Kind::Table),
    request: Some(|p| {
        let (expiration, as_of) = (p.opt_date("expiration")?, p.opt_date("as_of")?);
        if let (Some(x), Some(a)) = (expiration, as_of) {
            if x <= a {
                return Err(EvalError::new(format!(
                    "`expiration` ({}) must be after `as_of` ({}): an option expiring on or before the snapshot has no chain.",
                    crate::date::format_iso(x),
                    crate::date::format_iso(a)
                )));
            }
        }
        Ok(DataRequest::OptionsChain { symbol: p.text("symbol")?.trim().to_ascii_uppercase(), expiration, as_of })
    }),
    eval: |c| fetched(c, "options chain"),
};
