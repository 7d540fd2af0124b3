//! `POST /v1/depot-simulations`: is every vehicle ready at pull-out, under the grid limit, at what peak
//! and cost, under which strategy?
//!
//! Parse (unknown fields refused, except inside `tariff`, whose URDB-style extras are ignored) → check
//! and convert once into [`twin_model::depot::DepotInput`] (times onto the `start` clock, charger ids to
//! indices, vehicles resolved) → run the pure engine → store the artifacts (the configured store, or
//! inline `data:` URLs when none is) → shape the response of API.md.
//!
//! Asynchronous runs: through the HTTP doors (not `twin invoke`, which always runs to completion), a
//! request with `"mode": "async"`, or one above [`ASYNC_VEHICLE_STEPS`] vehicle-steps (fleet size ×
//! horizon ÷ step), is checked, stored and answered `202 {run_id, status, href}`; a worker runs it with
//! [`run_compute`] (see [`crate::runs`]) and `GET /v1/depot-simulations/{run_id}` returns it. Without a
//! configured store, `mode: async` is answered synchronously and an oversized run is refused (413).

use crate::error::ApiError;
use crate::runs::{self, ArtifactOut, BoxFuture, RunOutput};
use crate::validate::{self, range, soc};
use crate::vehicle::VehicleSpec;
use crate::{Ctx, Deps, Door, Reply};
use base64::Engine as _;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use twin_estimators::EstimatorInfo;
use twin_model::depot::time as dtime;
use twin_model::depot::{
    self, ArrivalState, DepotCharger, DepotInput, EventTiming, FleetVehicle, Record, Semantics,
    SharingOrder, Visit,
};
use twin_model::tariff::{PriceSampling, Tariff, TariffSpec};

/// Request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DepotSimulationRequest {
    /// Start of the horizon (ISO 8601; the depot's wall clock, or with an offset).
    pub start: String,
    /// End of the horizon.
    pub end: String,
    /// Step (s), default 60.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_s: Option<f64>,
    /// `uncontrolled` | `balanced` | `least_laxity` | `optimal`.
    pub strategy: StrategyName,
    /// The site.
    pub depot: DepotSpec,
    /// The vehicles and their stays.
    pub fleet: Vec<FleetSpec>,
    /// Tariff (`../shared/reference/tariff_example.json` style); default: no cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Value>")]
    pub tariff: Option<serde_json::Value>,
    /// `sync` (default) or `async`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<ModeName>,
    /// Simulation rules (defaults are physical; the SpiceEV importer selects SpiceEV's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<OptionsSpec>,
    /// Sizing sweep: variants of this scenario over grid limits and charger counts (see [`crate::sweep`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<crate::sweep::SweepSpec>,
    /// Where the request came from (e.g. an importer); echoed, not used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Value>")]
    pub source: Option<serde_json::Value>,
}

/// Strategy names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StrategyName {
    /// Everyone at maximum, the site budget in arrival order.
    Uncontrolled,
    /// The least constant power that meets each departure.
    Balanced,
    /// Least slack first.
    LeastLaxity,
    /// LP: least energy + demand cost subject to readiness (shortfall minimised first if impossible).
    Optimal,
}

impl From<StrategyName> for depot::Strategy {
    fn from(s: StrategyName) -> Self {
        match s {
            StrategyName::Uncontrolled => depot::Strategy::Uncontrolled,
            StrategyName::Balanced => depot::Strategy::Balanced,
            StrategyName::LeastLaxity => depot::Strategy::LeastLaxity,
            StrategyName::Optimal => depot::Strategy::Optimal,
        }
    }
}

/// `sync` or `async`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModeName {
    /// Run now and answer with the results.
    Sync,
    /// Store the request, answer 202 with a `run_id`, run it in the background (answered
    /// synchronously when no store is configured, and always by `twin invoke`).
    Async,
}

/// The site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DepotSpec {
    /// The depot's id (1-128 of `[A-Za-z0-9._:-]`): stored runs are listed per depot; default `default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Grid connection limit (kW, grid side).
    pub grid_limit_kw: f64,
    /// Constant non-charging load (kW), default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_load_kw: Option<f64>,
    /// Chargers.
    pub chargers: Vec<ChargerSpec>,
}

/// A charger (DC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChargerSpec {
    /// Id.
    pub id: String,
    /// Rated output (kW), shared by its connectors.
    pub max_power_kw: f64,
    /// Connectors, default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connectors: Option<u32>,
    /// Grid-to-inlet efficiency, default 0.95.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efficiency: Option<f64>,
}

/// A vehicle of the fleet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FleetSpec {
    /// Id.
    pub id: String,
    /// The vehicle (catalogue id and/or parameters).
    pub vehicle: VehicleSpec,
    /// SoC at `start` (%).
    pub initial_soc_pct: f64,
    /// SoC wanted at departures (%), default 100 (capped by the battery's max).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_soc_pct: Option<f64>,
    /// Charger id it must use; default any free connector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charger: Option<String>,
    /// Stays at the depot, in time order.
    pub events: Vec<EventSpec>,
}

