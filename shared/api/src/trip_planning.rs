//! `POST /v1/trip-plans`: can this vehicle run this block of trips, where does SoC fall below
//! reserve, and what layover charging fixes it?
//!
//! Parse (unknown fields refused) → check each field once, naming it → convert times to seconds on
//! one clock → [`twin_model::trip::plan_block`] → shape the response.
//!
//! Trip energy: a trip with a `duty_cycle` (time-step data) is integrated by the road-load model; a
//! trip with only segment-level data (distance, schedule, stops, climb) is estimated by the learned
//! `energy_rate` model when one is loaded and the trip is inside its card's ranges, physics
//! otherwise ([`twin_estimators::trip::SegmentTripEnergy`]); each trip says which (`estimator`),
//! and `"estimator": "physics"` in the request turns the model off.

use crate::error::ApiError;
use crate::validate::{self, opt_range, positive, range, soc};
use crate::vehicle::VehicleSpec;
use crate::{Ctx, Deps, Reply};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use twin_estimators::trip::SegmentTripEnergy;
use twin_estimators::{EstimatorInfo, Registry};
use twin_model::charge_point::{default_efficiency, Charger, ChargerKind};
use twin_model::cycle::{DutyCycle, StandardCycle, StopAndGo, Trace};
use twin_model::trip::plan::DEFAULT_PLUG_OVERHEAD_MIN;
use twin_model::trip::{plan_block, Ambient, LayoverCharger, PlanOptions, RoadLoadEnergy, Trip};
use twin_model::weather::HourlyTemperature;

/// Most trips in one request (a block is a day's work: tens of trips; this leaves room for a
/// multi-day duty without letting one request run unbounded).
pub const MAX_TRIPS: usize = validate::MAX_TRIPS;
/// Most hourly temperatures (a year and a bit).
pub const MAX_WEATHER_HOURS: usize = 9_000;

/// Request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TripPlanningRequest {
    /// The vehicle (catalogue id and/or parameters).
    pub vehicle: VehicleSpec,
    /// SoC at the first departure (%).
    pub start_soc_pct: f64,
    /// SoC the vehicle must stay at or above (%).
    pub reserve_soc_pct: f64,
    /// Ambient temperature all day (°C); give this or `weather`. Default 20 °C if neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambient_temp_c: Option<f64>,
    /// Hourly temperatures over the block's hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weather: Option<WeatherSpec>,
    /// Site altitude (m): air density.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elevation_m: Option<f64>,
    /// The trips, in time order.
    pub trips: Vec<TripSpec>,
    /// Chargers at layover locations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chargers: Option<Vec<LayoverChargerSpec>>,
    /// Minutes from arrival to current flowing; default 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plug_overhead_min: Option<f64>,
    /// Battery temperature while charging (°C); default the ambient, no colder than 15 °C.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery_temp_c: Option<f64>,
    /// Trip energy estimator: `auto` (default: the learned `energy_rate` model for trips with only
    /// segment-level data, physics for the rest) or `physics` (the time-step simulation for all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimator: Option<EstimatorChoice>,
    /// A fleet calibration model by name (`twin estimators list`; one trained on the fleet's own
    /// telemetry by `ml/calibrate.py`, deployed in `TWIN_MODELS_DIR`): every trip is simulated and
    /// the model's residual added. The bundled `fleet_calibration` is trained on a generated sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<String>,
}

/// Which trip energy estimator a request wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EstimatorChoice {
    /// The learned model where only segment-level data exists, physics elsewhere.
    Auto,
    /// The time-step road-load simulation for every trip.
    Physics,
}

/// An hourly temperature series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeatherSpec {
    /// One value per hour (°C).
    pub hourly_temp_c: Vec<f64>,
    /// Time of the first value (ISO 8601, same convention as the trips' times).
    pub start: String,
}

