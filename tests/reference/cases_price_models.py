"""Golden cases for the price_models family (Bitcoin valuation framework).

References are independent numpy/pandas reproductions of the formulas in the primitives'
docs: the issuance schedule in Python integers, fits with np.polyfit, the walk-forward
loop written out, the ensemble and signal backtest in pandas. Model defaults are read from
seeds/config/price_models.json, the same file the engine compiles in. Synthetic BTC-like
prices (a power law in time with cycles and noise) keep cases small; the real history at
seeds/data/crypto/BTC.csv adds two fits on real data when it is present.
"""

import json
import math
import pathlib

import numpy as np
import pandas as pd

from common import case, frame, record, series

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONFIG = json.loads((ROOT / "seeds/config/price_models.json").read_text())
GENESIS = pd.Timestamp("2009-01-03")


# ---------------------------------------------------------------- issuance schedule


def height(ts):
    return max(0, (pd.Timestamp(ts) - GENESIS).days) * 144


def supply_sats(blocks):
    total, era, left = 0, 0, blocks
    while left > 0 and era < 64:
        sub = (50 * 10**8) >> era
        if sub == 0:
            break
        n = min(left, 210_000)
        total += n * sub
        left -= n
        era += 1
    return total


def supply(ts):
    return supply_sats(height(ts)) / 1e8


def issued_between(a, b):
    return (supply_sats(height(b)) - supply_sats(height(a))) / 1e8


def s2f(ts, window=365):
    ts = pd.Timestamp(ts)
    flow = issued_between(ts - pd.Timedelta(days=window), ts) * 365.0 / window
    return supply(ts) / flow if flow > 0 else float("nan")


def thermocap(prices):
    out, total, prev = [], 0.0, None
    for d, p in prices.items():
        if not (np.isfinite(p) and p > 0):
            out.append(float("nan"))
            continue
        frm = prev if prev is not None else d - pd.Timedelta(days=1)
        total += issued_between(frm, d) * p
        prev = d
        out.append(total)
    return pd.Series(out, index=prices.index)


def days(index):
    return np.array([(pd.Timestamp(d) - GENESIS).days for d in index], dtype=float)


# ---------------------------------------------------------------- models (numpy)


def valid(prices):
    return prices[np.isfinite(prices) & (prices > 0)]


def ols(x, y):
    b, a = np.polyfit(x, y, 1)
    res = y - (a + b * x)
    ssr = float(res @ res)
    sst = float(((y - y.mean()) ** 2).sum())
    return a, b, 1 - ssr / sst, math.sqrt(ssr / (len(x) - 2)), len(x)


class PowerLaw:
    def __init__(self, k=CONFIG["power_law"]["band_sigmas"]):
        self.k = k

    def fit(self, p):
        p = p[days(p.index) > 0]
        self.a, self.b, self.r2, self.sigma, self.n = ols(np.log10(days(p.index)), np.log10(p.to_numpy()))

    def predict(self, idx):
        c = self.a + self.b * np.log10(days(idx))
        k = self.k * self.sigma
        return 10**c, 10 ** (c - k), 10 ** (c + k)


class S2F:
    def __init__(self, refit=CONFIG["stock_to_flow"]["coefficients"] == "fit", a=None, b=None, k=None):
        c = CONFIG["stock_to_flow"]
        self.refit, self.a, self.b = refit, c["a"] if a is None else a, c["b"] if b is None else b
        self.k = c["band_sigmas"] if k is None else k

    def fit(self, p):
        x = np.log(np.array([s2f(d) for d in p.index]))
        y = np.log(p.to_numpy())
        if self.refit:
            self.b, self.a, self.r2, self.sigma, self.n = ols(x, y)
        else:
            res = y - (self.a * x + self.b)
            ssr = float(res @ res)
            self.r2 = 1 - ssr / float(((y - y.mean()) ** 2).sum())
            self.sigma = math.sqrt(ssr / len(x))
            self.n = len(x)

    def predict(self, idx):
        c = self.a * np.log(np.array([s2f(d) for d in idx])) + self.b
        k = self.k * self.sigma
        return np.exp(c), np.exp(c - k), np.exp(c + k)