/// One stay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// Arrival (ISO 8601).
    pub arrive: String,
    /// Departure (ISO 8601).
    pub depart: String,
    /// SoC on arrival (%); or give `energy_used_kwh`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soc_on_arrival_pct: Option<f64>,
    /// Energy used since the last departure (kWh).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_used_kwh: Option<f64>,
    /// SoC wanted at this departure (%).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_soc_pct: Option<f64>,
}

/// Simulation rules.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionsSpec {
    /// `exact` (default) or `round_up_to_step` (SpiceEV).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_timing: Option<TimingName>,
    /// `arrival` (default) or `vehicle_id` (SpiceEV).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharing_order: Option<SharingName>,
    /// `step_average` (default) or `step_start` (SpiceEV).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_sampling: Option<PriceName>,
    /// Queue vehicles that find no free connector (default true); false refuses such scenarios.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<bool>,
}

/// Event timing names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimingName {
    /// Exact times.
    Exact,
    /// Rounded up to the next step (SpiceEV).
    RoundUpToStep,
}

/// Sharing order names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SharingName {
    /// First plugged in, first served.
    Arrival,
    /// Sorted vehicle id (SpiceEV).
    VehicleId,
}

/// Price sampling names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriceName {
    /// Time-weighted mean over the step.
    StepAverage,
    /// The price when the step starts (SpiceEV).
    StepStart,
}

/// Response summary (API.md fields first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SummaryOut {
    /// Energy the site drew (kWh): chargers + base load.
    pub energy_from_grid_kwh: f64,
    /// Energy stored in the batteries (kWh).
    pub energy_to_batteries_kwh: f64,
    /// Highest step-average site power (kW).
    pub peak_kw: f64,
    /// Start of the peak step.
    pub peak_at: String,
    /// Energy cost.
    pub energy_cost: f64,
    /// Demand charges.
    pub demand_cost: f64,
    /// Energy + demand.
    pub total_cost: f64,
    /// Departures within the horizon.
    pub departures: usize,
    /// Departures below target.
    pub departures_short: usize,
    /// Lowest departure SoC (%).
    pub min_departure_soc_pct: Option<f64>,
    /// Inlet energy ÷ (Σ charger rating × horizon).
    pub charger_utilisation: f64,
    /// Energy at the inlets (kWh).
    pub energy_at_inlets_kwh: f64,
    /// Energy the chargers drew (kWh).
    pub charging_energy_from_grid_kwh: f64,
    /// Energy missing at departures (kWh).
    pub total_short_kwh: f64,
    /// Plugged time ÷ (connectors × horizon).
    pub connector_occupancy: f64,
    /// Visits that waited for a connector.
    pub visits_waited: usize,
    /// Longest wait (min).
    pub max_wait_min: f64,
    /// Steps.
    pub steps: usize,
    /// Step (s).
    pub step_s: i64,
}

/// One departure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DepartureOut {
    /// Departure time.
    pub depart: String,
    /// SoC at departure (%).
    pub soc_pct: f64,
    /// Target (%).
    pub target_soc_pct: f64,
    /// Missing energy (kWh into the cells).
    pub short_kwh: f64,
    /// Minutes waited for a connector.
    pub waited_min: f64,
}

/// Per vehicle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VehicleOut {
    /// Id.
    pub id: String,
    /// Departures.
    pub departures: Vec<DepartureOut>,
}

/// Artifact locations: keys under the local data folder (`twin serve`, `twin invoke`), or `data:` URLs
/// when no store is configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ArtifactsOut {
    /// Site load and price per step (CSV).
    pub timeseries_csv: String,
    /// SoC per vehicle per step (CSV).
    pub soc_csv: String,
    /// Site load vs limit and SoC band (SVG).
    pub charts_svg: String,
    /// OCPP 2.0.1 charging profiles per vehicle (JSON).
    pub ocpp_profiles_json: String,
}

/// Response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DepotSimulationResponse {
    /// Run id (a hash of the request: the same request gives the same id).
    pub run_id: String,
    /// `succeeded`.
    pub status: String,
    /// Strategy run.
    pub strategy: StrategyName,
    /// Summary.
    pub summary: SummaryOut,
    /// Per vehicle departures.
    pub vehicles: Vec<VehicleOut>,
    /// Artifacts.
    pub artifacts: ArtifactsOut,
    /// What the caller should know (queueing, impossible readiness, …).
    pub notes: Vec<String>,
    /// Parameters that took defaults.
    pub assumptions: Vec<String>,
    /// LP facts for `optimal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Value>")]
    pub optimal: Option<serde_json::Value>,
    /// Which estimator produced the result: physics (charging from the time_to_charge model; the
    /// energy each vehicle used comes from the request).
    pub estimator: EstimatorInfo,
}

fn round(x: f64, digits: i32) -> f64 {
    let k = 10f64.powi(digits);
    (x * k).round() / k
}