/// One trip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TripSpec {
    /// Trip id.
    pub id: String,
    /// Departure (ISO 8601: `2024-03-05T06:00:00`, with or without an offset; all trips alike).
    pub depart: String,
    /// Arrival (ISO 8601).
    pub arrive: String,
    /// Distance (km).
    pub distance_km: f64,
    /// A duty cycle whose per-km traction to use; default: synthesised from the scheduled speed and
    /// `stops_per_km`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duty_cycle: Option<TripDutyCycle>,
    /// Stops per km for the synthesised cycle; default: the vehicle class's typical value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stops_per_km: Option<f64>,
    /// Total climb (m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elevation_gain_m: Option<f64>,
    /// Total descent (m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elevation_loss_m: Option<f64>,
    /// Payload on this trip (kg); default the vehicle's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_kg: Option<f64>,
    /// Where the trip ends (matched against `chargers[].location`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_location: Option<String>,
}

/// A duty cycle on the wire: a bundled cycle by name, an explicit trace, or stop-and-go parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged, deny_unknown_fields)]
pub enum TripDutyCycle {
    /// `{"name": "udds"}`.
    Named {
        /// Bundled cycle name.
        name: String,
    },
    /// `{"time_s": [...], "speed_mps": [...], "grade"?: [...]}`.
    Explicit {
        /// Times (s).
        time_s: Vec<f64>,
        /// Speeds (m/s).
        speed_mps: Vec<f64>,
        /// Grades (rise/run).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        grade: Option<Vec<f64>>,
    },
    /// `{"average_speed_kph": 18, "stops_per_km": 2.5}`.
    StopAndGo {
        /// Average speed, dwell included (km/h).
        average_speed_kph: f64,
        /// Stops per km.
        stops_per_km: f64,
    },
}

/// A charger at a layover location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LayoverChargerSpec {
    /// Location (matched against `trips[].end_location`).
    pub location: String,
    /// Rated output (kW).
    pub max_power_kw: f64,
    /// `dc` (default) or `ac`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ChargerKind>,
    /// Grid-to-inlet efficiency; default 0.95 DC, 0.99 AC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efficiency: Option<f64>,
}

/// Response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TripPlanningResponse {
    /// SoC ≥ reserve throughout (with the charging below).
    pub feasible: bool,
    /// Lowest SoC (%).
    pub min_soc_pct: f64,
    /// SoC at the last arrival (%).
    pub end_soc_pct: f64,
    /// Energy drawn from the battery over the block: trips and unplugged layovers (kWh, chemical).
    pub energy_kwh: f64,
    /// Of which trips (kWh).
    pub trip_energy_kwh: f64,
    /// Of which layovers, HVAC and aux while parked (kWh).
    pub layover_energy_kwh: f64,
    /// Energy the charging stops put into the battery (kWh).
    pub charged_kwh: f64,
    /// Distance (km).
    pub distance_km: f64,
    /// Per trip.
    pub trips: Vec<TripOut>,
    /// Charging stops, fewest and shortest that keep SoC ≥ reserve.
    pub charging: Vec<ChargingOut>,
    /// Energy missing to stay at or above reserve (kWh); 0 when feasible.
    pub shortfall_kwh: f64,
    /// The first trip during or before which SoC falls below reserve, even with charging.
    pub first_failing_trip: Option<String>,
    /// Parameters that took defaults or are estimates.
    pub assumptions: Vec<String>,
    /// Which estimator produced the result.
    pub estimator: EstimatorInfo,
}

/// One trip of the response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TripOut {
    /// Trip id.
    pub id: String,
    /// Energy drawn over the trip (kWh).
    pub energy_kwh: f64,
    /// SoC at departure (%).
    pub soc_start_pct: f64,
    /// SoC at arrival (%).
    pub soc_end_pct: f64,
    /// SoC below reserve at its start or end.
    pub below_reserve: bool,
    /// Mean ambient over the trip (°C).
    pub ambient_temp_c: f64,
    /// Energy drawn while parked after it, not plugged in (kWh).
    pub layover_energy_kwh: f64,
    /// Which estimator produced this trip's energy: a model name (e.g. `energy_rate`) or `physics`.
    pub estimator: String,
}

