#!/usr/bin/env python3
"""End-to-end suite of the HTTP API against a running `auster serve`.

Usage: e2e.py BASE_URL AUSTER_BIN
The server must run with AUSTER_FREE_RUNS_PER_DAY=6, AUSTER_SIGNUP_CREDITS=2,
AUSTER_RUNS_PER_MINUTE=3 (run.sh starts it so), the seed models loaded, and the same
store environment as this process (the suite calls `auster credits grant`).
Standard library only; every check prints PASS/FAIL and the exit code is the number of
failures (capped at 1).
"""

import json
import os
import random
import subprocess
import sys
import urllib.error
import urllib.request

BASE = sys.argv[1].rstrip("/")
AUSTER = sys.argv[2]
SEEDS = os.environ.get("AUSTER_SEEDS", "seeds/models")
TAG = "%06x" % random.randrange(1 << 24)
failures = []


def call(method, path, body=None, key=None, headers=None, raw=None):
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if key:
        req.add_header("Authorization", "Bearer " + key)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"null"), {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as e:
        text = e.read()
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text.decode(errors="replace")
        return e.code, parsed, {k.lower(): v for k, v in e.headers.items()}


def check(name, cond, detail=""):
    if cond:
        print("PASS", name)
    else:
        print("FAIL", name, detail)
        failures.append(name)
    return cond


def err_code(body):
    return body.get("error", {}).get("code") if isinstance(body, dict) else None


def account(label):
    s, b, _ = call("POST", "/api/accounts", {"email": f"{label}-{TAG}@example.com"})
    check(f"create account {label}", s == 201 and b["api_key"].startswith("ak_") and b["credits"] == 2, (s, b))
    return b["api_key"], b["user_id"]


def model_file(slug_src, new_slug, **extra):
    with open(os.path.join(SEEDS, slug_src + ".json")) as f:
        m = json.load(f)
    m["slug"] = new_slug
    m.update(extra)
    return m


def run(key, slug, inputs=None, headers=None):
    return call("POST", "/api/models/run", {"model_slug": slug, "inputs": inputs or {}}, key, headers)


def main():
    s, b, _ = call("GET", "/api/health")
    check("health", s == 200 and b["status"] == "ok", (s, b))

    a_key, a_id = account("alice")
    b_key, b_id = account("bob")
    s, b, _ = call("POST", "/api/accounts", {"email": f"alice-{TAG}@example.com"})
    check("duplicate email is 409", s == 409 and err_code(b) == "conflict", (s, b))
    s, b, _ = call("GET", "/api/me", key=a_key)
    check("me shows plan, credits, usage and ledger",
          s == 200 and b["plan"] == "free" and b["credits"] == 2 and b["user_id"] == a_id
          and b["usage_today"]["runs"] == 0 and b["ledger"][0]["reason"] == "signup", (s, b))
    s, b, _ = call("GET", "/api/me")
    check("me without a key is 401", s == 401 and err_code(b) == "unauthenticated", (s, b))
    s, b, _ = call("GET", "/api/me", key="ak_not_a_key")
    check("unknown key is 401", s == 401, (s, b))

    # Catalogue: list, filter, search, sort, paginate.
    s, b, _ = call("GET", "/api/models?limit=100")
    slugs = [m["slug"] for m in b.get("items", [])]
    check("list shows the seed models", s == 200 and "momentum-strategy" in slugs, (s, slugs))
    item = next((m for m in b["items"] if m["slug"] == "momentum-strategy"), {})
    check("list items carry the pinned fields",
          all(k in item for k in "slug name description lab_scope tags difficulty visibility stats forked_from owner".split())
          and all(k in item["stats"] for k in "runs saves forks rating_average rating_count".split()), item)
    s, b, _ = call("GET", "/api/models?lab=crypto")
    check("filter by lab", s == 200 and b["items"] and all(m["lab_scope"] in ("crypto", "both") for m in b["items"]), b)
    s, b, _ = call("GET", "/api/models?difficulty=basic&sort=new")
    check("filter by difficulty", s == 200 and all(m["difficulty"] == "basic" for m in b["items"]), b)
    s, b, _ = call("GET", "/api/models?q=momentum")
    check("search", s == 200 and any(m["slug"] == "momentum-strategy" for m in b["items"]), b)
    s, p1, _ = call("GET", "/api/models?limit=2&sort=new")
    ok = s == 200 and len(p1["items"]) == 2 and p1["next_cursor"]
    if ok:
        s, p2, _ = call("GET", "/api/models?limit=2&sort=new&cursor=" + urllib.request.quote(p1["next_cursor"]))
        ok = s == 200 and not {m["slug"] for m in p1["items"]} & {m["slug"] for m in p2["items"]}
    check("paginate with next_cursor", ok, p1)
    s, b, _ = call("GET", "/api/models?sort=sideways")
    check("bad sort is 400 naming the parameter", s == 400 and "sort" in b["error"]["message"], b)
    s, b, _ = call("GET", "/api/models?limit=0")
    check("bad limit is 400", s == 400, b)
    s, b, _ = call("GET", "/api/models/momentum-strategy")
    check("detail with version, schema and dsl",
          s == 200 and b["version"] >= 1 and b["input_schema"]["fields"] and b["dsl"]["steps"], s)

    # Runs, cache, stored runs.
    s, b, _ = run(None, "momentum-strategy")
    check("anonymous run is 401", s == 401, (s, b))
    lookback = random.randrange(5, 700)
    s, r1, _ = run(a_key, "momentum-strategy", {"lookback": lookback})
    check("run", s == 200 and r1["status"] == "success" and r1["run_id"] and r1["cached"] is False
          and r1["outputs"]["series"] and r1["inputs"]["lookback"] == lookback and r1["engine_version"], (s, r1))
    s, r2, _ = run(a_key, "momentum-strategy", {"lookback": lookback})
    check("identical run is cached", s == 200 and r2["cached"] is True and r2["run_id"] != r1["run_id"]
          and r2["outputs"] == r1["outputs"], (s, r2.get("cached") if isinstance(r2, dict) else r2))
    s, g, _ = call("GET", f"/api/runs/{r1['run_id']}", key=a_key)
    check("get own run", s == 200 and g["run_id"] == r1["run_id"] and g["outputs"] == r1["outputs"]
          and g["cached"] is False, s)
    s, g, _ = call("GET", f"/api/runs/{r2['run_id']}", key=a_key)
    check("a past cached run reads back as cached", s == 200 and g["run_id"] == r2["run_id"]
          and g["cached"] is True and g["cost"] == r2["cost"], (s, g.get("cached") if isinstance(g, dict) else g))
    s, g, _ = call("GET", f"/api/runs/{r1['run_id']}", key=b_key)
    check("another user's run is 404", s == 404, (s, g))
    s, b, _ = run(a_key, "momentum-strategy", {"lookback": 1})
    check("input out of range is 422 invalid_inputs with the field",
          s == 422 and err_code(b) == "invalid_inputs" and any("lookback" in d["path"] for d in b["error"]["details"]), b)
    s, b, _ = run(a_key, "no-such-model")
    check("unknown model is 404", s == 404, (s, b))

    # Publish and read anonymously.
    s, pub, _ = call("POST", "/api/models/publish",
                     {"run_id": r1["run_id"], "title": "Momentum — SPX <b>test</b>", "visibility": "public"}, a_key)
    check("publish", s == 201 and pub["slug"] and pub["url"].endswith(pub["slug"]), (s, pub))
    s, b, _ = call("POST", "/api/models/publish", {"run_id": r1["run_id"], "title": "x", "visibility": "public"}, b_key)
    check("publishing another user's run is 404", s == 404, (s, b))
    s, art, h = call("GET", f"/api/artifacts/{pub['slug']}")
    check("read the artifact anonymously", s == 200 and art["result"]["outputs"] == r1["outputs"]
          and art["title"] == "Momentum — SPX <b>test</b>" and art["views"] == 1, (s, art if s != 200 else art["views"]))
    check("JSON is never sniffed as HTML", h.get("content-type", "").startswith("application/json")
          and h.get("x-content-type-options") == "nosniff", h)
    s, art2, _ = call("GET", f"/api/artifacts/{pub['slug']}")
    check("views are counted", s == 200 and art2["views"] == 2, art2.get("views"))

    # Fork, save, rate.
    s, fk, _ = call("POST", "/api/models/fork", {"model_slug": "momentum-strategy"}, a_key)
    check("fork", s == 201 and fk["forked_from"] == "momentum-strategy" and fk["owner"] == a_id
          and fk["slug"] != "momentum-strategy", (s, fk))
    s, d, _ = call("GET", "/api/models/momentum-strategy")
    check("fork count rises", d["stats"]["forks"] >= 1, d["stats"])
    s, b, _ = call("POST", "/api/models/save", {"model_slug": "momentum-strategy"}, a_key)
    check("save", s == 200 and b["saved"] and b["changed"], b)
    s, b, _ = call("POST", "/api/models/save", {"model_slug": "momentum-strategy"}, a_key)
    check("save again changes nothing", s == 200 and not b["changed"], b)
    s, b, _ = call("GET", "/api/me/saves", key=a_key)
    check("saves list", s == 200 and [m["slug"] for m in b["items"]] == ["momentum-strategy"], b)
    s, b, _ = call("DELETE", "/api/models/save", {"model_slug": "momentum-strategy"}, a_key)
    check("unsave", s == 200 and not b["saved"] and b["changed"], b)
    s, b, _ = call("POST", "/api/models/rate", {"model_slug": "mean-reversion", "rating": 4, "review": "solide ✓"}, a_key)
    check("rate", s == 200 and b["count"] == 1 and b["average"] == 4, b)
    s, b, _ = call("POST", "/api/models/rate", {"model_slug": "mean-reversion", "rating": 2}, b_key)
    check("second rater", s == 200 and b["count"] == 2 and b["average"] == 3, b)
    s, b, _ = call("POST", "/api/models/rate", {"model_slug": "mean-reversion", "rating": 5}, a_key)
    check("re-rating replaces", s == 200 and b["count"] == 2 and b["average"] == 3.5, b)
    s, b, _ = call("GET", "/api/models/rate?model_slug=mean-reversion", key=a_key)
    check("rating summary with mine", s == 200 and b["mine"]["rating"] == 5 and b["mine"].get("review") is None, b)
    s, b, _ = call("POST", "/api/models/rate", {"model_slug": "mean-reversion", "rating": 6}, a_key)
    check("rating 6 is 400", s == 400 and b["error"]["details"][0]["path"] == "/rating", b)
    s, b, _ = call("DELETE", "/api/models/rate", {"model_slug": "mean-reversion"}, a_key)
    check("unrate", s == 200 and b["count"] == 1 and b["mine"] is None, b)

    # Private-model isolation.
    priv = f"private-{TAG}"
    s, b, _ = call("POST", "/api/models", model_file("momentum-strategy", priv, visibility="private",
                                                      name="Secret <i>model</i> ✓"), a_key)
    check("create a private model", s == 201 and b["visibility"] == "private" and b["name"] == "Secret <i>model</i> ✓", (s, b))
    s, _, _ = call("GET", f"/api/models/{priv}", key=a_key)
    check("owner sees it", s == 200)
    for who, key in (("other user", b_key), ("anonymous", None)):
        s, b, _ = call("GET", f"/api/models/{priv}", key=key)
        check(f"{who} gets 404", s == 404 and err_code(b) == "not_found", (s, b))
    s, b, _ = run(b_key, priv)
    check("other user cannot run it (404)", s == 404, (s, b))
    s, b, _ = call("POST", "/api/models/fork", {"model_slug": priv}, b_key)
    check("other user cannot fork it (404)", s == 404, (s, b))
    s, b, _ = call("GET", "/api/models?limit=100&q=" + priv)
    check("not listed publicly", s == 200 and not b["items"], b)
    s, b, _ = call("GET", "/api/models?owner=me", key=a_key)
    check("listed for the owner", s == 200 and priv in [m["slug"] for m in b["items"]], b)
    s, b, _ = call("PATCH", f"/api/models/{priv}", {"name": "x"}, b_key)
    check("other user cannot patch (404)", s == 404, (s, b))

    # Update and delete (owner only).
    pub_slug = f"public-{TAG}"
    s, b, _ = call("POST", "/api/models", model_file("mean-reversion", pub_slug), a_key)
    check("create a public model", s == 201 and b["version"] == 1, (s, b))
    s, b, _ = call("PATCH", f"/api/models/{pub_slug}", {"name": "y"}, b_key)
    check("non-owner patch is 403", s == 403 and err_code(b) == "forbidden", (s, b))
    s, b, _ = call("DELETE", f"/api/models/{pub_slug}", key=b_key)
    check("non-owner delete is 403", s == 403, (s, b))
    with open(os.path.join(SEEDS, "mean-reversion.json")) as f:
        dsl = json.load(f)["dsl"]
    s, b, _ = call("PATCH", f"/api/models/{pub_slug}", {"description": "new text", "dsl": dsl, "changelog": "v2"}, a_key)
    check("patch with a new dsl makes version 2", s == 200 and b["version"] == 2 and b["description"] == "new text"
          and [v["version"] for v in b["versions"]] == [2, 1], (s, b))
    bad = dict(dsl, steps=dsl["steps"] + [{"id": "bad", "operation": "no_such_primitive", "inputs": []}])
    s, b, _ = call("PATCH", f"/api/models/{pub_slug}", {"dsl": bad}, a_key)
    check("patch with an invalid dsl is 422 invalid_model",
          s == 422 and err_code(b) == "invalid_model" and any("/dsl/steps" in d["path"] for d in b["error"]["details"]), b)
    s, b, _ = call("DELETE", f"/api/models/{pub_slug}", key=a_key)
    check("owner deletes", s == 200 and b["deleted"], b)
    s, _, _ = call("GET", f"/api/models/{pub_slug}")
    check("deleted model is 404", s == 404)

    # Idempotent retry: the same run, counted and charged once.
    s, me0, _ = call("GET", "/api/me", key=b_key)
    idem = {"Idempotency-Key": f"retry-{TAG}"}
    s1, x1, _ = run(b_key, "mean-reversion", {}, idem)
    s2, x2, _ = run(b_key, "mean-reversion", {}, idem)
    s, me1, _ = call("GET", "/api/me", key=b_key)
    check("idempotent retry returns the same run", s1 == 200 and s2 == 200 and x1["run_id"] == x2["run_id"], (s1, s2, x1, x2))
    check("idempotent retry counts once",
          me1["usage_today"]["runs"] == me0["usage_today"]["runs"] + 1 and me1["credits"] == me0["credits"], (me0, me1))
    s, x3, _ = run(b_key, "momentum-strategy", {}, idem)
    check("same key for another model is 409", s == 409, (s, x3))

    # Quotas and credits: 6 included runs, 2 signup credits, 3 runs a minute per model.
    c_key, _ = account("carol")
    models = ["momentum-strategy", "mean-reversion", "volatility-analysis", "drawdown-analysis"]
    results = []
    for i in range(3):
        results.append(run(c_key, models[0]))
    s, b, h = run(c_key, models[0])
    check("4th run a minute of one model is 429 with Retry-After",
          s == 429 and err_code(b) == "rate_limited" and int(h.get("retry-after", "0")) >= 1, (s, b, h))
    for i in range(5):
        results.append(run(c_key, models[1 + i // 3]))
    costs = [r[1].get("cost") if r[0] == 200 else r for r in results]
    check("6 included runs then runs cost a credit", costs == [0] * 6 + [1, 1], costs)
    s, me, _ = call("GET", "/api/me", key=c_key)
    check("credits charged atomically to zero", me["credits"] == 0 and me["usage_today"]["runs"] >= 8
          and me["usage_today"]["free_runs_left"] == 0, me)
    s, b, _ = run(c_key, models[2], {"lookback": 10} if False else {})
    check("no credits left is 402", s == 402 and err_code(b) == "payment_required", (s, b))
    g = subprocess.run([AUSTER, "credits", "grant", f"carol-{TAG}@example.com", "3"], capture_output=True, text=True)
    check("auster credits grant", g.returncode == 0 and "balance 3" in g.stdout, (g.returncode, g.stdout, g.stderr))
    s, b_paid, _ = run(c_key, models[3])
    check("granted credits pay for a run", s == 200 and b_paid["cost"] == 1, (s, b_paid))
    s, b, _ = run(c_key, models[3], {"symbol": "ZZZZ"})
    s2, me2, _ = call("GET", "/api/me", key=c_key)
    check("a failed run is refunded", s == 422 and me2["credits"] == 2
          and [e["reason"] for e in me2["ledger"][:2]] == ["refund", "run"], (s, b, me2["credits"], me2["ledger"][:3]))
    check("ledger lines name the run they paid for",
          me2["ledger"][0]["run_id"] and me2["ledger"][0]["run_id"] == me2["ledger"][1]["run_id"]
          and me2["ledger"][2]["reason"] == "run" and me2["ledger"][2]["run_id"] == b_paid["run_id"], me2["ledger"][:3])

    # Malformed input of every kind gets its 4xx with a useful message.
    s, b, _ = call("POST", "/api/models/run", raw=b"{", key=a_key)
    check("malformed JSON is 400", s == 400 and "JSON" in b["error"]["message"], b)
    s, b, _ = call("POST", "/api/models/run", {"model_slug": 5}, a_key)
    check("wrong type is 400 naming the field", s == 400 and b["error"]["details"][0]["path"] == "/model_slug", b)
    s, b, _ = call("POST", "/api/models/run", raw=b"{" + b" " * (10 << 20) + b"}", key=a_key)
    check("a 10 MB body is 413", s == 413 and err_code(b) == "too_large", (s, b if not isinstance(b, str) else b[:200]))
    steps = [{"id": "px", "operation": "fetch_market_data", "params": {"symbol": "SPX"}}] + [
        {"id": f"s{i}", "operation": "abs", "inputs": ["px" if i == 0 else f"s{i-1}"]} for i in range(9999)]
    big = {"slug": f"huge-{TAG}", "name": "huge", "dsl": {"version": "1.0", "steps": steps}}
    s, b, _ = call("POST", "/api/models", big, a_key)
    check("a 10,000-step DSL is 422", s == 422 and err_code(b) == "invalid_model"
          and "steps" in json.dumps(b["error"]["details"][:3]), (s, str(b)[:300]))
    s, b, _ = call("POST", "/api/validate", {"dsl": {"version": "1.0", "steps": steps[:3]}})
    check("validate answers valid/errors", s == 200 and "valid" in b and isinstance(b["errors"], list), b)
    s, b, _ = call("POST", "/api/accounts", {"email": "bell\u0007@example.com"})
    check("control character in email is 400", s == 400 and "U+0007" in b["error"]["message"], b)
    s, b, _ = call("POST", "/api/accounts", raw='{"email": "a\u0001b@example.com"}'.encode())
    check("raw control character in JSON is 400", s == 400, b)
    s, b, _ = call("POST", "/api/models/publish", {"run_id": r1["run_id"], "title": "tab\tin title"}, a_key)
    check("control character in title is 400", s == 400 and b["error"]["details"][0]["path"] == "/title", b)
    s, b, _ = call("POST", "/api/models/rate", {"model_slug": "iv-smile", "rating": 3, "review": "zero\u0000byte"}, a_key)
    check("NUL in review is 400", s == 400, b)
    s, b, _ = call("GET", "/api/models?q=%01")
    check("control character in a query is 400", s == 400, b)
    s, b, _ = call("GET", "/api/models/%F0%9F%9A%80")
    check("unicode slug is a 4xx", s in (400, 404), (s, b))
    s, b, _ = call("POST", "/api/models", model_file("momentum-strategy", f"uni-{TAG}", name="Ünïcödé 模型 🚀"), a_key)
    check("unicode text round-trips", s == 201 and b["name"] == "Ünïcödé 模型 🚀", (s, b))
    s, b, _ = call("GET", "/api/nope")
    check("unknown route is 404", s == 404, b)
    s, b, h = call("PUT", "/api/models")
    check("wrong method is 405 with Allow", s == 405 and "GET" in h.get("allow", ""), (s, h))
    s, b, _ = call("GET", "/api/openapi.json")
    check("openapi document", s == 200 and b["openapi"].startswith("3.1") and len(b["paths"]) >= 16, s)
    s, b, _ = call("GET", "/api/primitives")
    check("primitive catalogue", s == 200 and b, s)

    # API keys: create a second key, list, revoke it; the revoked key is refused at once.
    s, k2, _ = call("POST", "/api/me/keys", {"label": "e2e second"}, a_key)
    check("create a second key (shown once)", s == 201 and k2["api_key"].startswith("ak_")
          and k2["api_key"] != a_key and k2["prefix"] == k2["api_key"][:len(k2["prefix"])]
          and k2["label"] == "e2e second", (s, k2))
    s, b, _ = call("GET", "/api/me", key=k2["api_key"])
    check("the second key works", s == 200 and b["user_id"] == a_id, (s, b))
    s, b, _ = call("GET", "/api/me/keys", key=a_key)
    ids = [k["key_id"] for k in b.get("items", [])] if s == 200 else []
    check("list shows both keys, newest first, never a secret",
          s == 200 and len(ids) == 2 and ids[0] == k2["key_id"]
          and [k["current"] for k in b["items"]] == [False, True]
          and k2["api_key"] not in json.dumps(b) and a_key not in json.dumps(b)
          and all(k["revoked_at"] is None for k in b["items"]), (s, b))
    s, b, _ = call("DELETE", "/api/me/keys/" + k2["key_id"], key=b_key)
    check("another user's key is 404", s == 404 and err_code(b) == "not_found", (s, b))
    s, b, _ = call("DELETE", "/api/me/keys/" + k2["key_id"], key=a_key)
    check("revoke the second key", s == 200 and b["key_id"] == k2["key_id"] and b["revoked_at"], (s, b))
    s, b, _ = call("GET", "/api/me", key=k2["api_key"])
    check("the revoked key gets 401", s == 401 and err_code(b) == "unauthenticated", (s, b))
    s, b, _ = call("GET", "/api/me/keys", key=a_key)
    check("the list marks it revoked", s == 200 and any(k["key_id"] == k2["key_id"] and k["revoked_at"]
          for k in b["items"]), (s, b))
    first_id = next((k["key_id"] for k in b.get("items", []) if k.get("current")), "")
    s, b, _ = call("DELETE", "/api/me/keys/" + first_id, key=a_key)
    check("the only active key cannot be revoked (409)", s == 409 and err_code(b) == "conflict", (s, b))
    s, b, _ = call("DELETE", "/api/me/keys/not-a-key-id", key=a_key)
    check("a malformed key id is 400", s == 400 and err_code(b) == "invalid_request", (s, b))
    s, b, _ = call("GET", "/api/me", key=a_key)
    check("the first key still works", s == 200, (s, b))

    print(f"\n{len(failures)} failure(s)" + (": " + ", ".join(failures) if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