/// Checks a request and converts it to the model's input (pure).
pub fn to_input(req: &DepotSimulationRequest) -> Result<(DepotInput, Vec<String>), ApiError> {
    let start = dtime::parse(&req.start).map_err(|m| ApiError::invalid("start", m))?;
    let clock = start.offset_s;
    let at = |s: &str, field: &str| -> Result<i64, ApiError> {
        Ok(dtime::parse(s)
            .map_err(|m| ApiError::invalid(field, m))?
            .on_clock(clock))
    };
    let end_s = at(&req.end, "end")?;
    let step = req.step_s.unwrap_or(60.0);
    let step = range("step_s", step, 1.0, 86_400.0)?;
    if step.fract() != 0.0 {
        return Err(ApiError::invalid(
            "step_s",
            "must be a whole number of seconds",
        ));
    }
    let horizon_s = end_s.saturating_sub(start.wall_s) as f64;
    if horizon_s > 0.0 {
        // A horizon over 400 days is refused (413); end before start is the model's 400.
        validate::step_count("end", horizon_s, "step_s", step)?;
    }
    let mut assumptions = Vec::new();
    if req.step_s.is_none() {
        assumptions.push("step_s = 60 (default)".to_string());
    }
    let d = &req.depot;
    if let Some(id) = &d.id {
        validate::id("depot.id", id)?;
    }
    if !d.grid_limit_kw.is_finite() || d.grid_limit_kw <= 0.0 {
        return Err(ApiError::invalid(
            "depot.grid_limit_kw",
            "must be a finite number > 0",
        ));
    }
    let base = d.base_load_kw.unwrap_or(0.0);
    if !base.is_finite() || base < 0.0 {
        return Err(ApiError::invalid(
            "depot.base_load_kw",
            "must be a finite number ≥ 0",
        ));
    }
    validate::max_len("depot.chargers", d.chargers.len(), validate::MAX_CHARGERS)?;
    validate::max_len("fleet", req.fleet.len(), validate::MAX_FLEET)?;
    // Ids name CSV columns, SVG labels and OCPP profiles: the safe set, like run ids.
    for (i, c) in d.chargers.iter().enumerate() {
        validate::id(&format!("depot.chargers[{i}].id"), &c.id)?;
    }
    for (i, v) in req.fleet.iter().enumerate() {
        validate::id(&format!("fleet[{i}].id"), &v.id)?;
        validate::max_len(
            &format!("fleet[{i}].events"),
            v.events.len(),
            validate::MAX_EVENTS_PER_VEHICLE,
        )?;
    }
    let mut chargers = Vec::with_capacity(d.chargers.len());
    for (i, c) in d.chargers.iter().enumerate() {
        let f = |n: &str| format!("depot.chargers[{i}].{n}");
        if !c.max_power_kw.is_finite() || c.max_power_kw <= 0.0 {
            return Err(ApiError::invalid(
                f("max_power_kw"),
                "must be a finite number > 0",
            ));
        }
        let connectors = c.connectors.unwrap_or(1);
        if connectors == 0 || connectors > 64 {
            return Err(ApiError::invalid(
                f("connectors"),
                "must be between 1 and 64",
            ));
        }
        let eff = c.efficiency.unwrap_or(0.95);
        if !(eff > 0.0 && eff <= 1.0) {
            return Err(ApiError::invalid(f("efficiency"), "must be in (0, 1]"));
        }
        chargers.push(DepotCharger {
            id: c.id.clone(),
            max_power_kw: c.max_power_kw,
            connectors,
            efficiency: eff,
        });
    }
    if d.chargers.iter().any(|c| c.efficiency.is_none()) {
        assumptions
            .push("depot.chargers[].efficiency = 0.95 where not given (DC rectifier)".to_string());
    }
    let mut fleet = Vec::with_capacity(req.fleet.len());
    for (i, v) in req.fleet.iter().enumerate() {
        let f = |n: &str| format!("fleet[{i}].{n}");
        let resolved = v
            .vehicle
            .resolve()
            .map_err(|e| prefix(e, &format!("fleet[{i}]")))?;
        if i == 0 {
            assumptions.extend(
                resolved
                    .assumed
                    .iter()
                    .filter(|a| a.contains("battery"))
                    .map(|a| format!("fleet[0].{a}")),
            );
        }
        let charger = match &v.charger {
            Some(id) => Some(chargers.iter().position(|c| &c.id == id).ok_or_else(|| {
                ApiError::invalid(f("charger"), format!("no charger `{id}` in depot.chargers"))
            })?),
            None => None,
        };
        let mut visits = Vec::with_capacity(v.events.len());
        for (j, e) in v.events.iter().enumerate() {
            let g = |n: &str| format!("fleet[{i}].events[{j}].{n}");
            let arrival = match (e.soc_on_arrival_pct, e.energy_used_kwh) {
                (Some(s), None) => ArrivalState::SocPct(soc(&g("soc_on_arrival_pct"), s)?),
                (None, Some(x)) => {
                    ArrivalState::EnergyUsedKwh(range(&g("energy_used_kwh"), x, 0.0, 100_000.0)?)
                }
                (Some(_), Some(_)) => {
                    return Err(ApiError::invalid(
                        g("energy_used_kwh"),
                        "give soc_on_arrival_pct or energy_used_kwh, not both",
                    ))
                }
                (None, None) => {
                    return Err(ApiError::invalid(
                        g("soc_on_arrival_pct"),
                        "needs soc_on_arrival_pct or energy_used_kwh",
                    ))
                }
            };
            visits.push(Visit {
                arrive_s: at(&e.arrive, &g("arrive"))?,
                depart_s: at(&e.depart, &g("depart"))?,
                arrival,
                target_soc_pct: e
                    .target_soc_pct
                    .map(|t| soc(&g("target_soc_pct"), t))
                    .transpose()?,
            });
        }
        fleet.push(FleetVehicle {
            id: v.id.clone(),
            vehicle: resolved.vehicle,
            initial_soc_pct: soc(&f("initial_soc_pct"), v.initial_soc_pct)?,
            target_soc_pct: v
                .target_soc_pct
                .map(|t| soc(&f("target_soc_pct"), t))
                .transpose()?,
            charger,
            visits,
        });
    }
    let tariff = match &req.tariff {
        Some(t) => {
            let spec: TariffSpec = serde_json::from_value(t.clone())
                .map_err(|e| ApiError::invalid("tariff", e.to_string()))?;
            Tariff::from_spec(&spec, clock)?
        }
        None => {
            assumptions.push("no tariff: costs are 0".to_string());
            Tariff::default()
        }
    };
    let o = req.options.clone().unwrap_or_default();
    let semantics = Semantics {
        event_timing: match o.event_timing {
            Some(TimingName::RoundUpToStep) => EventTiming::RoundUpToStep,
            _ => EventTiming::Exact,
        },
        sharing_order: match o.sharing_order {
            Some(SharingName::VehicleId) => SharingOrder::VehicleId,
            _ => SharingOrder::Arrival,
        },
        price_sampling: match o.price_sampling {
            Some(PriceName::StepStart) => PriceSampling::StepStart,
            _ => PriceSampling::StepAverage,
        },
        no_queue: o.queue == Some(false),
    };
    let input = DepotInput {
        start_s: start.wall_s,
        end_s,
        step_s: step as i64,
        clock_offset_s: clock,
        strategy: req.strategy.into(),
        grid_limit_kw: d.grid_limit_kw,
        base_load_kw: base,
        chargers,
        fleet,
        tariff,
        semantics,
        record: Record::Full,
    };
    input.validate()?;
    Ok((input, assumptions))
}