class Thermo:
    def __init__(self, k=CONFIG["thermocap"]["band_sigmas"]):
        self.k = k

    def fit(self, p):
        tc = thermocap(p)
        sup = np.array([supply(d) for d in p.index])
        m = p.to_numpy()[1:] * sup[1:] / tc.to_numpy()[:-1]
        logs = np.log(m)
        self.mean, self.sd = logs.mean(), logs.std(ddof=1)
        self.tc = tc

    def predict(self, idx):
        f, lo, hi = [], [], []
        k = self.k * self.sd
        for d in idx:
            before = self.tc[self.tc.index < d]
            base = before.iloc[-1] / supply(d) if len(before) else float("nan")
            f.append(math.exp(self.mean) * base)
            lo.append(math.exp(self.mean - k) * base)
            hi.append(math.exp(self.mean + k) * base)
        return np.array(f), np.array(lo), np.array(hi)


class Ensemble:
    def __init__(self):
        e = CONFIG["ensemble"]
        self.members = [{"power_law": PowerLaw, "stock_to_flow": S2F, "thermocap": Thermo}[m]() for m in e["members"]]
        self.lookback = e["lookback_days"]
        assert e["weighting"] == "inverse_error"

    def fit(self, p):
        for m in self.members:
            m.fit(p)
        tail = p.iloc[-self.lookback :]
        mapes = [np.mean(np.abs((m.predict(tail.index)[0] - tail.to_numpy()) / tail.to_numpy())) for m in self.members]
        inv = np.array([1 / x for x in mapes])
        self.w = inv / inv.sum()

    def predict(self, idx):
        out = [np.zeros(len(idx)) for _ in range(3)]
        for w, m in zip(self.w, self.members):
            for o, v in zip(out, m.predict(idx)):
                o += w * v
        return tuple(out)


def walk_forward(model, p, min_train, refit_every):
    p = valid(p)
    rows = []
    for i in range(min_train, len(p)):
        if (i - min_train) % refit_every == 0:
            model.fit(p.iloc[:i])
        f, lo, hi = model.predict(p.index[i : i + 1])
        rows.append((p.index[i], p.iloc[i], f[0], lo[0], hi[0]))
    return pd.DataFrame(rows, columns=["date", "actual", "fair", "lower", "upper"]).set_index("date")


def summary(df):
    ok = df[np.isfinite(df.fair) & (df.fair > 0) & np.isfinite(df.actual) & (df.actual > 0)]
    ape = ((ok.fair - ok.actual) / ok.actual).abs()
    return {
        "mape": ape.mean() * 100.0,
        "rmse": math.sqrt(((ok.fair - ok.actual) ** 2).mean()),
        "mean_log_error": np.log(ok.fair / ok.actual).mean(),
        "hit_rate_within_band": ((ok.lower <= ok.actual) & (ok.actual <= ok.upper)).mean(),
        "n": len(ok),
    }


def rolling_errors(df, window):
    ape = ((df.fair - df.actual) / df.actual).abs() * 100.0
    return ape.rolling(window).mean()


# ---------------------------------------------------------------- data


def synthetic(n=1100, start="2012-03-01", seed=9):
    rng = np.random.RandomState(seed)
    idx = pd.date_range(start, periods=n, freq="D")
    t = days(idx)
    cyc = 0.6 * np.sin(np.arange(n) / 90.0) + np.cumsum(rng.normal(0, 0.03, n)) * 0.3
    p = 10 ** (-17.0 + 5.8 * np.log10(t)) * np.exp(cyc)
    return pd.Series(p, index=idx)


def real_btc():
    path = ROOT / "seeds/data/crypto/BTC.csv"
    if not path.exists():
        return None
    df = pd.read_csv(path, parse_dates=["date"]).set_index("date")
    return df["close"].astype(float)