/// One charging stop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChargingOut {
    /// The trip after which the vehicle charges.
    pub after_trip: String,
    /// Where.
    pub location: String,
    /// When current starts (ISO 8601).
    pub start: String,
    /// Plugged-in time (min).
    pub duration_min: f64,
    /// Energy into the battery (kWh).
    pub energy_kwh: f64,
    /// Energy from the grid, including the hotel load while plugged in (kWh).
    pub energy_from_grid_kwh: f64,
    /// SoC when charging starts (%).
    pub soc_before_pct: f64,
    /// SoC when it ends (%).
    pub soc_after_pct: f64,
}

fn round(x: f64, digits: i32) -> f64 {
    let k = 10f64.powi(digits);
    (x * k).round() / k
}

/// The clock of a request: times with an offset are instants; without, civil times (all alike).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Clock {
    Offset(jiff::tz::Offset),
    Civil,
}

/// Seconds since 1970-01-01T00:00:00 of an ISO 8601 time, on `clock` (set by the first time seen).
fn seconds(field: &str, s: &str, clock: &mut Option<Clock>) -> Result<f64, ApiError> {
    let bad = |m: String| ApiError::invalid(field, m);
    let (ts, this) = if let Ok(t) = s.parse::<jiff::Timestamp>() {
        // An offset or Z: an instant. Keep the first offset for the response.
        let off = jiff::fmt::temporal::Pieces::parse(s)
            .ok()
            .and_then(|p| match p.offset() {
                Some(jiff::fmt::temporal::PiecesOffset::Numeric(n)) => Some(n.offset()),
                _ => None,
            })
            .unwrap_or(jiff::tz::Offset::UTC);
        (t, Clock::Offset(off))
    } else {
        let dt: jiff::civil::DateTime = s
            .parse()
            .map_err(|e| bad(format!("`{s}` is not an ISO 8601 date-time: {e}")))?;
        let t = dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map_err(|e| bad(format!("`{s}`: {e}")))?
            .timestamp();
        (t, Clock::Civil)
    };
    match clock {
        None => *clock = Some(this),
        Some(Clock::Civil) if this != Clock::Civil => {
            return Err(bad(
                "mixes a time with an offset and times without; give all times alike".into(),
            ))
        }
        Some(Clock::Offset(_)) if this == Clock::Civil => {
            return Err(bad(
                "mixes a time without an offset and times with one; give all times alike".into(),
            ))
        }
        _ => {}
    }
    Ok(ts.as_second() as f64 + f64::from(ts.subsec_nanosecond()) * 1e-9)
}

fn iso(t_s: f64, clock: Option<Clock>) -> String {
    let ts =
        jiff::Timestamp::from_second(t_s.round() as i64).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    match clock {
        Some(Clock::Offset(o)) => ts
            .to_zoned(jiff::tz::TimeZone::fixed(o))
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string(),
        _ => ts.to_zoned(jiff::tz::TimeZone::UTC).datetime().to_string(),
    }
}

fn duty_cycle(i: usize, d: &TripDutyCycle) -> Result<DutyCycle, ApiError> {
    let f = |n: &str| format!("trips[{i}].duty_cycle.{n}");
    Ok(match d {
        TripDutyCycle::Named { name } => DutyCycle::Standard(
            StandardCycle::parse(name)
                .ok_or_else(|| ApiError::invalid(f("name"), format!("unknown cycle `{name}`")))?,
        ),
        TripDutyCycle::Explicit {
            time_s,
            speed_mps,
            grade,
        } => {
            validate::trace_limits(
                &format!("trips[{i}].duty_cycle"),
                time_s,
                speed_mps,
                grade.as_deref(),
            )?;
            DutyCycle::Explicit(
                Trace::new(time_s.clone(), speed_mps.clone(), grade.clone())
                    .map_err(|e| prefix(i, e))?,
            )
        }
        TripDutyCycle::StopAndGo {
            average_speed_kph,
            stops_per_km,
        } => DutyCycle::StopAndGo(StopAndGo::new(
            positive(&f("average_speed_kph"), *average_speed_kph, 200.0)?,
            range(&f("stops_per_km"), *stops_per_km, 0.0, 20.0)?,
        )),
    })
}