fn prefix(mut e: ApiError, p: &str) -> ApiError {
    if let Some(f) = e.field.take() {
        e.message = format!("{p}.{}", e.message);
        e.field = Some(format!("{p}.{f}"));
    }
    e
}

/// FNV-1a 64 of the request body: a stable run id for the same request.
fn run_id(body: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("dsim-{h:016x}")
}

/// Runs a checked request (pure apart from nothing: artifacts come back as strings).
pub fn compute(
    req: &DepotSimulationRequest,
) -> Result<(DepotSimulationResponse, depot::Artifacts), ApiError> {
    let (input, assumptions) = to_input(req)?;
    compute_checked(req, &input, assumptions)
}

/// [`compute`] on an input [`to_input`] already made from `req`.
fn compute_checked(
    req: &DepotSimulationRequest,
    input: &DepotInput,
    assumptions: Vec<String>,
) -> Result<(DepotSimulationResponse, depot::Artifacts), ApiError> {
    let r = depot::simulate(input)?;
    let arts = depot::artifacts(input, &r)
        .ok_or_else(|| ApiError::internal("artifacts were not recorded"))?;
    let s = &r.summary;
    let notes = r.notes.clone();
    let resp = DepotSimulationResponse {
        run_id: String::new(),
        status: "succeeded".to_string(),
        strategy: req.strategy,
        summary: SummaryOut {
            energy_from_grid_kwh: round(s.energy_from_grid_kwh, 3),
            energy_to_batteries_kwh: round(s.energy_to_batteries_kwh, 3),
            peak_kw: round(s.peak_kw, 3),
            peak_at: s.peak_at.clone(),
            energy_cost: round(s.energy_cost, 4),
            demand_cost: round(s.demand_cost, 4),
            total_cost: round(s.total_cost, 4),
            departures: s.departures,
            departures_short: s.departures_short,
            min_departure_soc_pct: s.min_departure_soc_pct.map(|x| round(x, 4)),
            charger_utilisation: round(s.charger_utilisation, 5),
            energy_at_inlets_kwh: round(s.energy_at_inlets_kwh, 3),
            charging_energy_from_grid_kwh: round(s.charging_energy_from_grid_kwh, 3),
            total_short_kwh: round(s.total_short_kwh, 3),
            connector_occupancy: round(s.connector_occupancy, 5),
            visits_waited: s.visits_waited,
            max_wait_min: round(s.max_wait_min, 2),
            steps: s.steps,
            step_s: s.step_s,
        },
        vehicles: r
            .vehicles
            .iter()
            .map(|v| VehicleOut {
                id: v.id.clone(),
                departures: v
                    .departures
                    .iter()
                    .map(|d| DepartureOut { depart: d.depart.clone(), soc_pct: round(d.soc_pct, 4), target_soc_pct: round(d.target_soc_pct, 4), short_kwh: round(d.short_kwh, 4), waited_min: round(d.waited_min, 2) })
                    .collect(),
            })
            .collect(),
        artifacts: ArtifactsOut { timeseries_csv: String::new(), soc_csv: String::new(), charts_svg: String::new(), ocpp_profiles_json: String::new() },
        notes,
        assumptions,
        optimal: r.optimal.as_ref().map(|o| serde_json::json!({"solver": o.solver, "variables": o.variables, "constraints": o.constraints, "lp_shortfall_kwh": round(o.lp_shortfall_kwh, 3), "readiness_feasible": o.readiness_feasible, "lp_cost": round(o.lp_cost, 4)})),
        estimator: EstimatorInfo::physics(),
    };
    Ok((resp, arts))
}

