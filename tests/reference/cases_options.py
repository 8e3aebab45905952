"""Golden cases for the options family.

Prices, greeks and implied volatilities come from QuantLib 1.44 (VanillaOption with
AnalyticEuropeanEngine on a BlackScholesMertonProcess, flat curves, Actual/365 Fixed).
Chain analytics are computed with numpy/pandas/scipy from the formulas stated in the
primitives' docs, on hand-built chain tables.
"""

import numpy as np
import pandas as pd
import QuantLib as ql
from scipy.stats import norm

from common import RTOL_ITERATIVE, case, datasets, frame, record, scalar, series, table

DC = ql.Actual365Fixed()
BASE = ql.Date(15, 1, 2024)


def _option(kind, spot, strike, days, rate, div, vol, today=BASE):
    """A QuantLib option `days` after `today`; returns (option, process)."""
    ql.Settings.instance().evaluationDate = today
    payoff = ql.PlainVanillaPayoff(ql.Option.Call if kind == "call" else ql.Option.Put, strike)
    opt = ql.VanillaOption(payoff, ql.EuropeanExercise(today + int(days)))
    proc = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(spot)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, div, DC)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, rate, DC)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), vol, DC)),
    )
    opt.setPricingEngine(ql.AnalyticEuropeanEngine(proc))
    return opt, proc


def _greeks(opt):
    return {"delta": opt.delta(), "gamma": opt.gamma(), "vega": opt.vega(), "theta": opt.theta(), "rho": opt.rho()}


def _iv(kind, spot, strike, days, rate, div, price):
    opt, proc = _option(kind, spot, strike, days, rate, div, 0.2)
    try:
        return opt.impliedVolatility(price, proc, 1e-12, 1000, 1e-7, 10.0)
    except RuntimeError:
        return float("nan")


def _qdate(ts):
    ts = pd.Timestamp(ts)
    return ql.Date(ts.day, ts.month, ts.year)


# Contracts: (kind, spot, strike, days, rate, dividend, vol)
CONTRACTS = [
    ("call", 100.0, 100.0, 365, 0.05, 0.0, 0.2),
    ("put", 100.0, 100.0, 365, 0.05, 0.0, 0.2),
    ("call", 100.0, 90.0, 30, 0.03, 0.01, 0.35),
    ("put", 100.0, 110.0, 90, 0.01, 0.02, 0.15),
    ("call", 4500.0, 4700.0, 182, 0.045, 0.015, 0.18),
    ("put", 4500.0, 4200.0, 45, 0.045, 0.015, 0.27),
    ("call", 25.0, 30.0, 730, 0.02, 0.0, 0.6),
    ("put", 25.0, 20.0, 7, -0.005, 0.0, 0.9),
    ("call", 100.0, 80.0, 400, 0.0, 0.03, 0.25),
    ("put", 52.5, 50.0, 60, 0.1, 0.05, 0.4),
]


def _params(kind, spot, strike, days, rate, div, vol=None, price=None):
    p = {"option_type": kind, "spot": spot, "strike": strike, "time_to_expiry": days / 365.0, "rate": rate, "dividend_yield": div}
    if vol is not None:
        p["volatility"] = vol
    if price is not None:
        p["price"] = price
    return p


