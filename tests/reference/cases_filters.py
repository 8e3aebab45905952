"""Golden cases for the filters and shaping family (reference: pandas).

Truth values follow the engine's documented rule: a number is true when it is present
and non-zero, NaN is false; comparisons are pandas' flexible methods (`a.gt(b)` etc.),
which align on the union of dates and answer False wherever NaN is involved.
"""

import numpy as np
import pandas as pd

from common import case, datasets, frame, ohlcv, scalar, series, table


def _truth(s):
    return s.notna() & s.ne(0)


def _table_from(obj):
    """A series or frame as the engine's table: a `date` column of ISO strings first."""
    df = obj.to_frame("value") if isinstance(obj, pd.Series) else obj.copy()
    df.insert(0, "date", [d.strftime("%Y-%m-%d") for d in df.index])
    return table(df.reset_index(drop=True))


def _empty():
    return pd.Series([], dtype=float, index=pd.DatetimeIndex([]))


RULES = {"W": "W", "M": "ME", "Q": "QE", "Y": "YE"}


def cases():
    d = datasets()
    o = ohlcv(120)
    og = ohlcv(120, with_gaps=True)
    out = []
    walk, gaps, other, signed = d["walk"], d["gaps"], d["other"], d["signed"]

    # select
    out.append(case("select/close", "select", [frame(o)], series(o["close"]), {"column": "close"}))
    out.append(case("select/list", "select", [frame(o)], frame(o[["low", "high"]]), {"column": ["low", "high"]}))
    out.append(case("select/single_in_list", "select", [frame(o)], frame(o[["volume"]]), {"column": ["volume"]}))
    out.append(case("select/unknown", "select", [frame(o)], {"error": "available columns: open, high, low, close, volume"}, {"column": "adj_close"}))
    out.append(case("select/duplicate", "select", [frame(o)], {"error": "twice"}, {"column": ["low", "low"]}))

    # slice
    for name, s in [("walk", walk), ("gaps", gaps)]:
        out.append(case(f"slice/{name}_dates", "slice", [series(s)], series(s.loc["2015-03-07":"2015-06-30"]), {"start": "2015-03-07", "end": "2015-06-30"}))
        out.append(case(f"slice/{name}_start", "slice", [series(s)], series(s.loc["2015-09-01":]), {"start": "2015-09-01"}))
        out.append(case(f"slice/{name}_end", "slice", [series(s)], series(s.loc[:"2015-02-15"]), {"end": "2015-02-15"}))
        out.append(case(f"slice/{name}_head", "slice", [series(s)], series(s.head(10)), {"head": 10}))
        out.append(case(f"slice/{name}_tail", "slice", [series(s)], series(s.tail(7)), {"tail": 7}))
    out.append(case("slice/dates_then_head", "slice", [series(walk)], series(walk.loc["2015-04-01":"2015-12-31"].head(5)), {"start": "2015-04-01", "end": "2015-12-31", "head": 5}))
    out.append(case("slice/dates_then_tail", "slice", [series(walk)], series(walk.loc["2015-04-01":"2015-05-31"].tail(4)), {"start": "2015-04-01", "end": "2015-05-31", "tail": 4}))
    out.append(case("slice/head_longer_than_series", "slice", [series(d["short"])], series(d["short"].head(50)), {"head": 50}))
    out.append(case("slice/head_zero", "slice", [series(walk)], series(walk.head(0)), {"head": 0}))
    out.append(case("slice/after_the_end", "slice", [series(walk)], series(walk.loc["2030-01-01":]), {"start": "2030-01-01"}))
    out.append(case("slice/same_day", "slice", [series(walk)], series(walk.loc["2015-01-05":"2015-01-05"]), {"start": "2015-01-05", "end": "2015-01-05"}))
    out.append(case("slice/frame", "slice", [frame(o)], frame(o.loc["2018-02-01":"2018-03-15"]), {"start": "2018-02-01", "end": "2018-03-15"}))
    out.append(case("slice/frame_tail", "slice", [frame(o)], frame(o.tail(3)), {"tail": 3}))
    out.append(case("slice/start_after_end", "slice", [series(walk)], {"error": "is after `end`"}, {"start": "2016-01-01", "end": "2015-01-01"}))
    out.append(case("slice/head_and_tail", "slice", [series(walk)], {"error": "not both"}, {"head": 3, "tail": 3}))
    out.append(case("slice/negative_head", "slice", [series(walk)], {"error": "at least 0"}, {"head": -1}))

    # where
    conds = {
        "gt100": (walk > 100).astype(float),
        "gaps": gaps - gaps.mean(),  # NaN and signs, on the same dates
        "other_dates": other - other.mean(),  # partly overlapping dates
        "signed": signed,  # mostly disjoint dates, zeros
    }
    for cname, cond in conds.items():
        mask = cond.reindex(walk.index).fillna(0).ne(0)
        out.append(case(f"where/walk_{cname}", "where", [series(walk), series(cond)], series(walk.where(mask))))
        out.append(case(f"where/walk_{cname}_drop", "where", [series(walk), series(cond)], series(walk[mask]), {"drop": True}))
    cond = (o["close"] > o["open"]).astype(float)
    mask = cond.ne(0)
    out.append(case("where/frame", "where", [frame(o), series(cond)], frame(o.where(mask, axis=0))))
    out.append(case("where/frame_drop", "where", [frame(o), series(cond)], frame(o[mask]), {"drop": True}))

    # comparisons
    ops = {
        "gt": lambda a, b: a.gt(b), "lt": lambda a, b: a.lt(b), "ge": lambda a, b: a.ge(b),
        "le": lambda a, b: a.le(b), "eq": lambda a, b: a.eq(b), "ne": lambda a, b: a.ne(b),
    }
    npops = {"gt": np.greater, "lt": np.less, "ge": np.greater_equal, "le": np.less_equal, "eq": np.equal, "ne": np.not_equal}
    rounded = gaps.round(-1)
    for op, f in ops.items():
        for a, b in [("walk", "gaps"), ("walk", "other"), ("gaps", "gaps"), ("signed", "walk")]:
            out.append(case(f"{op}/{a}_{b}", op, [series(d[a]), series(d[b])], series(f(d[a], d[b]).astype(float))))
        out.append(case(f"{op}/rounded_vs_rounded_shift", op, [series(rounded), series(rounded.shift(1))], series(f(rounded, rounded.shift(1)).astype(float))))
        out.append(case(f"{op}/value_param", op, [series(gaps)], series(f(gaps, 100.0).astype(float)), {"value": 100.0}))
        out.append(case(f"{op}/zero_input", op, [series(signed), scalar(0.0)], series(f(signed, 0.0).astype(float))))
        out.append(case(f"{op}/scalar_first", op, [scalar(100.0), series(gaps)], series(pd.Series(npops[op](100.0, gaps.to_numpy()), index=gaps.index).astype(float))))
        out.append(case(f"{op}/scalars", op, [scalar(2.0), scalar(3.0)], scalar(float(npops[op](2.0, 3.0)))))
        out.append(case(f"{op}/no_right_operand", op, [series(walk)], {"error": "needs a right operand"}))

    # logic
    flags = {
        "up": (walk.diff() > 0).astype(float),
        "gaps": gaps - 100.0,
        "other": other - other.mean(),
        "signed": signed,
    }
    for a, b in [("up", "gaps"), ("up", "other"), ("gaps", "signed"), ("signed", "signed")]:
        x, y = flags[a].align(flags[b])
        out.append(case(f"and/{a}_{b}", "and", [series(flags[a]), series(flags[b])], series((_truth(x) & _truth(y)).astype(float))))
        out.append(case(f"or/{a}_{b}", "or", [series(flags[a]), series(flags[b])], series((_truth(x) | _truth(y)).astype(float))))
    out.append(case("and/value_param", "and", [series(flags["gaps"])], series((_truth(flags["gaps"]) & True).astype(float)), {"value": 1.0}))
    out.append(case("or/value_zero", "or", [series(flags["signed"])], series(_truth(flags["signed"]).astype(float)), {"value": 0.0}))
    out.append(case("and/scalars", "and", [scalar(2.0), scalar(0.0)], scalar(0.0)))
    for name, s in flags.items():
        out.append(case(f"not/{name}", "not", [series(s)], series((~_truth(s)).astype(float))))
    out.append(case("not/scalar_nan", "not", [scalar(float("nan"))], scalar(1.0)))

    # fillna
    for name, s in [("gaps", gaps), ("leading", pd.concat([pd.Series([np.nan] * 3, index=pd.bdate_range("2014-12-25", periods=3)), gaps]))]:
        out.append(case(f"fillna/{name}_value", "fillna", [series(s)], series(s.fillna(0.0)), {"value": 0.0}))
        out.append(case(f"fillna/{name}_ffill", "fillna", [series(s)], series(s.ffill()), {"method": "ffill"}))
        out.append(case(f"fillna/{name}_bfill", "fillna", [series(s)], series(s.bfill()), {"method": "bfill"}))
        for lim in [1, 2, 5]:
            out.append(case(f"fillna/{name}_ffill_limit{lim}", "fillna", [series(s)], series(s.ffill(limit=lim)), {"method": "ffill", "limit": lim}))
            out.append(case(f"fillna/{name}_bfill_limit{lim}", "fillna", [series(s)], series(s.bfill(limit=lim)), {"method": "bfill", "limit": lim}))
    out.append(case("fillna/frame_ffill", "fillna", [frame(og)], frame(og.ffill()), {"method": "ffill"}))
    out.append(case("fillna/frame_value", "fillna", [frame(og)], frame(og.fillna(-1.0)), {"value": -1.0}))
    out.append(case("fillna/both", "fillna", [series(gaps)], {"error": "not both"}, {"value": 0.0, "method": "ffill"}))
    out.append(case("fillna/neither", "fillna", [series(gaps)], {"error": "needs `value`"}))
    out.append(case("fillna/limit_with_value", "fillna", [series(gaps)], {"error": "only with `method`"}, {"value": 0.0, "limit": 2}))
    out.append(case("fillna/bad_method", "fillna", [series(gaps)], {"error": "must be one of ffill, bfill"}, {"method": "pad"}))

    # dropna
    out.append(case("dropna/gaps", "dropna", [series(gaps)], series(gaps.dropna())))
    out.append(case("dropna/walk", "dropna", [series(walk)], series(walk.dropna())))
    partial = og.copy()
    partial.iloc[10:14, 0] = np.nan
    out.append(case("dropna/frame_any", "dropna", [frame(partial)], frame(partial.dropna())))
    out.append(case("dropna/frame_all", "dropna", [frame(partial)], frame(partial.dropna(how="all")), {"how": "all"}))

    # shift
    for k in [1, 3, -2, 0, 299, 300, 1000, -1000]:
        out.append(case(f"shift/gaps_{k}", "shift", [series(gaps)], series(gaps.shift(k)), {"periods": k}))
    out.append(case("shift/default", "shift", [series(walk)], series(walk.shift(1))))
    out.append(case("shift/frame", "shift", [frame(o)], frame(o.shift(2)), {"periods": 2}))
    out.append(case("shift/empty", "shift", [series(_empty())], series(_empty()), {"periods": 2}))

    # resample
    sparse = walk.iloc[::23]  # leaves whole weeks and months empty
    for name, s in [("walk", walk), ("gaps", gaps), ("other", other), ("sparse", sparse), ("returns", d["returns"])]:
        for freq, rule in RULES.items():
            for how in ["last", "first", "mean", "sum", "max", "min"]:
                want = getattr(s.resample(rule, label="right", closed="right"), how)()
                out.append(case(f"resample/{name}_{freq}_{how}", "resample", [series(s)], series(want), {"freq": freq, "how": how}))
    for freq, rule in RULES.items():
        want = og.resample(rule, label="right", closed="right").last()
        out.append(case(f"resample/frame_{freq}_last", "resample", [frame(og)], frame(want), {"freq": freq}))
    sunday = pd.Series([1.0, 2.0, 3.0], index=pd.to_datetime(["2024-03-03", "2024-03-04", "2024-03-10"]))
    out.append(case("resample/sunday_closes_its_week", "resample", [series(sunday)], series(sunday.resample("W", label="right", closed="right").sum()), {"freq": "W", "how": "sum"}))
    ends = pd.Series([1.0, 2.0, 3.0, 4.0], index=pd.to_datetime(["2023-12-31", "2024-01-01", "2024-03-31", "2024-04-01"]))
    for freq, rule in RULES.items():
        out.append(case(f"resample/period_end_edges_{freq}", "resample", [series(ends)], series(ends.resample(rule, label="right", closed="right").sum()), {"freq": freq, "how": "sum"}))
    out.append(case("resample/empty", "resample", [series(_empty())], series(_empty()), {"freq": "M"}))
    out.append(case("resample/bad_freq", "resample", [series(walk)], {"error": "must be one of W, M, Q, Y"}, {"freq": "D"}))

    # align
    for join in ["outer", "inner", "left", "right"]:
        a, b = walk.align(other, join=join)
        want = pd.DataFrame({"px": a, "other": b})
        out.append(case(f"align/walk_other_{join}", "align", [series(walk), series(other)], frame(want), {"join": join, "names": ["px", "other"]}))
    a, b = gaps.align(signed)
    out.append(case("align/default_names", "align", [series(gaps), series(signed)], frame(pd.DataFrame({"s1": a, "s2": b}))))
    out.append(case("align/wrong_name_count", "align", [series(walk), series(other)], {"error": "one name per input"}, {"names": ["x"]}))

    # combine
    trio = pd.concat([walk, other, signed], axis=1, keys=["walk", "other", "signed"]).sort_index()
    out.append(case("combine/three_named", "combine", [series(walk), series(other), series(signed)], frame(trio), {"names": ["walk", "other", "signed"]}))
    duo = pd.concat([gaps, d["short"]], axis=1, keys=["s1", "s2"]).sort_index()
    out.append(case("combine/default_names", "combine", [series(gaps), series(d["short"])], frame(duo)))
    out.append(case("combine/one", "combine", [series(other)], frame(other.to_frame("only")), {"names": ["only"]}))
    out.append(case("combine/duplicate_names", "combine", [series(walk), series(other)], {"error": "twice"}, {"names": ["a", "a"]}))
    out.append(case("combine/name_count", "combine", [series(walk), series(other)], {"error": "2 inputs"}, {"names": ["a", "b", "c"]}))

    # sort
    ties = signed.round(0)
    for name, s in [("walk", walk), ("gaps", gaps), ("ties", ties), ("constant", d["constant"])]:
        for asc in [True, False]:
            want = s.sort_values(ascending=asc, kind="stable", na_position="last")
            out.append(case(f"sort/{name}_{'asc' if asc else 'desc'}", "sort", [series(s)], _table_from(want), {"ascending": asc}))
    want = og.sort_values("close", ascending=False, kind="stable", na_position="last")
    out.append(case("sort/frame_by_close", "sort", [frame(og)], _table_from(want), {"column": "close", "ascending": False}))
    out.append(case("sort/frame_needs_column", "sort", [frame(o)], {"error": "name the column"}))
    out.append(case("sort/frame_unknown_column", "sort", [frame(o)], {"error": "no column `price`"}, {"column": "price"}))

    # top_n
    for name, s in [("walk", walk), ("gaps", gaps), ("ties", ties), ("constant", d["constant"])]:
        out.append(case(f"top_n/{name}_largest", "top_n", [series(s)], _table_from(s.nlargest(5, keep="first")), {"n": 5}))
        out.append(case(f"top_n/{name}_smallest", "top_n", [series(s)], _table_from(s.nsmallest(7, keep="first")), {"n": 7, "ascending": True}))
    out.append(case("top_n/short_all", "top_n", [series(d["short"])], _table_from(d["short"].nlargest(10)), {"n": 10}))
    out.append(case("top_n/frame_volume", "top_n", [frame(og)], _table_from(og.nlargest(3, "volume", keep="first")), {"n": 3, "column": "volume"}))
    out.append(case("top_n/n_zero", "top_n", [series(walk)], {"error": "at least 1"}, {"n": 0}))

    # unique
    repeats = gaps.round(-1)
    for name, s in [("walk", walk.head(20)), ("constant", d["constant"]), ("repeats_with_nan", repeats), ("ties", ties)]:
        vals = pd.unique(s.to_numpy())
        counts = [float(s.isna().sum()) if np.isnan(v) else float((s == v).sum()) for v in vals]
        want = pd.DataFrame({"value": vals, "count": counts})
        out.append(case(f"unique/{name}", "unique", [series(s)], table(want)))
    return out
