"""Reference outputs of the 14 seed models, computed independently of the engine.

Every seed in `seeds/models/` is recomputed here with pandas/numpy (scipy's normal
distribution for the options probabilities) straight from the bundled CSVs under
`seeds/data`, following each primitive's documented definition — never from the engine's
output. The result, one file per seed under `tests/reference/golden/seeds/<slug>.json`,
holds every scalar output, every table output and spot values of every series output
(length, first and last date, and a handful of points); `cli/tests/seeds.rs` runs each seed
with its defaults and compares at relative tolerance 1e-9.

Option chains. Offline chains come from the `synthetic` provider (a deterministic
Black–Scholes generator in `shared/data/src/synthetic.rs`). Rather than re-implementing the
generator here (which would only test the generator against itself), the Rust test dumps the
chain exactly as the engine receives it to `tests/reference/golden/seeds/chains/*.csv`
(`AUSTER_DUMP_CHAINS=1 cargo test -p auster-cli --test seeds`), and this script computes
the derivatives seeds from that dump. On normal runs the test checks that the gateway still
serves a chain identical to the dump, so a changed generator is caught and the goldens must
be regenerated (dump, then run this script).

Run: ~/.cache/auster/venv/bin/python tests/reference/seeds.py [--only slug,slug]
"""

import argparse
import json
import math
import pathlib
import sys

import numpy as np
import pandas as pd
from scipy.stats import norm

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import cases_price_models as pm  # noqa: E402  (numpy price-model reference, same config file)

DATA = ROOT / "seeds" / "data"
MODELS = ROOT / "seeds" / "models"
GOLDEN = HERE / "golden" / "seeds"
CHAINS = GOLDEN / "chains"
RTOL = 1e-9


# ---------------------------------------------------------------- data and encoding


def load_model(slug):
    return json.loads((MODELS / f"{slug}.json").read_text())


def defaults(model):
    return {f["name"]: f.get("default") for f in model["input_schema"]["fields"]}


def market(symbol, start, end):
    df = pd.read_csv(DATA / "market" / f"{symbol}.csv", parse_dates=["date"]).set_index("date")
    return df.loc[start:end]


def macro(series_id, start, end):
    df = pd.read_csv(DATA / "macro" / f"{series_id}.csv", parse_dates=["date"]).set_index("date")
    return df["value"].astype(float).loc[start:end]


def crypto(asset, start, end):
    df = pd.read_csv(DATA / "crypto" / f"{asset}.csv", parse_dates=["date"]).set_index("date")
    return df["close"].astype(float).loc[start:end]


def num(x):
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def iso(d):
    return pd.Timestamp(d).strftime("%Y-%m-%d")


def series_spots(s, k=6):
    """Length, first/last date and k+2 evenly spread points (first and last included)."""
    n = len(s)
    idx = sorted({0, n - 1, *[int(round(i * (n - 1) / (k + 1))) for i in range(1, k + 1)]}) if n else []
    return {
        "len": n,
        "first_date": iso(s.index[0]) if n else None,
        "last_date": iso(s.index[-1]) if n else None,
        "points": [[iso(s.index[i]), num(s.iloc[i])] for i in idx],
    }


def record_rows(d):
    return {"columns": ["metric", "value"], "rows": [[k, num(v)] for k, v in d.items()]}


def frame_rows(df, date_col=True):
    cols = (["date"] if date_col else []) + [str(c) for c in df.columns]
    rows = []
    for i in range(len(df)):
        row = [iso(df.index[i])] if date_col else []
        for c in df.columns:
            v = df[c].iloc[i]
            row.append(v if isinstance(v, str) else num(v))
        rows.append(row)
    return {"columns": cols, "rows": rows}


def describe_rows(s):
    s = s.dropna()
    d = s.describe()
    return {"columns": ["statistic", "value"], "rows": [[k, num(d[k])] for k in ["count", "mean", "std", "min", "25%", "50%", "75%", "max"]]}


def last_valid(s):
    return s.dropna().iloc[-1]


# ---------------------------------------------------------------- shared pieces