def cases():
    out = []
    px = synthetic()
    gappy = px.copy()
    gappy.iloc[[40, 41, 300]] = np.nan
    gappy = gappy.drop(gappy.index[500:505])

    # Schedule: dates around the modelled halvings and far ahead.
    idx = pd.DatetimeIndex(["2009-01-03", "2009-01-04", "2010-07-17", "2012-12-31", "2013-01-01", "2013-01-02", "2016-12-29", "2020-12-26", "2024-12-24", "2030-01-01", "2140-06-01"])
    dates_s = pd.Series(0.0, index=idx)
    out.append(case("btc_supply/halvings", "btc_supply", [series(dates_s)], series(pd.Series([supply(d) for d in idx], index=idx))))
    out.append(case("btc_supply/daily", "btc_supply", [series(gappy)], series(pd.Series([supply(d) for d in gappy.index], index=gappy.index))))
    sidx = pd.DatetimeIndex(["2010-01-01", "2012-11-01", "2013-06-01", "2016-01-01", "2017-06-01", "2020-06-01", "2021-06-01", "2025-06-01"])
    for w in [365, 30]:
        vals = pd.Series([s2f(d, w) for d in sidx], index=sidx)
        prm = {} if w == 365 else {"window_days": w}
        out.append(case(f"stock_to_flow/window{w}", "stock_to_flow", [series(pd.Series(1.0, index=sidx))], series(vals), prm))

    # Power law.
    for name, s in [("synthetic", px), ("gappy", gappy)]:
        m = PowerLaw()
        m.fit(valid(s))
        out.append(case(f"power_law_fit/{name}", "power_law_fit", [series(s)], record({"a": m.a, "b": m.b, "r2": m.r2, "sigma": m.sigma, "n": m.n})))
    win = valid(px)["2013-01-01":"2014-06-30"]
    m = PowerLaw()
    m.fit(win)
    out.append(case("power_law_fit/window", "power_law_fit", [series(px)], record({"a": m.a, "b": m.b, "r2": m.r2, "sigma": m.sigma, "n": m.n}), {"start": "2013-01-01", "end": "2014-06-30"}))
    m = PowerLaw(k=1.5)
    m.fit(valid(gappy))
    fidx = gappy.index.append(pd.date_range(gappy.index[-1] + pd.Timedelta(days=1), periods=30, freq="D"))
    f, lo, hi = m.predict(fidx)
    out.append(case("power_law_predict/horizon", "power_law_predict", [series(gappy)], frame(pd.DataFrame({"fair": f, "lower": lo, "upper": hi}, index=fidx)), {"band_sigmas": 1.5, "horizon_days": 30}))
    # Fixed coefficients: sigma is the RMS residual around the given line.
    a, b = -17.01, 5.82
    v = valid(px)
    res = np.log10(v.to_numpy()) - (a + b * np.log10(days(v.index)))
    sig = math.sqrt((res**2).mean())
    c = a + b * np.log10(days(px.index))
    k = CONFIG["power_law"]["band_sigmas"] * sig
    out.append(case("power_law_predict/fixed_coefficients", "power_law_predict", [series(px)], frame(pd.DataFrame({"fair": 10**c, "lower": 10 ** (c - k), "upper": 10 ** (c + k)}, index=px.index)), {"a": a, "b": b}))

    # Stock-to-flow.
    for mode in ["published", "fit"]:
        m = S2F(refit=mode == "fit")
        m.fit(valid(px))
        f, lo, hi = m.predict(px.index)
        out.append(case(f"s2f_model/{mode}", "s2f_model", [series(px)], frame(pd.DataFrame({"fair": f, "lower": lo, "upper": hi}, index=px.index)), {"coefficients": mode}))
        out.append(case(f"s2f_model/{mode}_fit_record", "s2f_model", [series(px)], record({"a": m.a, "b": m.b, "r2": m.r2, "sigma": m.sigma, "n": m.n}), {"coefficients": mode, "output": "fit"}))
    m = S2F(refit=False, a=3.3, b=-1.5, k=1.0)
    m.fit(valid(gappy))
    f, lo, hi = m.predict(gappy.index)
    out.append(case("s2f_model/custom_published", "s2f_model", [series(gappy)], frame(pd.DataFrame({"fair": f, "lower": lo, "upper": hi}, index=gappy.index)), {"coefficients": "published", "a": 3.3, "b": -1.5, "band_sigmas": 1.0}))

    # Thermocap and its multiple.
    for name, s in [("synthetic", px), ("gappy", gappy)]:
        tc = thermocap(s)
        out.append(case(f"thermocap/{name}", "thermocap", [series(s)], series(tc)))
        sup = pd.Series([supply(d) for d in s.index], index=s.index)
        out.append(case(f"thermocap_multiple/{name}", "thermocap_multiple", [series(s)], series(s * sup / tc)))

    # Ensemble of two predictions on different dates.
    pl = PowerLaw()
    pl.fit(valid(px))
    f1, l1, u1 = pl.predict(px.index)
    m1 = pd.DataFrame({"fair": f1, "lower": l1, "upper": u1}, index=px.index)
    sf = S2F(refit=True)
    sf.fit(valid(px))
    f2 = pd.Series(sf.predict(px.index)[0], index=px.index).iloc[100:]
    out += ensemble_cases(px, m1, f2)

    # Walk-forward backtests.
    bt = CONFIG["backtest"]
    for name, model, mt, re in [("power_law", PowerLaw(), 300, 50), ("stock_to_flow", S2F(), 300, 100), ("thermocap", Thermo(), 300, 100), ("ensemble", Ensemble(), 400, 200)]:
        df = walk_forward(model, gappy, mt, re)
        prm = {"model": name, "min_train_days": mt, "refit_every": re}
        out.append(case(f"backtest_prediction/{name}", "backtest_prediction", [series(gappy)], record(summary(df)), prm))
        if name == "power_law":
            out.append(case(f"backtest_prediction/{name}_errors", "backtest_prediction", [series(gappy)], series(rolling_errors(df, bt["error_window"])), {**prm, "output": "errors"}))
            out.append(case(f"backtest_prediction/{name}_predictions", "backtest_prediction", [series(gappy)], frame(df), {**prm, "output": "predictions"}))
    # A given prediction against prices.
    vp = valid(gappy)
    pred = m1.reindex(vp.index)
    df = pd.DataFrame({"actual": vp, "fair": pred.fair, "lower": pred.lower, "upper": pred.upper})
    out.append(case("backtest_prediction/given", "backtest_prediction", [series(gappy), frame(m1)], record(summary(df)), {}))
    out.append(case("backtest_prediction/given_errors", "backtest_prediction", [series(gappy), frame(m1)], series(rolling_errors(df, 60)), {"output": "errors", "window": 60}))

    out += signal_cases(px, m1)

    # Refusals.
    out.append(case("power_law_fit/err_too_short", "power_law_fit", [series(px.iloc[:12])], {"error": "needs at least 30 to fit"}))
    out.append(case("ensemble/err_no_members", "ensemble", [series(px)], {"error": "the ensemble has no members"}))
    out.append(case("backtest_prediction/err_window_too_long", "backtest_prediction", [series(px.iloc[:200])], {"error": "`min_train_days` (730) must be less than the number of prices (200)"}, {"model": "power_law"}))
    out.append(case("s2f_model/err_coefficients_with_fit", "s2f_model", [series(px)], {"error": "remove them to refit"}, {"coefficients": "fit", "a": 3.0}))
    out.append(case("ensemble/err_weights_length", "ensemble", [series(px), frame(m1), series(f2)], {"error": "one entry per ensemble member (2)"}, {"weighting": "fixed", "weights": [1.0]}))

    out += real_cases()
    return out


