//! `openapi.yaml`, generated from the wire types (schemars) so the spec cannot drift from the code.
//!
//! [`spec`] builds the OpenAPI 3.0 document: one operation per route of [`crate::http::route`], request
//! schemas from the `Deserialize` side of the wire types, response schemas from their `Serialize` side,
//! the error contract of API.md, and each capability's `events/<name>/requests/basic.json` as its
//! example. [`to_yaml`] writes it in block YAML. Regenerate with `cargo run -p twin -- openapi >
//! openapi.yaml`; a test fails when the committed file differs.
//!
//! A new capability adds its request and response types to `capability_schemas`.

use crate::depot_simulation::{DepotSimulationRequest, DepotSimulationResponse};
use crate::range_remaining::{RangeRemainingRequest, RangeRemainingResponse};
use crate::time_to_charge::{TimeToChargeRequest, TimeToChargeResponse};
use crate::trip_planning::{TripPlanningRequest, TripPlanningResponse};
use crate::{Capability, MAX_BODY_BYTES};
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::JsonSchema;
use serde_json::{json, Map, Value};
use std::path::Path;

/// Request and response schemas (`$ref`s into the generators' definitions) of one capability.
fn capability_schemas(
    cap: Capability,
    req: &mut SchemaGenerator,
    resp: &mut SchemaGenerator,
) -> (Value, Value) {
    fn pair<Q: JsonSchema, R: JsonSchema>(
        req: &mut SchemaGenerator,
        resp: &mut SchemaGenerator,
    ) -> (Value, Value) {
        (
            req.subschema_for::<Q>().to_value(),
            resp.subschema_for::<R>().to_value(),
        )
    }
    match cap {
        Capability::TimeToCharge => pair::<TimeToChargeRequest, TimeToChargeResponse>(req, resp),
        Capability::RangeRemaining => {
            pair::<RangeRemainingRequest, RangeRemainingResponse>(req, resp)
        }
        Capability::TripPlanning => pair::<TripPlanningRequest, TripPlanningResponse>(req, resp),
        Capability::DepotSimulation => {
            pair::<DepotSimulationRequest, DepotSimulationResponse>(req, resp)
        }
    }
}

fn summary(cap: Capability) -> &'static str {
    match cap {
        Capability::TimeToCharge => {
            "How long until this vehicle reaches its target SoC on this charger, and with what power profile"
        }
        Capability::RangeRemaining => {
            "How far this vehicle can still go, given SoC, weather, load and duty cycle, with what uncertainty"
        }
        Capability::TripPlanning => {
            "Whether this vehicle can run this block of trips, where SoC falls below reserve, and what charging fixes it"
        }
        Capability::DepotSimulation => {
            "Whether every vehicle is ready at pull-out within the grid limit, the site peak, energy and cost"
        }
    }
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

fn error_schema() -> Value {
    json!({
        "description": "The error contract: a 4xx for anything the caller sent, 5xx only for our own failures.",
        "type": "object",
        "required": ["error"],
        "additionalProperties": false,
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "additionalProperties": false,
                "properties": {
                    "code": {
                        "type": "string",
                        "description": "Machine-readable code: malformed_json, invalid_request, unprocessable, too_large, not_found, method_not_allowed, not_implemented, internal, unavailable."
                    },
                    "message": {"type": "string", "description": "What is wrong, naming the field and the limit."},
                    "field": {"type": "string", "description": "Dotted path of the offending field, when one is to blame."}
                }
            }
        }
    })
}

fn basic_example(events_dir: Option<&Path>, cap: Capability) -> Option<Value> {
    let file = events_dir?
        .join(cap.name())
        .join("requests")
        .join("basic.json");
    let text = std::fs::read_to_string(file).ok()?;
    serde_json::from_str(&text).ok()
}

