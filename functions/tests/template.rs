//! `template.yaml` deploys exactly the code in this repository.
//!
//! Parses the SAM template (CloudFormation tags such as `!Ref` and `!Sub` kept as tagged
//! YAML values) and proves, against the crates themselves rather than copies of them:
//! - every bin in `functions/src/bin` has exactly one function and every function a bin;
//! - every route of [`auster_api::ROUTES`] is wired to its function with its method and
//!   path, and each bin's `//!` line names the same method and path;
//! - every function's environment (globals merged with its own) satisfies
//!   [`auster_api::Config::from_lookup`] with the AWS store, every variable it sets is one
//!   the code reads, and provider keys come from a secret store, never plaintext;
//! - routes that write hold write policies and read-only routes hold none;
//! - the table's keys, indexes and TTL match [`auster_store::table::definition`];
//! - the CloudFront function is `infra/cloudfront/spa-fallback.js`, on the site behavior only.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use auster_api::config::{vars, StoreConfig};
use auster_api::{Route, ROUTES};
use serde_yaml::{Mapping, Value};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn template() -> Value {
    let path = repo().join("template.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("template.yaml is not YAML: {e}"))
}

/// `v[k]` for a mapping, `Null` otherwise.
fn get<'a>(v: &'a Value, k: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    v.as_mapping().and_then(|m| m.get(k)).unwrap_or(&NULL)
}

fn mapping(v: &Value) -> Mapping {
    v.as_mapping().cloned().unwrap_or_default()
}

/// The tag (`Ref`, `Sub`, …, without the `!`) and inner value of a tagged node.
fn tagged(v: &Value) -> Option<(String, &Value)> {
    match v {
        Value::Tagged(t) => Some((
            t.tag.to_string().trim_start_matches('!').to_string(),
            &t.value,
        )),
        _ => None,
    }
}

/// The target of `!Ref X` or `{Ref: X}`.
fn ref_target(v: &Value) -> Option<String> {
    match tagged(v) {
        Some((tag, inner)) if tag == "Ref" => inner.as_str().map(str::to_string),
        _ => get(v, "Ref").as_str().map(str::to_string),
    }
}

/// A plain scalar as text (`"1048576"`, `25`, `aws`).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

struct Template {
    root: Value,
}

impl Template {
    fn load() -> Self {
        Self { root: template() }
    }

    fn resources(&self) -> Mapping {
        mapping(get(&self.root, "Resources"))
    }

    fn resource(&self, name: &str) -> Value {
        get(get(&self.root, "Resources"), name).clone()
    }

    fn resource_type(&self, name: &str) -> Option<String> {
        get(&self.resource(name), "Type")
            .as_str()
            .map(str::to_string)
    }

    /// Serverless functions by logical id.
    fn functions(&self) -> BTreeMap<String, Value> {
        self.resources()
            .into_iter()
            .filter(|(_, r)| get(r, "Type").as_str() == Some("AWS::Serverless::Function"))
            .map(|(k, r)| (k.as_str().unwrap_or_default().to_string(), r))
            .collect()
    }

    fn global_function(&self) -> Value {
        get(get(&self.root, "Globals"), "Function").clone()
    }

    /// A function property, falling back to `Globals.Function`.
    fn property(&self, f: &Value, key: &str) -> Value {
        let own = get(get(f, "Properties"), key);
        if own.is_null() {
            get(&self.global_function(), key).clone()
        } else {
            own.clone()
        }
    }

    /// A function's environment: globals overridden by its own variables (SAM merges the two maps).
    fn environment(&self, f: &Value) -> BTreeMap<String, Value> {
        let mut env = BTreeMap::new();
        for source in [
            get(get(&self.global_function(), "Environment"), "Variables"),
            get(get(get(f, "Properties"), "Environment"), "Variables"),
        ] {
            for (k, v) in mapping(source) {
                env.insert(k.as_str().unwrap_or_default().to_string(), v);
            }
        }
        env
    }

    /// The default of a template parameter.
    fn parameter_default(&self, name: &str) -> Option<String> {
        scalar(get(get(get(&self.root, "Parameters"), name), "Default"))
    }
}

/// `create-account` → `CreateAccount`.
fn pascal(id: &str) -> String {
    id.split('-')
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The bins of this crate and the `METHOD /path` of each one's first `//!` line.
fn bins() -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("functions/src/bin") {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("utf-8 name")
            .to_string();
        let text = std::fs::read_to_string(&path).expect("bin source");
        let doc = text
            .lines()
            .find_map(|l| l.strip_prefix("//!"))
            .unwrap_or_else(|| {
                panic!(
                    "{} has no `//!` line naming its method and path",
                    path.display()
                )
            })
            .trim()
            .to_string();
        out.insert(name, doc);
    }
    assert!(!out.is_empty(), "no bins found in {}", dir.display());
    out
}