def ensemble_cases(px, m1, f2):
    out = []
    idx = m1.index.union(f2.index)
    fair = pd.DataFrame({"a": m1.fair.reindex(idx), "b": f2.reindex(idx)})
    lower = pd.DataFrame({"a": m1.lower.reindex(idx), "b": np.nan}, index=idx)
    upper = pd.DataFrame({"a": m1.upper.reindex(idx), "b": np.nan}, index=idx)
    actual = valid(px).reindex(idx)

    def combine(w):
        # Members with zero weight are left out; a missing weighted member gives NaN.
        cols = [c for c, x in zip(["a", "b"], w) if x > 0]
        ww = np.array([x for x in w if x > 0])
        return [(df[cols] * ww).sum(axis=1, skipna=False) for df in (fair, lower, upper)]

    for name, w, prm in [("equal", [0.5, 0.5], {}), ("fixed", [0.75, 0.25], {"weighting": "fixed", "weights": [3, 1]})]:
        f, lo, hi = combine(w)
        out.append(case(f"ensemble/{name}", "ensemble", [series(px), frame(m1), series(f2)], frame(pd.DataFrame({"fair": f, "lower": lo, "upper": hi})), prm))

    # Inverse recent error, no look-ahead: errors of the `lookback` dates before each date.
    lookback = 45
    ape = fair.sub(actual, axis=0).abs().div(actual, axis=0)
    mape = ape.shift(1).rolling(lookback, min_periods=1).mean()
    rows = []
    for i, d in enumerate(idx):
        m = mape.loc[d].to_numpy()
        if (m == 0).any():
            w = (np.arange(2) == int(np.argmax(m == 0))).astype(float)
        else:
            inv = np.where(np.isfinite(m) & (m > 0), 1.0 / np.where(m > 0, m, 1.0), 0.0)
            w = inv / inv.sum() if inv.sum() > 0 else np.array([0.5, 0.5])
        vals = []
        for df in (fair, lower, upper):
            vals.append(sum(wj * df.iloc[i, j] for j, wj in enumerate(w) if wj > 0))
        rows.append(vals)
    res = pd.DataFrame(rows, index=idx, columns=["fair", "lower", "upper"])
    out.append(case("ensemble/inverse_error", "ensemble", [series(px), frame(m1), series(f2)], frame(res), {"weighting": "inverse_error", "lookback": lookback}))
    return out