def backtest_signal(prices, pos, cost, ppy):
    """The documented signal backtest (= pm.signal_cases): positions carried forward."""
    prices = pm.valid(prices)
    aligned = pos.reindex(prices.index, method="ffill").fillna(0.0)
    market_ret = prices.pct_change().fillna(0.0)
    prev = aligned.shift(1).fillna(0.0)
    change = (aligned - prev).abs()
    ret = prev * market_ret - cost / 10_000.0 * change
    eq = (1 + ret).cumprod()
    days = (prices.index[-1] - prices.index[0]).days
    rec = {
        "total_return": eq.iloc[-1] - 1,
        "cagr": eq.iloc[-1] ** (365.25 / days) - 1,
        "sharpe": ret.mean() / ret.std(ddof=1) * math.sqrt(ppy),
        "max_drawdown": (eq / eq.cummax() - 1).min(),
        "trades": int((change > 0).sum()),
        "turnover": change.sum(),
    }
    return rec, pd.DataFrame({"equity": eq, "returns": ret, "position": aligned})


def sharpe(r, ppy=252):
    r = r.dropna()
    return r.mean() / r.std(ddof=1) * math.sqrt(ppy)


def cagr(x):
    x = x.dropna()
    days = (x.index[-1] - x.index[0]).days
    return (x.iloc[-1] / x.iloc[0]) ** (365.25 / days) - 1


def max_drawdown(x):
    return (x / x.cummax() - 1).min()


def buy_and_hold(close):
    ret = close.pct_change(fill_method=None)
    return ret, close / close.iloc[0], sharpe(ret), max_drawdown(close), cagr(close)


# ---------------------------------------------------------------- econ seeds


def momentum_strategy(inp):
    close = market(inp["symbol"], inp["start_date"], inp["end_date"])["close"].astype(float)
    mom = close.pct_change(inp["lookback"], fill_method=None)
    signal = (mom > 0).astype(float)
    rec, eq = backtest_signal(close, signal, inp["cost_bps"], 252)
    _, bh_eq, bh_sharpe, bh_mdd, bh_cagr = buy_and_hold(close)
    return {
        "scalars": {
            "sharpe": rec["sharpe"], "bh_sharpe": bh_sharpe, "cagr": rec["cagr"], "bh_cagr": bh_cagr,
            "max_drawdown": rec["max_drawdown"], "bh_max_drawdown": bh_mdd, "total_return": rec["total_return"],
            "trades": rec["trades"], "exposure": signal.mean(),
        },
        "series": {"strategy_equity": series_spots(eq.equity), "buy_hold_equity": series_spots(bh_eq),
                   "momentum": series_spots(mom), "position": series_spots(eq.position)},
        "tables": {"strategy_stats": record_rows(rec)},
    }


def mean_reversion(inp):
    close = market(inp["symbol"], inp["start_date"], inp["end_date"])["close"].astype(float)
    w, k = inp["window"], inp["threshold"]
    mid = close.rolling(w).mean()
    sd = close.rolling(w).std()
    z = (close - mid) / sd
    signal = (-z > k).astype(float) - (z > k).astype(float)
    rec, eq = backtest_signal(close, signal, inp["cost_bps"], 252)
    ret, bh_eq, bh_sharpe, _, _ = buy_and_hold(close)
    return {
        "scalars": {
            "sharpe": rec["sharpe"], "bh_sharpe": bh_sharpe, "total_return": rec["total_return"],
            "max_drawdown": rec["max_drawdown"], "trades": rec["trades"], "exposure": signal.abs().mean(),
            "autocorr": ret.autocorr(1),
        },
        "series": {"close": series_spots(close), "mean": series_spots(mid), "upper": series_spots(mid + sd * k),
                   "lower": series_spots(mid - sd * k), "zscore": series_spots(z),
                   "strategy_equity": series_spots(eq.equity), "buy_hold_equity": series_spots(bh_eq)},
        "tables": {"strategy_stats": record_rows(rec)},
    }


def rolling_correlation(inp):
    s, e, w = inp["start_date"], inp["end_date"], inp["window"]
    ra = market(inp["symbol"], s, e)["close"].astype(float).pct_change(fill_method=None)
    rb = market(inp["other_symbol"], s, e)["close"].astype(float).pct_change(fill_method=None)
    rm = macro(inp["macro_series"], s, e).pct_change(fill_method=None)
    roll_ab = ra.rolling(w).corr(rb)
    roll_am = ra.rolling(w).corr(rm)
    pairs = pd.concat([ra, rb], axis=1).dropna()
    beta = pairs.iloc[:, 0].cov(pairs.iloc[:, 1]) / pairs.iloc[:, 1].var()
    return {
        "scalars": {
            "corr_symbol_other": ra.corr(rb), "corr_symbol_macro": ra.corr(rm), "beta": beta,
            "min_corr_symbol_other": roll_ab.min(), "min_corr_symbol_macro": roll_am.min(),
            "max_corr_symbol_macro": roll_am.max(),
        },
        "series": {"corr_symbol_other": series_spots(roll_ab), "corr_symbol_macro": series_spots(roll_am)},
        "tables": {"rolling_stats": describe_rows(roll_ab)},
    }


