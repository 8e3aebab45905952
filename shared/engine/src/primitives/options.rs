//! Options and derivatives (dsl.md §5 "options and derivatives").
//!
//! **Black–Scholes–Merton** (`black_scholes`, `greeks`, `implied_volatility`): European
//! options with a continuous dividend yield, matching QuantLib's `AnalyticEuropeanEngine`
//! (see `kernels::bsm`). The numeric inputs `spot strike time_to_expiry rate
//! dividend_yield volatility` (or `price` for implied volatility) are params. Any of them
//! may instead come from an input: the step's inputs fill, in order, the params named by
//! `from_inputs` (one input and no `from_inputs` means `spot`). Inputs that are series are
//! aligned on the union of their dates (a missing date gives NaN, as in pandas); scalar
//! inputs broadcast. With no series input the result is a scalar (`greeks`: a record);
//! with one it is a series (`greeks`: a frame `delta gamma vega theta rho`).
//! Instead of `time_to_expiry`, an `expiration` date gives ACT/365 year fractions: from
//! `as_of` for scalars, from each date of a series (dates on or after the expiration give
//! NaN: the option no longer exists).
//!
//! **Chain analytics** read the options-chain table of `fetch_options_chain` (columns
//! `contract_type strike expiration bid ask last iv delta gamma theta vega open_interest
//! volume underlying_price`; `contract_type` is `call`/`put`, `expiration` ISO text). A
//! contract's premium is its mid `(bid + ask)/2` when both quotes are positive, else
//! `last`. The underlying price is the first finite `underlying_price` among the chosen
//! rows. One expiration is analysed at a time: the `expiration` param, or the nearest one
//! in the table (on or after `as_of` when given).
//!
//! Payoffs are at expiry, per share, net of premiums. A payoff over a range of underlying
//! prices is a *table* `underlying_price payoff` rather than a series, since a series is
//! indexed by dates: the grid is `points` values from `price_min` to `price_max`, spaced
//! as numpy's `linspace`.

use std::sync::Arc;

use serde_json::{Map, Value as Json};

use crate::date::{self, Day};
use crate::kernels::align;
use crate::kernels::bsm::{self, Contract, OptionType};
use crate::registry::{Call, EvalError, Family, Operand, Param, Primitive, Returns};
use crate::value::{ColumnData, Frame, Kind, KindSet, Record, Series, Table, Value};

/// The options family.
pub static PRIMITIVES: &[&Primitive] = &[
    &BLACK_SCHOLES,
    &GREEKS,
    &IMPLIED_VOLATILITY,
    &FIND_ATM_STRADDLE,
    &CALCULATE_EXPECTED_MOVE,
    &IV_SMILE,
    &PUT_CALL_RATIO,
    &VERTICAL_SPREAD,
    &IRON_CONDOR,
    &MAX_PAIN,
    &PAYOFF_DIAGRAM,
];

// ------------------------------------------------------------------ BSM primitives

const BSM_INPUTS: &[Operand] = &[Operand::new(
    "values",
    KindSet::NUMERIC,
    "series or scalars supplying the params named in `from_inputs`, in order",
)
.optional()
.variadic()];

const OPTION_TYPE: Param =
    Param::one_of("option_type", &["call", "put"], "call or put").default_text("call");
const SPOT: Param = Param::number("spot", "underlying price").above(0.0);
const STRIKE: Param = Param::number("strike", "strike price").above(0.0);
const TIME: Param = Param::number(
    "time_to_expiry",
    "years to expiry (ACT/365); or give `expiration`",
)
.above(0.0);
const RATE: Param = Param::number("rate", "risk-free rate, continuously compounded, e.g. 0.05")
    .default_num(0.0)
    .min(-1.0)
    .max(1.0);
const DIVIDEND: Param = Param::number(
    "dividend_yield",
    "dividend yield, continuously compounded, e.g. 0.02",
)
.default_num(0.0)
.min(-1.0)
.max(1.0);
const VOLATILITY: Param =
    Param::number("volatility", "annualized volatility, e.g. 0.2 for 20%").above(0.0);
const PRICE: Param = Param::number("price", "observed option price").above(0.0);
const FROM_INPUTS: Param = Param::columns(
    "from_inputs",
    "names of the params the inputs supply, in input order (default: `spot` for one input); a named `rate` or `dividend_yield` replaces the param",
);
const EXPIRATION: Param = Param::date(
    "expiration",
    "expiry date; replaces `time_to_expiry` (ACT/365 from `as_of` or from each series date)",
);
const AS_OF: Param = Param::date(
    "as_of",
    "valuation date for `expiration` when no series gives the dates",
);

const BSM_PARAMS: &[Param] = &[
    OPTION_TYPE,
    SPOT,
    STRIKE,
    TIME,
    RATE,
    DIVIDEND,
    VOLATILITY,
    FROM_INPUTS,
    EXPIRATION,
    AS_OF,
];
const IV_PARAMS: &[Param] = &[
    OPTION_TYPE,
    SPOT,
    STRIKE,
    TIME,
    RATE,
    DIVIDEND,
    PRICE,
    FROM_INPUTS,
    EXPIRATION,
    AS_OF,
];

/// Scalar when every operand is a scalar (or there are none), else `dated`.
fn bsm_kind(inputs: &[Option<Kind>], scalar: Kind, dated: Kind) -> Option<Kind> {
    if inputs.contains(&Some(Kind::Series)) {
        Some(dated)
    } else if inputs.iter().all(|k| *k == Some(Kind::Scalar)) {
        Some(scalar)
    } else {
        None
    }
}

static BLACK_SCHOLES: Primitive = Primitive {
    name: "black_scholes",
    family: Family::Options,
    summary: "Black–Scholes–Merton price of a European call or put",
    doc: "Price D·(F·α + K·β) with F = S·e^{(r−q)T}, D = e^{−rT}, d1 = ln(F/K)/σ√T + σ√T/2 (QuantLib's BlackCalculator). Numeric params may come from inputs (see `from_inputs`); a series input gives a series, NaN where any input is missing. Refuses spot, strike, volatility or time to expiry ≤ 0, and an expiration on or before `as_of`.",
    reference: "QuantLib 1.44: VanillaOption + AnalyticEuropeanEngine(BlackScholesMertonProcess), flat curves, ACT/365",
    inputs: BSM_INPUTS,
    params: BSM_PARAMS,
    returns: Returns::Custom(|k, _| bsm_kind(k, Kind::Scalar, Kind::Series)),
    request: None,
    eval: |c| {
        let args = BsmArgs::gather(c, "volatility")?;
        args.eval(
            |ct, vol| Ok(bsm::price(ct, vol)),
            |rows| Ok(Value::Series(rows.into_series(bsm::price))),
        )
    },
};