/// Puts `trips[i].` in front of a model error's field.
fn prefix(i: usize, e: twin_model::ModelError) -> ApiError {
    let mut a = ApiError::from(e);
    a.field = a.field.map(|f| format!("trips[{i}].{f}"));
    a
}

/// Checks a request and computes the answer with the estimators in `registry` (used by the handler
/// and by benchmarks).
pub fn compute(
    req: &TripPlanningRequest,
    registry: &Registry,
) -> Result<TripPlanningResponse, ApiError> {
    let resolved = req.vehicle.resolve()?;
    let v = &resolved.vehicle;
    let mut assumptions = resolved.assumed.clone();
    let start = soc("start_soc_pct", req.start_soc_pct)?;
    let reserve = soc("reserve_soc_pct", req.reserve_soc_pct)?;
    if req.trips.is_empty() {
        return Err(ApiError::invalid("trips", "needs at least one trip"));
    }
    validate::max_len("trips", req.trips.len(), MAX_TRIPS)?;
    let elevation_m = opt_range("elevation_m", req.elevation_m, -500.0, 6000.0)?;
    let mut clock = None;
    let mut trips = Vec::with_capacity(req.trips.len());
    for (i, t) in req.trips.iter().enumerate() {
        let f = |n: &str| format!("trips[{i}].{n}");
        validate::label(&f("id"), &t.id, 256)?;
        if let Some(loc) = &t.end_location {
            validate::label(&f("end_location"), loc, 256)?;
        }
        let depart_s = seconds(&f("depart"), &t.depart, &mut clock)?;
        let arrive_s = seconds(&f("arrive"), &t.arrive, &mut clock)?;
        if arrive_s <= depart_s {
            return Err(ApiError::invalid(f("arrive"), "must be after depart"));
        }
        if let Some(prev) = trips.last().map(|p: &Trip| p.arrive_s) {
            if depart_s < prev {
                return Err(ApiError::invalid(
                    f("depart"),
                    "must not be before the previous trip arrives (trips in time order)",
                ));
            }
        }
        trips.push(Trip {
            id: t.id.clone(),
            depart_s,
            arrive_s,
            distance_km: range(&f("distance_km"), t.distance_km, 0.0, 2_000.0)?,
            stops_per_km: opt_range(&f("stops_per_km"), t.stops_per_km, 0.0, 20.0)?,
            elevation_gain_m: opt_range(&f("elevation_gain_m"), t.elevation_gain_m, 0.0, 10_000.0)?
                .unwrap_or(0.0),
            elevation_loss_m: opt_range(&f("elevation_loss_m"), t.elevation_loss_m, 0.0, 10_000.0)?
                .unwrap_or(0.0),
            payload_kg: opt_range(&f("payload_kg"), t.payload_kg, 0.0, 50_000.0)?,
            end_location: t.end_location.clone(),
            duty_cycle: t
                .duty_cycle
                .as_ref()
                .map(|d| duty_cycle(i, d))
                .transpose()?,
        });
    }
    let ambient = match (req.ambient_temp_c, &req.weather) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "weather",
                "give either ambient_temp_c or weather, not both",
            ))
        }
        (Some(t), None) => Ambient::Constant(range("ambient_temp_c", t, -60.0, 60.0)?),
        (None, Some(w)) => {
            if w.hourly_temp_c.len() > MAX_WEATHER_HOURS {
                return Err(ApiError::too_large(
                    Some("weather.hourly_temp_c"),
                    format!("at most {MAX_WEATHER_HOURS} values"),
                ));
            }
            let start_s = seconds("weather.start", &w.start, &mut clock)?;
            Ambient::Hourly {
                start_s,
                series: HourlyTemperature::new(w.hourly_temp_c.clone())?,
            }
        }
        (None, None) => {
            assumptions.push("ambient_temp_c = 20 (default)".into());
            Ambient::Constant(20.0)
        }
    };
    let mut opts = PlanOptions::new(start, reserve, ambient);
    opts.plug_overhead_min = match req.plug_overhead_min {
        Some(m) => range("plug_overhead_min", m, 0.0, 60.0)?,
        None => DEFAULT_PLUG_OVERHEAD_MIN,
    };
    opts.battery_temp_c = opt_range("battery_temp_c", req.battery_temp_c, -40.0, 60.0)?;
    if let Some(c) = &req.chargers {
        validate::max_len("chargers", c.len(), validate::MAX_CHARGERS)?;
    }
    for (k, c) in req.chargers.iter().flatten().enumerate() {
        let f = |n: &str| format!("chargers[{k}].{n}");
        validate::label(&f("location"), &c.location, 256)?;
        let kind = c.kind.unwrap_or(ChargerKind::Dc);
        opts.chargers.push(LayoverCharger {
            location: c.location.clone(),
            charger: Charger {
                kind,
                max_power_kw: positive(&f("max_power_kw"), c.max_power_kw, 5_000.0)?,
                max_current_a: None,
                phases: 3,
                voltage_v: 230.0,
                efficiency: positive(
                    &f("efficiency"),
                    c.efficiency.unwrap_or(default_efficiency(kind)),
                    1.0,
                )?,
            },
        });
    }
    if !opts.chargers.is_empty() {
        if req.plug_overhead_min.is_none() {
            assumptions.push(format!(
                "plug_overhead_min = {DEFAULT_PLUG_OVERHEAD_MIN} (default)"
            ));
        }
        if req.battery_temp_c.is_none() {
            assumptions.push(
                "battery_temp_c = ambient, at least 15 °C (thermally managed pack; estimate)"
                    .into(),
            );
        }
    }
    if req
        .trips
        .iter()
        .any(|t| t.duty_cycle.is_none() && t.stops_per_km.is_none())
    {
        assumptions.push(format!(
            "stops_per_km = {} where not given (class default)",
            twin_model::energy::default_stops_per_km(v.class)
        ));
    }
    let physics = RoadLoadEnergy {
        elevation_m: elevation_m.unwrap_or(0.0),
    };
    let energy = match (
        &req.calibration,
        req.estimator.unwrap_or(EstimatorChoice::Auto),
    ) {
        (Some(name), _) => SegmentTripEnergy::calibrated(registry, name, physics)
            .map_err(|e| ApiError::invalid("calibration", e.to_string()))?,
        (None, EstimatorChoice::Auto) => SegmentTripEnergy::new(registry, physics),
        (None, EstimatorChoice::Physics) => SegmentTripEnergy::physics_only(physics),
    };
    let plan = plan_block(v, &trips, &opts, &energy)?;
    let (by_model, by_physics) = energy.counts();
    if by_model > 0 && req.calibration.is_none() {
        assumptions.push(format!(
            "energy of {by_model} trip(s) with only segment-level data (distance, schedule, stops, \
             climb) from the learned {} model, {by_physics} from the time-step simulation; send \
             \"estimator\": \"physics\" to simulate every trip",
            energy.summary().model.unwrap_or_default()
        ));
    }
    Ok(TripPlanningResponse {
        feasible: plan.feasible,
        min_soc_pct: round(plan.min_soc_pct, 3),
        end_soc_pct: round(plan.end_soc_pct, 3),
        energy_kwh: round(plan.energy_kwh, 3),
        trip_energy_kwh: round(plan.trip_energy_kwh, 3),
        layover_energy_kwh: round(plan.layover_energy_kwh, 3),
        charged_kwh: round(plan.charged_kwh, 3),
        distance_km: round(plan.distance_km, 3),
        trips: plan
            .trips
            .iter()
            .map(|t| TripOut {
                id: t.id.clone(),
                energy_kwh: round(t.energy_kwh, 3),
                soc_start_pct: round(t.soc_start_pct, 3),
                soc_end_pct: round(t.soc_end_pct, 3),
                below_reserve: t.below_reserve,
                ambient_temp_c: round(t.ambient_c, 2),
                layover_energy_kwh: round(t.layover_energy_kwh, 3),
                estimator: energy
                    .source_of(&t.id)
                    .and_then(|e| e.model)
                    .unwrap_or_else(|| "physics".into()),
            })
            .collect(),
        charging: plan
            .charging
            .iter()
            .map(|c| ChargingOut {
                after_trip: c.after_trip.clone(),
                location: c.location.clone(),
                start: iso(c.start_s, clock),
                duration_min: round(c.duration_min, 2),
                energy_kwh: round(c.energy_kwh, 3),
                energy_from_grid_kwh: round(c.energy_from_grid_kwh, 3),
                soc_before_pct: round(c.soc_before_pct, 3),
                soc_after_pct: round(c.soc_after_pct, 3),
            })
            .collect(),
        shortfall_kwh: round(plan.shortfall_kwh, 3),
        first_failing_trip: plan.first_failing_trip.clone(),
        assumptions,
        estimator: energy.summary(),
    })
}

