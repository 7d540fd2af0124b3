//! Parsing and checking requests at the boundary: every failure names its field.

use crate::error::ApiError;
use crate::strict::Strict;
use serde::de::DeserializeOwned;

/// Parses a JSON body into `T`, turning serde errors into 400s that name the field path.
/// Unknown fields are refused by the wire types (`deny_unknown_fields`); an array or a scalar where an
/// object is expected (the body itself, or any nested struct) is refused too ([`crate::strict`]).
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = match serde_path_to_error::deserialize(Strict(&mut de)) {
        Ok(v) => v,
        Err(e) => return Err(from_path_error(e)),
    };
    if let Err(e) = de.end() {
        return Err(ApiError::malformed(format!("malformed JSON: {e}")));
    }
    Ok(value)
}

fn from_path_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    use serde_json::error::Category;
    match inner.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::malformed(format!("malformed JSON: {inner}"))
        }
        Category::Data => {
            let msg = strip_position(&inner.to_string());
            let mut field = if path == "." { String::new() } else { path };
            if let Some(name) = msg
                .strip_prefix("unknown field `")
                .and_then(|r| r.split('`').next())
            {
                if !(field == name || field.ends_with(&format!(".{name}"))) {
                    field = if field.is_empty() {
                        name.to_string()
                    } else {
                        format!("{field}.{name}")
                    };
                }
            } else if let Some(name) = msg
                .strip_prefix("missing field `")
                .and_then(|r| r.split('`').next())
            {
                field = if field.is_empty() {
                    name.to_string()
                } else {
                    format!("{field}.{name}")
                };
            }
            if field.is_empty() {
                // The body itself is not the object the route takes (an array, a string, null...).
                return ApiError::invalid("", format!("request body: {msg}"));
            }
            ApiError::invalid(field, msg)
        }
    }
}

fn strip_position(s: &str) -> String {
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s.to_string(),
    }
}

/// A number as a person reads it: `1e300`, not three hundred digits.
fn num(v: f64) -> String {
    if v != 0.0 && !(1e-6..1e9).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// A finite number within `[lo, hi]`.
pub fn range(field: &str, v: f64, lo: f64, hi: f64) -> Result<f64, ApiError> {
    if !v.is_finite() {
        return Err(ApiError::invalid(field, "must be a finite number"));
    }
    if v < lo || v > hi {
        return Err(ApiError::invalid(
            field,
            format!("must be between {lo} and {hi}, got {}", num(v)),
        ));
    }
    Ok(v)
}

/// A finite number strictly above `lo` and at most `hi`.
pub fn positive(field: &str, v: f64, hi: f64) -> Result<f64, ApiError> {
    if !v.is_finite() {
        return Err(ApiError::invalid(field, "must be a finite number"));
    }
    if v <= 0.0 || v > hi {
        return Err(ApiError::invalid(
            field,
            format!("must be > 0 and at most {hi}, got {}", num(v)),
        ));
    }
    Ok(v)
}

/// An optional number within range.
pub fn opt_range(field: &str, v: Option<f64>, lo: f64, hi: f64) -> Result<Option<f64>, ApiError> {
    v.map(|x| range(field, x, lo, hi)).transpose()
}

/// A state of charge in percent, 0–100.
pub fn soc(field: &str, v: f64) -> Result<f64, ApiError> {
    range(field, v, 0.0, 100.0)
}

/// An identifier safe to use in storage keys and file names: 1–128 of `[A-Za-z0-9._:-]`, not `.`/`..`.
pub fn id(field: &str, v: &str) -> Result<(), ApiError> {
    let ok = !v.is_empty()
        && v.len() <= 128
        && v != "."
        && v != ".."
        && !v.contains("..")
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            "must be 1-128 characters of A-Z a-z 0-9 . _ - : (no `..`)",
        ))
    }
}