VOL_FACTOR = 1587.4507866387544  # the literal in the seed: sqrt(252) * 100


def volatility_analysis(inp):
    close = market(inp["symbol"], inp["start_date"], inp["end_date"])["close"].astype(float)
    vix = macro(inp["implied_series"], inp["start_date"], inp["end_date"])
    lr = np.log(close / close.shift(1))
    rv_s = lr.rolling(inp["short_window"]).std() * VOL_FACTOR
    rv_l = lr.rolling(inp["long_window"]).std() * VOL_FACTOR
    rv_e = np.sqrt((lr**2).ewm(alpha=0.06, adjust=False).mean()) * VOL_FACTOR
    premium = vix.sub(rv_s)
    pv = premium.dropna()
    ret = close.pct_change(fill_method=None)
    return {
        "scalars": {
            "annual_vol": ret.std(ddof=1) * math.sqrt(252), "realized_now": last_valid(rv_s),
            "realized_max": rv_s.max(), "premium_mean": pv.mean(), "premium_share": (pv > 0).mean(),
            "corr_vix_realized": vix.corr(rv_s),
        },
        "series": {"realized_short": series_spots(rv_s), "realized_long": series_spots(rv_l),
                   "realized_ewma": series_spots(rv_e), "implied": series_spots(vix), "premium": series_spots(premium)},
        "tables": {"daily_log_returns": describe_rows(lr)},
    }


def drawdown_analysis(inp):
    close = market(inp["symbol"], inp["start_date"], inp["end_date"])["close"].astype(float)
    peak = close.cummax()
    dd = close / peak - 1
    mdd = dd.min()
    g = cagr(close)
    ret = close.pct_change(fill_method=None)
    worst = ret.nsmallest(10, keep="first")
    yearly = pd.DataFrame({
        "return": close.resample("YE").last().pct_change(fill_method=None),
        "worst_drawdown": dd.resample("YE").min(),
    })
    return {
        "scalars": {
            "max_drawdown": mdd, "current_drawdown": last_valid(dd), "ulcer_index": math.sqrt((dd**2).mean()) * 100,
            "cagr": g, "calmar": g / abs(mdd), "share_below_peak": (dd < 0).mean(),
            "share_below_10pct": (dd < -0.1).mean(),
        },
        "series": {"close": series_spots(close), "peak": series_spots(peak), "drawdown": series_spots(dd)},
        "tables": {"yearly": frame_rows(yearly), "worst_days": frame_rows(worst.to_frame("value"))},
    }


# ---------------------------------------------------------------- derivatives (from the chain dump)


def load_chain(inp):
    path = CHAINS / f"{inp['symbol']}_{inp['as_of']}_{inp['expiration']}.csv"
    if not path.exists():
        sys.exit(f"{path} is missing: run AUSTER_DUMP_CHAINS=1 cargo test -p auster-cli --test seeds first")
    return pd.read_csv(path, dtype={"contract_type": str, "expiration": str}, keep_default_na=False, na_values=[""])


def premium(row):
    if row.bid > 0 and row.ask > 0 and row.ask >= row.bid:
        return 0.5 * (row.bid + row.ask)
    return row["last"]


def one_expiry(df, exp):
    s = df[df.expiration == exp].copy()
    s["premium"] = s.apply(premium, axis=1)
    return s


def contract(s, kind, k):
    return s[(s.contract_type == kind) & (s.strike == k)].iloc[0]


def atm(s):
    both = sorted(set(s[s.contract_type == "call"].strike) & set(s[s.contract_type == "put"].strike))
    u = s.underlying_price.dropna().iloc[0]
    k = min(both, key=lambda x: (abs(x - u), x))
    c, p = contract(s, "call", k), contract(s, "put", k)
    st = c.premium + p.premium
    return {"strike": k, "call_price": c.premium, "put_price": p.premium, "straddle_price": st,
            "underlying_price": u, "call_iv": c.iv, "put_iv": p.iv, "breakeven_lower": k - st, "breakeven_upper": k + st}