/// The function serving bin `bin`, by its `BuildProperties.Binary`.
fn binary_of(f: &Value) -> Option<String> {
    get(get(get(f, "Metadata"), "BuildProperties"), "Binary")
        .as_str()
        .map(str::to_string)
}

/// Whether a route changes state. Safe methods read and the rest write, with the two
/// exceptions the route code makes: `POST /api/validate` is a pure check of the posted
/// DSL, and `GET /api/artifacts/{slug}` counts the view (`record_artifact_view`).
fn writes(route: &Route) -> bool {
    match route.id {
        "validate-dsl" => false,
        "get-artifact" => true,
        _ => !matches!(route.method, "GET" | "HEAD"),
    }
}

#[test]
fn every_bin_has_exactly_one_function_and_every_function_a_bin() {
    let t = Template::load();
    let bins = bins();
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, f) in t.functions() {
        let meta = get(&f, "Metadata");
        assert_eq!(
            get(meta, "BuildMethod").as_str(),
            Some("rust-cargolambda"),
            "{id}: BuildMethod"
        );
        let bin =
            binary_of(&f).unwrap_or_else(|| panic!("{id} has no Metadata.BuildProperties.Binary"));
        assert!(
            bins.contains_key(&bin),
            "{id} builds `{bin}`, which is not a bin in functions/src/bin"
        );
        assert_eq!(
            id,
            format!("{}Function", pascal(&bin)),
            "logical id of `{bin}`"
        );
        seen.entry(bin).or_default().push(id);
    }
    for bin in bins.keys() {
        match seen.get(bin).map(Vec::len) {
            Some(1) => {}
            None => panic!("bin `{bin}` has no function in template.yaml"),
            Some(_) => panic!("bin `{bin}` has several functions: {:?}", seen[bin]),
        }
    }
    // Runtime settings every function shares (the builder and the bootstrap binary need them).
    for (id, f) in t.functions() {
        assert_eq!(
            t.property(&f, "Runtime").as_str(),
            Some("provided.al2023"),
            "{id}"
        );
        assert_eq!(
            t.property(&f, "Handler").as_str(),
            Some("bootstrap"),
            "{id}"
        );
        let arch = t.property(&f, "Architectures");
        assert_eq!(
            arch.as_sequence().map(|s| s.len()),
            Some(1),
            "{id}: one architecture"
        );
        assert_eq!(arch[0].as_str(), Some("arm64"), "{id}");
        // The cargo-lambda builder looks for CodeUri/target/lambda/<bin>/bootstrap, and the
        // workspace's target/ is at its root.
        assert_eq!(
            t.property(&f, "CodeUri").as_str(),
            Some("."),
            "{id}: CodeUri"
        );
        let mem = t.property(&f, "MemorySize").as_u64().expect("MemorySize");
        let timeout = t.property(&f, "Timeout").as_u64().expect("Timeout");
        assert!((128..=10240).contains(&mem), "{id}: MemorySize {mem}");
        // API Gateway gives up on an integration after 30 s.
        assert!((1..=29).contains(&timeout), "{id}: Timeout {timeout} s");
        let group = ref_target(get(&t.property(&f, "LoggingConfig"), "LogGroup"))
            .unwrap_or_else(|| panic!("{id}: LoggingConfig.LogGroup must !Ref a log group"));
        assert_eq!(
            t.resource_type(&group).as_deref(),
            Some("AWS::Logs::LogGroup"),
            "{id}"
        );
        let retention = t.resource(&group);
        assert!(
            !get(get(&retention, "Properties"), "RetentionInDays").is_null(),
            "{group}: log retention"
        );
    }
}