/// Artifact names (response keys), file names and content types, in the order of
/// [`depot::Artifacts`]' fields.
const FILES: [(&str, &str, &str); 4] = [
    ("timeseries_csv", "timeseries.csv", "text/csv"),
    ("soc_csv", "soc.csv", "text/csv"),
    ("charts_svg", "chart.svg", "image/svg+xml"),
    (
        "ocpp_profiles_json",
        "ocpp_profiles.json",
        "application/json",
    ),
];

/// Runs above this many vehicle-steps (fleet size × horizon ÷ `step_s`) go asynchronous through the
/// HTTP doors when a store is configured: the same bound as the synchronous limit
/// ([`validate::MAX_SYNC_VEHICLE_STEPS`], 2.5 M, sized for the 29 s API timeout), so a run that
/// would be refused synchronously is accepted as a stored run instead. E.g. 100 buses × 7 days at
/// 60 s = 1.008 M vehicle-steps runs synchronously; 100 buses × 30 days at 60 s (4.3 M) goes async.
pub const ASYNC_VEHICLE_STEPS: u64 = validate::MAX_SYNC_VEHICLE_STEPS;

/// Vehicle-steps of a checked input.
fn vehicle_steps(input: &DepotInput) -> u64 {
    let horizon = u64::try_from(input.end_s.saturating_sub(input.start_s)).unwrap_or(0);
    let step = u64::try_from(input.step_s).unwrap_or(1).max(1);
    (input.fleet.len() as u64).saturating_mul(horizon.div_ceil(step))
}

fn artifact_bodies(arts: depot::Artifacts) -> [String; 4] {
    [
        arts.timeseries_csv,
        arts.soc_csv,
        arts.charts_svg,
        arts.ocpp_profiles_json,
    ]
}

/// The handler.
pub async fn handle(deps: &Deps, ctx: &Ctx, body: &[u8]) -> Result<Reply, ApiError> {
    let req: DepotSimulationRequest = validate::parse(body)?;
    // Checked now, whichever way it runs: a bad request is a 400 here, never a failed stored run.
    let (input, assumptions) = to_input(&req)?;
    // One run (each sweep variant) is bounded over HTTP whether it runs now or later.
    validate::run_vehicle_steps(ctx.door, "fleet", vehicle_steps(&input))?;
    let variants = match &req.sweep {
        Some(spec) => Some(crate::sweep::expand(&req, spec)?),
        None => None,
    };
    let steps =
        vehicle_steps(&input).saturating_mul(variants.as_ref().map_or(1, |v| v.len() as u64));
    let wants_async =
        req.mode == Some(ModeName::Async) || variants.is_some() || steps > ASYNC_VEHICLE_STEPS;
    if ctx.door != Door::Cli && wants_async {
        if let Some(stores) = &deps.stores {
            let depot_id = req.depot.id.as_deref().unwrap_or("default");
            let kind = match variants {
                Some(_) => runs::KIND_SWEEP,
                None => runs::KIND_DEPOT,
            };
            let (run, _new) =
                runs::submit(stores, ctx, kind, depot_id, body, runs::now_ms()).await?;
            if run.status == twin_store::RunStatus::Queued {
                if let Some(d) = &deps.dispatch {
                    // A failed dispatch leaves the run queued; the next resume (restart, schedule) runs it.
                    if let Err(e) = d.dispatch(run.run_id.clone()).await {
                        eprintln!("depot_simulation: dispatch of {} failed: {e}", run.run_id);
                    }
                }
            }
            return Ok(runs::accepted(&run));
        }
    }
    if ctx.door != Door::Cli && steps > ASYNC_VEHICLE_STEPS {
        validate::sync_work(
            ctx.door,
            "fleet",
            "vehicle-steps (fleet size × horizon / step_s)",
            steps,
            ASYNC_VEHICLE_STEPS,
        )?;
    }
    if let Some(variants) = variants {
        let threads = crate::sweep::default_threads();
        let table = crate::sweep::run_all(&variants, threads, &|_, _| {});
        let result = crate::sweep::summarise(table);
        return Ok(Reply {
            status: 200,
            body: serde_json::json!({"status": "succeeded", "sweep": result}),
        });
    }
    let (mut resp, arts) = compute_checked(&req, &input, assumptions)?;
    if req.mode == Some(ModeName::Async) && ctx.door != Door::Cli {
        resp.notes.push(
            "mode async: no run store is configured here; this run was answered synchronously"
                .to_string(),
        );
    }
    resp.run_id = run_id(body);
    let outs = artifact_outs(arts);
    let mut urls: Vec<String> = Vec::with_capacity(outs.len());
    match &deps.stores {
        Some(stores) => {
            let keys = runs::put_artifacts(stores, &resp.run_id, outs)
                .await
                .map_err(ApiError::unavailable)?;
            for (name, _, _) in FILES {
                let key = keys.get(name).ok_or_else(|| ApiError::internal(name))?;
                let url = stores.artifacts.presigned_url(key, runs::URL_TTL).await;
                urls.push(url.map_err(ApiError::unavailable)?);
            }
        }
        None => {
            for a in outs {
                let b64 = base64::engine::general_purpose::STANDARD.encode(&a.body);
                urls.push(format!("data:{};base64,{b64}", a.content_type));
            }
        }
    }
    let [timeseries_csv, soc_csv, charts_svg, ocpp_profiles_json] =
        <[String; 4]>::try_from(urls).map_err(|_| ApiError::internal("four artifacts"))?;
    resp.artifacts = ArtifactsOut {
        timeseries_csv,
        soc_csv,
        charts_svg,
        ocpp_profiles_json,
    };
    Reply::ok(&resp)
}