def expected_move(s, inp, conf):
    a = atm(s)
    u = a["underlying_price"]
    t = (pd.Timestamp(inp["expiration"]) - pd.Timestamp(inp["as_of"])).days / 365.0
    iv = np.mean([a["call_iv"], a["put_iv"]])
    z = norm.ppf((1 + conf) / 2)
    mv = u * iv * np.sqrt(t) * z
    return {"lower": u - mv, "upper": u + mv, "move": mv, "pct": mv / u, "iv": iv, "z": z, "straddle_price": a["straddle_price"]}


def payoff(legs, grid):
    out = np.zeros_like(grid)
    for kind, k, qty, prem in legs:
        intr = np.maximum(grid - k, 0.0) if kind == "call" else np.maximum(k - grid, 0.0)
        out += qty * (intr - prem)
    return out


def iv_smile(inp):
    s = one_expiry(load_chain(inp), inp["expiration"])
    a = atm(s)
    u = a["underlying_price"]
    ks = sorted(s.strike.unique())

    def iv_of(kind, x):
        m = s[(s.contract_type == kind) & (s.strike == x)]
        return m.iv.iloc[0] if len(m) else np.nan

    civ = [iv_of("call", x) for x in ks]
    piv = [iv_of("put", x) for x in ks]
    otm = []
    for x, c, p in zip(ks, civ, piv):
        first, second = (p, c) if x < u else (c, p)
        otm.append(second if np.isnan(first) else first)
    smile = pd.DataFrame({"strike": ks, "moneyness": np.array(ks) / u, "call_iv": civ, "put_iv": piv, "iv": otm})
    return {
        "scalars": {"underlying": u, "atm_strike": a["strike"], "atm_call_iv": a["call_iv"], "atm_put_iv": a["put_iv"],
                    "straddle_price": a["straddle_price"]},
        "series": {},
        "tables": {"smile": frame_rows(smile, date_col=False), "atm_straddle": record_rows(a)},
    }


def expected_move_seed(inp):
    s = one_expiry(load_chain(inp), inp["expiration"])
    m = expected_move(s, inp, inp["confidence"])
    m95 = expected_move(s, inp, 0.95)
    return {
        "scalars": {"move": m["move"], "move_pct": m["pct"], "lower": m["lower"], "upper": m["upper"],
                    "lower_95": m95["lower"], "upper_95": m95["upper"], "atm_iv": m["iv"], "straddle_price": m["straddle_price"]},
        "series": {},
        "tables": {"expected_move": record_rows(m), "expected_move_95": record_rows(m95), "atm_straddle": record_rows(atm(s))},
    }


def put_call_ratio(inp):
    df = load_chain(inp)

    def pcr(d, by):
        g = d.groupby("contract_type")[by].sum()
        return g["put"] / g["call"]

    s = one_expiry(df, inp["expiration"])
    ks = sorted(s.strike.unique())
    oi = s.open_interest.fillna(0.0).to_numpy()
    calls = (s.contract_type == "call").to_numpy()
    pain = [float((oi * np.where(calls, np.maximum(x - s.strike, 0.0), np.maximum(s.strike - x, 0.0))).sum()) for x in ks]
    return {
        "scalars": {"pcr_volume": pcr(df, "volume"), "pcr_open_interest": pcr(df, "open_interest"),
                    "max_pain": ks[int(np.argmin(pain))], "underlying": atm(s)["underlying_price"]},
        "series": {},
        "tables": {"pain_curve": frame_rows(pd.DataFrame({"strike": ks, "pain": pain}), date_col=False)},
    }