fn post_operation(cap: Capability, schemas: (Value, Value), example: Option<Value>) -> Value {
    let (req_schema, resp_schema) = schemas;
    let mut media = Map::new();
    media.insert("schema".into(), req_schema);
    if let Some(ex) = example {
        media.insert("example".into(), ex);
    }
    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        json!({"description": "The answer.", "content": {"application/json": {"schema": resp_schema}}}),
    );
    if cap == Capability::DepotSimulation {
        responses.insert(
            "202".into(),
            json!({"description": "Accepted for an asynchronous run: poll GET /v1/depot-simulations/{run_id}.",
                   "content": {"application/json": {"schema": {"type": "object", "required": ["run_id", "status"]}}}}),
        );
    }
    responses.insert(
        "400".into(),
        error_response("Malformed JSON, or a field that is missing, of the wrong type, unknown or out of range (named in `field`)."),
    );
    responses.insert(
        "413".into(),
        error_response(&format!("Too large: a body over {MAX_BODY_BYTES} bytes, an array over its limit, or more work than a synchronous request may run (send it asynchronously).")),
    );
    responses.insert(
        "422".into(),
        error_response("Well-formed but impossible (e.g. a charge curve that delivers no power)."),
    );
    json!({
        "operationId": cap.name(),
        "summary": summary(cap),
        "requestBody": {"required": true, "content": {"application/json": Value::Object(media)}},
        "responses": Value::Object(responses),
    })
}

/// The OpenAPI 3.0 document. `events_dir` (the repository's `events/`) supplies each capability's
/// `requests/basic.json` as its example; without it the spec has no examples.
pub fn spec(events_dir: Option<&Path>) -> Value {
    let mut req = SchemaSettings::openapi3()
        .for_deserialize()
        .into_generator();
    let mut resp = SchemaSettings::openapi3().for_serialize().into_generator();
    let mut paths = Map::new();
    for cap in Capability::ALL {
        let schemas = capability_schemas(cap, &mut req, &mut resp);
        let op = post_operation(cap, schemas, basic_example(events_dir, cap));
        paths.insert(cap.path().into(), json!({ "post": op }));
    }
    paths.insert(
        "/v1/depot-simulations/{run_id}".into(),
        json!({"get": {
            "operationId": "get_depot_simulation",
            "summary": "A stored depot simulation run: its status, and its results once it has succeeded",
            "parameters": [{
                "name": "run_id", "in": "path", "required": true,
                "description": "Run id: 1-128 of A-Z a-z 0-9 . _ - : (no `..`).",
                "schema": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[A-Za-z0-9._:-]+$"}
            }],
            "responses": {
                "200": {"description": "The run: its status, and once it has succeeded the depot simulation response (summary, vehicles, artifact URLs).",
                        "content": {"application/json": {"schema": {"type": "object", "required": ["run_id", "status"]}}}},
                "400": error_response("The run id has characters outside the safe set."),
                "404": error_response("No run with this id."),
            }
        }}),
    );
    paths.insert(
        "/v1/vehicles".into(),
        json!({"get": {
            "operationId": "list_vehicles",
            "summary": "The vehicle catalogue: ids for `vehicle.model`, with what is estimated and the source",
            "responses": {"200": {"description": "The catalogue.", "content": {"application/json": {"schema": {
                "type": "object", "required": ["vehicles"],
                "properties": {"vehicles": {"type": "array", "items": {"type": "object"}}}
            }}}}}
        }}),
    );
    paths.insert(
        "/health".into(),
        json!({"get": {
            "operationId": "health",
            "summary": "Liveness",
            "responses": {"200": {"description": "Alive.", "content": {"application/json": {"schema": {
                "type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}
            }}}}}
        }}),
    );
    let mut schemas = req.take_definitions(true);
    for (name, schema) in resp.take_definitions(true) {
        match schemas.get(&name) {
            Some(existing) if *existing != schema => {
                // The same type described differently for reading and writing: keep both.
                schemas.insert(format!("{name}Response"), schema);
            }
            _ => {
                schemas.insert(name, schema);
            }
        }
    }
    schemas.insert("Error".into(), error_schema());
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "ev-twin",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "An electric-fleet digital twin: four capabilities behind one HTTP API (API Gateway in AWS, `twin serve` locally). Generated from the Rust wire types by `twin openapi`; the prose contract is API.md.",
        },
        "paths": Value::Object(paths),
        "components": {"schemas": Value::Object(schemas)},
    })
}

