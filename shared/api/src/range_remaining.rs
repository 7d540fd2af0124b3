//! `POST /v1/range-remaining`: how far this vehicle can still go, given SoC, weather, load and duty
//! cycle, with what uncertainty.
//!
//! Steps as in the reference handler: parse (unknown fields refused; a malformed number is named by its
//! path) → check each field once → call the pure model (`energy::range::range_remaining`) → shape the
//! response.
//!
//! Payload: `payload_kg` (top level) wins, then `vehicle.payload_kg`. When neither is given, a vehicle
//! whose `mass_kg` the caller stated drives at that mass (no payload is added to a mass the caller
//! measured); otherwise the catalogue/class default payload applies. Either way the response's
//! `assumptions` say which.

use crate::error::ApiError;
use crate::validate::{self, opt_range, range, soc};
use crate::vehicle::VehicleSpec;
use crate::{Ctx, Deps, Reply};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use twin_estimators::EstimatorInfo;
use twin_model::cycle::{DutyCycle, StandardCycle, StopAndGo, Trace};
use twin_model::energy::range::{self as model_range, RangeInput, RangeUncertainty};
use twin_model::energy::{Conditions, CycleResult};

/// Most points an explicit trace may have (a 24 h trace at 1 Hz is 86,400); see [`validate::trace_limits`].
pub const MAX_TRACE_POINTS: usize = validate::MAX_TRACE_POINTS;

/// Request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RangeRemainingRequest {
    /// The vehicle (catalogue id and/or parameters).
    pub vehicle: VehicleSpec,
    /// SoC now (%).
    pub soc_pct: f64,
    /// SoC to keep in reserve (%); the usable window ends at max(reserve, battery min SoC). Default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserve_soc_pct: Option<f64>,
    /// Ambient temperature (°C): air density, HVAC, cold capacity. Default 20 °C.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambient_temp_c: Option<f64>,
    /// Site altitude (m): air density. Default 0 m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elevation_m: Option<f64>,
    /// Payload (kg); overrides `vehicle.payload_kg`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_kg: Option<f64>,
    /// Battery temperature (°C) for the usable-capacity factor; default: ambient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery_temp_c: Option<f64>,
    /// The duty cycle: `{"name"}`, `{"time_s", "speed_mps", "grade"?}` or `{"average_speed_kph", "stops_per_km"}`.
    pub duty_cycle: DutyCycleSpec,
    /// Spreads of the inputs nobody knows exactly (p10/p90); defaults documented per field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<UncertaintySpec>,
}

/// A duty cycle on the wire: exactly one of the three forms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DutyCycleSpec {
    /// A bundled cycle: `udds`, `hwfet`, `us06`, `wltc_3b`, `nrel13`, `hhddt_cruise`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Explicit trace: times (s), strictly increasing, any spacing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_s: Option<Vec<f64>>,
    /// Explicit trace: speeds (m/s), ≥ 0, one per time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed_mps: Option<Vec<f64>>,
    /// Explicit trace: grade (rise/run), |grade| ≤ 0.3, one per time; default flat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<Vec<f64>>,
    /// Synthesised stop-and-go: average speed including dwell (km/h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_speed_kph: Option<f64>,
    /// Synthesised stop-and-go: stops per km.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stops_per_km: Option<f64>,
    /// Synthesised stop-and-go: dwell per stop (s); default 20.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dwell_s: Option<f64>,
    /// Synthesised stop-and-go: acceleration (m/s²); default 1.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accel_mps2: Option<f64>,
    /// Synthesised stop-and-go: braking (m/s²); default 1.2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decel_mps2: Option<f64>,
}