def cases():
    out = []
    for i, (kind, s, k, days, r, q, v) in enumerate(CONTRACTS):
        opt, _ = _option(kind, s, k, days, r, q, v)
        out.append(case(f"black_scholes/{i}_{kind}", "black_scholes", [], scalar(opt.NPV()), _params(kind, s, k, days, r, q, v)))
        out.append(case(f"greeks/{i}_{kind}", "greeks", [], record(_greeks(opt)), _params(kind, s, k, days, r, q, v)))
        for bump in [1.0, 0.93, 1.12]:
            price = opt.NPV() * bump
            iv = _iv(kind, s, k, days, r, q, price)
            # Where QuantLib finds no volatility (price under the intrinsic bound), the
            # engine must refuse too, saying why.
            want = {"error": "no implied volatility"} if np.isnan(iv) else scalar(iv)
            out.append(case(f"implied_volatility/{i}_{kind}_x{bump}", "implied_volatility", [], want, _params(kind, s, k, days, r, q, price=price), rtol=RTOL_ITERATIVE))

    # Series: spot from an input series, other params constant.
    walk = datasets()["walk"]
    for kind in ["call", "put"]:
        vals, gks = [], []
        for x in walk:
            opt, _ = _option(kind, float(x), 105.0, 120, 0.04, 0.01, 0.3)
            vals.append(opt.NPV())
            gks.append(_greeks(opt))
        p = {"option_type": kind, "strike": 105.0, "time_to_expiry": 120 / 365.0, "rate": 0.04, "dividend_yield": 0.01, "volatility": 0.3}
        out.append(case(f"black_scholes/series_spot_{kind}", "black_scholes", [series(walk)], series(pd.Series(vals, index=walk.index)), p))
        out.append(case(f"greeks/series_spot_{kind}", "greeks", [series(walk)], frame(pd.DataFrame(gks, index=walk.index)), p))

    # Two series on different dates (spot, volatility): union of dates, NaN where missing.
    spot_s = walk.iloc[:60]
    vol_s = pd.Series(0.2 + 0.1 * np.sin(np.arange(50) / 5.0), index=spot_s.index[10:60:1])
    vol_s = vol_s.drop(vol_s.index[[3, 7]])
    extra = pd.Series([0.25], index=[spot_s.index[-1] + pd.Timedelta(days=3)])
    vol_s = pd.concat([vol_s, extra])
    a, b = spot_s.align(vol_s)
    vals = []
    for x, vv in zip(a, b):
        if np.isnan(x) or np.isnan(vv):
            vals.append(float("nan"))
        else:
            vals.append(_option("call", float(x), 100.0, 60, 0.02, 0.0, float(vv))[0].NPV())
    p = {"option_type": "call", "strike": 100.0, "time_to_expiry": 60 / 365.0, "rate": 0.02, "from_inputs": ["spot", "volatility"]}
    out.append(case("black_scholes/two_series_union", "black_scholes", [series(spot_s), series(vol_s)], series(pd.Series(vals, index=a.index)), p))

    # Expiration date: each series date is its own valuation date (ACT/365); dates on or
    # after the expiration give NaN.
    exp = pd.Timestamp("2015-06-19")
    sub = walk.iloc[80:130]
    vals = []
    for d, x in sub.items():
        if d >= exp:
            vals.append(float("nan"))
            continue
        today = _qdate(d)
        days = _qdate(exp) - today
        vals.append(_option("put", float(x), 100.0, days, 0.03, 0.0, 0.25, today=today)[0].NPV())
    p = {"option_type": "put", "strike": 100.0, "expiration": "2015-06-19", "rate": 0.03, "volatility": 0.25}
    # atol: prices of ~1e-12 near expiry are 1 − N(d2) with N(d2) ≈ 1, where both
    # libraries carry ~1e-16 absolute rounding; a hundred-billionth of a cent is noise.
    out.append(case("black_scholes/series_expiration", "black_scholes", [series(sub)], series(pd.Series(vals, index=sub.index)), p, atol=1e-10))

    # Scalar with expiration + as_of.
    opt, _ = _option("call", 100.0, 95.0, 45, 0.02, 0.0, 0.3, today=ql.Date(1, 3, 2024))
    out.append(
        case(
            "black_scholes/expiration_as_of",
            "black_scholes",
            [],
            scalar(opt.NPV()),
            {"spot": 100.0, "strike": 95.0, "expiration": "2024-04-15", "as_of": "2024-03-01", "rate": 0.02, "volatility": 0.3},
        )
    )

    # Implied vol over a price series, with an unsolvable entry (below intrinsic) → NaN.
    idx = pd.bdate_range("2020-03-02", periods=12)
    prices = pd.Series(np.linspace(4.0, 15.0, 12), index=idx)
    prices.iloc[0] = 0.5  # below the deep-ITM call's intrinsic value
    prices.iloc[5] = np.nan
    ivs = [float("nan") if (np.isnan(x) or x == 0.5) else _iv("call", 100.0, 92.0, 60, 0.01, 0.0, float(x)) for x in prices]
    p = {"option_type": "call", "spot": 100.0, "strike": 92.0, "time_to_expiry": 60 / 365.0, "rate": 0.01, "from_inputs": ["price"]}
    out.append(case("implied_volatility/series_with_nan", "implied_volatility", [series(prices)], series(pd.Series(ivs, index=idx)), p, rtol=RTOL_ITERATIVE))

    # Refusals.
    base = _params("call", 100.0, 100.0, 365, 0.05, 0.0, 0.2)
    out.append(case("black_scholes/err_strike_zero", "black_scholes", [], {"error": "`strike` must be greater than 0"}, {**base, "strike": 0}))
    out.append(case("black_scholes/err_negative_vol", "black_scholes", [], {"error": "`volatility` must be greater than 0"}, {**base, "volatility": -0.2}))
    out.append(case("black_scholes/err_time_zero", "black_scholes", [], {"error": "`time_to_expiry` must be greater than 0"}, {**base, "time_to_expiry": 0}))
    out.append(case("greeks/err_spot_negative", "greeks", [], {"error": "`spot` must be greater than 0"}, {**base, "spot": -5}))
    no_t = {k: v for k, v in base.items() if k != "time_to_expiry"}
    out.append(case("black_scholes/err_expired", "black_scholes", [], {"error": "has expired"}, {**no_t, "expiration": "2024-01-01", "as_of": "2024-02-01"}))
    out.append(case("black_scholes/err_missing_strike", "black_scholes", [], {"error": "`strike` is required"}, {k: v for k, v in base.items() if k != "strike"}))
    bad_vol = pd.Series([0.2, -0.1, 0.3], index=pd.bdate_range("2020-01-01", periods=3))
    out.append(
        case("black_scholes/err_series_negative_vol", "black_scholes", [series(bad_vol)], {"error": "`volatility` must be greater than 0, got -0.1 on 2020-01-02"}, {**{k: v for k, v in base.items() if k != "volatility"}, "from_inputs": ["volatility"]})
    )
    ivp = _params("call", 100.0, 80.0, 365, 0.05, 0.0, price=10.0)
    out.append(case("implied_volatility/err_below_intrinsic", "implied_volatility", [], {"error": "not above the option's discounted intrinsic value"}, ivp))
    out.append(case("implied_volatility/err_above_max", "implied_volatility", [], {"error": "price at infinite volatility"}, {**ivp, "price": 150.0}))

    out += chain_cases()
    return out