#[test]
fn every_route_is_wired_to_its_function_with_its_method_and_path() {
    let t = Template::load();
    let bins = bins();
    let functions = t.functions();
    let mut wired = BTreeSet::new();
    for route in ROUTES {
        let doc = bins.get(route.id).unwrap_or_else(|| {
            panic!(
                "route `{}` has no bin functions/src/bin/{}.rs",
                route.id, route.id
            )
        });
        assert_eq!(
            doc,
            &format!("{} {}", route.method, route.path),
            "`//!` line of {}.rs",
            route.id
        );
        let id = format!("{}Function", pascal(route.id));
        let f = functions
            .get(&id)
            .unwrap_or_else(|| panic!("route `{}`: no {id}", route.id));
        let events = mapping(get(get(f, "Properties"), "Events"));
        assert_eq!(events.len(), 1, "{id}: exactly one event");
        let (_, event) = events.into_iter().next().expect("one event");
        assert_eq!(
            get(&event, "Type").as_str(),
            Some("HttpApi"),
            "{id}: event type"
        );
        let props = get(&event, "Properties");
        assert_eq!(
            ref_target(get(props, "ApiId")).as_deref(),
            Some("HttpApi"),
            "{id}: ApiId"
        );
        assert_eq!(
            get(props, "Method").as_str(),
            Some(route.method),
            "{id}: method"
        );
        assert_eq!(get(props, "Path").as_str(), Some(route.path), "{id}: path");
        assert!(
            wired.insert((route.method, route.path)),
            "{} {} wired twice",
            route.method,
            route.path
        );
    }
    for bin in bins.keys() {
        assert!(
            ROUTES.iter().any(|r| r.id == bin.as_str()),
            "bin `{bin}` serves no route of auster_api::ROUTES"
        );
    }
    assert_eq!(
        t.resource_type("HttpApi").as_deref(),
        Some("AWS::Serverless::HttpApi")
    );
}

#[test]
fn every_function_sets_what_config_requires_and_nothing_it_does_not_read() {
    let t = Template::load();
    // Variables read outside auster_api::config::vars: the data gateway's provider keys and
    // tracing's filter.
    let also_read = ["FRED_API_KEY", "POLYGON_API_KEY", "RUST_LOG"];
    for (id, f) in t.functions() {
        let env = t.environment(&f);
        for (name, value) in &env {
            assert!(
                vars::ALL.contains(&name.as_str()) || also_read.contains(&name.as_str()),
                "{id} sets {name}, which no code reads"
            );
            if name.ends_with("_API_KEY") {
                let text = serde_yaml::to_string(value).expect("yaml");
                assert!(
                    text.contains("{{resolve:secretsmanager:") || text.contains("{{resolve:ssm:"),
                    "{id}: {name} must come from Secrets Manager or SSM, not plaintext: {text}"
                );
            }
        }
        // The layers mounted at /opt, by their content folder.
        let layers: Vec<PathBuf> = t
            .property(&f, "Layers")
            .as_sequence()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(ref_target)
            .map(|l| {
                let layer = t.resource(&l);
                let uri = get(get(&layer, "Properties"), "ContentUri");
                repo().join(
                    uri.as_str()
                        .unwrap_or_else(|| panic!("layer {l} has no ContentUri")),
                )
            })
            .collect();
        // Resolve each variable as CloudFormation would with the default parameters: a Ref to
        // a parameter is its default, a Ref to a resource a name, and an `!If` (the optional
        // provider keys) absent.
        let resolved: BTreeMap<String, String> = env
            .iter()
            .filter_map(|(k, v)| {
                let value = match ref_target(v) {
                    Some(target) => match t.parameter_default(&target) {
                        Some(d) => d,
                        None => {
                            assert!(
                                t.resource_type(&target).is_some(),
                                "{id}: {k} refers to missing {target}"
                            );
                            format!("resolved-{target}")
                        }
                    },
                    None => scalar(v)?,
                };
                Some((k.clone(), value))
            })
            .collect();
        let lookup = |k: &str| -> Option<String> {
            let v = resolved.get(k)?.clone();
            // Lambda mounts layer content at /opt; locally that is the layer's folder.
            if k == vars::DATASETS {
                if let Some(rest) = v.strip_prefix("/opt") {
                    let rest = rest.trim_start_matches('/').to_string();
                    if let Some(dir) = layers.iter().map(|l| l.join(&rest)).find(|d| d.is_dir()) {
                        return Some(dir.display().to_string());
                    }
                }
            }
            Some(v)
        };
        let config = auster_api::Config::from_lookup(lookup)
            .unwrap_or_else(|e| panic!("{id}: its environment does not configure the API: {e}"));
        assert_eq!(
            config.store,
            StoreConfig::Aws {
                table: "resolved-Table".into(),
                bucket: "resolved-ArtifactsBucket".into()
            },
            "{id}: the AWS store on this stack's table and artifacts bucket"
        );
        assert_eq!(
            t.resource_type("Table").as_deref(),
            Some("AWS::DynamoDB::Table")
        );
        assert_eq!(
            t.resource_type("ArtifactsBucket").as_deref(),
            Some("AWS::S3::Bucket")
        );
    }
    // Live data reaches the one route that fetches it.
    let functions = t.functions();
    let run = &functions["RunModelFunction"];
    let env = t.environment(run);
    assert!(
        env.contains_key("FRED_API_KEY") && env.contains_key("POLYGON_API_KEY"),
        "run-model provider keys"
    );
}