impl DutyCycleSpec {
    /// Checks and converts, naming fields under `duty_cycle`.
    pub fn resolve(&self) -> Result<DutyCycle, ApiError> {
        let trace = self.time_s.is_some() || self.speed_mps.is_some() || self.grade.is_some();
        let synth = self.average_speed_kph.is_some()
            || self.stops_per_km.is_some()
            || self.dwell_s.is_some()
            || self.accel_mps2.is_some()
            || self.decel_mps2.is_some();
        let forms = usize::from(self.name.is_some()) + usize::from(trace) + usize::from(synth);
        if forms != 1 {
            return Err(ApiError::invalid(
                "duty_cycle",
                "give exactly one of: name; time_s + speed_mps (+ grade); average_speed_kph + stops_per_km",
            ));
        }
        if let Some(n) = &self.name {
            let c = StandardCycle::parse(n).ok_or_else(|| {
                ApiError::invalid(
                    "duty_cycle.name",
                    format!(
                        "unknown cycle `{n}` (udds, hwfet, us06, wltc_3b, nrel13, hhddt_cruise)"
                    ),
                )
            })?;
            return Ok(DutyCycle::Standard(c));
        }
        if trace {
            let (Some(t), Some(v)) = (&self.time_s, &self.speed_mps) else {
                let missing = if self.time_s.is_none() {
                    "duty_cycle.time_s"
                } else {
                    "duty_cycle.speed_mps"
                };
                return Err(ApiError::invalid(
                    missing,
                    "an explicit trace needs time_s and speed_mps",
                ));
            };
            validate::trace_limits("duty_cycle", t, v, self.grade.as_deref())?;
            return Ok(DutyCycle::Explicit(Trace::new(
                t.clone(),
                v.clone(),
                self.grade.clone(),
            )?));
        }
        let (Some(avg), Some(stops)) = (self.average_speed_kph, self.stops_per_km) else {
            let missing = if self.average_speed_kph.is_none() {
                "duty_cycle.average_speed_kph"
            } else {
                "duty_cycle.stops_per_km"
            };
            return Err(ApiError::invalid(
                missing,
                "a synthesised cycle needs average_speed_kph and stops_per_km",
            ));
        };
        let mut s = StopAndGo::new(avg, stops);
        if let Some(d) = self.dwell_s {
            s.dwell_s = range("duty_cycle.dwell_s", d, 0.0, 3600.0)?;
        }
        if let Some(a) = self.accel_mps2 {
            s.accel_mps2 = range("duty_cycle.accel_mps2", a, 0.05, 5.0)?;
        }
        if let Some(d) = self.decel_mps2 {
            s.decel_mps2 = range("duty_cycle.decel_mps2", d, 0.05, 10.0)?;
        }
        // Solving one segment checks every number and that the average speed is drivable.
        s.trace(1)?;
        Ok(DutyCycle::StopAndGo(s))
    }
}

/// Spreads (10th/90th percentile) of unknown inputs; see `twin_model::energy::range::RangeUncertainty`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UncertaintySpec {
    /// Relative spread of HVAC power (fraction, default 0.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hvac_rel: Option<f64>,
    /// Extra HVAC power at p90 even in mild weather (kW; default: 3 K of the class's heating).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hvac_floor_kw: Option<f64>,
    /// Payload spread (± kg; default by class, or 10 % of a stated payload).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_kg: Option<f64>,
    /// Driving style as a speed scale (± fraction, default 0.05).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driving_style_rel: Option<f64>,
    /// Relative spread of usable energy (fraction, default 0.03).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usable_energy_rel: Option<f64>,
}

impl UncertaintySpec {
    fn resolve(&self) -> Result<RangeUncertainty, ApiError> {
        let d = RangeUncertainty::default();
        let frac = |f: &str, x: Option<f64>, dflt: f64| {
            x.map(|x| range(f, x, 0.0, 0.89))
                .transpose()
                .map(|o| o.unwrap_or(dflt))
        };
        Ok(RangeUncertainty {
            hvac_rel: frac("uncertainty.hvac_rel", self.hvac_rel, d.hvac_rel)?,
            hvac_floor_kw: opt_range("uncertainty.hvac_floor_kw", self.hvac_floor_kw, 0.0, 200.0)?,
            payload_kg: opt_range("uncertainty.payload_kg", self.payload_kg, 0.0, 40_000.0)?,
            driving_style_rel: frac(
                "uncertainty.driving_style_rel",
                self.driving_style_rel,
                d.driving_style_rel,
            )?,
            usable_energy_rel: frac(
                "uncertainty.usable_energy_rel",
                self.usable_energy_rel,
                d.usable_energy_rel,
            )?,
        })
    }
}

/// Consumption by term (kWh/km); the four add up to `consumption_kwh_per_km`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BreakdownOut {
    /// Net road demand at the wheels: drag, rolling, grade, kinetic and wheel inertia.
    pub traction: f64,
    /// Cabin heating/cooling.
    pub hvac: f64,
    /// Auxiliaries.
    pub aux: f64,
    /// Drivetrain, friction-brake and battery losses.
    pub losses: f64,
}