# ---------------------------------------------------------------- chain analytics

AS_OF = "2024-03-01"
EXPS = ["2024-03-15", "2024-04-19"]
SPOT = 101.3


def build_chain():
    """A hand-built chain: BSM prices on a skewed smile, quotes around them, some gaps."""
    rng = np.random.RandomState(42)
    rows = []
    for e, days in zip(EXPS, [14, 49]):
        t = days / 365.0
        for k in np.arange(85.0, 120.0, 2.5):
            for kind in ["call", "put"]:
                m = np.log(k / SPOT)
                iv = 0.22 - 0.35 * m + 0.9 * m * m + (0.02 if days < 20 else 0.0)
                d1 = (np.log(SPOT / k) + (0.03 + 0.5 * iv * iv) * t) / (iv * np.sqrt(t))
                d2 = d1 - iv * np.sqrt(t)
                if kind == "call":
                    px = SPOT * norm.cdf(d1) - k * np.exp(-0.03 * t) * norm.cdf(d2)
                else:
                    px = k * np.exp(-0.03 * t) * norm.cdf(-d2) - SPOT * norm.cdf(-d1)
                spread = max(0.05, 0.04 * px)
                rows.append(
                    {
                        "contract_type": kind,
                        "strike": float(k),
                        "expiration": e,
                        "bid": max(0.0, round(px - spread / 2, 2)),
                        "ask": round(px + spread / 2, 2),
                        "last": round(px * (1 + rng.normal(0, 0.02)), 2),
                        "iv": iv,
                        "delta": norm.cdf(d1) if kind == "call" else norm.cdf(d1) - 1,
                        "gamma": norm.pdf(d1) / (SPOT * iv * np.sqrt(t)),
                        "theta": -SPOT * norm.pdf(d1) * iv / (2 * np.sqrt(t)),
                        "vega": SPOT * norm.pdf(d1) * np.sqrt(t),
                        "open_interest": float(rng.randint(0, 5000)),
                        "volume": float(rng.randint(0, 1500)),
                        "underlying_price": SPOT,
                    }
                )
    df = pd.DataFrame(rows)
    # Holes a real chain has: a missing put, a contract without quotes, a missing IV.
    df = df.drop(df[(df.contract_type == "put") & (df.strike == 117.5) & (df.expiration == EXPS[0])].index)
    df.loc[(df.contract_type == "call") & (df.strike == 85.0), ["bid", "ask"]] = 0.0
    df.loc[(df.contract_type == "call") & (df.strike == 112.5) & (df.expiration == EXPS[1]), "iv"] = np.nan
    df.loc[(df.contract_type == "put") & (df.strike == 90.0), "volume"] = np.nan
    return df.reset_index(drop=True)


