//! `POST /v1/depot-simulations`: is every vehicle ready at pull-out, under the grid limit, at what peak
//! and cost, under which strategy?
//!
//! Parse (unknown fields refused, except inside `tariff`, whose URDB-style extras are ignored) → check
//! and convert once into [`twin_model::depot::DepotInput`] (times onto the `start` clock, charger ids to
//! indices, vehicles resolved) → run the pure engine → store the artifacts (local data folder, or
//! inline `data:` URLs when no store is configured) → shape the response of API.md.

use crate::error::ApiError;
use crate::validate::{self, range, soc};
use crate::vehicle::VehicleSpec;
use crate::{Ctx, Deps, Reply};
use base64::Engine as _;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
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
    /// Store and run later (answered synchronously until stored runs exist).
    Async,
}

/// The site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DepotSpec {
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
    let mut assumptions = Vec::new();
    if req.step_s.is_none() {
        assumptions.push("step_s = 60 (default)".to_string());
    }
    let d = &req.depot;
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
    if d.chargers.len() > 10_000 {
        return Err(ApiError::too_large(
            Some("depot.chargers"),
            "at most 10,000 chargers",
        ));
    }
    if req.fleet.len() > 10_000 {
        return Err(ApiError::too_large(
            Some("fleet"),
            "at most 10,000 vehicles",
        ));
    }
    let mut chargers = Vec::with_capacity(d.chargers.len());
    for (i, c) in d.chargers.iter().enumerate() {
        let f = |n: &str| format!("depot.chargers[{i}].{n}");
        if c.id.is_empty() {
            return Err(ApiError::invalid(f("id"), "must not be empty"));
        }
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
    let r = depot::simulate(&input)?;
    let arts = depot::artifacts(&input, &r)
        .ok_or_else(|| ApiError::internal("artifacts were not recorded"))?;
    let s = &r.summary;
    let mut notes = r.notes.clone();
    if req.mode == Some(ModeName::Async) {
        notes.push(
            "mode async: stored runs are not available yet; this run was answered synchronously"
                .to_string(),
        );
    }
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
    };
    Ok((resp, arts))
}

const FILES: [(&str, &str); 4] = [
    ("timeseries.csv", "text/csv"),
    ("soc.csv", "text/csv"),
    ("chart.svg", "image/svg+xml"),
    ("ocpp_profiles.json", "application/json"),
];

/// The handler.
pub async fn handle(deps: &Deps, _ctx: &Ctx, body: &[u8]) -> Result<Reply, ApiError> {
    let req: DepotSimulationRequest = validate::parse(body)?;
    let (mut resp, arts) = compute(&req)?;
    resp.run_id = run_id(body);
    let contents = [
        arts.timeseries_csv,
        arts.soc_csv,
        arts.charts_svg,
        arts.ocpp_profiles_json,
    ];
    let mut out: Vec<String> = Vec::with_capacity(4);
    match &deps.data_dir {
        Some(dir) => {
            let rel = format!("depot-simulations/{}", resp.run_id);
            let folder = dir.join(&rel);
            std::fs::create_dir_all(&folder).map_err(ApiError::internal)?;
            for ((name, _), text) in FILES.iter().zip(&contents) {
                std::fs::write(folder.join(name), text).map_err(ApiError::internal)?;
                out.push(format!("{rel}/{name}"));
            }
        }
        None => {
            for ((_, mime), text) in FILES.iter().zip(&contents) {
                out.push(format!(
                    "data:{mime};base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(text)
                ));
            }
        }
    }
    resp.artifacts = ArtifactsOut {
        timeseries_csv: out[0].clone(),
        soc_csv: out[1].clone(),
        charts_svg: out[2].clone(),
        ocpp_profiles_json: out[3].clone(),
    };
    Reply::ok(&resp)
}

#[cfg(test)]
mod tests {
    use super::*;

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