/// One pass of the duty cycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CycleOut {
    /// Distance driven (km).
    pub distance_km: f64,
    /// Duration (s).
    pub duration_s: f64,
    /// Chemical energy drawn from the battery (kWh), FASTSim's `energy_batt_chemical_kwh`.
    pub energy_kwh: f64,
    /// Net electrical energy at the battery terminals (kWh).
    pub energy_terminal_kwh: f64,
    /// Aerodynamic drag at the wheels (kWh).
    pub drag_kwh: f64,
    /// Rolling resistance at the wheels (kWh).
    pub rolling_kwh: f64,
    /// Electrical energy regenerated into the battery terminals (kWh).
    pub regen_kwh: f64,
    /// Whether the vehicle could not follow the trace (power limit).
    pub trace_missed: bool,
    /// Net potential energy change (kWh).
    pub grade_kwh: f64,
    /// Friction-brake energy (kWh).
    pub friction_brake_kwh: f64,
    /// Motor and transmission losses (kWh).
    pub drivetrain_loss_kwh: f64,
    /// Battery internal loss (kWh).
    pub battery_loss_kwh: f64,
    /// Auxiliaries (kWh).
    pub aux_kwh: f64,
    /// HVAC (kWh).
    pub hvac_kwh: f64,
    /// Largest shortfall below the trace speed (m/s).
    pub max_speed_shortfall_mps: f64,
    /// Time steps simulated.
    pub steps: usize,
}

/// Response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RangeRemainingResponse {
    /// Expected range on this duty cycle (km).
    pub range_km: f64,
    /// 10th percentile range (km).
    pub range_km_p10: f64,
    /// 90th percentile range (km).
    pub range_km_p90: f64,
    /// Energy above max(reserve, min SoC), after the cold-capacity factor (kWh).
    pub usable_energy_kwh: f64,
    /// Chemical energy per km (kWh/km).
    pub consumption_kwh_per_km: f64,
    /// Consumption by term (kWh/km).
    pub breakdown_kwh_per_km: BreakdownOut,
    /// One pass of the duty cycle.
    pub cycle: CycleOut,
    /// The duty cycle used (`udds`, ..., `explicit`, `stop_and_go`).
    pub duty_cycle: String,
    /// Fraction of capacity available at the battery temperature.
    pub capacity_factor: f64,
    /// HVAC electrical power (kW).
    pub hvac_kw: f64,
    /// Air density used (kg/m³).
    pub air_density_kg_m3: f64,
    /// Payload driven (kg).
    pub payload_kg: f64,
    /// Parameters that took defaults or are estimates.
    pub assumptions: Vec<String>,
    /// Which estimator produced the result.
    pub estimator: EstimatorInfo,
}

fn round(x: f64, digits: i32) -> f64 {
    let k = 10f64.powi(digits);
    // `+ 0.0` turns a rounded −0.0 into 0.0
    (x * k).round() / k + 0.0
}

fn cycle_out(c: &CycleResult) -> CycleOut {
    let r = |x: f64| round(x, 6);
    CycleOut {
        distance_km: r(c.distance_km),
        duration_s: r(c.duration_s),
        energy_kwh: r(c.energy_kwh),
        energy_terminal_kwh: r(c.energy_terminal_kwh),
        drag_kwh: r(c.drag_kwh),
        rolling_kwh: r(c.rolling_kwh),
        regen_kwh: r(c.regen_kwh),
        trace_missed: c.trace_missed,
        grade_kwh: r(c.grade_kwh),
        friction_brake_kwh: r(c.friction_brake_kwh),
        drivetrain_loss_kwh: r(c.drivetrain_loss_kwh),
        battery_loss_kwh: r(c.battery_loss_kwh),
        aux_kwh: r(c.aux_kwh),
        hvac_kwh: r(c.hvac_kwh),
        max_speed_shortfall_mps: r(c.max_speed_shortfall_mps),
        steps: c.steps,
    }
}