def premium(row):
    if row.bid > 0 and row.ask > 0 and row.ask >= row.bid:
        return 0.5 * (row.bid + row.ask)
    return row["last"]


def _slice(df, exp):
    s = df[df.expiration == exp].copy()
    s["premium"] = s.apply(premium, axis=1)
    return s


def _get(s, kind, k):
    return s[(s.contract_type == kind) & (s.strike == k)].iloc[0]


def _atm(s):
    both = sorted(set(s[s.contract_type == "call"].strike) & set(s[s.contract_type == "put"].strike))
    u = s.underlying_price.dropna().iloc[0]
    return min(both, key=lambda k: (abs(k - u), k))


def payoff(legs, grid):
    out = np.zeros_like(grid)
    for kind, k, qty, prem in legs:
        if kind == "call":
            intr = np.maximum(grid - k, 0.0)
        elif kind == "put":
            intr = np.maximum(k - grid, 0.0)
        else:
            intr = grid - k
        out += qty * (intr - prem)
    return out


def chain_cases():
    df = build_chain()
    chain = table(df)
    out = []
    for exp in EXPS:
        s = _slice(df, exp)
        k = _atm(s)
        c, p = _get(s, "call", k), _get(s, "put", k)
        st = c.premium + p.premium
        out.append(
            case(
                f"find_atm_straddle/{exp}",
                "find_atm_straddle",
                [chain],
                record(
                    {
                        "strike": k,
                        "call_price": c.premium,
                        "put_price": p.premium,
                        "straddle_price": st,
                        "underlying_price": SPOT,
                        "call_iv": c.iv,
                        "put_iv": p.iv,
                        "breakeven_lower": k - st,
                        "breakeven_upper": k + st,
                    }
                ),
                {"expiration": exp},
            )
        )
        t = (pd.Timestamp(exp) - pd.Timestamp(AS_OF)).days / 365.0
        iv = np.mean([c.iv, p.iv])
        for conf in [0.68, 0.95]:
            z = norm.ppf((1 + conf) / 2)
            mv = SPOT * iv * np.sqrt(t) * z
            out.append(
                case(
                    f"calculate_expected_move/{exp}_{conf}",
                    "calculate_expected_move",
                    [chain],
                    record({"lower": SPOT - mv, "upper": SPOT + mv, "move": mv, "pct": mv / SPOT, "iv": iv, "z": z, "straddle_price": st}),
                    {"expiration": exp, "as_of": AS_OF, "confidence": conf},
                )
            )
        # IV smile.
        ks = sorted(s.strike.unique())
        civ = [(_get(s, "call", x).iv if ((s.contract_type == "call") & (s.strike == x)).any() else np.nan) for x in ks]
        piv = [(_get(s, "put", x).iv if ((s.contract_type == "put") & (s.strike == x)).any() else np.nan) for x in ks]
        otm = []
        for x, a, b in zip(ks, civ, piv):
            first, second = (b, a) if x < SPOT else (a, b)
            otm.append(second if np.isnan(first) else first)
        smile = pd.DataFrame({"strike": ks, "moneyness": np.array(ks) / SPOT, "call_iv": civ, "put_iv": piv, "iv": otm})
        out.append(case(f"iv_smile/{exp}", "iv_smile", [chain], table(smile), {"expiration": exp}))
        # Max pain.
        oi = s.open_interest.fillna(0.0)
        pain = []
        for x in ks:
            calls = (s.contract_type == "call").to_numpy()
            intr = np.where(calls, np.maximum(x - s.strike, 0.0), np.maximum(s.strike - x, 0.0))
            pain.append(float((oi.to_numpy() * intr).sum()))
        best = ks[int(np.argmin(pain))]
        out.append(case(f"max_pain/{exp}", "max_pain", [chain], scalar(best), {"expiration": exp}))
        out.append(case(f"max_pain/curve_{exp}", "max_pain", [chain], table(pd.DataFrame({"strike": ks, "pain": pain})), {"expiration": exp, "output": "curve"}))

    # Default expiration: the nearest on or after as_of.
    out.append(case("find_atm_straddle/default_expiry", "find_atm_straddle", [chain], out[0]["expected"], {"as_of": AS_OF}))

    for by in ["volume", "open_interest"]:
        g = df.groupby("contract_type")[by].sum()
        out.append(case(f"put_call_ratio/{by}", "put_call_ratio", [chain], scalar(g["put"] / g["call"]), {"by": by}))
        s = df[df.expiration == EXPS[1]]
        g = s.groupby("contract_type")[by].sum()
        out.append(case(f"put_call_ratio/{by}_one_expiry", "put_call_ratio", [chain], scalar(g["put"] / g["call"]), {"by": by, "expiration": EXPS[1]}))

    # Vertical spreads.
    s = _slice(df, EXPS[1])
    for kind, kl, ks_ in [("call", 100.0, 110.0), ("put", 105.0, 95.0), ("call", 110.0, 100.0)]:
        pl, ps = _get(s, kind, kl).premium, _get(s, kind, ks_).premium
        legs = [(kind, kl, 1.0, pl), (kind, ks_, -1.0, ps)]
        knots = np.array(sorted({0.0, kl, ks_}))
        vals = payoff(legs, knots)
        net = pl - ps
        if kind == "call":
            be = (min(kl, ks_) + net) if kl < ks_ else (min(kl, ks_) - net)
        else:
            be = (max(kl, ks_) - net) if kl > ks_ else (max(kl, ks_) + net)
        rec = {"net_premium": net, "max_profit": vals.max(), "max_loss": vals.min(), "breakeven": be, "underlying_price": SPOT, "long_price": pl, "short_price": ps}
        prm = {"option_type": kind, "long_strike": kl, "short_strike": ks_, "expiration": EXPS[1]}
        out.append(case(f"vertical_spread/{kind}_{kl}_{ks_}", "vertical_spread", [chain], record(rec), prm))
        grid = np.linspace(0.8 * min(kl, ks_), 1.2 * max(kl, ks_), 101)
        out.append(case(f"vertical_spread/payoff_{kind}_{kl}_{ks_}", "vertical_spread", [chain], table(pd.DataFrame({"underlying_price": grid, "payoff": payoff(legs, grid)})), {**prm, "output": "payoff"}))

    # Iron condor.
    for exp, strikes in [(EXPS[1], (90.0, 95.0, 107.5, 112.5)), (EXPS[0], (92.5, 97.5, 105.0, 110.0))]:
        s = _slice(df, exp)
        pl, psh, csh, cl = strikes
        prem = [_get(s, "put", pl).premium, _get(s, "put", psh).premium, _get(s, "call", csh).premium, _get(s, "call", cl).premium]
        legs = [("put", pl, 1.0, prem[0]), ("put", psh, -1.0, prem[1]), ("call", csh, -1.0, prem[2]), ("call", cl, 1.0, prem[3])]
        credit = prem[1] + prem[2] - prem[0] - prem[3]
        knots = np.array([0.0, pl, psh, csh, cl])
        vals = payoff(legs, knots)
        lo, hi = psh - credit, csh + credit
        k = _atm(s)
        iv = np.mean([_get(s, "call", k).iv, _get(s, "put", k).iv])
        t = (pd.Timestamp(exp) - pd.Timestamp(AS_OF)).days / 365.0
        r = 0.03
        mu = np.log(SPOT) + (r - 0.5 * iv * iv) * t
        sd = iv * np.sqrt(t)
        pop = norm.cdf((np.log(hi) - mu) / sd) - norm.cdf((np.log(lo) - mu) / sd)
        prm = {"put_long": pl, "put_short": psh, "call_short": csh, "call_long": cl, "expiration": exp, "as_of": AS_OF, "rate": r}
        rec = {"net_credit": credit, "max_profit": vals.max(), "max_loss": vals.min(), "breakeven_lower": lo, "breakeven_upper": hi, "probability_of_profit": pop, "iv": iv, "underlying_price": SPOT}
        out.append(case(f"iron_condor/{exp}", "iron_condor", [chain], record(rec), prm))
        grid = np.linspace(80.0, 125.0, 46)
        out.append(
            case(
                f"iron_condor/payoff_{exp}",
                "iron_condor",
                [chain],
                table(pd.DataFrame({"underlying_price": grid, "payoff": payoff(legs, grid)})),
                {**prm, "output": "payoff", "price_min": 80.0, "price_max": 125.0, "points": 46},
            )
        )

    # Payoff diagram: explicit premiums (covered call + protective put), and from the chain.
    legs = [("stock", 100.0, 1.0, 0.0), ("call", 110.0, -1.0, 2.1), ("put", 90.0, 1.0, 1.4)]
    grid = np.linspace(60.0, 140.0, 81)
    out.append(
        case(
            "payoff_diagram/collar",
            "payoff_diagram",
            [],
            table(pd.DataFrame({"underlying_price": grid, "payoff": payoff(legs, grid)})),
            {"leg_types": ["stock", "call", "put"], "strikes": [100.0, 110.0, 90.0], "quantities": [1, -1, 1], "premiums": [0, 2.1, 1.4], "price_min": 60.0, "price_max": 140.0, "points": 81},
        )
    )
    s = _slice(df, EXPS[0])
    legs = [("call", 100.0, 1.0, _get(s, "call", 100.0).premium), ("put", 100.0, 1.0, _get(s, "put", 100.0).premium), ("call", 110.0, -2.0, _get(s, "call", 110.0).premium)]
    grid = np.linspace(0.8 * 100.0, 1.2 * 110.0, 101)
    out.append(
        case(
            "payoff_diagram/from_chain",
            "payoff_diagram",
            [chain],
            table(pd.DataFrame({"underlying_price": grid, "payoff": payoff(legs, grid)})),
            {"leg_types": ["call", "put", "call"], "strikes": [100.0, 100.0, 110.0], "quantities": [1, 1, -2], "expiration": EXPS[0]},
        )
    )

    # Refusals.
    out.append(case("calculate_expected_move/err_expired", "calculate_expected_move", [chain], {"error": "is before `as_of`"}, {"expiration": EXPS[0], "as_of": "2024-03-20"}))
    out.append(case("iron_condor/err_order", "iron_condor", [chain], {"error": "put_long < put_short"}, {"put_long": 95, "put_short": 90, "call_short": 105, "call_long": 110, "as_of": AS_OF}))
    out.append(case("vertical_spread/err_strike_zero", "vertical_spread", [chain], {"error": "`long_strike` must be greater than 0"}, {"long_strike": 0, "short_strike": 100}))
    out.append(case("vertical_spread/err_missing_strike", "vertical_spread", [chain], {"error": "`short_strike` 111 has no call"}, {"long_strike": 100, "short_strike": 111, "expiration": EXPS[0]}))
    out.append(case("find_atm_straddle/err_unknown_expiry", "find_atm_straddle", [chain], {"error": "is not in the chain"}, {"expiration": "2024-05-17"}))
    out.append(case("payoff_diagram/err_lengths", "payoff_diagram", [], {"error": "one entry per leg"}, {"leg_types": ["call", "put"], "strikes": [100.0], "quantities": [1, 1], "premiums": [1, 1]}))
    return out