def vertical_spread(inp):
    s = one_expiry(load_chain(inp), inp["expiration"])
    kind, kl, ks_ = inp["option_type"], inp["long_strike"], inp["short_strike"]
    pl, ps = contract(s, kind, kl).premium, contract(s, kind, ks_).premium
    legs = [(kind, kl, 1.0, pl), (kind, ks_, -1.0, ps)]
    vals = payoff(legs, np.array(sorted({0.0, kl, ks_})))
    net = pl - ps
    if kind == "call":
        be = (min(kl, ks_) + net) if kl < ks_ else (min(kl, ks_) - net)
    else:
        be = (max(kl, ks_) - net) if kl > ks_ else (max(kl, ks_) + net)
    u = s.underlying_price.dropna().iloc[0]
    rec = {"net_premium": net, "max_profit": vals.max(), "max_loss": vals.min(), "breakeven": be,
           "underlying_price": u, "long_price": pl, "short_price": ps}
    grid = np.linspace(0.8 * min(kl, ks_), 1.2 * max(kl, ks_), 101)
    return {
        "scalars": {"net_premium": net, "max_profit": rec["max_profit"], "max_loss": rec["max_loss"], "breakeven": be, "underlying": u},
        "series": {},
        "tables": {"spread": record_rows(rec),
                   "payoff": frame_rows(pd.DataFrame({"underlying_price": grid, "payoff": payoff(legs, grid)}), date_col=False)},
    }


def iron_condor(inp):
    s = one_expiry(load_chain(inp), inp["expiration"])
    pl, psh, csh, cl = inp["put_long"], inp["put_short"], inp["call_short"], inp["call_long"]
    prem = [contract(s, "put", pl).premium, contract(s, "put", psh).premium,
            contract(s, "call", csh).premium, contract(s, "call", cl).premium]
    legs = [("put", pl, 1.0, prem[0]), ("put", psh, -1.0, prem[1]), ("call", csh, -1.0, prem[2]), ("call", cl, 1.0, prem[3])]
    credit = prem[1] + prem[2] - prem[0] - prem[3]
    vals = payoff(legs, np.array([0.0, pl, psh, csh, cl]))
    lo, hi = psh - credit, csh + credit
    a = atm(s)
    u = a["underlying_price"]
    iv = np.mean([a["call_iv"], a["put_iv"]])
    t = (pd.Timestamp(inp["expiration"]) - pd.Timestamp(inp["as_of"])).days / 365.0
    mu = np.log(u) + (inp["rate"] - 0.5 * iv * iv) * t
    sd = iv * np.sqrt(t)
    pop = norm.cdf((np.log(hi) - mu) / sd) - norm.cdf((np.log(lo) - mu) / sd)
    rec = {"net_credit": credit, "max_profit": vals.max(), "max_loss": vals.min(), "breakeven_lower": lo,
           "breakeven_upper": hi, "probability_of_profit": pop, "iv": iv, "underlying_price": u}
    # The default payoff grid (documented params): 101 prices from 0.8 × the lowest strike
    # to 1.2 × the highest, numpy linspace spacing.
    grid = np.linspace(0.8 * pl, 1.2 * cl, 101)
    return {
        "scalars": {"net_credit": credit, "max_profit": rec["max_profit"], "max_loss": rec["max_loss"],
                    "breakeven_lower": lo, "breakeven_upper": hi, "probability_of_profit": pop, "atm_iv": iv},
        "series": {},
        "tables": {"condor": record_rows(rec), "payoff": frame_rows(pd.DataFrame({"underlying_price": grid, "payoff": payoff(legs, grid)}), date_col=False)},
    }


# ---------------------------------------------------------------- crypto (numpy price models)


def horizon_index(idx, horizon):
    extra = pd.date_range(idx[-1] + pd.Timedelta(days=1), periods=horizon, freq="D")
    return idx.append(extra)


def btc_power_law(inp):
    px = crypto(inp["symbol"], inp["start_date"], inp["end_date"])
    m = pm.PowerLaw(k=inp["band_sigmas"])
    m.fit(pm.valid(px))
    idx = horizon_index(px.index, inp["horizon_days"])
    fair, lo, hi = (pd.Series(v, index=idx) for v in m.predict(idx))
    ratio = px.reindex(idx) / fair
    wf = pm.walk_forward(pm.PowerLaw(), px, pm.CONFIG["backtest"]["min_train_days"], pm.CONFIG["backtest"]["refit_every"])
    summ = pm.summary(wf)
    errs = pm.rolling_errors(wf, pm.CONFIG["backtest"]["error_window"])
    fit = {"a": m.a, "b": m.b, "r2": m.r2, "sigma": m.sigma, "n": m.n}
    return {
        "scalars": {"exponent": m.b, "intercept": m.a, "r2": m.r2, "sigma": m.sigma, "price_to_fair": last_valid(ratio),
                    "backtest_mape": summ["mape"], "backtest_hit_rate": summ["hit_rate_within_band"]},
        "series": {"price": series_spots(px), "fair": series_spots(fair), "upper": series_spots(hi), "lower": series_spots(lo),
                   "price_to_fair": series_spots(ratio), "backtest_error": series_spots(errs)},
        "tables": {"fit": record_rows(fit), "backtest": record_rows(summ)},
    }