/// Checks a request and computes the answer (pure; used by the handler and by benchmarks).
pub fn compute(req: &RangeRemainingRequest) -> Result<RangeRemainingResponse, ApiError> {
    let resolved = req.vehicle.resolve()?;
    let mut v = resolved.vehicle;
    let mut assumptions = resolved.assumed;
    let soc_now = soc("soc_pct", req.soc_pct)?;
    let reserve = soc("reserve_soc_pct", req.reserve_soc_pct.unwrap_or(0.0))?;
    let ambient = opt_range("ambient_temp_c", req.ambient_temp_c, -60.0, 60.0)?;
    let elevation = opt_range("elevation_m", req.elevation_m, -500.0, 6000.0)?;
    let battery_temp = opt_range("battery_temp_c", req.battery_temp_c, -60.0, 80.0)?;
    let payload = opt_range("payload_kg", req.payload_kg, 0.0, 40_000.0)?;
    let duty = req.duty_cycle.resolve()?;
    let uncertainty = req.uncertainty.clone().unwrap_or_default().resolve()?;

    let payload_stated = payload.is_some() || req.vehicle.payload_kg.is_some();
    if let Some(p) = payload {
        v.payload_kg = p;
    } else if req.vehicle.payload_kg.is_none() {
        if req.vehicle.mass_kg.is_some() {
            v.payload_kg = 0.0;
            assumptions.retain(|a| a != "vehicle.payload_kg");
            assumptions.push("payload_kg = 0 (vehicle.mass_kg given: driven as stated)".into());
        } else {
            assumptions.push(format!(
                "payload_kg = {} (class or catalogue default)",
                v.payload_kg
            ));
        }
    }
    let conditions = Conditions {
        ambient_temp_c: ambient.unwrap_or(Conditions::DEFAULT_AMBIENT_TEMP_C),
        elevation_m: elevation.unwrap_or(Conditions::DEFAULT_ELEVATION_M),
        hvac_kw: None,
    };
    if ambient.is_none() {
        assumptions.push(format!(
            "ambient_temp_c = {} (default)",
            Conditions::DEFAULT_AMBIENT_TEMP_C
        ));
    }
    if elevation.is_none() {
        assumptions.push(format!(
            "elevation_m = {} (default)",
            Conditions::DEFAULT_ELEVATION_M
        ));
    }
    if battery_temp.is_none() {
        assumptions.push("battery_temp_c = ambient_temp_c".into());
    }
    let trace = duty.trace()?;
    let r = model_range::range_remaining(&RangeInput {
        vehicle: &v,
        payload_stated,
        soc_pct: soc_now,
        reserve_soc_pct: reserve,
        battery_temp_c: battery_temp,
        conditions,
        trace: trace.as_ref(),
        uncertainty,
    })?;
    let b = r.breakdown_kwh_per_km;
    let r6 = |x: f64| round(x, 6);
    Ok(RangeRemainingResponse {
        range_km: round(r.range_km, 3),
        range_km_p10: round(r.range_km_p10, 3),
        range_km_p90: round(r.range_km_p90, 3),
        usable_energy_kwh: r6(r.usable_energy_kwh),
        consumption_kwh_per_km: r6(r.consumption_kwh_per_km),
        breakdown_kwh_per_km: BreakdownOut {
            traction: r6(b.traction),
            hvac: r6(b.hvac),
            aux: r6(b.aux),
            losses: r6(b.losses),
        },
        cycle: cycle_out(&r.cycle),
        duty_cycle: duty.label().to_string(),
        capacity_factor: r6(r.capacity_factor),
        hvac_kw: r6(r.hvac_kw),
        air_density_kg_m3: r6(conditions.air_density_kg_m3()),
        payload_kg: v.payload_kg,
        assumptions,
        estimator: EstimatorInfo::physics(),
    })
}

/// Parses the body; a malformed number (e.g. `NaN`) inside the body is named by its path.
fn parse(body: &[u8]) -> Result<RangeRemainingRequest, ApiError> {
    match validate::parse::<RangeRemainingRequest>(body) {
        Ok(r) => Ok(r),
        // A body that is not an object at all has no field to find.
        Err(mut e) if e.field.is_none() && !e.message.starts_with("request body:") => {
            let mut de = serde_json::Deserializer::from_slice(body);
            if let Err(pe) = serde_path_to_error::deserialize::<_, RangeRemainingRequest>(&mut de) {
                let path = pe.path().to_string();
                if path != "." && !path.is_empty() {
                    e.message = format!("{path}: {}", e.message);
                    e.field = Some(path);
                }
            }
            Err(e)
        }
        Err(e) => Err(e),
    }
}