#[test]
fn writers_and_only_writers_have_write_access() {
    let t = Template::load();
    let functions = t.functions();
    let mut writers = 0;
    for route in ROUTES {
        let id = format!("{}Function", pascal(route.id));
        let f = &functions[&id];
        let policies = get(get(f, "Properties"), "Policies")
            .as_sequence()
            .cloned()
            .unwrap_or_else(|| panic!("{id}: Policies must be a list of policy templates"));
        let mut table_write = false;
        let mut table_read = false;
        for p in &policies {
            let (name, args) = mapping(p)
                .into_iter()
                .next()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), v))
                .unwrap_or_else(|| panic!("{id}: {p:?} is not a SAM policy template"));
            match name.as_str() {
                "DynamoDBCrudPolicy" | "DynamoDBReadPolicy" => {
                    assert_eq!(
                        ref_target(get(&args, "TableName")).as_deref(),
                        Some("Table"),
                        "{id}: {name}"
                    );
                    table_write |= name == "DynamoDBCrudPolicy";
                    table_read |= name == "DynamoDBReadPolicy";
                }
                "S3CrudPolicy" | "S3ReadPolicy" => {
                    assert_eq!(
                        ref_target(get(&args, "BucketName")).as_deref(),
                        Some("ArtifactsBucket"),
                        "{id}: {name}"
                    );
                    assert!(
                        name == "S3ReadPolicy" || writes(route),
                        "{id}: read-only route `{}` must not hold {name}",
                        route.id
                    );
                }
                // Anything broader (managed policies, inline statements) needs a reviewed
                // change here, so least privilege cannot erode unnoticed.
                other => panic!("{id}: unexpected policy {other}"),
            }
        }
        if writes(route) {
            writers += 1;
            assert!(
                table_write,
                "{id}: `{} {}` writes and needs DynamoDBCrudPolicy",
                route.method, route.path
            );
        } else {
            assert!(
                !table_write,
                "{id}: read-only `{} {}` must not hold DynamoDBCrudPolicy",
                route.method, route.path
            );
            // Even routes that store nothing authenticate API keys against the table.
            assert!(
                table_read,
                "{id}: needs DynamoDBReadPolicy to authenticate keys"
            );
        }
    }
    assert!(
        writers > 0 && writers < ROUTES.len(),
        "the split must have both kinds"
    );
}