/// Most points in one speed trace (`duty_cycle.time_s`, `speed_mps`, `grade`): two days at 1 Hz; three
/// such arrays still fit in the 6 MB body.
pub const MAX_TRACE_POINTS: usize = 200_000;
/// Highest speed in a trace (m/s): 360 km/h, well above any road vehicle.
pub const MAX_SPEED_MPS: f64 = 100.0;
/// Most vehicles in one depot fleet.
pub const MAX_FLEET: usize = 10_000;
/// Most trips in one request (a block is a day's work: tens of trips; this leaves room for a
/// multi-day duty without letting one request run unbounded).
pub const MAX_TRIPS: usize = 2_000;
/// Most arrive/depart events per vehicle.
pub const MAX_EVENTS_PER_VEHICLE: usize = 5_000;
/// Most chargers at one depot.
pub const MAX_CHARGERS: usize = 10_000;
/// Most hourly values in a weather series: two leap years.
pub const MAX_HOURLY_POINTS: usize = 2 * 8_784;
/// Longest simulated horizon (s): 400 days.
pub const MAX_HORIZON_S: f64 = 400.0 * 86_400.0;
/// Shortest simulation step (s).
pub const MIN_STEP_S: f64 = 1.0;
/// Longest simulation step (s): one day.
pub const MAX_STEP_S: f64 = 86_400.0;
/// Most simulated vehicle-steps one run may ask for through HTTP, even asynchronously (the engine keeps
/// per-step series for the artifacts): 20 M is ≈ 6 × the 100-bus year at 15 min of the reference
/// README. `twin invoke` is not limited.
pub const MAX_RUN_VEHICLE_STEPS: u64 = 20_000_000;
/// Most simulated vehicle-steps (fleet × horizon / step) one synchronous HTTP request may ask for.
/// Sized to finish well inside the 29 s Lambda/API Gateway timeout: SpiceEV's Python engine needs
/// ≈ 20 µs per vehicle-step on a 2-core machine (reference README), so 5 M would take ≈ 100 s there;
/// ours is compiled, and the limit keeps even a 10 µs/vehicle-step run under 29 s with artifacts.
pub const MAX_SYNC_VEHICLE_STEPS: u64 = 2_500_000;

/// A caller's label (trip id, location): 1 to `max_chars` characters, none of them a control character
/// (no newlines or escapes that would corrupt logs, CSV or SVG). Labels never become storage keys;
/// those use [`id`].
pub fn label(field: &str, v: &str, max_chars: usize) -> Result<(), ApiError> {
    let n = v.chars().count();
    if n == 0 || n > max_chars {
        return Err(ApiError::invalid(
            field,
            format!("must be 1-{max_chars} characters, got {n}"),
        ));
    }
    if let Some(c) = v.chars().find(|c| c.is_control()) {
        return Err(ApiError::invalid(
            field,
            format!(
                "must not contain control characters (found U+{:04X})",
                u32::from(c)
            ),
        ));
    }
    Ok(())
}

/// An explicit speed trace under `prefix` (e.g. `duty_cycle`): each array at most
/// [`MAX_TRACE_POINTS`] long (413), times within ±[`MAX_HORIZON_S`] and speeds at most
/// [`MAX_SPEED_MPS`] (400 naming `prefix.field[i]`). NaN, negative speeds, lengths that disagree and
/// grades are left to the model's `Trace::new`, which names them.
pub fn trace_limits(
    prefix: &str,
    time_s: &[f64],
    speed_mps: &[f64],
    grade: Option<&[f64]>,
) -> Result<(), ApiError> {
    max_len(&format!("{prefix}.time_s"), time_s.len(), MAX_TRACE_POINTS)?;
    max_len(
        &format!("{prefix}.speed_mps"),
        speed_mps.len(),
        MAX_TRACE_POINTS,
    )?;
    if let Some(g) = grade {
        max_len(&format!("{prefix}.grade"), g.len(), MAX_TRACE_POINTS)?;
    }
    if let Some(i) = time_s.iter().position(|t| t.abs() > MAX_HORIZON_S) {
        range(
            &format!("{prefix}.time_s[{i}]"),
            time_s[i],
            -MAX_HORIZON_S,
            MAX_HORIZON_S,
        )?;
    }
    if let Some(i) = speed_mps.iter().position(|v| *v > MAX_SPEED_MPS) {
        range(
            &format!("{prefix}.speed_mps[{i}]"),
            speed_mps[i],
            0.0,
            MAX_SPEED_MPS,
        )?;
    }
    Ok(())
}

/// Refuses a run over [`MAX_RUN_VEHICLE_STEPS`] vehicle-steps through HTTP, asynchronous or not (413
/// naming `field` and the limit); `twin invoke` runs anything.
pub fn run_vehicle_steps(door: crate::Door, field: &str, units: u64) -> Result<(), ApiError> {
    if door == crate::Door::Cli || units <= MAX_RUN_VEHICLE_STEPS {
        return Ok(());
    }
    Err(ApiError::too_large(
        Some(field),
        format!(
            "vehicle-steps (fleet size × horizon / step_s): {units} is over the {MAX_RUN_VEHICLE_STEPS} one run may \
             simulate through the API; use a longer step_s, split the horizon, or run it locally with `twin invoke`"
        ),
    ))
}