/// The handler.
pub async fn handle(_deps: &Deps, _ctx: &Ctx, body: &[u8]) -> Result<Reply, ApiError> {
    let req = parse(body)?;
    Reply::ok(&compute(&req)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(json: &str) -> Result<RangeRemainingResponse, ApiError> {
        compute(&parse(json.as_bytes())?)
    }

    fn field(json: &str) -> (u16, Option<String>) {
        let e = req(json).unwrap_err();
        (e.status, e.field)
    }

    const BUS: &str = r#""vehicle": {"model": "yutong_e12"}, "soc_pct": 80"#;

    #[test]
    fn basic_event_is_a_plausible_bus_range() {
        let r = req(&format!(
            r#"{{ {BUS}, "reserve_soc_pct": 10, "ambient_temp_c": 20, "duty_cycle": {{"average_speed_kph": 18, "stops_per_km": 2.5}} }}"#
        ))
        .unwrap();
        // 422 kWh × 70 % ≈ 295 kWh at 0.8–1.4 kWh/km: 210–370 km
        assert!((210.0..=370.0).contains(&r.range_km), "{}", r.range_km);
        assert!(r.range_km_p10 < r.range_km && r.range_km < r.range_km_p90);
        let b = &r.breakdown_kwh_per_km;
        assert!((b.traction + b.hvac + b.aux + b.losses - r.consumption_kwh_per_km).abs() < 1e-5);
        assert!((r.cycle.energy_kwh / r.cycle.distance_km - r.consumption_kwh_per_km).abs() < 1e-5);
    }

    #[test]
    fn a_stated_mass_is_driven_without_an_invented_payload() {
        let r = req(r#"{"vehicle": {"class": "car", "mass_kg": 1600}, "soc_pct": 50, "duty_cycle": {"name": "udds"}}"#).unwrap();
        assert_eq!(r.payload_kg, 0.0);
        let r = req(r#"{"vehicle": {"class": "car", "mass_kg": 1600}, "payload_kg": 300, "soc_pct": 50, "duty_cycle": {"name": "udds"}}"#).unwrap();
        assert_eq!(r.payload_kg, 300.0);
    }

    #[test]
    fn traces_over_the_point_limit_get_413_naming_the_array() {
        // One point more than validate::MAX_TRACE_POINTS (two days at 1 Hz).
        let n = MAX_TRACE_POINTS + 1;
        let t: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let v = vec![10.0; n];
        let body = serde_json::json!({"vehicle": {"model": "yutong_e12"}, "soc_pct": 80,
            "duty_cycle": {"time_s": t, "speed_mps": v}});
        let (status, f) = field(&body.to_string());
        assert_eq!((status, f.as_deref()), (413, Some("duty_cycle.time_s")));
    }

    #[test]
    fn bad_traces_are_400s_naming_the_field() {
        let t = |dc: &str| field(&format!(r#"{{ {BUS}, "duty_cycle": {dc} }}"#));
        let want = |f: &str| (400, Some(f.to_string()));
        assert_eq!(
            t(r#"{"time_s": [0, 1, 2], "speed_mps": [0, 1]}"#),
            want("duty_cycle.speed_mps")
        );
        assert_eq!(
            t(r#"{"time_s": [0, 1], "speed_mps": [0, -1]}"#),
            want("duty_cycle.speed_mps")
        );
        assert_eq!(
            t(r#"{"time_s": [0, 1], "speed_mps": [0, 1], "grade": [0, 0.35]}"#),
            want("duty_cycle.grade")
        );
        assert_eq!(
            t(r#"{"time_s": [0, 1], "speed_mps": [0, 1], "grade": [0]}"#),
            want("duty_cycle.grade")
        );
        assert_eq!(
            t(r#"{"time_s": [0, 1], "speed_mps": [0, null]}"#)
                .1
                .as_deref(),
            Some("duty_cycle.speed_mps[1]")
        );
        assert_eq!(t(r#"{"name": "nope"}"#), want("duty_cycle.name"));
        assert_eq!(
            t(r#"{"name": "udds", "average_speed_kph": 18}"#),
            want("duty_cycle")
        );
        assert_eq!(
            t(r#"{"average_speed_kph": 18}"#),
            want("duty_cycle.stops_per_km")
        );
        assert_eq!(t(r#"{"average_speed_kph": 90, "stops_per_km": 6}"#).0, 422);
    }

    #[test]
    fn nan_is_refused_naming_where_it_is() {
        let e = req(&format!(
            r#"{{ {BUS}, "duty_cycle": {{"time_s": [0, 1], "speed_mps": [0, NaN]}} }}"#
        ))
        .unwrap_err();
        assert_eq!(e.status, 400);
        assert!(
            e.field
                .as_deref()
                .is_some_and(|f| f.starts_with("duty_cycle.speed_mps")),
            "{e:?}"
        );
    }

    #[test]
    fn soc_and_weather_are_range_checked() {
        assert_eq!(
            field(&format!(
                r#"{{ {BUS}, "ambient_temp_c": 99, "duty_cycle": {{"name": "udds"}} }}"#
            ))
            .1
            .as_deref(),
            Some("ambient_temp_c")
        );
        assert_eq!(
            field(r#"{"vehicle": {"model": "yutong_e12"}, "soc_pct": 101, "duty_cycle": {"name": "udds"}}"#).1.as_deref(),
            Some("soc_pct")
        );
        assert_eq!(
            field(&format!(
                r#"{{ {BUS}, "elevation_m": -9000, "duty_cycle": {{"name": "udds"}} }}"#
            ))
            .1
            .as_deref(),
            Some("elevation_m")
        );
    }
}