#[test]
fn the_table_matches_the_store_definition() {
    let t = Template::load();
    let table = t.resource("Table");
    assert_eq!(get(&table, "Type").as_str(), Some("AWS::DynamoDB::Table"));
    let p = get(&table, "Properties");
    let def = auster_store::table::definition();
    assert_eq!(
        get(p, "BillingMode").as_str(),
        Some("PAY_PER_REQUEST"),
        "on-demand"
    );
    let attrs: BTreeSet<(String, String)> = get(p, "AttributeDefinitions")
        .as_sequence()
        .expect("AttributeDefinitions")
        .iter()
        .map(|a| {
            (
                get(a, "AttributeName").as_str().expect("name").to_string(),
                get(a, "AttributeType").as_str().expect("type").to_string(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String)> = def
        .attributes
        .iter()
        .map(|(n, ty)| (n.to_string(), ty.as_str().to_string()))
        .collect();
    assert_eq!(attrs, want, "AttributeDefinitions");
    let keys = |schema: &Value| -> (String, String) {
        let s = schema.as_sequence().expect("KeySchema");
        let key = |kind: &str| {
            s.iter()
                .find(|k| get(k, "KeyType").as_str() == Some(kind))
                .and_then(|k| get(k, "AttributeName").as_str())
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(s.len(), 2, "a partition and a sort key");
        (key("HASH"), key("RANGE"))
    };
    assert_eq!(
        keys(get(p, "KeySchema")),
        (def.pk.to_string(), def.sk.to_string())
    );
    let gsis: BTreeMap<String, (String, String)> = get(p, "GlobalSecondaryIndexes")
        .as_sequence()
        .expect("GlobalSecondaryIndexes")
        .iter()
        .map(|g| {
            assert_eq!(
                get(get(g, "Projection"), "ProjectionType").as_str(),
                Some("ALL")
            );
            (
                get(g, "IndexName").as_str().expect("IndexName").to_string(),
                keys(get(g, "KeySchema")),
            )
        })
        .collect();
    let want: BTreeMap<String, (String, String)> = def
        .gsis
        .iter()
        .map(|g| (g.name.to_string(), (g.pk.to_string(), g.sk.to_string())))
        .collect();
    assert_eq!(gsis, want, "GlobalSecondaryIndexes");
    let ttl = get(p, "TimeToLiveSpecification");
    assert_eq!(get(ttl, "AttributeName").as_str(), Some(def.ttl_attribute));
    assert_eq!(get(ttl, "Enabled").as_bool(), Some(true));
    let pitr = get(
        get(p, "PointInTimeRecoverySpecification"),
        "PointInTimeRecoveryEnabled",
    );
    assert_eq!(pitr.as_bool(), Some(true), "point-in-time recovery");
    assert_eq!(
        get(get(p, "SSESpecification"), "SSEEnabled").as_bool(),
        Some(true),
        "encryption"
    );
}

#[test]
fn the_site_function_is_the_checked_in_source_on_the_site_behavior_only() {
    let t = Template::load();
    let f = t.resource("SpaFallbackFunction");
    let code = get(get(&f, "Properties"), "FunctionCode")
        .as_str()
        .expect("inline FunctionCode");
    let path = repo().join("infra/cloudfront/spa-fallback.js");
    let source = std::fs::read_to_string(&path).expect("infra/cloudfront/spa-fallback.js");
    assert_eq!(
        code.trim_end(),
        source.trim_end(),
        "template copy differs from {}",
        path.display()
    );
    let distribution = t.resource("Distribution");
    let config = get(get(&distribution, "Properties"), "DistributionConfig");
    let default = get(config, "DefaultCacheBehavior");
    let assoc = get(default, "FunctionAssociations")
        .as_sequence()
        .expect("default behavior function");
    assert_eq!(assoc.len(), 1);
    assert_eq!(get(&assoc[0], "EventType").as_str(), Some("viewer-request"));
    let behaviors = get(config, "CacheBehaviors")
        .as_sequence()
        .expect("CacheBehaviors");
    let api = behaviors
        .iter()
        .find(|b| get(b, "PathPattern").as_str() == Some("/api/*"))
        .expect("an /api/* behavior");
    assert!(
        get(api, "FunctionAssociations").is_null(),
        "API 404s must not become the app shell"
    );
    assert_eq!(get(api, "TargetOriginId").as_str(), Some("api"));
    // Managed CachingDisabled and AllViewerExceptHostHeader.
    assert_eq!(
        get(api, "CachePolicyId").as_str(),
        Some("4135ea2d-6df8-44a3-9df3-4b5a84be39ad")
    );
    assert_eq!(
        get(api, "OriginRequestPolicyId").as_str(),
        Some("b689b0a8-53d0-40ab-baf2-68738e2966ac")
    );
    // The site cannot be served by an error page rewrite that would also hit the API.
    assert!(get(config, "CustomErrorResponses").is_null());
}

#[test]
fn the_content_security_policy_is_strict() {
    let t = Template::load();
    let policy = t.resource("SecurityHeadersPolicy");
    let csp = get(
        get(
            get(
                get(get(&policy, "Properties"), "ResponseHeadersPolicyConfig"),
                "SecurityHeadersConfig",
            ),
            "ContentSecurityPolicy",
        ),
        "ContentSecurityPolicy",
    );
    let text = match tagged(csp) {
        Some((tag, inner)) if tag == "Sub" => inner.as_str().expect("!Sub string").to_string(),
        _ => csp.as_str().expect("CSP string").to_string(),
    };
    let directive = |name: &str| {
        text.split(';')
            .map(str::trim)
            .find(|d| d.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("CSP has no {name}: {text}"))
            .to_string()
    };
    assert_eq!(directive("default-src"), "default-src 'none'");
    let script = directive("script-src");
    assert!(
        script.contains("'wasm-unsafe-eval'"),
        "the wasm app must compile: {script}"
    );
    for bad in ["'unsafe-eval'", "'unsafe-inline'", "*", "data:", "http:"] {
        assert!(
            !script.split_whitespace().any(|s| s == bad),
            "script-src allows {bad}"
        );
    }
    assert!(directive("frame-ancestors").ends_with("'none'"));
    assert!(directive("object-src").ends_with("'none'"));
    let hsts = get(
        get(
            get(get(&policy, "Properties"), "ResponseHeadersPolicyConfig"),
            "SecurityHeadersConfig",
        ),
        "StrictTransportSecurity",
    );
    assert!(
        get(hsts, "AccessControlMaxAgeSec").as_u64().unwrap_or(0) >= 31_536_000,
        "HSTS a year or more"
    );
}