def btc_stock_to_flow(inp):
    px = crypto(inp["symbol"], inp["start_date"], inp["end_date"])
    p = pm.valid(px)
    s2f = pd.Series([pm.s2f(d) for d in px.index], index=px.index)
    m = pm.S2F(refit=inp["coefficients"] == "fit", k=inp["band_sigmas"])
    m.fit(p)
    idx = horizon_index(px.index, inp["horizon_days"])
    fair, lo, hi = (pd.Series(v, index=idx) for v in m.predict(idx))
    ratio = px.reindex(idx) / fair
    r = pm.S2F(refit=True)
    r.fit(p)
    wf = pm.walk_forward(pm.S2F(), px, pm.CONFIG["backtest"]["min_train_days"], pm.CONFIG["backtest"]["refit_every"])
    summ = pm.summary(wf)
    errs = pm.rolling_errors(wf, pm.CONFIG["backtest"]["error_window"])
    return {
        "scalars": {"refit_a": r.a, "refit_b": r.b, "refit_r2": r.r2, "s2f_now": last_valid(s2f), "price_to_fair": last_valid(ratio),
                    "backtest_mape": summ["mape"], "backtest_hit_rate": summ["hit_rate_within_band"]},
        "series": {"price": series_spots(px), "fair": series_spots(fair), "upper": series_spots(hi), "lower": series_spots(lo),
                   "stock_to_flow": series_spots(s2f), "backtest_error": series_spots(errs)},
        "tables": {"refit": record_rows({"a": r.a, "b": r.b, "r2": r.r2, "sigma": r.sigma, "n": r.n}), "backtest": record_rows(summ)},
    }


def btc_thermocap(inp):
    px = crypto(inp["symbol"], inp["start_date"], inp["end_date"])
    supply = pd.Series([pm.supply(d) for d in px.index], index=px.index)
    mcap = px * supply * 1e-9
    tc = pm.thermocap(px)
    multiple = px * supply / tc
    mv = multiple.dropna()
    wf = pm.walk_forward(pm.Thermo(), px, pm.CONFIG["backtest"]["min_train_days"], pm.CONFIG["backtest"]["refit_every"])
    summ = pm.summary(wf)
    return {
        "scalars": {"multiple_now": mv.iloc[-1], "multiple_percentile": mv.rank(pct=True).iloc[-1], "multiple_median": mv.median(),
                    "multiple_max": mv.max(), "thermocap_bn": last_valid(tc * 1e-9), "backtest_mape": summ["mape"]},
        "series": {"market_cap": series_spots(mcap), "thermocap": series_spots(tc * 1e-9), "multiple": series_spots(multiple)},
        "tables": {"multiple_stats": describe_rows(multiple), "backtest": record_rows(summ)},
    }


def inverse_error_ensemble(actual, members, lookback, weighting):
    idx = members[0].index
    for m in members[1:]:
        idx = idx.union(m.index)
    cols = range(len(members))
    fair = pd.DataFrame({j: m.fair.reindex(idx) for j, m in enumerate(members)})
    lower = pd.DataFrame({j: m.lower.reindex(idx) for j, m in enumerate(members)})
    upper = pd.DataFrame({j: m.upper.reindex(idx) for j, m in enumerate(members)})
    act = pm.valid(actual).reindex(idx)
    n = len(members)
    if weighting == "equal":
        w = np.full(n, 1.0 / n)
        return pd.DataFrame({name: (df * w).sum(axis=1, skipna=False) for name, df in [("fair", fair), ("lower", lower), ("upper", upper)]})
    ape = fair.sub(act, axis=0).abs().div(act, axis=0)
    mape = ape.shift(1).rolling(lookback, min_periods=1).mean()
    rows = []
    for i in range(len(idx)):
        m = mape.iloc[i].to_numpy()
        if (m == 0).any():
            w = (np.arange(n) == int(np.argmax(m == 0))).astype(float)
        else:
            inv = np.where(np.isfinite(m) & (m > 0), 1.0 / np.where(m > 0, m, 1.0), 0.0)
            w = inv / inv.sum() if inv.sum() > 0 else np.full(n, 1.0 / n)
        rows.append([sum(wj * df.iloc[i, j] for j, wj in zip(cols, w) if wj > 0) for df in (fair, lower, upper)])
    return pd.DataFrame(rows, index=idx, columns=["fair", "lower", "upper"])