/// At most `max` items in the array `field`: a 413 that names the field and the limit.
pub fn max_len(field: &str, len: usize, max: usize) -> Result<(), ApiError> {
    if len > max {
        return Err(ApiError::too_large(
            Some(field),
            format!("{field}: {len} items; the limit is {max}"),
        ));
    }
    Ok(())
}

/// Between `min` and `max` items in the array `field` (400 when too few, 413 when too many).
pub fn len_between(field: &str, len: usize, min: usize, max: usize) -> Result<(), ApiError> {
    if len < min {
        return Err(ApiError::invalid(
            field,
            format!("needs at least {min} item(s), got {len}"),
        ));
    }
    max_len(field, len, max)
}

/// A speed-trace array: 2 to [`MAX_TRACE_POINTS`] points.
pub fn trace_len(field: &str, len: usize) -> Result<(), ApiError> {
    len_between(field, len, 2, MAX_TRACE_POINTS)
}

/// A depot fleet: 1 to [`MAX_FLEET`] vehicles.
pub fn fleet_len(field: &str, len: usize) -> Result<(), ApiError> {
    len_between(field, len, 1, MAX_FLEET)
}

/// Every value of `values` finite and within `[lo, hi]`; the error names the index (`field[i]`).
pub fn each_range(field: &str, values: &[f64], lo: f64, hi: f64) -> Result<(), ApiError> {
    for (i, &v) in values.iter().enumerate() {
        if !(v.is_finite() && v >= lo && v <= hi) {
            range(&format!("{field}[{i}]"), v, lo, hi)?;
        }
    }
    Ok(())
}

/// The number of simulation steps over `horizon_s` at `step_s` (the last one partial), after checking
/// both: `step_s` within [`MIN_STEP_S`]..=[`MAX_STEP_S`], the horizon positive and at most
/// [`MAX_HORIZON_S`]. `horizon_field` names the field to blame for the horizon (e.g. `end`).
pub fn step_count(
    horizon_field: &str,
    horizon_s: f64,
    step_field: &str,
    step_s: f64,
) -> Result<u64, ApiError> {
    let step = range(step_field, step_s, MIN_STEP_S, MAX_STEP_S)?;
    if !horizon_s.is_finite() || horizon_s <= 0.0 {
        return Err(ApiError::invalid(
            horizon_field,
            "the horizon must be positive (end after start)",
        ));
    }
    if horizon_s > MAX_HORIZON_S {
        return Err(ApiError::too_large(
            Some(horizon_field),
            format!(
                "{horizon_field}: the horizon is {:.1} days; the limit is {:.0} days",
                horizon_s / 86_400.0,
                MAX_HORIZON_S / 86_400.0
            ),
        ));
    }
    // Both are finite and bounded, so the quotient fits in u64 exactly enough.
    Ok((horizon_s / step).ceil() as u64)
}

/// Refuses synchronous work over `limit` units (e.g. vehicle-steps; see [`MAX_SYNC_VEHICLE_STEPS`])
/// with a 413 naming `field`, the size and the limit, and pointing at the asynchronous mode. `twin
/// invoke` always runs to completion, so the CLI door is never refused.
pub fn sync_work(
    door: crate::Door,
    field: &str,
    what: &str,
    units: u64,
    limit: u64,
) -> Result<(), ApiError> {
    if door == crate::Door::Cli || units <= limit {
        return Ok(());
    }
    Err(ApiError::too_large(
        Some(field),
        format!(
            "{what}: {units} is over the {limit} a synchronous request may run before the 29 s timeout; \
             send it with \"mode\": \"async\" (202 and a run id), use a longer step_s or a shorter horizon, \
             or run it locally with `twin invoke`"
        ),
    ))
}