def signal_cases(px, m1):
    out = []
    ratio = px / m1.fair
    pos = pd.Series(np.where(ratio < 0.8, 1.0, np.where(ratio > 1.25, -1.0, 0.5)), index=px.index)
    sparse = pos.iloc[::7].copy()  # weekly decisions, carried forward
    sparse.iloc[3] = np.nan
    for name, p, cost, ppy in [("daily", pos, 10.0, 365.0), ("weekly_ffill", sparse, 25.0, 252.0)]:
        prices = valid(px)
        aligned = p.reindex(prices.index, method="ffill").fillna(0.0)
        market = prices.pct_change().fillna(0.0)
        prev = aligned.shift(1).fillna(0.0)
        change = (aligned - prev).abs()
        ret = prev * market - cost / 10_000.0 * change
        eq = (1 + ret).cumprod()
        daysn = (prices.index[-1] - prices.index[0]).days
        rec = {
            "total_return": eq.iloc[-1] - 1,
            "cagr": eq.iloc[-1] ** (365.25 / daysn) - 1,
            "sharpe": ret.mean() / ret.std(ddof=1) * math.sqrt(ppy),
            "max_drawdown": (eq / eq.cummax() - 1).min(),
            "trades": int((change > 0).sum()),
            "turnover": change.sum(),
        }
        prm = {"cost_bps": cost, "periods_per_year": ppy}
        out.append(case(f"backtest_signal/{name}", "backtest_signal", [series(px), series(p)], record(rec), prm))
        out.append(case(f"backtest_signal/{name}_equity", "backtest_signal", [series(px), series(p)], frame(pd.DataFrame({"equity": eq, "returns": ret, "position": aligned})), {**prm, "output": "equity"}))
    bad = pos.copy()
    bad.iloc[10] = 1.5
    out.append(case("backtest_signal/err_position_range", "backtest_signal", [series(px), series(bad)], {"error": "is outside the allowed range [-1, 1]"}))
    return out


def real_cases():
    """Fits on the real BTC history (the published sanity checks), when it is bundled."""
    btc = real_btc()
    if btc is None:
        return []
    out = []
    m = PowerLaw()
    m.fit(valid(btc))
    out.append(case("power_law_fit/real_btc", "power_law_fit", [series(btc)], record({"a": m.a, "b": m.b, "r2": m.r2, "sigma": m.sigma, "n": m.n})))
    # The 2019 article's window: 2010-07 to 2019-02 (monthly points there; daily here).
    win = btc[:"2019-02-28"]
    m = S2F(refit=True)
    m.fit(valid(win))
    out.append(case("s2f_model/real_btc_2019_window", "s2f_model", [series(win)], record({"a": m.a, "b": m.b, "r2": m.r2, "sigma": m.sigma, "n": m.n}), {"coefficients": "fit", "output": "fit"}))
    return out