/// Block-style YAML for a JSON value (strings and awkward keys JSON-quoted, which YAML reads as-is).
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::from(
        "# Generated from the wire types by `cargo run -p twin -- openapi > openapi.yaml`; do not edit.\n",
    );
    write_yaml(&mut out, v, 0);
    out
}

fn yaml_key(k: &str) -> String {
    let plain = !k.is_empty()
        && k.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'.' | b'-' | b'/' | b'{' | b'}')
        })
        && k.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'/')
        && !matches!(
            k,
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        )
        && k.parse::<f64>().is_err();
    if plain {
        k.to_string()
    } else {
        Value::String(k.to_string()).to_string()
    }
}

fn inline(v: &Value) -> Option<String> {
    match v {
        Value::Object(m) if m.is_empty() => Some("{}".into()),
        Value::Array(a) if a.is_empty() => Some("[]".into()),
        Value::Object(_) | Value::Array(_) => None,
        // YAML 1.1 readers (PyYAML) take `1e-5` for a string: write exponents with a decimal point.
        Value::Number(n) => {
            let s = n.to_string();
            match s.split_once('e') {
                Some((m, e)) if !m.contains('.') => Some(format!("{m}.0e{e}")),
                _ => Some(s),
            }
        }
        other => Some(other.to_string()),
    }
}

fn write_yaml(out: &mut String, v: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                match inline(x) {
                    Some(s) => out.push_str(&format!("{pad}{}: {s}\n", yaml_key(k))),
                    None => {
                        out.push_str(&format!("{pad}{}:\n", yaml_key(k)));
                        write_yaml(out, x, indent + 2);
                    }
                }
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for x in a {
                match inline(x) {
                    Some(s) => out.push_str(&format!("{pad}- {s}\n")),
                    None => {
                        // The item's first line goes after the dash; the rest keeps its indent.
                        let mut item = String::new();
                        write_yaml(&mut item, x, indent + 2);
                        let body = item.get(indent + 2..).unwrap_or("");
                        out.push_str(&format!("{pad}- {body}"));
                    }
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", inline(other).unwrap_or_default())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn repo() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn openapi_yaml_matches_the_wire_types() {
        let want = to_yaml(&spec(Some(&repo().join("events"))));
        let have = std::fs::read_to_string(repo().join("openapi.yaml")).unwrap_or_default();
        assert!(
            have == want,
            "openapi.yaml is stale or missing: regenerate it with `cargo run -p twin -- openapi > openapi.yaml`"
        );
    }

    #[test]
    fn every_route_is_described_with_its_errors() {
        let s = spec(None);
        for cap in Capability::ALL {
            let op = &s["paths"][cap.path()]["post"];
            assert!(op.is_object(), "{} missing", cap.path());
            for status in ["200", "400", "413", "422"] {
                assert!(
                    op["responses"][status].is_object(),
                    "{} {status}",
                    cap.path()
                );
            }
        }
        assert!(s["paths"]["/v1/depot-simulations/{run_id}"]["get"].is_object());
        // The request schema is the Rust type: unknown fields are refused there, so here too.
        let ttc = &s["components"]["schemas"]["TimeToChargeRequest"];
        assert_eq!(ttc["additionalProperties"], json!(false));
        let req: Vec<&str> = ttc["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(req.contains(&"soc_pct") && req.contains(&"charger"));
    }

    #[test]
    fn yaml_writer_round_trips_awkward_values() {
        let v = json!({"a": {"b": [1, {"c": "x: y", "d": []}, [true, null]], "": "e", "on": 2.5,
                      "/v1/x/{id}": {}, "s": "line\nbreak \"q\"", "f": 1e300, "g": 2.5e300}});
        let y = to_yaml(&v);
        assert!(y.contains("\"\": \"e\""));
        assert!(y.contains("\"on\": 2.5"));
        assert!(y.contains("/v1/x/{id}: {}"));
        assert!(y.contains("    - 1\n    - c: \"x: y\"\n      d: []\n"));
        // Exponents keep a decimal point so YAML 1.1 readers see numbers, not strings.
        assert!(
            y.contains("f: 1.0e+300\n") && y.contains("g: 2.5e+300\n"),
            "{y}"
        );
    }
}