static GREEKS: Primitive = Primitive {
    name: "greeks",
    family: Family::Options,
    summary: "Delta, gamma, vega, theta and rho of a European option",
    doc: "Record {delta, gamma, vega, theta, rho} in QuantLib's units: vega and rho per 1.0 change of volatility and rate (divide by 100 for per-point figures), theta per year (divide by 365 for per day), with QuantLib's sign (time decay of a long option is negative). Params as `black_scholes`; a series input gives a frame with those five columns.",
    reference: "QuantLib 1.44: VanillaOption.delta/gamma/vega/theta/rho with AnalyticEuropeanEngine",
    inputs: BSM_INPUTS,
    params: BSM_PARAMS,
    returns: Returns::Custom(|k, _| bsm_kind(k, Kind::Record, Kind::Frame)),
    request: None,
    eval: |c| {
        let args = BsmArgs::gather(c, "volatility")?;
        if args.all_scalar() {
            let (ct, vol) = args.scalar_contract()?;
            let g = bsm::greeks(&ct, vol).1;
            return Ok(Value::Record(Record::from_pairs([
                ("delta", g.delta),
                ("gamma", g.gamma),
                ("vega", g.vega),
                ("theta", g.theta),
                ("rho", g.rho),
            ])));
        }
        let rows = args.rows()?;
        let n = rows.dates.len();
        let mut cols: [Vec<f64>; 5] = std::array::from_fn(|_| Vec::with_capacity(n));
        for i in 0..n {
            let g = match rows.contract(i) {
                Some((ct, vol)) => bsm::greeks(&ct, vol).1,
                None => bsm::Greeks {
                    delta: f64::NAN,
                    gamma: f64::NAN,
                    vega: f64::NAN,
                    theta: f64::NAN,
                    rho: f64::NAN,
                },
            };
            for (col, x) in cols.iter_mut().zip([g.delta, g.gamma, g.vega, g.theta, g.rho]) {
                col.push(x);
            }
        }
        let names = ["delta", "gamma", "vega", "theta", "rho"];
        Ok(Value::Frame(Frame {
            dates: rows.dates,
            columns: names.iter().map(|s| s.to_string()).zip(cols).collect(),
        }))
    },
};

static IMPLIED_VOLATILITY: Primitive = Primitive {
    name: "implied_volatility",
    family: Family::Options,
    summary: "Volatility at which Black–Scholes–Merton reproduces an option price",
    doc: "Solves price(σ) = `price` by Newton steps safeguarded inside a shrinking bracket on [1e-9, 10] (bisection whenever Newton would leave the bracket); the price is increasing in σ, so the root is unique. No solution exists when the price is at or below the discounted intrinsic value or at or above the infinite-volatility bound (discounted forward for a call, discounted strike for a put): a scalar call then fails with a sentence giving the bound, a series gets NaN on that date. Other params as `black_scholes`.",
    reference: "QuantLib 1.44: VanillaOption.impliedVolatility (Brent, accuracy 1e-12); compared at rtol 1e-6",
    inputs: BSM_INPUTS,
    params: IV_PARAMS,
    returns: Returns::Custom(|k, _| bsm_kind(k, Kind::Scalar, Kind::Series)),
    request: None,
    eval: |c| {
        let args = BsmArgs::gather(c, "price")?;
        args.eval(
            |ct, p| {
                bsm::implied_vol(ct, p).map_err(|why| {
                    EvalError::new(format!("no implied volatility: {}.", why.reason(p)))
                })
            },
            |rows| {
                Ok(Value::Series(
                    rows.into_series(|ct, p| bsm::implied_vol(ct, p).unwrap_or(f64::NAN)),
                ))
            },
        )
    },
};

/// The numeric fields of a BSM call, in a fixed order.
const FIELDS: [&str; 6] = [
    "spot",
    "strike",
    "time_to_expiry",
    "rate",
    "dividend_yield",
    "LAST",
];

/// Where one numeric field comes from.
#[derive(Clone)]
enum Source<'a> {
    Const(f64),
    Series(&'a Series),
}

/// A BSM call's gathered arguments.
struct BsmArgs<'a> {
    kind: OptionType,
    /// spot, strike, time, rate, dividend, volatility-or-price.
    sources: Vec<Source<'a>>,
    /// The name of the last field (`volatility` or `price`).
    last: &'static str,
    /// Expiration day when `expiration` replaces `time_to_expiry`.
    expiration: Option<Day>,
    as_of: Option<Day>,
}

/// Per-date argument columns of a series evaluation.
struct Rows {
    kind: OptionType,
    dates: Arc<Vec<Day>>,
    cols: Vec<Vec<f64>>,
}

impl Rows {
    /// The contract and last field on row `i`, `None` when any value is missing.
    fn contract(&self, i: usize) -> Option<(Contract, f64)> {
        let v: Vec<f64> = self.cols.iter().map(|c| c[i]).collect();
        if v.iter().any(|x| !x.is_finite()) {
            return None;
        }
        Some((
            Contract {
                kind: self.kind,
                spot: v[0],
                strike: v[1],
                t: v[2],
                rate: v[3],
                dividend: v[4],
            },
            v[5],
        ))
    }

    fn into_series(self, f: impl Fn(&Contract, f64) -> f64) -> Series {
        let values = (0..self.dates.len())
            .map(|i| self.contract(i).map_or(f64::NAN, |(ct, x)| f(&ct, x)))
            .collect();
        Series::new(self.dates, values)
    }
}