/// Vehicle-steps of a simulation (`vehicles` × `steps`), refused over [`MAX_SYNC_VEHICLE_STEPS`] for
/// synchronous HTTP requests (see [`sync_work`]).
pub fn sync_vehicle_steps(
    door: crate::Door,
    field: &str,
    vehicles: usize,
    steps: u64,
) -> Result<(), ApiError> {
    sync_work(
        door,
        field,
        "vehicle-steps (fleet size × horizon / step_s)",
        (vehicles as u64).saturating_mul(steps),
        MAX_SYNC_VEHICLE_STEPS,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        inner: Inner,
    }
    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        a: f64,
    }

    #[test]
    fn unknown_nested_field_is_named() {
        let e = parse::<Outer>(br#"{"inner": {"a": 1, "b": 2}}"#).unwrap_err();
        assert_eq!(e.status, 400);
        assert_eq!(e.field.as_deref(), Some("inner.b"));
    }

    #[test]
    fn wrong_type_names_the_path() {
        let e = parse::<Outer>(br#"{"inner": {"a": "x"}}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("inner.a"));
    }

    #[test]
    fn nan_and_garbage_are_malformed() {
        assert_eq!(
            parse::<Outer>(br#"{"inner": {"a": NaN}}"#)
                .unwrap_err()
                .code,
            "malformed_json"
        );
        assert_eq!(parse::<Outer>(b"{").unwrap_err().code, "malformed_json");
        assert_eq!(
            parse::<Outer>(br#"{"inner": {"a": 1}} x"#)
                .unwrap_err()
                .code,
            "malformed_json"
        );
    }

    #[test]
    fn arrays_and_scalars_are_refused_where_objects_belong() {
        // serde's derived structs would read `[{"a": 1}]` as `Outer { inner: Inner { a: 1 } }`.
        let e = parse::<Outer>(br#"[{"a": 1}]"#).unwrap_err();
        assert_eq!((e.status, e.field.as_deref()), (400, None));
        assert!(e.message.starts_with("request body:"), "{}", e.message);
        assert!(e.message.contains("sequence"), "{}", e.message);
        for body in [&br#""x""#[..], b"null", b"3", b"true"] {
            let e = parse::<Outer>(body).unwrap_err();
            assert!(e.message.starts_with("request body:"), "{}", e.message);
        }
        // Nested: the field is named.
        let e = parse::<Outer>(br#"{"inner": [1]}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("inner"));
        // Arrays where arrays belong still parse, and objects as before.
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Points {
            p: Vec<[f64; 2]>,
            o: Option<Inner>,
        }
        let p = parse::<Points>(br#"{"p": [[0, 1], [2, 3]], "o": {"a": 1}}"#).unwrap();
        assert_eq!(p.p.len(), 2);
        assert!(parse::<Points>(br#"{"p": [], "o": [1]}"#).is_err());
        assert!(parse::<Outer>(br#"{"inner": {"a": 1}}"#).is_ok());
    }

    #[test]
    fn labels_refuse_control_characters_and_empty_or_long_strings() {
        assert!(label("trips[0].id", "CNS2014-CNS_MUL-Weekday-00-4165878", 256).is_ok());
        assert!(label("trips[0].id", "Linie 7 → Hbf", 256).is_ok());
        let e = label("trips[0].id", "a\nb", 256).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("trips[0].id"));
        assert!(e.message.contains("U+000A"), "{}", e.message);
        assert!(label("x", "", 256).is_err());
        // Counted in characters, not bytes: 256 × "é" (512 bytes) is fine, 257 is not.
        assert!(label("x", &"é".repeat(256), 256).is_ok());
        assert!(label("x", &"é".repeat(257), 256).is_err());
    }

    #[test]
    fn traces_over_their_limits_name_the_array_or_the_point() {
        let long = vec![0.0; MAX_TRACE_POINTS + 1];
        let e = trace_limits("duty_cycle", &long, &[0.0, 1.0], None).unwrap_err();
        assert_eq!(
            (e.status, e.field.as_deref()),
            (413, Some("duty_cycle.time_s"))
        );
        let e = trace_limits("duty_cycle", &[0.0, 1.0], &[0.0, 1.0], Some(&long)).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("duty_cycle.grade"));
        // 1e200 m/s would overflow the road-load terms to infinity.
        let e = trace_limits("dc", &[0.0, 1.0], &[0.0, 1e200], None).unwrap_err();
        assert_eq!(
            (e.status, e.field.as_deref()),
            (400, Some("dc.speed_mps[1]"))
        );
        let e = trace_limits("dc", &[0.0, 1e300], &[0.0, 1.0], None).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("dc.time_s[1]"));
        // A motorway trace at 36 m/s (130 km/h) for a day is fine; NaN is left to the model.
        assert!(trace_limits("dc", &[0.0, 86_400.0], &[36.0, 36.0], None).is_ok());
        assert!(trace_limits("dc", &[0.0, 1.0], &[f64::NAN, 1.0], None).is_ok());
    }

    #[test]
    fn runs_over_the_vehicle_step_limit_are_refused_except_for_the_cli() {
        use crate::Door;
        // 1000 buses × a year at 60 s = 525.6 M vehicle-steps.
        let steps = step_count("end", 365.0 * 86_400.0, "step_s", 60.0).unwrap();
        let e = run_vehicle_steps(Door::Server, "fleet", 1000 * steps).unwrap_err();
        assert_eq!((e.status, e.field.as_deref()), (413, Some("fleet")));
        assert!(e.message.contains(&MAX_RUN_VEHICLE_STEPS.to_string()));
        assert!(run_vehicle_steps(Door::Cli, "fleet", 1000 * steps).is_ok());
        // The reference 100-bus year at 15 min (3.5 M) passes.
        assert!(run_vehicle_steps(Door::Lambda, "fleet", 100 * 365 * 96).is_ok());
    }

    #[test]
    fn ids_refuse_traversal() {
        assert!(id("id", "bus_01").is_ok());
        assert!(id("id", "../etc").is_err());
        assert!(id("id", "a/b").is_err());
        assert!(id("id", "bus\u{e9}").is_err());
        assert!(id("id", "").is_err());
    }

    #[test]
    fn arrays_over_their_limit_get_413_naming_the_field() {
        let e = trace_len("duty_cycle.speed_mps", MAX_TRACE_POINTS + 1).unwrap_err();
        assert_eq!(
            (e.status, e.field.as_deref()),
            (413, Some("duty_cycle.speed_mps"))
        );
        assert!(e.message.contains(&MAX_TRACE_POINTS.to_string()));
        assert!(trace_len("t", MAX_TRACE_POINTS).is_ok());
        assert_eq!(trace_len("t", 1).unwrap_err().status, 400);
        assert_eq!(fleet_len("fleet", 0).unwrap_err().status, 400);
        assert_eq!(fleet_len("fleet", MAX_FLEET + 1).unwrap_err().status, 413);
    }

    #[test]
    fn each_range_names_the_first_bad_index() {
        let e = each_range("speed_mps", &[1.0, 2.0, f64::NAN], 0.0, 100.0).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("speed_mps[2]"));
        let e = each_range("speed_mps", &[1.0, -1.0], 0.0, 100.0).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("speed_mps[1]"));
        assert!(each_range("speed_mps", &[0.0, 100.0], 0.0, 100.0).is_ok());
        // Huge values are quoted in scientific notation, not as hundreds of digits.
        let e = each_range("speed_mps", &[1e200], 0.0, 100.0).unwrap_err();
        assert!(e.message.ends_with("got 1e200"), "{}", e.message);
    }

    #[test]
    fn step_count_checks_step_and_horizon() {
        // A day at 60 s is 1440 steps; 90 s at 60 s is 2 (the last one partial).
        assert_eq!(step_count("end", 86_400.0, "step_s", 60.0).unwrap(), 1440);
        assert_eq!(step_count("end", 90.0, "step_s", 60.0).unwrap(), 2);
        assert_eq!(
            step_count("end", 86_400.0, "step_s", 0.0)
                .unwrap_err()
                .field
                .as_deref(),
            Some("step_s")
        );
        assert_eq!(
            step_count("end", 86_400.0, "step_s", f64::INFINITY)
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(
            step_count("end", -1.0, "step_s", 60.0).unwrap_err().status,
            400
        );
        assert_eq!(
            step_count("end", MAX_HORIZON_S * 2.0, "step_s", 60.0)
                .unwrap_err()
                .status,
            413
        );
    }

    #[test]
    fn sync_work_over_the_limit_suggests_async_except_for_the_cli() {
        use crate::Door;
        // 1000 vehicles × a week at 60 s = 10.08 M vehicle-steps: too much for 29 s over HTTP.
        let steps = step_count("end", 7.0 * 86_400.0, "step_s", 60.0).unwrap();
        let e = sync_vehicle_steps(Door::Lambda, "fleet", 1000, steps).unwrap_err();
        assert_eq!((e.status, e.field.as_deref()), (413, Some("fleet")));
        assert!(e.message.contains("async"), "{}", e.message);
        assert!(e.message.contains(&MAX_SYNC_VEHICLE_STEPS.to_string()));
        assert!(sync_vehicle_steps(Door::Server, "fleet", 1000, steps).is_err());
        assert!(sync_vehicle_steps(Door::Cli, "fleet", 1000, steps).is_ok());
        // 10 buses for a day at 60 s is small.
        assert!(sync_vehicle_steps(Door::Lambda, "fleet", 10, 1440).is_ok());
        // Absurd sizes saturate instead of overflowing.
        assert!(sync_vehicle_steps(Door::Lambda, "fleet", usize::MAX, u64::MAX).is_err());
    }
}
