//! The OpenAPI document covers the code: it is OpenAPI 3.1, served without
//! credentials; every operation it lists is routed (a secured one answers an
//! anonymous call with 401 from its handler's `ApiUser`, where a route miss
//! would be the API's 404); no method it leaves out is routed; and every
//! actix route attribute of the API's handlers is in it; and every schema
//! it refers to is defined.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::Value;
use tt_tests::{TestApp, on_both_backends};

on_both_backends!(document_matches_the_routes);

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "PATCH"];

fn document_matches_the_routes(app: &TestApp) {
    let resp = app
        .http
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let doc: Value = resp.json().unwrap();
    let version = doc["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1."), "openapi: {version}");
    assert_eq!(doc["info"]["title"], "TimeTracker");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );

    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let secured = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            documented.insert((method.to_uppercase(), path.clone(), secured));
        }
    }
    let pairs: BTreeSet<(String, String)> = documented
        .iter()
        .map(|(m, p, _)| (m.clone(), p.clone()))
        .collect();

    // The route table handed to the rest of the server is the document's.
    let table: BTreeSet<(String, String)> = tt_http::api_route_table()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p))
        .collect();
    assert_eq!(table, pairs);

    // Every documented operation reaches its handler.
    for (method, path, secured) in &documented {
        let (status, code) = call(app, method, path);
        if *secured {
            assert_eq!(
                (status, code.as_deref()),
                (401, Some("unauthorized")),
                "{method} {path} is not routed to a handler that wants a token"
            );
        } else {
            assert!(
                ![401, 404, 405].contains(&status),
                "{method} {path} answered {status} without credentials"
            );
        }
    }

    // No method the document leaves out is routed: each answers 405
    // `method_not_allowed` (the path exists under other methods).
    let paths: BTreeSet<&String> = pairs.iter().map(|(_, p)| p).collect();
    for path in paths {
        for method in METHODS {
            if pairs.contains(&(method.to_owned(), path.clone())) {
                continue;
            }
            let (status, code) = call(app, method, path);
            // Outside /api (the health checks) the 405 is a page.
            let expected_code = path.starts_with("/api/").then_some("method_not_allowed");
            assert_eq!(
                (status, code.as_deref()),
                (405, expected_code),
                "{method} {path} is routed ({status}) but not in the document"
            );
        }
    }

    // Every route attribute of the API's handlers is documented.
    assert_eq!(route_attributes(), pairs);

    // Every schema the document refers to is in it (query parameters'
    // named types too, which the generator does not collect by itself).
    let mut refs = BTreeSet::new();
    collect_refs(&doc, &mut refs);
    for r in &refs {
        let name = r.trim_start_matches("#/components/schemas/");
        if r.starts_with("#/components/schemas/") {
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{r} is referred to but not defined"
            );
        }
    }
    assert!(refs.contains("#/components/schemas/BillableFilter"));
    // A blank billable filter is documented as accepted (it means `all`).
    assert_eq!(
        doc["components"]["schemas"]["BillableFilter"]["enum"],
        serde_json::json!(["", "all", "billable", "non_billable"])
    );
}

fn collect_refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => {
                        out.insert(r.clone());
                    }
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// An anonymous call with `1` for every id and an empty JSON object as body.
fn call(app: &TestApp, method: &str, path: &str) -> (u16, Option<String>) {
    let resp = app
        .http
        .request(
            Method::from_bytes(method.as_bytes()).unwrap(),
            app.url(&path.replace("{id}", "1")),
        )
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    let body: Value = resp.json().unwrap_or(Value::Null);
    (status, body["error"]["code"].as_str().map(str::to_owned))
}

/// `#[get("/path")]` and its kin in `crates/tt-http/src/api/`, as full
/// paths: the health endpoints at the root, the rest under `/api/v1`.
fn route_attributes() -> BTreeSet<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/tt-http/src/api");
    let mut routes = BTreeSet::new();
    for file in std::fs::read_dir(&dir).unwrap() {
        let file = file.unwrap().path();
        let source = std::fs::read_to_string(&file).unwrap();
        let prefix = if file.ends_with("health.rs") {
            ""
        } else {
            "/api/v1"
        };
        for line in source.lines().map(str::trim) {
            for method in METHODS {
                let open = format!("#[{}(\"", method.to_lowercase());
                if let Some(rest) = line.strip_prefix(&open) {
                    let path = rest.split('"').next().unwrap();
                    routes.insert((method.to_owned(), format!("{prefix}{path}")));
                }
            }
        }
    }
    assert!(
        routes.len() > 40,
        "found only {routes:?} in {}",
        dir.display()
    );
    routes
}