/// The stored-run computation ([`runs::Compute`]): the request JSON in; the response (without
/// `run_id` and `artifacts`) as the summary, and the four artifacts (for a sweep: the table and
/// `sweep.csv`, see [`crate::sweep::run_output`]). The simulation runs on tokio's
/// blocking pool, so a worker's runtime stays responsive (lease renewals) meanwhile.
pub fn run_compute(v: serde_json::Value) -> BoxFuture<'static, Result<RunOutput, ApiError>> {
    Box::pin(async move {
        tokio::task::spawn_blocking(move || run_output(v))
            .await
            .map_err(ApiError::internal)?
    })
}

/// [`run_compute`]'s synchronous body.
pub fn run_output(v: serde_json::Value) -> Result<RunOutput, ApiError> {
    let req: DepotSimulationRequest =
        serde_json::from_value(v).map_err(|e| ApiError::invalid("", e.to_string()))?;
    if let Some(spec) = &req.sweep {
        return crate::sweep::run_output(&req, spec);
    }
    let (resp, arts) = compute(&req)?;
    let mut summary = serde_json::to_value(&resp).map_err(ApiError::internal)?;
    if let Some(o) = summary.as_object_mut() {
        for k in ["run_id", "status", "artifacts"] {
            o.remove(k);
        }
    }
    Ok(RunOutput {
        summary,
        artifacts: artifact_outs(arts),
    })
}

/// The four artifacts, named as in the response, in [`FILES`] order.
fn artifact_outs(arts: depot::Artifacts) -> Vec<ArtifactOut> {
    FILES
        .iter()
        .zip(artifact_bodies(arts))
        .map(|((name, file, mime), text)| ArtifactOut {
            name: (*name).to_string(),
            file_name: (*file).to_string(),
            content_type: (*mime).to_string(),
            body: text.into_bytes(),
        })
        .collect()
}