/// The handler.
pub async fn handle(deps: &Deps, _ctx: &Ctx, body: &[u8]) -> Result<Reply, ApiError> {
    let req: TripPlanningRequest = validate::parse(body)?;
    Reply::ok(&compute(&req, &deps.estimators)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASIC: &str = include_str!("../../../events/trip_planning/basic.json");
    const CHARGING: &str = include_str!("../../../events/trip_planning/layover_charging.json");

    static MODELS: std::sync::LazyLock<Registry> = std::sync::LazyLock::new(Registry::bundled);

    fn req(json: &str) -> Result<TripPlanningResponse, ApiError> {
        compute(
            &validate::parse::<TripPlanningRequest>(json.as_bytes())?,
            &MODELS,
        )
    }

    fn with(json: &str, edit: impl FnOnce(&mut serde_json::Value)) -> TripPlanningResponse {
        let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
        edit(&mut v);
        req(&v.to_string()).unwrap()
    }

    #[test]
    fn more_trips_than_the_limit_get_413_naming_trips() {
        // 2,001 copies of the first trip: refused on the count, before any time-order check.
        let mut v: serde_json::Value = serde_json::from_str(&body_of(BASIC)).unwrap();
        let trip = v["trips"][0].clone();
        v["trips"] = serde_json::Value::Array(vec![trip; MAX_TRIPS + 1]);
        let e = req(&v.to_string()).unwrap_err();
        assert_eq!((e.status, e.field.as_deref()), (413, Some("trips")));
        assert!(e.message.contains(&MAX_TRIPS.to_string()), "{}", e.message);
    }

    #[test]
    fn segment_level_bus_trips_use_the_energy_rate_model_and_say_so() {
        let body = body_of(BASIC);
        let auto = req(&body).unwrap();
        assert_eq!(auto.estimator.kind, "onnx", "{auto:?}");
        assert_eq!(auto.estimator.model.as_deref(), Some("energy_rate"));
        assert!(auto
            .estimator
            .sha256
            .as_ref()
            .is_some_and(|h| h.len() == 64));
        assert!(auto.trips.iter().all(|t| t.estimator == "energy_rate"));
        assert!(auto.assumptions.iter().any(|a| a.contains("energy_rate")));
        // The same block simulated step by step. The model was trained on this simulation over
        // stop-and-go segments for the class-default 12 m bus (card: mean abs error 4.4 % in
        // sample); the catalogue bus differs from the class default in more than mass, and errors
        // of single trips partly cancel over a block: the two totals agree within 15 %.
        let physics = with(&body, |v| v["estimator"] = "physics".into());
        assert_eq!(physics.estimator, EstimatorInfo::physics());
        assert!(physics.trips.iter().all(|t| t.estimator == "physics"));
        let rel = (auto.trip_energy_kwh - physics.trip_energy_kwh).abs() / physics.trip_energy_kwh;
        assert!(
            rel < 0.15,
            "model {} vs physics {}",
            auto.trip_energy_kwh,
            physics.trip_energy_kwh
        );
    }

    #[test]
    fn trips_with_a_duty_cycle_are_simulated_and_the_rest_estimated() {
        let r = with(&body_of(BASIC), |v| {
            v["trips"][0]["duty_cycle"] = serde_json::json!({"name": "nrel13"});
        });
        assert_eq!(r.trips[0].estimator, "physics");
        assert!(r.trips[1..].iter().all(|t| t.estimator == "energy_rate"));
        assert_eq!(r.estimator.model.as_deref(), Some("energy_rate"));
    }

    #[test]
    fn outside_the_model_card_physics_answers_and_says_why() {
        // −30 °C is below the card's −20 °C training range.
        let cold = with(&body_of(BASIC), |v| v["ambient_temp_c"] = (-30.0).into());
        assert_eq!(cold.estimator.kind, "physics");
        let why = cold.estimator.fallback_reason.unwrap_or_default();
        assert!(why.contains("ambient_temp_c"), "{why}");
        // A car: the model is trained for 12 m city buses only.
        let car = with(&body_of(BASIC), |v| {
            v["vehicle"] = serde_json::json!({"model": "nissan_leaf_eplus_2019"})
        });
        assert_eq!(car.estimator.kind, "physics");
        assert!(car
            .estimator
            .fallback_reason
            .unwrap_or_default()
            .contains("12 m city buses"));
        assert!(car.trips.iter().all(|t| t.estimator == "physics"));
    }

    #[test]
    fn a_fleet_calibration_adds_its_residual_to_the_simulated_energy() {
        let body = body_of(BASIC);
        let physics = with(&body, |v| v["estimator"] = "physics".into());
        let cal = with(&body, |v| v["calibration"] = "fleet_calibration".into());
        assert_eq!(
            cal.estimator.model.as_deref(),
            Some("fleet_calibration"),
            "{cal:?}"
        );
        assert!(cal.trips.iter().all(|t| t.estimator == "fleet_calibration"));
        // The bundled calibration was trained on a generated fleet whose energy differs from the
        // physics estimate (its card: physics alone 30 % mean error on held-out trips), so every
        // trip moves, by a bounded residual (well under 2 kWh/km over these 12 km trips).
        for (c, p) in cal.trips.iter().zip(&physics.trips) {
            assert!(c.energy_kwh != p.energy_kwh, "{c:?} {p:?}");
            assert!(
                (c.energy_kwh - p.energy_kwh).abs() < 2.0 * 12.0,
                "{c:?} {p:?}"
            );
        }
        // An unknown model is the caller's error, naming the field.
        let mut v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["calibration"] = "no_such_model".into();
        let e = req(&v.to_string()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("calibration"));
        // A model that is not a calibration (wrong inputs): physics, saying why.
        let wrong = with(&body, |v| v["calibration"] = "energy_rate".into());
        assert_eq!(wrong.estimator.kind, "physics");
        assert!(wrong
            .estimator
            .fallback_reason
            .unwrap_or_default()
            .contains("not a fleet calibration"));
        assert_eq!(wrong.trip_energy_kwh, physics.trip_energy_kwh);
    }

    fn body_of(event: &str) -> String {
        // Events are API Gateway events whose body is the request, or bare requests.
        let v: serde_json::Value = serde_json::from_str(event).unwrap();
        match v.get("body").and_then(|b| b.as_str()) {
            Some(b) => b.to_string(),
            None => event.to_string(),
        }
    }

    #[test]
    fn the_basic_event_plans_a_feasible_block() {
        let r = req(&body_of(BASIC)).unwrap();
        assert!(r.feasible);
        assert!(r.charging.is_empty());
        // Energy adds up: start − drawn = end, on a 422 kWh Yutong E12.
        let cap = 422.0;
        assert!(
            (cap * (100.0 - r.end_soc_pct) / 100.0 - r.energy_kwh).abs() < 0.01,
            "{r:?}"
        );
        assert!(r
            .trips
            .windows(2)
            .all(|w| w[1].soc_start_pct <= w[0].soc_end_pct + 1e-9));
    }

    #[test]
    fn a_layover_charger_rescues_a_long_cold_block() {
        let body = body_of(CHARGING);
        let r = req(&body).unwrap();
        assert!(r.feasible, "{r:?}");
        assert!(!r.charging.is_empty());
        assert!(r.min_soc_pct >= 20.0 - 1e-6);
        // Without the charger the same block fails, naming a trip and a shortfall.
        let mut v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v.as_object_mut().unwrap().remove("chargers");
        let r = req(&v.to_string()).unwrap();
        assert!(!r.feasible);
        assert!(r.first_failing_trip.is_some() && r.shortfall_kwh > 0.0);
    }

    #[test]
    fn bad_fields_are_named() {
        let base: serde_json::Value = serde_json::from_str(&body_of(BASIC)).unwrap();
        let with = |path: &[&str], val: serde_json::Value| {
            let mut v = base.clone();
            let mut cur = &mut v;
            for p in &path[..path.len() - 1] {
                cur = match p.parse::<usize>() {
                    Ok(i) => &mut cur[i],
                    Err(_) => &mut cur[*p],
                };
            }
            cur[path[path.len() - 1]] = val;
            req(&v.to_string()).unwrap_err()
        };
        let e = with(&["trips", "1", "depart"], "yesterday".into());
        assert_eq!(
            (e.status, e.field.as_deref()),
            (400, Some("trips[1].depart"))
        );
        let e = with(
            &["trips", "0", "arrive"],
            base["trips"][0]["depart"].clone(),
        );
        assert_eq!(e.field.as_deref(), Some("trips[0].arrive"));
        let e = with(&["reserve_soc_pct"], 120.into());
        assert_eq!(e.field.as_deref(), Some("reserve_soc_pct"));
        let e = with(&["trips", "0", "distance_km"], (-1).into());
        assert_eq!(e.field.as_deref(), Some("trips[0].distance_km"));
        let e = with(
            &["trips", "0", "duty_cycle"],
            serde_json::json!({"name": "nope"}),
        );
        assert_eq!(e.field.as_deref(), Some("trips[0].duty_cycle.name"));
        let e = with(&["trips", "1", "depart"], "2024-03-05T06:00:00Z".into());
        assert_eq!(e.field.as_deref(), Some("trips[1].depart"));
    }

    #[test]
    fn an_hourly_weather_series_costs_more_when_cold() {
        let mut v: serde_json::Value = serde_json::from_str(&body_of(BASIC)).unwrap();
        let warm = req(&v.to_string()).unwrap();
        v.as_object_mut().unwrap().remove("ambient_temp_c");
        v["weather"] =
            serde_json::json!({"hourly_temp_c": vec![-10.0; 30], "start": "2024-03-05T00:00:00"});
        let cold = req(&v.to_string()).unwrap();
        assert!(cold.energy_kwh > warm.energy_kwh);
        assert!(cold
            .trips
            .iter()
            .all(|t| (t.ambient_temp_c + 10.0).abs() < 1e-9));
    }

    #[test]
    fn times_with_offsets_come_back_with_the_same_offset() {
        let mut v: serde_json::Value = serde_json::from_str(&body_of(CHARGING)).unwrap();
        for t in v["trips"].as_array_mut().unwrap() {
            for k in ["depart", "arrive"] {
                let s = format!("{}+10:00", t[k].as_str().unwrap());
                t[k] = s.into();
            }
        }
        let r = req(&v.to_string()).unwrap();
        assert!(
            r.charging.iter().all(|c| c.start.ends_with("+10:00")),
            "{:?}",
            r.charging
        );
    }
}