fn field_name(i: usize, last: &'static str) -> &'static str {
    if i == 5 {
        last
    } else {
        FIELDS[i]
    }
}

/// The sentence for a field value outside its range.
fn range_error(field: &str, x: f64, when: &str) -> Option<EvalError> {
    let bad = match field {
        "spot" | "strike" | "volatility" | "price" | "time_to_expiry" => x.is_nan() || x <= 0.0,
        "rate" | "dividend_yield" => !(-1.0..=1.0).contains(&x),
        _ => false,
    };
    if !bad {
        return None;
    }
    let range = match field {
        "rate" | "dividend_yield" => "between -1 and 1",
        _ => "greater than 0",
    };
    Some(EvalError::new(format!(
        "`{field}` must be {range}, got {x}{when}."
    )))
}

impl<'a> BsmArgs<'a> {
    fn gather(c: &Call<'a>, last: &'static str) -> Result<Self, EvalError> {
        let p = c.params;
        let kind = OptionType::parse(p.text("option_type")?)
            .ok_or_else(|| EvalError::new("`option_type` must be call or put."))?;
        let names: Vec<String> = if p.has("from_inputs") {
            p.columns("from_inputs")?.0
        } else if c.inputs.len() == 1 {
            vec!["spot".into()]
        } else if c.inputs.is_empty() {
            Vec::new()
        } else {
            return Err(EvalError::new(format!(
                "{} inputs were given; name the params they supply, in order, with `from_inputs` (e.g. [\"spot\", \"{last}\"]).",
                c.inputs.len()
            )));
        };
        if names.len() != c.inputs.len() {
            return Err(EvalError::new(format!(
                "`from_inputs` names {} params but the step has {} inputs; give one name per input.",
                names.len(),
                c.inputs.len()
            )));
        }
        let valid: Vec<&str> = (0..6).map(|i| field_name(i, last)).collect();
        let mut sources: Vec<Option<Source<'a>>> = vec![None; 6];
        for (k, name) in names.iter().enumerate() {
            let Some(i) = valid.iter().position(|v| v == name) else {
                return Err(EvalError::new(format!(
                    "`from_inputs` names {name:?}, which is not a numeric param here; choose from {}.",
                    valid.join(", ")
                )));
            };
            if sources[i].is_some() {
                return Err(EvalError::new(format!(
                    "`from_inputs` names {name:?} twice."
                )));
            }
            if p.has(name) && !(name == "rate" || name == "dividend_yield") {
                return Err(EvalError::new(format!(
                    "`{name}` is given both as a param and by input {}; keep one.",
                    k + 1
                )));
            }
            sources[i] = Some(match c.input(k) {
                Value::Series(s) => Source::Series(s),
                Value::Scalar(x) => Source::Const(*x),
                v => {
                    return Err(EvalError::new(format!(
                        "input {} (`{name}`) must be a series or scalar, got a {}.",
                        k + 1,
                        v.kind().name()
                    )))
                }
            });
        }
        let expiration = p.opt_date("expiration")?;
        let as_of = p.opt_date("as_of")?;
        if expiration.is_some() && (p.has("time_to_expiry") || sources[2].is_some()) {
            return Err(EvalError::new(
                "give either `time_to_expiry` or `expiration`, not both.",
            ));
        }
        if as_of.is_some() && expiration.is_none() {
            return Err(EvalError::new(
                "`as_of` only serves `expiration`; give `expiration` too, or use `time_to_expiry`.",
            ));
        }
        for (i, slot) in sources.iter_mut().enumerate() {
            if slot.is_some() {
                continue;
            }
            let name = valid[i];
            if i == 2 && expiration.is_some() {
                // Filled from the expiration below; a placeholder keeps indices aligned.
                *slot = Some(Source::Const(f64::NAN));
                continue;
            }
            match p.opt_num(name)? {
                Some(x) => *slot = Some(Source::Const(x)),
                None => {
                    let hint = if i == 2 {
                        " (or `expiration` with `as_of`)"
                    } else {
                        ""
                    };
                    return Err(EvalError::new(format!(
                        "`{name}` is required{hint}: give it as a param or name it in `from_inputs`."
                    )));
                }
            }
        }
        let args = BsmArgs {
            kind,
            sources: sources.into_iter().map(|s| s.expect("filled")).collect(),
            last,
            expiration,
            as_of,
        };
        if args.all_scalar() && expiration.is_some() && as_of.is_none() {
            return Err(EvalError::new(
                "`expiration` needs `as_of` (the valuation date) when no series input gives the dates.",
            ));
        }
        if !args.all_scalar() && as_of.is_some() {
            return Err(EvalError::new(
                "`as_of` cannot be combined with a series input: each series date is its own valuation date.",
            ));
        }
        Ok(args)
    }

    fn all_scalar(&self) -> bool {
        self.sources.iter().all(|s| matches!(s, Source::Const(_)))
    }

    /// The scalar contract and last field, range-checked.
    fn scalar_contract(&self) -> Result<(Contract, f64), EvalError> {
        let mut v: Vec<f64> = self
            .sources
            .iter()
            .map(|s| match s {
                Source::Const(x) => *x,
                Source::Series(_) => f64::NAN,
            })
            .collect();
        if let (Some(exp), Some(asof)) = (self.expiration, self.as_of) {
            if exp <= asof {
                return Err(EvalError::new(format!(
                    "`expiration` {} is not after `as_of` {}: the option has expired; choose an expiration after the valuation date.",
                    date::format_iso(exp),
                    date::format_iso(asof)
                )));
            }
            v[2] = f64::from(exp - asof) / 365.0;
        }
        for (i, x) in v.iter().enumerate() {
            if let Some(e) = range_error(field_name(i, self.last), *x, "") {
                return Err(e);
            }
        }
        Ok((
            Contract {
                kind: self.kind,
                spot: v[0],
                strike: v[1],
                t: v[2],
                rate: v[3],
                dividend: v[4],
            },
            v[5],
        ))
    }

    /// Series evaluation: every series aligned on the union of dates, scalars broadcast,
    /// every present value range-checked (missing values give NaN rows).
    fn rows(&self) -> Result<Rows, EvalError> {
        let mut dates: Option<Arc<Vec<Day>>> = None;
        for s in &self.sources {
            if let Source::Series(s) = s {
                dates = Some(match dates {
                    None => Arc::clone(&s.dates),
                    Some(d) if Arc::ptr_eq(&d, &s.dates) || *d == *s.dates => d,
                    Some(d) => align::union(&d, &s.dates).dates,
                });
            }
        }
        let dates = dates.unwrap_or_default();
        let mut cols = Vec::with_capacity(6);
        for (i, s) in self.sources.iter().enumerate() {
            let name = field_name(i, self.last);
            let col = match s {
                Source::Const(x) if i == 2 && self.expiration.is_some() && x.is_nan() => {
                    let exp = self.expiration.expect("checked");
                    dates
                        .iter()
                        .map(|&d| {
                            if d < exp {
                                f64::from(exp - d) / 365.0
                            } else {
                                f64::NAN
                            }
                        })
                        .collect()
                }
                Source::Const(x) => {
                    if let Some(e) = range_error(name, *x, "") {
                        return Err(e);
                    }
                    vec![*x; dates.len()]
                }
                Source::Series(s) => {
                    let v = align::reindex(s, &dates).into_values();
                    for (d, x) in dates.iter().zip(&v) {
                        if x.is_nan() {
                            continue;
                        }
                        if let Some(e) =
                            range_error(name, *x, &format!(" on {}", date::format_iso(*d)))
                        {
                            return Err(e);
                        }
                    }
                    v
                }
            };
            cols.push(col);
        }
        Ok(Rows {
            kind: self.kind,
            dates,
            cols,
        })
    }

    fn eval(
        &self,
        scalar: impl Fn(&Contract, f64) -> Result<f64, EvalError>,
        series: impl Fn(Rows) -> Result<Value, EvalError>,
    ) -> Result<Value, EvalError> {
        if self.all_scalar() {
            let (ct, x) = self.scalar_contract()?;
            scalar(&ct, x).map(Value::Scalar)
        } else {
            series(self.rows()?)
        }
    }
}

// ------------------------------------------------------------------ the options chain

/// One contract of a chain.
#[derive(Debug, Clone, Copy)]
struct Contract0 {
    is_call: bool,
    strike: f64,
    expiration: Day,
    bid: f64,
    ask: f64,
    last: f64,
    iv: f64,
    open_interest: f64,
    volume: f64,
    underlying: f64,
}

impl Contract0 {
    /// Mid when both quotes are positive (and not crossed), else last.
    fn premium(&self) -> f64 {
        if self.bid > 0.0 && self.ask > 0.0 && self.ask >= self.bid {
            0.5 * (self.bid + self.ask)
        } else {
            self.last
        }
    }
}

/// The contracts of one expiration.
struct Slice {
    expiration: Day,
    rows: Vec<Contract0>,
    underlying: f64,
}

impl Slice {
    /// The contract of a type at a strike.
    fn find(&self, is_call: bool, strike: f64) -> Option<&Contract0> {
        self.rows
            .iter()
            .find(|r| r.is_call == is_call && r.strike == strike)
    }

    /// Sorted distinct strikes.
    fn strikes(&self) -> Vec<f64> {
        let mut k: Vec<f64> = self.rows.iter().map(|r| r.strike).collect();
        k.sort_by(f64::total_cmp);
        k.dedup();
        k
    }

    /// The strike closest to the underlying with both a call and a put (ties: lower).
    fn atm_strike(&self) -> Result<f64, EvalError> {
        let s = self.underlying;
        self.strikes()
            .into_iter()
            .filter(|&k| self.find(true, k).is_some() && self.find(false, k).is_some())
            .min_by(|a, b| (a - s).abs().total_cmp(&(b - s).abs()))
            .ok_or_else(|| {
                EvalError::new(format!(
                    "the chain has no strike with both a call and a put for expiration {}.",
                    date::format_iso(self.expiration)
                ))
            })
    }

    /// The premium of a contract, or a sentence naming it.
    fn premium(&self, is_call: bool, strike: f64, field: &str) -> Result<f64, EvalError> {
        let kind = if is_call { "call" } else { "put" };
        let c = self.find(is_call, strike).ok_or_else(|| {
            let ks: Vec<String> = self
                .strikes()
                .iter()
                .filter(|&&k| self.find(is_call, k).is_some())
                .map(|k| fmt(*k))
                .collect();
            EvalError::new(format!(
                "`{field}` {} has no {kind} in the chain for {}; its {kind} strikes are {}.",
                fmt(strike),
                date::format_iso(self.expiration),
                ks.join(", ")
            ))
        })?;
        let p = c.premium();
        if p.is_finite() {
            Ok(p)
        } else {
            Err(EvalError::new(format!(
                "the {kind} at strike {} has neither a two-sided quote nor a last price.",
                fmt(strike)
            )))
        }
    }
}

fn fmt(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// Reads the chain table operand and picks one expiration.
fn chain_slice(c: &Call<'_>) -> Result<Slice, EvalError> {
    let Value::Table(t) = c.input(0) else {
        return Err(EvalError::new(format!(
            "input 1 must be an options-chain table, got a {}.",
            c.input(0).kind().name()
        )));
    };
    let rows = read_chain(t)?;
    let as_of = c.params.opt_date("as_of")?;
    let wanted = c.params.opt_date("expiration")?;
    if let (Some(e), Some(a)) = (wanted, as_of) {
        if e < a {
            return Err(EvalError::new(format!(
                "`expiration` {} is before `as_of` {}: the options have expired; choose an expiration on or after the valuation date.",
                date::format_iso(e),
                date::format_iso(a)
            )));
        }
    }
    let mut expirations: Vec<Day> = rows.iter().map(|r| r.expiration).collect();
    expirations.sort_unstable();
    expirations.dedup();
    let listed = || {
        expirations
            .iter()
            .map(|d| date::format_iso(*d))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let expiration = match wanted {
        Some(e) if expirations.contains(&e) => e,
        Some(e) => {
            return Err(EvalError::new(format!(
                "`expiration` {} is not in the chain; its expirations are {}.",
                date::format_iso(e),
                listed()
            )))
        }
        None => *expirations
            .iter()
            .find(|&&e| as_of.is_none_or(|a| e >= a))
            .ok_or_else(|| {
                EvalError::new(format!(
                    "the chain has no expiration on or after `as_of`; its expirations are {}.",
                    listed()
                ))
            })?,
    };
    let rows: Vec<Contract0> = rows
        .into_iter()
        .filter(|r| r.expiration == expiration)
        .collect();
    let underlying = rows
        .iter()
        .map(|r| r.underlying)
        .find(|x| x.is_finite())
        .ok_or_else(|| {
            EvalError::new(
                "the chain's `underlying_price` column has no value for this expiration.",
            )
        })?;
    Ok(Slice {
        expiration,
        rows,
        underlying,
    })
}

fn read_chain(t: &Table) -> Result<Vec<Contract0>, EvalError> {
    let need = |name: &str| -> Result<&ColumnData, EvalError> {
        t.column(name).ok_or_else(|| {
            let have: Vec<&str> = t.columns.iter().map(|(n, _)| n.as_str()).collect();
            EvalError::new(format!(
                "the options chain has no `{name}` column (it has {}).",
                have.join(", ")
            ))
        })
    };
    let text = |name: &str| -> Result<&[String], EvalError> {
        match need(name)? {
            ColumnData::Text(v) => Ok(v),
            ColumnData::Num(_) | ColumnData::Dates(_) => Err(EvalError::new(format!(
                "the chain's `{name}` column must hold text."
            ))),
        }
    };
    let nan = vec![f64::NAN; t.len()];
    let num = |name: &str| -> Result<Vec<f64>, EvalError> {
        match t.column(name) {
            Some(ColumnData::Num(v)) => Ok(v.clone()),
            Some(ColumnData::Text(_) | ColumnData::Dates(_)) => Err(EvalError::new(format!(
                "the chain's `{name}` column must hold numbers."
            ))),
            None => Ok(nan.clone()),
        }
    };
    let types = text("contract_type")?;
    let exps = text("expiration")?;
    let strike = match need("strike")? {
        ColumnData::Num(v) => v.clone(),
        ColumnData::Text(_) | ColumnData::Dates(_) => {
            return Err(EvalError::new(
                "the chain's `strike` column must hold numbers.",
            ))
        }
    };
    let (bid, ask, last, iv) = (num("bid")?, num("ask")?, num("last")?, num("iv")?);
    let (oi, vol, und) = (
        num("open_interest")?,
        num("volume")?,
        num("underlying_price")?,
    );
    let mut out = Vec::with_capacity(t.len());
    for i in 0..t.len() {
        let is_call = match OptionType::parse(&types[i]) {
            Some(OptionType::Call) => true,
            Some(OptionType::Put) => false,
            None => {
                return Err(EvalError::new(format!(
                    "row {} of the chain has contract_type {:?}; it must be call or put.",
                    i + 1,
                    types[i]
                )))
            }
        };
        let expiration = date::parse_iso(&exps[i]).ok_or_else(|| {
            EvalError::new(format!(
                "row {} of the chain has expiration {:?}; it must be a date YYYY-MM-DD.",
                i + 1,
                exps[i]
            ))
        })?;
        if strike[i].is_nan() || strike[i] <= 0.0 {
            return Err(EvalError::new(format!(
                "row {} of the chain has strike {}; strikes must be greater than 0.",
                i + 1,
                strike[i]
            )));
        }
        out.push(Contract0 {
            is_call,
            strike: strike[i],
            expiration,
            bid: bid[i],
            ask: ask[i],
            last: last[i],
            iv: iv[i],
            open_interest: oi[i],
            volume: vol[i],
            underlying: und[i],
        });
    }
    if out.is_empty() {
        return Err(EvalError::new("the options chain has no rows."));
    }
    Ok(out)
}

const CHAIN_INPUT: &[Operand] = &[Operand::new(
    "chain",
    KindSet::TABLE,
    "options chain table (fetch_options_chain)",
)];
const CHAIN_EXPIRATION: Param = Param::date(
    "expiration",
    "expiration to analyse; default the nearest in the chain (on or after `as_of`)",
);
const CHAIN_AS_OF: Param =
    Param::date("as_of", "valuation date; expirations before it are refused");

/// Years from `as_of` to the slice's expiration, refusing a past or same-day expiry.
fn years_to(slice: &Slice, as_of: Day) -> Result<f64, EvalError> {
    if slice.expiration <= as_of {
        return Err(EvalError::new(format!(
            "`expiration` {} must be after `as_of` {} (time to expiry must be greater than 0).",
            date::format_iso(slice.expiration),
            date::format_iso(as_of)
        )));
    }
    Ok(f64::from(slice.expiration - as_of) / 365.0)
}

/// The ATM implied volatility: mean of the call and put IVs at the ATM strike (the one
/// present when only one is).
fn atm_iv(slice: &Slice, k: f64) -> Result<f64, EvalError> {
    let ivs: Vec<f64> = [true, false]
        .iter()
        .filter_map(|&c| slice.find(c, k).map(|r| r.iv))
        .filter(|x| x.is_finite() && *x > 0.0)
        .collect();
    if ivs.is_empty() {
        return Err(EvalError::new(format!(
            "the chain has no positive `iv` at the at-the-money strike {}.",
            fmt(k)
        )));
    }
    Ok(ivs.iter().sum::<f64>() / ivs.len() as f64)
}

static FIND_ATM_STRADDLE: Primitive = Primitive {
    name: "find_atm_straddle",
    family: Family::Options,
    summary: "The at-the-money straddle of one expiration",
    doc: "ATM strike = the strike closest to the underlying price that has both a call and a put (ties: the lower strike). Record {strike, call_price, put_price, straddle_price, underlying_price, call_iv, put_iv, breakeven_lower, breakeven_upper}; prices are mids (else last), breakevens strike ∓ straddle price.",
    reference: "formula (docs), checked with pandas on hand-built chains",
    inputs: CHAIN_INPUT,
    params: &[CHAIN_EXPIRATION, CHAIN_AS_OF],
    returns: Returns::Fixed(Kind::Record),
    request: None,
    eval: |c| {
        let s = chain_slice(c)?;
        let k = s.atm_strike()?;
        let call = s.premium(true, k, "strike")?;
        let put = s.premium(false, k, "strike")?;
        let iv = |is_call| s.find(is_call, k).map_or(f64::NAN, |r| r.iv);
        Ok(Value::Record(Record::from_pairs([
            ("strike", k),
            ("call_price", call),
            ("put_price", put),
            ("straddle_price", call + put),
            ("underlying_price", s.underlying),
            ("call_iv", iv(true)),
            ("put_iv", iv(false)),
            ("breakeven_lower", k - (call + put)),
            ("breakeven_upper", k + (call + put)),
        ])))
    },
};

static CALCULATE_EXPECTED_MOVE: Primitive = Primitive {
    name: "calculate_expected_move",
    family: Family::Options,
    summary: "Expected move of the underlying to an expiration, from ATM implied volatility",
    doc: "move = S·σ·√T·z with σ the ATM implied volatility (mean of the call and put IVs at the ATM strike, see `find_atm_straddle`), T = (expiration − as_of)/365 and z = Φ⁻¹((1 + confidence)/2) (z ≈ 0.994 for 0.68). Record {lower, upper, move, pct, iv, z, straddle_price}: lower/upper = S ∓ move, pct = move/S. The straddle price is reported beside it as the market's own (undiscounted) estimate.",
    reference: "formula (docs); scipy.stats.norm.ppf for z",
    inputs: CHAIN_INPUT,
    params: &[
        Param::number("confidence", "probability the move covers, in (0, 1)")
            .default_num(0.68)
            .above(0.0)
            .max(0.999_999),
        CHAIN_EXPIRATION,
        Param::date("as_of", "valuation date (the chain's snapshot date)").required(),
    ],
    returns: Returns::Fixed(Kind::Record),
    request: None,
    eval: |c| {
        let s = chain_slice(c)?;
        let t = years_to(&s, c.params.opt_date("as_of")?.expect("required"))?;
        let k = s.atm_strike()?;
        let iv = atm_iv(&s, k)?;
        let z = bsm::norm_ppf(0.5 * (1.0 + c.params.num("confidence")?));
        let mv = s.underlying * iv * t.sqrt() * z;
        let straddle = s.premium(true, k, "strike")? + s.premium(false, k, "strike")?;
        Ok(Value::Record(Record::from_pairs([
            ("lower", s.underlying - mv),
            ("upper", s.underlying + mv),
            ("move", mv),
            ("pct", mv / s.underlying),
            ("iv", iv),
            ("z", z),
            ("straddle_price", straddle),
        ])))
    },
};

static IV_SMILE: Primitive = Primitive {
    name: "iv_smile",
    family: Family::Options,
    summary: "Implied volatility by strike for one expiration",
    doc: "Table with one row per strike, ascending: `strike`, `moneyness` (strike / underlying), `call_iv`, `put_iv` (NaN where the chain has no such contract or no IV) and `iv`, the out-of-the-money side (put IV below the underlying price, call IV at or above it, falling back to the other side when missing).",
    reference: "formula (docs), checked with pandas on hand-built chains",
    inputs: CHAIN_INPUT,
    params: &[CHAIN_EXPIRATION, CHAIN_AS_OF],
    returns: Returns::Fixed(Kind::Table),
    request: None,
    eval: |c| {
        let s = chain_slice(c)?;
        let ks = s.strikes();
        let side = |is_call: bool, k: f64| {
            s.find(is_call, k)
                .map(|r| r.iv)
                .filter(|x| x.is_finite() && *x > 0.0)
                .unwrap_or(f64::NAN)
        };
        let call: Vec<f64> = ks.iter().map(|&k| side(true, k)).collect();
        let put: Vec<f64> = ks.iter().map(|&k| side(false, k)).collect();
        let otm: Vec<f64> = ks
            .iter()
            .enumerate()
            .map(|(i, &k)| {
                let (a, b) = if k < s.underlying {
                    (put[i], call[i])
                } else {
                    (call[i], put[i])
                };
                if a.is_nan() {
                    b
                } else {
                    a
                }
            })
            .collect();
        let money: Vec<f64> = ks.iter().map(|k| k / s.underlying).collect();
        Ok(Value::Table(num_table(vec![
            ("strike", ks),
            ("moneyness", money),
            ("call_iv", call),
            ("put_iv", put),
            ("iv", otm),
        ])))
    },
};

fn num_table(cols: Vec<(&str, Vec<f64>)>) -> Table {
    Table {
        columns: cols
            .into_iter()
            .map(|(n, v)| (n.to_string(), ColumnData::Num(v)))
            .collect(),
    }
}

static PUT_CALL_RATIO: Primitive = Primitive {
    name: "put_call_ratio",
    family: Family::Options,
    summary: "Put volume (or open interest) over call volume",
    doc: "Σ puts / Σ calls of `volume` or `open_interest` (NaN cells skipped), over one expiration when `expiration` is given, else over the whole chain. Above 1: more put activity (often read as bearish or hedging demand). Refused when the calls sum to zero.",
    reference: "pandas: chain.groupby('contract_type')[by].sum(), put / call",
    inputs: CHAIN_INPUT,
    params: &[
        Param::one_of("by", &["volume", "open_interest"], "what to sum").default_text("volume"),
        Param::date("expiration", "one expiration only; default the whole chain"),
    ],
    returns: Returns::Fixed(Kind::Scalar),
    request: None,
    eval: |c| {
        let Value::Table(t) = c.input(0) else {
            return Err(EvalError::new("input 1 must be an options-chain table."));
        };
        let rows = read_chain(t)?;
        let by = c.params.text("by")?;
        let exp = c.params.opt_date("expiration")?;
        if let Some(e) = exp {
            if !rows.iter().any(|r| r.expiration == e) {
                return Err(EvalError::new(format!(
                    "`expiration` {} is not in the chain.",
                    date::format_iso(e)
                )));
            }
        }
        let (mut puts, mut calls) = (0.0, 0.0);
        for r in rows.iter().filter(|r| exp.is_none_or(|e| r.expiration == e)) {
            let x = if by == "volume" {
                r.volume
            } else {
                r.open_interest
            };
            if x.is_nan() {
                continue;
            }
            if r.is_call {
                calls += x;
            } else {
                puts += x;
            }
        }
        if calls <= 0.0 {
            return Err(EvalError::new(format!(
                "the calls have zero total {by}, so the put/call ratio is undefined; try `by: {}`.",
                if by == "volume" {
                    "open_interest"
                } else {
                    "volume"
                }
            )));
        }
        Ok(Value::Scalar(puts / calls))
    },
};

// ------------------------------------------------------------------ payoffs

/// One position of a strategy: `qty` contracts (negative = short) of a call, a put or
/// the underlying itself (`strike` is then the entry price).
#[derive(Debug, Clone, Copy)]
struct Leg {
    kind: LegKind,
    strike: f64,
    qty: f64,
    premium: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum LegKind {
    Call,
    Put,
    Stock,
}

/// Payoff at expiry per share, net of premiums paid (long) or received (short).
fn payoff(legs: &[Leg], s: f64) -> f64 {
    legs.iter()
        .map(|l| {
            let intrinsic = match l.kind {
                LegKind::Call => (s - l.strike).max(0.0),
                LegKind::Put => (l.strike - s).max(0.0),
                LegKind::Stock => s - l.strike,
            };
            l.qty * (intrinsic - l.premium)
        })
        .sum()
}

/// Slope of the payoff above every strike.
fn upper_slope(legs: &[Leg]) -> f64 {
    legs.iter()
        .map(|l| match l.kind {
            LegKind::Call | LegKind::Stock => l.qty,
            LegKind::Put => 0.0,
        })
        .sum()
}

/// Max profit, max loss (as a negative number or −inf), breakevens, from the kinks.
struct Profile {
    max_profit: f64,
    max_loss: f64,
    breakevens: Vec<f64>,
}

fn profile(legs: &[Leg]) -> Profile {
    let mut knots: Vec<f64> = legs.iter().map(|l| l.strike).collect();
    knots.push(0.0);
    knots.sort_by(f64::total_cmp);
    knots.dedup();
    let vals: Vec<f64> = knots.iter().map(|&k| payoff(legs, k)).collect();
    let slope = upper_slope(legs);
    let top = |v: f64| {
        if slope > 0.0 {
            f64::INFINITY
        } else {
            v
        }
    };
    let bottom = |v: f64| {
        if slope < 0.0 {
            f64::NEG_INFINITY
        } else {
            v
        }
    };
    let max_profit = top(vals.iter().copied().fold(f64::NEG_INFINITY, f64::max));
    let max_loss = bottom(vals.iter().copied().fold(f64::INFINITY, f64::min));
    let mut breakevens = Vec::new();
    for i in 0..knots.len() {
        let (x0, y0) = (knots[i], vals[i]);
        if y0 == 0.0 && (i == 0 || vals[i - 1] != 0.0) {
            breakevens.push(x0);
            continue;
        }
        let (x1, y1) = if i + 1 < knots.len() {
            (knots[i + 1], vals[i + 1])
        } else if slope != 0.0 {
            // Beyond the last strike the payoff is linear with `slope`.
            (x0 - y0 / slope, 0.0)
        } else {
            continue;
        };
        if (y0 < 0.0 && y1 > 0.0) || (y0 > 0.0 && y1 < 0.0) {
            breakevens.push(x0 + (x1 - x0) * (-y0) / (y1 - y0));
        } else if i + 1 == knots.len() && slope != 0.0 && y0 * slope < 0.0 {
            breakevens.push(x1);
        }
    }
    Profile {
        max_profit,
        max_loss,
        breakevens,
    }
}

const GRID_PARAMS: [Param; 3] = [
    Param::number(
        "price_min",
        "lowest underlying price of the payoff table (default 0.8 × the lowest strike)",
    )
    .min(0.0),
    Param::number(
        "price_max",
        "highest underlying price of the payoff table (default 1.2 × the highest strike)",
    )
    .above(0.0),
    Param::int("points", "number of underlying prices in the payoff table")
        .default_int(101)
        .min(2.0)
        .max(10_000.0),
];

/// `points` prices from min to max, spaced like numpy's linspace (last point exact).
fn grid(c: &Call<'_>, legs: &[Leg]) -> Result<Vec<f64>, EvalError> {
    let lo_k = legs.iter().map(|l| l.strike).fold(f64::INFINITY, f64::min);
    let hi_k = legs.iter().map(|l| l.strike).fold(0.0, f64::max);
    let lo = c.params.opt_num("price_min")?.unwrap_or(0.8 * lo_k);
    let hi = c.params.opt_num("price_max")?.unwrap_or(1.2 * hi_k);
    if lo >= hi {
        return Err(EvalError::new(format!(
            "`price_min` ({lo}) must be below `price_max` ({hi})."
        )));
    }
    let n = c.params.usize("points")?;
    let step = (hi - lo) / (n - 1) as f64;
    let mut g: Vec<f64> = (0..n).map(|i| i as f64 * step + lo).collect();
    g[n - 1] = hi;
    Ok(g)
}

fn payoff_table(c: &Call<'_>, legs: &[Leg]) -> Result<Value, EvalError> {
    let g = grid(c, legs)?;
    let p: Vec<f64> = g.iter().map(|&s| payoff(legs, s)).collect();
    Ok(Value::Table(num_table(vec![
        ("underlying_price", g),
        ("payoff", p),
    ])))
}

/// `summary` → record, `payoff` → table (decided from the literal param at validation).
fn summary_or_table(_: &[Option<Kind>], params: &Map<String, Json>) -> Option<Kind> {
    match params.get("output").and_then(Json::as_str) {
        None | Some("summary") => Some(Kind::Record),
        Some("payoff") => Some(Kind::Table),
        Some(_) => None,
    }
}

const OUTPUT_PARAM: Param = Param::one_of(
    "output",
    &["summary", "payoff"],
    "`summary`: record of figures; `payoff`: table of payoff over underlying prices",
)
.default_text("summary");

static VERTICAL_SPREAD: Primitive = Primitive {
    name: "vertical_spread",
    family: Family::Options,
    summary: "A vertical spread: long one strike, short another, same type and expiry",
    doc: "Buys the `long_strike` and sells the `short_strike` option of `option_type` at their chain premiums (mid, else last). Record {net_premium (paid; negative = credit), max_profit, max_loss (negative), breakeven, underlying_price, long_price, short_price}; or with `output: payoff` a table `underlying_price payoff` of the expiry payoff per share. A bull call spread is long the lower strike; a bear put spread long the higher one.",
    reference: "payoff formula (docs), checked with numpy on hand-built chains",
    inputs: CHAIN_INPUT,
    params: &[
        Param::one_of("option_type", &["call", "put"], "call or put").default_text("call"),
        Param::number("long_strike", "strike bought").required().above(0.0),
        Param::number("short_strike", "strike sold").required().above(0.0),
        CHAIN_EXPIRATION,
        CHAIN_AS_OF,
        OUTPUT_PARAM,
        GRID_PARAMS[0],
        GRID_PARAMS[1],
        GRID_PARAMS[2],
    ],
    returns: Returns::Custom(summary_or_table),
    request: None,
    eval: |c| {
        let s = chain_slice(c)?;
        let is_call = c.params.text("option_type")? == "call";
        let (kl, ks) = (c.params.num("long_strike")?, c.params.num("short_strike")?);
        if kl == ks {
            return Err(EvalError::new(
                "`long_strike` and `short_strike` must differ.",
            ));
        }
        let pl = s.premium(is_call, kl, "long_strike")?;
        let ps = s.premium(is_call, ks, "short_strike")?;
        let kind = if is_call { LegKind::Call } else { LegKind::Put };
        let legs = [
            Leg {
                kind,
                strike: kl,
                qty: 1.0,
                premium: pl,
            },
            Leg {
                kind,
                strike: ks,
                qty: -1.0,
                premium: ps,
            },
        ];
        if c.params.text("output")? == "payoff" {
            return payoff_table(c, &legs);
        }
        let p = profile(&legs);
        Ok(Value::Record(Record::from_pairs([
            ("net_premium", pl - ps),
            ("max_profit", p.max_profit),
            ("max_loss", p.max_loss),
            ("breakeven", p.breakevens.first().copied().unwrap_or(f64::NAN)),
            ("underlying_price", s.underlying),
            ("long_price", pl),
            ("short_price", ps),
        ])))
    },
};

static IRON_CONDOR: Primitive = Primitive {
    name: "iron_condor",
    family: Family::Options,
    summary: "An iron condor: short strangle inside a long strangle, with probability of profit",
    doc: "Sells the `put_short` put and `call_short` call, buys the `put_long` put and `call_long` call (put_long < put_short ≤ call_short < call_long) at chain premiums. Record {net_credit, max_profit, max_loss (negative), breakeven_lower, breakeven_upper, probability_of_profit, iv, underlying_price}. Probability of profit = P(breakeven_lower < S_T < breakeven_upper) with ln S_T ~ N(ln S + (r − σ²/2)T, σ²T), σ the ATM implied volatility, T = (expiration − as_of)/365. With `output: payoff`, the payoff table instead.",
    reference: "payoff formula (docs); scipy.stats.norm.cdf for the probability",
    inputs: CHAIN_INPUT,
    params: &[
        Param::number("put_long", "lowest strike: put bought").required().above(0.0),
        Param::number("put_short", "put sold").required().above(0.0),
        Param::number("call_short", "call sold").required().above(0.0),
        Param::number("call_long", "highest strike: call bought").required().above(0.0),
        Param::number("rate", "risk-free rate for the probability, continuously compounded")
            .default_num(0.0)
            .min(-1.0)
            .max(1.0),
        CHAIN_EXPIRATION,
        Param::date("as_of", "valuation date (the chain's snapshot date)").required(),
        OUTPUT_PARAM,
        GRID_PARAMS[0],
        GRID_PARAMS[1],
        GRID_PARAMS[2],
    ],
    returns: Returns::Custom(summary_or_table),
    request: None,
    eval: |c| {
        let p = c.params;
        let k = [
            p.num("put_long")?,
            p.num("put_short")?,
            p.num("call_short")?,
            p.num("call_long")?,
        ];
        if !(k[0] < k[1] && k[1] <= k[2] && k[2] < k[3]) {
            return Err(EvalError::new(format!(
                "strikes must satisfy put_long < put_short ≤ call_short < call_long, got {}, {}, {}, {}.",
                fmt(k[0]), fmt(k[1]), fmt(k[2]), fmt(k[3])
            )));
        }
        let s = chain_slice(c)?;
        let t = years_to(&s, p.opt_date("as_of")?.expect("required"))?;
        let prem = [
            s.premium(false, k[0], "put_long")?,
            s.premium(false, k[1], "put_short")?,
            s.premium(true, k[2], "call_short")?,
            s.premium(true, k[3], "call_long")?,
        ];
        let legs = [
            (LegKind::Put, 1.0),
            (LegKind::Put, -1.0),
            (LegKind::Call, -1.0),
            (LegKind::Call, 1.0),
        ]
        .iter()
        .zip(k.iter().zip(prem))
        .map(|(&(kind, qty), (&strike, premium))| Leg {
            kind,
            strike,
            qty,
            premium,
        })
        .collect::<Vec<_>>();
        if p.text("output")? == "payoff" {
            return payoff_table(c, &legs);
        }
        let prof = profile(&legs);
        let (lo, hi) = match prof.breakevens.as_slice() {
            [a, b] => (*a, *b),
            _ => (f64::NAN, f64::NAN),
        };
        let iv = atm_iv(&s, s.atm_strike()?)?;
        let r = p.num("rate")?;
        let sd = iv * t.sqrt();
        let mu = s.underlying.ln() + (r - 0.5 * iv * iv) * t;
        let pop = if lo.is_nan() {
            0.0
        } else {
            bsm::norm_cdf((hi.ln() - mu) / sd) - bsm::norm_cdf((lo.ln() - mu) / sd)
        };
        Ok(Value::Record(Record::from_pairs([
            ("net_credit", prem[1] + prem[2] - prem[0] - prem[3]),
            ("max_profit", prof.max_profit),
            ("max_loss", prof.max_loss),
            ("breakeven_lower", lo),
            ("breakeven_upper", hi),
            ("probability_of_profit", pop),
            ("iv", iv),
            ("underlying_price", s.underlying),
        ])))
    },
};

static MAX_PAIN: Primitive = Primitive {
    name: "max_pain",
    family: Family::Options,
    summary: "The strike at which option holders' total payout at expiry is smallest",
    doc: "For each listed strike K, pain(K) = Σ_calls OI·max(K − k, 0) + Σ_puts OI·max(k − K, 0) (open interest, NaN as 0). Returns the K with the least pain (ties: the lower strike); with `output: curve`, a table `strike pain` over every strike.",
    reference: "formula (docs), checked with numpy on hand-built chains",
    inputs: CHAIN_INPUT,
    params: &[
        CHAIN_EXPIRATION,
        CHAIN_AS_OF,
        Param::one_of(
            "output",
            &["strike", "curve"],
            "`strike`: the max-pain strike; `curve`: table of pain by strike",
        )
        .default_text("strike"),
    ],
    returns: Returns::Custom(|_, p| match p.get("output").and_then(Json::as_str) {
        None | Some("strike") => Some(Kind::Scalar),
        Some("curve") => Some(Kind::Table),
        Some(_) => None,
    }),
    request: None,
    eval: |c| {
        let s = chain_slice(c)?;
        let ks = s.strikes();
        let oi = |r: &Contract0| {
            if r.open_interest.is_nan() {
                0.0
            } else {
                r.open_interest
            }
        };
        let pain: Vec<f64> = ks
            .iter()
            .map(|&k| {
                s.rows
                    .iter()
                    .map(|r| {
                        let intrinsic = if r.is_call {
                            (k - r.strike).max(0.0)
                        } else {
                            (r.strike - k).max(0.0)
                        };
                        oi(r) * intrinsic
                    })
                    .sum()
            })
            .collect();
        if c.params.text("output")? == "curve" {
            return Ok(Value::Table(num_table(vec![("strike", ks), ("pain", pain)])));
        }
        let best = (0..ks.len())
            .min_by(|&a, &b| pain[a].total_cmp(&pain[b]).then(a.cmp(&b)))
            .expect("a chain slice has rows");
        Ok(Value::Scalar(ks[best]))
    },
};

static PAYOFF_DIAGRAM: Primitive = Primitive {
    name: "payoff_diagram",
    family: Family::Options,
    summary: "Payoff at expiry of any combination of calls, puts and stock",
    doc: "Legs are parallel lists: `leg_types` (call, put or stock), `strikes` (entry price for stock), `quantities` (+ long, − short) and `premiums` (per share; for stock ignored). Without `premiums`, a chain input supplies each option's premium (mid, else last) for `expiration`. Returns a table `underlying_price payoff` (a table, not a series: a series is indexed by dates, this by price) over `points` prices from `price_min` to `price_max` (numpy linspace spacing).",
    reference: "payoff formula (docs), checked with numpy",
    inputs: &[Operand::new(
        "chain",
        KindSet::TABLE,
        "options chain supplying premiums when `premiums` is not given",
    )
    .optional()],
    params: &[
        Param::columns("leg_types", "call, put or stock for each leg").required(),
        Param::numbers("strikes", "strike of each leg (entry price for stock)").required(),
        Param::numbers("quantities", "contracts per leg: positive long, negative short")
            .required(),
        Param::numbers("premiums", "premium per share of each leg (stock: ignored)"),
        CHAIN_EXPIRATION,
        CHAIN_AS_OF,
        GRID_PARAMS[0],
        GRID_PARAMS[1],
        GRID_PARAMS[2],
    ],
    returns: Returns::Fixed(Kind::Table),
    request: None,
    eval: |c| {
        let p = c.params;
        let types = p.columns("leg_types")?.0;
        let strikes = p.numbers("strikes")?;
        let qty = p.numbers("quantities")?;
        let prem = p.numbers("premiums")?;
        let n = types.len();
        if strikes.len() != n || qty.len() != n || (p.has("premiums") && prem.len() != n) {
            return Err(EvalError::new(format!(
                "`leg_types`, `strikes`, `quantities` (and `premiums` when given) must have one entry per leg; got {}, {}, {}{}.",
                n,
                strikes.len(),
                qty.len(),
                if p.has("premiums") { format!(", {}", prem.len()) } else { String::new() }
            )));
        }
        let slice = if p.has("premiums") {
            None
        } else if c.inputs.is_empty() {
            return Err(EvalError::new(
                "give `premiums`, or an options chain input to take them from.",
            ));
        } else {
            Some(chain_slice(c)?)
        };
        let mut legs = Vec::with_capacity(n);
        for i in 0..n {
            let kind = match types[i].to_ascii_lowercase().as_str() {
                "call" => LegKind::Call,
                "put" => LegKind::Put,
                "stock" => LegKind::Stock,
                other => {
                    return Err(EvalError::new(format!(
                        "`leg_types`[{i}] is {other:?}; it must be call, put or stock."
                    )))
                }
            };
            if strikes[i].is_nan() || strikes[i] <= 0.0 {
                return Err(EvalError::new(format!(
                    "`strikes`[{i}] must be greater than 0, got {}.",
                    strikes[i]
                )));
            }
            let premium = match (kind, &slice) {
                (LegKind::Stock, _) => 0.0,
                (_, None) => prem[i],
                (k, Some(s)) => s.premium(k == LegKind::Call, strikes[i], "strikes")?,
            };
            legs.push(Leg {
                kind,
                strike: strikes[i],
                qty: qty[i],
                premium,
            });
        }
        if legs.is_empty() {
            return Err(EvalError::new("`leg_types` must name at least one leg."));
        }
        payoff_table(c, &legs)
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    fn leg(kind: LegKind, strike: f64, qty: f64, premium: f64) -> Leg {
        Leg {
            kind,
            strike,
            qty,
            premium,
        }
    }

    #[test]
    fn bull_call_spread_profile() {
        let legs = [
            leg(LegKind::Call, 100.0, 1.0, 5.0),
            leg(LegKind::Call, 110.0, -1.0, 2.0),
        ];
        let p = profile(&legs);
        assert_eq!(p.max_profit, 7.0);
        assert_eq!(p.max_loss, -3.0);
        assert_eq!(p.breakevens, vec![103.0]);
    }

    #[test]
    fn naked_call_loss_is_unbounded() {
        let p = profile(&[leg(LegKind::Call, 100.0, -1.0, 4.0)]);
        assert_eq!(p.max_profit, 4.0);
        assert_eq!(p.max_loss, f64::NEG_INFINITY);
        assert_eq!(p.breakevens, vec![104.0]);
    }

    #[test]
    fn condor_has_two_breakevens() {
        let legs = [
            leg(LegKind::Put, 90.0, 1.0, 1.0),
            leg(LegKind::Put, 95.0, -1.0, 2.5),
            leg(LegKind::Call, 105.0, -1.0, 2.5),
            leg(LegKind::Call, 110.0, 1.0, 1.0),
        ];
        let p = profile(&legs);
        assert_eq!(p.max_profit, 3.0);
        assert_eq!(p.max_loss, -2.0);
        assert_eq!(p.breakevens, vec![92.0, 108.0]);
    }
}

#[cfg(test)]
mod model_tests {
    use serde_json::json;

    use crate::Limits;

    /// Result kinds are inferred from operands and `output` params, so a model mixing
    /// every options primitive validates, and a wrong output kind is caught before running.
    #[test]
    fn a_model_using_the_family_validates() {
        let steps = json!([
            {"id": "chain", "operation": "fetch_options_chain", "params": {"symbol": "SPY", "as_of": "2024-03-01"}},
            {"id": "bs", "operation": "black_scholes", "params": {"spot": 100, "strike": 95, "time_to_expiry": 0.5, "volatility": 0.2}},
            {"id": "g", "operation": "greeks", "params": {"spot": 100, "strike": 95, "time_to_expiry": 0.5, "volatility": 0.2}},
            {"id": "smile", "operation": "iv_smile", "inputs": ["chain"]},
            {"id": "mp", "operation": "max_pain", "inputs": ["chain"]},
            {"id": "vs", "operation": "vertical_spread", "inputs": ["chain"], "params": {"long_strike": 100, "short_strike": 110, "output": "payoff"}},
            {"id": "ic", "operation": "iron_condor", "inputs": ["chain"], "params": {"put_long": 90, "put_short": 95, "call_short": 105, "call_long": 110, "as_of": "2024-03-01"}},
            {"id": "em", "operation": "calculate_expected_move", "inputs": ["chain"], "params": {"as_of": "2024-03-01"}}
        ]);
        let model = |outputs: serde_json::Value| {
            json!({"slug": "opt-test", "name": "Options test",
                   "dsl": {"version": "1.0", "steps": steps.clone(), "outputs": outputs}})
        };
        let good = model(json!({
            "tables": [{"id": "smile", "source": "smile"}, {"id": "vs", "source": "vs"}, {"id": "ic", "source": "ic"}],
            "scalars": [{"id": "bs", "source": "bs"}, {"id": "delta", "source": "g.delta"},
                        {"id": "mp", "source": "mp"}, {"id": "pop", "source": "ic.probability_of_profit"},
                        {"id": "move", "source": "em.move"}]
        }));
        crate::check_model(&good, &Limits::default()).expect("valid");
        // A payoff table is not a scalar.
        let bad = model(json!({"scalars": [{"id": "vs", "source": "vs"}]}));
        assert!(crate::check_model(&bad, &Limits::default()).is_err());
    }
}