def btc_ensemble(inp):
    px = crypto(inp["symbol"], inp["start_date"], inp["end_date"])
    bt = pm.CONFIG["backtest"]
    members = [pm.walk_forward(m, px, bt["min_train_days"], bt["refit_every"]) for m in (pm.PowerLaw(), pm.S2F(), pm.Thermo())]
    ens = inverse_error_ensemble(px, members, inp["lookback"], inp["weighting"])

    def score(pred):
        common = pm.valid(px).index.intersection(pred.index)
        df = pd.DataFrame({"actual": pm.valid(px).reindex(common), "fair": pred.fair.reindex(common),
                           "lower": pred.lower.reindex(common), "upper": pred.upper.reindex(common)})
        return pm.summary(df)

    scores = [score(ens)] + [score(m) for m in members]
    has_fair = (ens.fair > 0).reindex(px.index).fillna(False)
    px_oos = px[has_fair.to_numpy()]
    ratio = px_oos / ens.fair
    signal = (ratio < 1).astype(float)
    strat, strat_eq = backtest_signal(px_oos, signal, inp["cost_bps"], 365)
    hold, hold_eq = backtest_signal(px_oos, (ens.fair > 0).astype(float), 0.0, 365)
    names = ["score_ensemble", "score_power_law", "score_s2f", "score_thermocap"]
    return {
        "scalars": {"ensemble_mape": scores[0]["mape"], "power_law_mape": scores[1]["mape"], "s2f_mape": scores[2]["mape"],
                    "thermocap_mape": scores[3]["mape"], "ensemble_hit_rate": scores[0]["hit_rate_within_band"],
                    "strategy_sharpe": strat["sharpe"], "hold_sharpe": hold["sharpe"],
                    "strategy_max_drawdown": strat["max_drawdown"], "hold_max_drawdown": hold["max_drawdown"],
                    "strategy_cagr": strat["cagr"], "hold_cagr": hold["cagr"]},
        "series": {"price": series_spots(px_oos), "ensemble_fair": series_spots(ens.fair), "ensemble_upper": series_spots(ens.upper),
                   "ensemble_lower": series_spots(ens.lower), "strategy_equity": series_spots(strat_eq.equity),
                   "hold_equity": series_spots(hold_eq.equity)},
        "tables": {**{n: record_rows(s) for n, s in zip(names, scores)}, "strategy": record_rows(strat)},
    }


SEEDS = {
    "momentum-strategy": momentum_strategy,
    "mean-reversion": mean_reversion,
    "rolling-correlation": rolling_correlation,
    "volatility-analysis": volatility_analysis,
    "drawdown-analysis": drawdown_analysis,
    "iv-smile": iv_smile,
    "expected-move": expected_move_seed,
    "put-call-ratio": put_call_ratio,
    "vertical-spread": vertical_spread,
    "iron-condor": iron_condor,
    "btc-power-law": btc_power_law,
    "btc-stock-to-flow": btc_stock_to_flow,
    "btc-thermocap": btc_thermocap,
    "btc-ensemble": btc_ensemble,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="comma-separated slugs")
    args = ap.parse_args()
    slugs = args.only.split(",") if args.only else list(SEEDS)
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for slug in slugs:
        inp = defaults(load_model(slug))
        out = SEEDS[slug](inp)
        doc = {"slug": slug, "inputs": inp, "rtol": RTOL,
               "scalars": {k: num(v) for k, v in out["scalars"].items()},
               "series": out["series"], "tables": out["tables"]}
        (GOLDEN / f"{slug}.json").write_text(json.dumps(doc, indent=1) + "\n")
        print(f"{slug}: {len(doc['scalars'])} scalars, {len(doc['series'])} series, {len(doc['tables'])} tables")


if __name__ == "__main__":
    main()
