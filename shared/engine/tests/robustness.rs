//! The parser, validator and binder never panic, whatever JSON arrives, and always say
//! something useful: arbitrary documents, deep nesting, huge arrays, unknown operations,
//! a 10,000-step program, hostile strings.

use auster_engine::{check_model, parse, prepare, Limits};
use proptest::prelude::*;
use serde_json::{json, Map, Value as Json};

/// Arbitrary JSON, biased towards the shapes a model file has.
fn arb_json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(|x| json!(x)),
        "[a-z$_.]{0,12}".prop_map(Json::String),
        prop::sample::select(vec![
            "add",
            "rolling_mean",
            "select",
            "fetch_market_data",
            "$symbol",
            "$$x",
            "close",
            "2020-01-01",
            "steps",
            "outputs",
            "id",
            "operation",
            "params",
            "inputs",
            "series",
            "source"
        ])
        .prop_map(|s| Json::String(s.into())),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Json::Array),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "slug",
                        "name",
                        "dsl",
                        "steps",
                        "outputs",
                        "id",
                        "operation",
                        "params",
                        "inputs",
                        "series",
                        "scalars",
                        "tables",
                        "source",
                        "input_schema",
                        "fields",
                        "type",
                        "default",
                        "window",
                        "version"
                    ]),
                    inner
                ),
                0..8
            )
            .prop_map(|kv| Json::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

/// A structurally plausible model whose steps are arbitrary.
fn arb_model() -> impl Strategy<Value = Json> {
    let step = (
        "[a-d]{1,2}",
        prop::sample::select(vec!["add", "abs", "rolling_mean", "select", "fetch_market_data", "percent_change", "nope", "shift", "mean"]),
        prop::collection::vec("[a-d]{1,2}", 0..3),
        arb_json(),
    )
        .prop_map(|(id, op, inputs, params)| json!({"id": id, "operation": op, "inputs": inputs, "params": params}));
    (prop::collection::vec(step, 0..12), arb_json()).prop_map(|(steps, outputs)| {
        json!({"slug": "fuzz-model", "name": "Fuzz", "input_schema": {"fields": [{"name": "symbol", "type": "symbol", "default": "SPX"}]},
               "dsl": {"version": "1.0", "steps": steps, "outputs": outputs}})
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_never_panics(doc in arb_json()) {
        let limits = Limits::default();
        let _ = check_model(&doc, &limits);
        let _ = parse::parse_dsl(&doc, &limits);
        let _ = parse::parse_input_schema(&doc);
    }

    #[test]
    fn plausible_models_validate_or_explain(doc in arb_model()) {
        match check_model(&doc, &Limits::default()) {
            Ok(model) => {
                // A valid model binds with its defaults, or explains why not.
                if let Err(issues) = prepare(&model, &Map::new()) {
                    prop_assert!(issues.iter().all(|i| !i.message.is_empty() && i.path.starts_with('/')));
                }
            }
            Err(issues) => {
                prop_assert!(!issues.is_empty());
                for i in &issues {
                    prop_assert!(!i.message.is_empty(), "empty message at {}", i.path);
                    prop_assert!(i.path.is_empty() || i.path.starts_with('/'), "bad pointer {}", i.path);
                }
            }
        }
    }
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    // serde_json stops at depth 128; our walker must cope with whatever it accepts.
    let mut text = String::new();
    for _ in 0..127 {
        text.push('[');
    }
    for _ in 0..127 {
        text.push(']');
    }
    let doc: Json = serde_json::from_str(&text).expect("depth 127 parses");
    let issues = check_model(&doc, &Limits::default()).expect_err("a list is no model");
    assert!(issues[0].message.contains("JSON object"), "{issues:?}");
    let too_deep = "[".repeat(10_000) + &"]".repeat(10_000);
    assert!(
        serde_json::from_str::<Json>(&too_deep).is_err(),
        "the JSON layer refuses depth 10,000"
    );
}

#[test]
fn ten_thousand_steps_get_one_clear_error() {
    let steps: Vec<Json> = (0..10_000).map(|i| json!({"id": format!("s{i}"), "operation": "abs", "inputs": [format!("s{}", i.max(1) - 1)]})).collect();
    let doc = json!({"slug": "huge", "name": "Huge", "dsl": {"steps": steps}});
    let issues = check_model(&doc, &Limits::default()).expect_err("over the step limit");
    assert_eq!(issues.len(), 1, "{:?}", &issues[..issues.len().min(3)]);
    assert_eq!(issues[0].path, "/dsl/steps");
    assert!(
        issues[0]
            .message
            .contains("10000 steps exceed the limit of 200"),
        "{}",
        issues[0].message
    );
}

#[test]
fn huge_arrays_in_params_are_refused_with_the_param_named() {
    let big: Vec<Json> = (0..200_000).map(|i| json!(i)).collect();
    let doc = json!({"slug": "big-params", "name": "Big", "dsl": {"steps": [
        {"id": "a", "operation": "fetch_market_data", "params": {"symbol": big}}
    ]}});
    let issues = check_model(&doc, &Limits::default()).expect_err("a list is not a symbol");
    assert!(issues.iter().any(|i| i.path == "/dsl/steps/0/params/symbol" && i.message.contains("must be string")), "{issues:?}");
    assert!(
        issues.iter().all(|i| i.message.len() < 400),
        "messages stay short"
    );
}

#[test]
fn hostile_strings_are_echoed_safely_and_briefly() {
    let nasty = "<script>alert(1)</script>\u{0}\u{7}\u{202e}é😀".repeat(50);
    let doc = json!({"slug": nasty, "name": nasty, "dsl": {"steps": [{"id": nasty, "operation": nasty}]}});
    let issues = check_model(&doc, &Limits::default()).expect_err("invalid");
    assert!(issues.iter().any(|i| i.path == "/slug"));
    assert!(issues.iter().any(|i| i.path == "/dsl/steps/0/id"));
    assert!(issues
        .iter()
        .any(|i| i.path == "/dsl/steps/0/operation" && i.message.starts_with("unknown operation")));
}

#[test]
fn every_error_is_reported_at_once() {
    let doc = json!({"slug": "Bad Slug", "name": "", "lab_scope": "moon", "dsl": {"steps": [
        {"id": "a", "operation": "ad"},
        {"id": "b", "operation": "abs", "inputs": ["zz"]},
        {"id": "b", "operation": "round", "inputs": ["a"], "params": {"decimals": 99, "extra": 1}}
    ], "outputs": {"series": [{"id": "o", "source": "missing"}]}}});
    let issues = check_model(&doc, &Limits::default()).expect_err("many problems");
    let paths: Vec<&str> = issues.iter().map(|i| i.path.as_str()).collect();
    for want in [
        "/slug",
        "/name",
        "/lab_scope",
        "/dsl/steps/0/operation",
        "/dsl/steps/1/inputs/0",
        "/dsl/steps/2/id",
        "/dsl/steps/2/params/decimals",
        "/dsl/steps/2/params/extra",
        "/dsl/outputs/series/0/source",
    ] {
        assert!(paths.contains(&want), "missing {want} in {paths:?}");
    }
}

#[test]
fn cycles_are_named() {
    let doc = json!({"slug": "cyc", "name": "Cycle", "dsl": {"steps": [
        {"id": "a", "operation": "abs", "inputs": ["c"]},
        {"id": "b", "operation": "abs", "inputs": ["a"]},
        {"id": "c", "operation": "abs", "inputs": ["b"]},
        {"id": "d", "operation": "abs", "inputs": ["d"]}
    ]}});
    let issues = check_model(&doc, &Limits::default()).expect_err("cycle");
    let cyc: Vec<_> = issues
        .iter()
        .filter(|i| i.message.contains("cycle"))
        .collect();
    assert_eq!(cyc.len(), 1, "{issues:?}");
    assert!(
        cyc[0].message.contains("a → b → c → a"),
        "{}",
        cyc[0].message
    );
}