/// The scaled depot pattern of SpiceEV's benchmark runs (../shared/reference/README.md), as a request:
/// `buses` 300 kWh buses (150 kW to 80 %, 50 kW at 100 %), one 150 kW charger each, a grid limit of
/// 60 kW per bus, every bus wanted full at departure; on day d bus i arrives at 19:00 + 15 min·(i mod 16)
/// having used 40 % + 5 %·(i mod 9) of its capacity and leaves the next day at 04:30 + 10 min·(i mod 12).
/// The horizon runs from 2026-01-05T12:00 for `days` days. Tariff: the reference's TOU price (0.10 per kWh
/// 22:00–06:00, else 0.30) plus the illustrative flat demand charge of tariff_example.json (15 per kW and
/// month), so that grid-limit variants of a sweep differ in cost. For benchmarks, sweeps and load tests.
pub fn scaled_depot_request(buses: usize, days: usize, step_s: u32) -> serde_json::Value {
    use serde_json::json;
    let t = |day: usize, min: usize| {
        dtime::format(
            dtime::days_from_civil(2026, 1, 5) * 86_400 + (day * 1440 + min) as i64 * 60,
            None,
        )
    };
    let fleet: Vec<serde_json::Value> = (0..buses)
        .map(|i| {
            let events: Vec<serde_json::Value> = (0..days)
                .map(|d| {
                    json!({
                        "arrive": t(d, 19 * 60 + 15 * (i % 16)),
                        "depart": t(d + 1, 4 * 60 + 30 + 10 * (i % 12)),
                        "soc_on_arrival_pct": 100.0 - (40.0 + 5.0 * (i % 9) as f64),
                    })
                })
                .collect();
            json!({
                "id": format!("bus-{i:03}"),
                "vehicle": {"battery": {"capacity_kwh": 300, "charge_curve": [[0, 150], [80, 150], [100, 50]]}},
                "initial_soc_pct": 100,
                "target_soc_pct": 100,
                "charger": format!("c{i:03}"),
                "events": events,
            })
        })
        .collect();
    let chargers: Vec<serde_json::Value> = (0..buses)
        .map(|i| json!({"id": format!("c{i:03}"), "max_power_kw": 150}))
        .collect();
    let day: Vec<u8> = (0..24).map(|h| u8::from(!(6..22).contains(&h))).collect();
    let months = vec![day; 12];
    let tariff = json!({
        "currency": "EUR",
        "energy": {
            "periods": [
                {"id": 0, "label": "day", "tiers": [{"rate_per_kwh": 0.30}]},
                {"id": 1, "label": "night", "tiers": [{"rate_per_kwh": 0.10}]},
            ],
            "weekday_schedule": months,
            "weekend_schedule": months,
        },
        "demand": {
            "window_minutes": 15,
            "flat": {"periods": [{"id": 0, "rate_per_kw": 15.0}], "month_period": vec![0; 12]},
        },
    });
    json!({
        "start": t(0, 12 * 60),
        "end": t(days, 12 * 60),
        "step_s": step_s,
        "strategy": "uncontrolled",
        "depot": {"id": "scaled", "grid_limit_kw": 60.0 * buses as f64, "chargers": chargers},
        "fleet": fleet,
        "tariff": tariff,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::json;

    const BASIC: &str = include_str!("../../../events/depot_simulation/basic.json");

    fn body_of(event: &str) -> Vec<u8> {
        let v: serde_json::Value = serde_json::from_str(event).unwrap();
        match v.get("body").and_then(|b| b.as_str()) {
            Some(b) => b.as_bytes().to_vec(),
            None => event.as_bytes().to_vec(),
        }
    }

    fn run(json: &str) -> Result<serde_json::Value, ApiError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(handle(
            &Deps::default(),
            &Ctx::new(crate::Door::Cli),
            json.as_bytes(),
        ))
        .map(|r| r.body)
    }

    fn over_http(json: &serde_json::Value) -> Result<Reply, ApiError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(handle(
            &Deps::default(),
            &Ctx::new(crate::Door::Lambda),
            json.to_string().as_bytes(),
        ))
    }

    #[test]
    fn work_past_the_lambda_timeout_is_refused_over_http_pointing_at_async() {
        // basic.json's 3 buses over 30 days at 2 s steps: 3 × 1.296 M = 3.9 M vehicle-steps, over the
        // 2.5 M a synchronous request may run inside the 29 s timeout and under the 20 M cap of one run.
        // With no run store to hand it to, the answer is a 413 that says the limit and suggests async.
        let mut v: serde_json::Value = serde_json::from_slice(&body_of(BASIC)).unwrap();
        v["end"] = json!("2027-01-03T12:00:00");
        v["step_s"] = json!(2);
        let e = over_http(&v).unwrap_err();
        assert_eq!((e.status, e.field.as_deref()), (413, Some("fleet")));
        assert!(e.message.contains("async"), "{}", e.message);
        assert!(
            e.message
                .contains(&validate::MAX_SYNC_VEHICLE_STEPS.to_string()),
            "{}",
            e.message
        );
        // 12 buses over 20 days at 1 s (12 × 1.728 M = 20.7 M vehicle-steps) is refused even
        // asynchronously, naming the cap of one run.
        let bus = v["fleet"][0].clone();
        v["fleet"] = json!((0..12)
            .map(|i| {
                let mut b = bus.clone();
                b["id"] = json!(format!("bus-{i}"));
                b
            })
            .collect::<Vec<_>>());
        v["end"] = json!("2026-12-24T12:00:00");
        v["step_s"] = json!(1);
        v["mode"] = json!("async");
        let e = over_http(&v).unwrap_err();
        assert_eq!(e.status, 413);
        assert!(
            e.message
                .contains(&validate::MAX_RUN_VEHICLE_STEPS.to_string()),
            "{}",
            e.message
        );
    }

    #[test]
    fn lists_over_their_limits_get_413_naming_the_list() {
        let base: serde_json::Value = serde_json::from_slice(&body_of(BASIC)).unwrap();
        let mut v = base.clone();
        let ev = v["fleet"][0]["events"][0].clone();
        v["fleet"][0]["events"] = json!(vec![ev; validate::MAX_EVENTS_PER_VEHICLE + 1]);
        let e = over_http(&v).unwrap_err();
        assert_eq!(
            (e.status, e.field.as_deref()),
            (413, Some("fleet[0].events"))
        );
        let mut v = base.clone();
        let bus = v["fleet"][0].clone();
        v["fleet"] = json!(vec![bus; validate::MAX_FLEET + 1]);
        let e = over_http(&v).unwrap_err();
        assert_eq!((e.status, e.field.as_deref()), (413, Some("fleet")));
        let mut v = base;
        let c = v["depot"]["chargers"][0].clone();
        v["depot"]["chargers"] = json!(vec![c; validate::MAX_CHARGERS + 1]);
        let e = over_http(&v).unwrap_err();
        assert_eq!(
            (e.status, e.field.as_deref()),
            (413, Some("depot.chargers"))
        );
    }

    #[test]
    fn basic_event_runs_and_has_the_contract_fields() {
        let b = body_of(BASIC);
        let r = run(std::str::from_utf8(&b).unwrap()).unwrap();
        for k in [
            "energy_from_grid_kwh",
            "energy_to_batteries_kwh",
            "peak_kw",
            "peak_at",
            "energy_cost",
            "demand_cost",
            "total_cost",
            "departures",
            "departures_short",
            "min_departure_soc_pct",
            "charger_utilisation",
        ] {
            assert!(r["summary"].get(k).is_some(), "summary.{k}");
        }
        for k in [
            "timeseries_csv",
            "soc_csv",
            "charts_svg",
            "ocpp_profiles_json",
        ] {
            assert!(
                r["artifacts"][k].as_str().unwrap().starts_with("data:"),
                "{k}"
            );
        }
        let d = &r["vehicles"][0]["departures"][0];
        for k in ["depart", "soc_pct", "target_soc_pct", "short_kwh"] {
            assert!(d.get(k).is_some(), "{k}");
        }
        assert!(r["run_id"].as_str().unwrap().starts_with("dsim-"));
        // The site never exceeds its limit.
        assert!(r["summary"]["peak_kw"].as_f64().unwrap() <= 300.0 + 1e-6);
    }

    fn basic_with(f: impl Fn(&mut serde_json::Value)) -> String {
        let mut v: serde_json::Value = serde_json::from_slice(&body_of(BASIC)).unwrap();
        f(&mut v);
        v.to_string()
    }

    #[test]
    fn bad_input_is_a_4xx_naming_the_field() {
        let cases: Vec<(String, &str)> = vec![
            (
                basic_with(|v| v["fleet"][0]["events"][0]["depart"] = "2024-01-01T00:00:00".into()),
                "fleet[0].events[0].depart",
            ),
            (
                basic_with(|v| {
                    let e = v["fleet"][0]["events"][0].clone();
                    v["fleet"][0]["events"].as_array_mut().unwrap().push(e);
                }),
                "fleet[0].events[1].arrive",
            ),
            (
                basic_with(|v| v["depot"]["grid_limit_kw"] = (-10.0).into()),
                "depot.grid_limit_kw",
            ),
            (
                basic_with(|v| v["depot"]["chargers"][0]["max_power_kw"] = (-1.0).into()),
                "depot.chargers[0].max_power_kw",
            ),
            (
                basic_with(|v| v["fleet"][0]["charger"] = "nope".into()),
                "fleet[0].charger",
            ),
            (
                basic_with(|v| {
                    v["options"] = serde_json::json!({"queue": false});
                    v["depot"]["chargers"] =
                        serde_json::json!([{"id": "only", "max_power_kw": 150}]);
                    for f in v["fleet"].as_array_mut().unwrap() {
                        f.as_object_mut().unwrap().remove("charger");
                    }
                }),
                "depot.chargers",
            ),
            (basic_with(|v| v["strategy"] = "fastest".into()), "strategy"),
        ];
        for (body, field) in cases {
            let e = run(&body).unwrap_err();
            assert!(e.status >= 400 && e.status < 500, "{field}: {e:?}");
            assert_eq!(e.field.as_deref(), Some(field), "{e:?}");
        }
    }

    #[test]
    fn spiceev_import_runs_through_the_handler_like_spiceev_greedy() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/reference/spiceev");
        let text = std::fs::read_to_string(dir.join("scenario_10bus_1day.json")).unwrap();
        let sc = depot::spiceev::parse(&text).unwrap();
        let csv = std::fs::read_to_string(dir.join(sc.price_csv_file.clone().unwrap())).unwrap();
        let mut req = sc
            .to_request(Some(&csv), depot::Strategy::Uncontrolled)
            .unwrap();
        req["step_s"] = 900.into();
        let r = run(&req.to_string()).unwrap();
        // SpiceEV greedy: 1831.579 kWh, 600 kW, 488.13 €, 0 short of 10.
        assert!(
            (r["summary"]["energy_from_grid_kwh"].as_f64().unwrap() - 1831.579).abs()
                < 0.005 * 1831.579
        );
        assert!((r["summary"]["peak_kw"].as_f64().unwrap() - 600.0).abs() < 6.0);
        assert!((r["summary"]["energy_cost"].as_f64().unwrap() - 488.13).abs() < 4.9);
        assert_eq!(r["summary"]["departures_short"], 0);
        assert_eq!(r["summary"]["departures"], 10);
    }
}
