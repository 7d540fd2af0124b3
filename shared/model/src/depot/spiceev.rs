//! SpiceEV scenarios (rl-institut/spice_ev 1.1.0 JSON) → our depot request, keeping SpiceEV's rules.
//!
//! Read: `scenario.{start_time, interval (min), stop_time | n_intervals}`; `components.vehicle_types`
//! (`capacity` kWh, `charging_curve` [[SoC fraction, kW]], `battery_efficiency`), `components.vehicles`
//! (`soc`, `vehicle_type`, `connected_charging_station`, `estimated_time_of_departure`),
//! `components.charging_stations` (`max_power`), `components.grid_connectors` (`max_power`, fixed
//! `cost`), `events.vehicle_events` (arrival: `connected_charging_station`, `soc_delta`, `desired_soc`,
//! `estimated_time_of_departure`; departure) and `events.energy_price_from_csv`.
//! SpiceEV's curve is at the grid side with no charger loss, so chargers get efficiency 1 and the
//! vehicle's battery efficiency is SpiceEV's (default 0.95). The request asks for SpiceEV's rules in
//! `options` (events rounded up to the step, vehicle-id order, the price of the step's start).
//! Pure: the caller reads the files.

use super::{
    time, ArrivalState, DepotCharger, DepotInput, FleetVehicle, Record, Semantics, Strategy, Visit,
};
use crate::curve::Curve;
use crate::error::ModelError;
use crate::tariff::{EnergySpec, PriceSeries, Tariff, TariffSpec};
use crate::vehicle::{Vehicle, VehicleClass};
use serde_json::{json, Value};

/// A parsed SpiceEV scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct SpiceevScenario {
    start: String,
    end: String,
    step_s: i64,
    grid_limit_kw: f64,
    fixed_price: Option<f64>,
    /// The price CSV the scenario names (relative to the scenario file), if any.
    pub price_csv_file: Option<String>,
    price_start: Option<String>,
    price_step_s: f64,
    price_column: String,
    stations: Vec<(String, f64)>,
    vehicles: Vec<SpVehicle>,
    notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
struct SpVehicle {
    id: String,
    type_name: String,
    capacity_kwh: f64,
    efficiency: f64,
    curve: Vec<[f64; 2]>,
    initial_soc: f64,
    station: Option<String>,
    visits: Vec<(String, String, Option<f64>, Option<f64>)>, // arrive, depart, soc_delta, desired
}

fn f(v: &Value, field: &str) -> Result<f64, ModelError> {
    v.as_f64()
        .ok_or_else(|| ModelError::invalid(field, "must be a number"))
}

fn s(v: &Value, field: &str) -> Result<String, ModelError> {
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| ModelError::invalid(field, "must be a string"))
}

/// An arrival waiting for its departure: time, soc_delta, desired_soc, announced departure.
type OpenArrival = (String, Option<f64>, Option<f64>, Option<String>);

/// Parses a SpiceEV scenario JSON text.
pub fn parse(text: &str) -> Result<SpiceevScenario, ModelError> {
    let root: Value = serde_json::from_str(text)
        .map_err(|e| ModelError::invalid("scenario", format!("not JSON: {e}")))?;
    let sc = &root["scenario"];
    let start = s(&sc["start_time"], "scenario.start_time")?;
    let interval_min = f(&sc["interval"], "scenario.interval")?;
    if interval_min.is_nan() || interval_min <= 0.0 {
        return Err(ModelError::invalid("scenario.interval", "must be > 0"));
    }
    let step_s = (interval_min * 60.0).round() as i64;
    let end = match (&sc["stop_time"], &sc["n_intervals"]) {
        (Value::String(e), _) => e.clone(),
        (_, n) if n.is_u64() => {
            let st =
                time::parse(&start).map_err(|m| ModelError::invalid("scenario.start_time", m))?;
            time::format(
                st.wall_s + n.as_u64().unwrap_or(0) as i64 * step_s,
                st.offset_s,
            )
        }
        _ => {
            return Err(ModelError::invalid(
                "scenario.stop_time",
                "needs stop_time or n_intervals",
            ))
        }
    };
    let comp = &root["components"];
    let mut notes = Vec::new();
    let gcs = comp["grid_connectors"]
        .as_object()
        .ok_or_else(|| ModelError::invalid("components.grid_connectors", "must be an object"))?;
    if gcs.len() != 1 {
        return Err(ModelError::invalid(
            "components.grid_connectors",
            "exactly one grid connector is supported",
        ));
    }
    let (_, gc) = gcs
        .iter()
        .next()
        .ok_or_else(|| ModelError::invalid("components.grid_connectors", "is empty"))?;
    let grid_limit_kw = f(&gc["max_power"], "components.grid_connectors.max_power")?;
    let fixed_price = gc["cost"]["value"]
        .as_f64()
        .filter(|_| gc["cost"]["type"].as_str() == Some("fixed"));
    let mut stations: Vec<(String, f64)> = comp["charging_stations"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    Ok((
                        k.clone(),
                        f(
                            &v["max_power"],
                            &format!("components.charging_stations.{k}.max_power"),
                        )?,
                    ))
                })
                .collect::<Result<Vec<_>, ModelError>>()
        })
        .transpose()?
        .unwrap_or_default();
    stations.sort_by(|a, b| a.0.cmp(&b.0));
    let types = &comp["vehicle_types"];
    let mut vehicles = Vec::new();
    let vs = comp["vehicles"]
        .as_object()
        .ok_or_else(|| ModelError::invalid("components.vehicles", "must be an object"))?;
    for (id, v) in vs {
        let tn = s(
            &v["vehicle_type"],
            &format!("components.vehicles.{id}.vehicle_type"),
        )?;
        let t = &types[&tn];
        if t.is_null() {
            return Err(ModelError::invalid(
                format!("components.vehicles.{id}.vehicle_type"),
                format!("unknown vehicle type `{tn}`"),
            ));
        }
        let curve: Vec<[f64; 2]> = t["charging_curve"]
            .as_array()
            .ok_or_else(|| {
                ModelError::invalid(
                    format!("components.vehicle_types.{tn}.charging_curve"),
                    "must be a list of [soc, kW]",
                )
            })?
            .iter()
            .map(|p| {
                Ok([
                    f(&p[0], "charging_curve")? * 100.0,
                    f(&p[1], "charging_curve")?,
                ])
            })
            .collect::<Result<_, ModelError>>()?;
        let mut visits = Vec::new();
        if let (Some(cs), Some(dep)) = (
            v["connected_charging_station"].as_str(),
            v["estimated_time_of_departure"].as_str(),
        ) {
            visits.push((
                start.clone(),
                dep.to_string(),
                None,
                v["desired_soc"].as_f64(),
            ));
            let _ = cs;
        }
        vehicles.push(SpVehicle {
            id: id.clone(),
            type_name: tn.clone(),
            capacity_kwh: f(
                &t["capacity"],
                &format!("components.vehicle_types.{tn}.capacity"),
            )?,
            efficiency: t["battery_efficiency"].as_f64().unwrap_or(0.95),
            curve,
            initial_soc: v["soc"].as_f64().unwrap_or(1.0),
            station: v["connected_charging_station"].as_str().map(str::to_string),
            visits,
        });
    }
    vehicles.sort_by(|a, b| a.id.cmp(&b.id));
    let ev = &root["events"];
    let mut vev: Vec<&Value> = ev["vehicle_events"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    vev.sort_by(|a, b| {
        a["start_time"]
            .as_str()
            .unwrap_or("")
            .cmp(b["start_time"].as_str().unwrap_or(""))
    });
    let mut open: Vec<Option<OpenArrival>> = vec![None; vehicles.len()];
    for e in vev {
        let vid = s(&e["vehicle_id"], "events.vehicle_events.vehicle_id")?;
        let Some(vi) = vehicles.iter().position(|v| v.id == vid) else {
            return Err(ModelError::invalid(
                "events.vehicle_events.vehicle_id",
                format!("unknown vehicle `{vid}`"),
            ));
        };
        let t = s(&e["start_time"], "events.vehicle_events.start_time")?;
        let u = &e["update"];
        match e["event_type"].as_str() {
            Some("arrival") => {
                if let Some(cs) = u["connected_charging_station"].as_str() {
                    if vehicles[vi].station.as_deref().is_some_and(|x| x != cs) {
                        vehicles[vi].station = Some(String::new()); // several stations: unpinned
                    } else if vehicles[vi].station.is_none() {
                        vehicles[vi].station = Some(cs.to_string());
                    }
                }
                open[vi] = Some((
                    t,
                    u["soc_delta"].as_f64(),
                    u["desired_soc"].as_f64(),
                    u["estimated_time_of_departure"]
                        .as_str()
                        .map(str::to_string),
                ));
            }
            Some("departure") => {
                if let Some((a, d, want, _)) = open[vi].take() {
                    vehicles[vi].visits.push((a, t, d, want));
                } else if vehicles[vi].visits.len() == 1 && vehicles[vi].visits[0].0 == start {
                    // A vehicle connected at the start leaves: close the initial visit at this time.
                    vehicles[vi].visits[0].1 = t;
                }
            }
            _ => {}
        }
    }
    for (vi, o) in open.into_iter().enumerate() {
        if let Some((a, d, want, etd)) = o {
            // Still at the depot at the end: stay until its announced departure.
            let dep = etd.unwrap_or_else(|| end.clone());
            vehicles[vi].visits.push((a, dep, d, want));
        }
    }
    if ev["fixed_load"].as_object().is_some_and(|o| !o.is_empty())
        || ev["local_generation"]
            .as_object()
            .is_some_and(|o| !o.is_empty())
    {
        notes.push("fixed_load / local_generation events are not imported".to_string());
    }
    let pc = &ev["energy_price_from_csv"];
    Ok(SpiceevScenario {
        start,
        end,
        step_s,
        grid_limit_kw,
        fixed_price,
        price_csv_file: pc["csv_file"].as_str().map(str::to_string),
        price_start: pc["start_time"].as_str().map(str::to_string),
        price_step_s: pc["step_duration_s"].as_f64().unwrap_or(3600.0),
        price_column: pc["column"].as_str().unwrap_or("value").to_string(),
        stations,
        vehicles,
        notes,
    })
}

/// Reads a price column from CSV text (header row; `column` by name).
pub fn price_values(csv: &str, column: &str) -> Result<Vec<f64>, ModelError> {
    let mut lines = csv.lines().filter(|l| !l.trim().is_empty());
    let header = lines
        .next()
        .ok_or_else(|| ModelError::invalid("energy_price_from_csv.csv_file", "is empty"))?;
    let col = header
        .split(',')
        .position(|h| h.trim() == column)
        .ok_or_else(|| {
            ModelError::invalid(
                "energy_price_from_csv.column",
                format!("no column `{column}` in the price CSV"),
            )
        })?;
    lines
        .enumerate()
        .map(|(i, l)| {
            l.split(',')
                .nth(col)
                .and_then(|x| x.trim().parse::<f64>().ok())
                .ok_or_else(|| {
                    ModelError::invalid(
                        "energy_price_from_csv.csv_file",
                        format!("row {} has no number in `{column}`", i + 2),
                    )
                })
        })
        .collect()
}

impl SpiceevScenario {
    fn tariff_spec(&self, price_csv: Option<&str>) -> Result<TariffSpec, ModelError> {
        let energy = match (price_csv, &self.price_start) {
            (Some(csv), Some(st)) => EnergySpec {
                series: Some(PriceSeries {
                    start: st.clone(),
                    step_s: self.price_step_s,
                    values_per_kwh: price_values(csv, &self.price_column)?,
                }),
                ..EnergySpec::default()
            },
            _ => EnergySpec {
                price_per_kwh: Some(self.fixed_price.unwrap_or(0.0)),
                ..EnergySpec::default()
            },
        };
        Ok(TariffSpec {
            name: Some("imported from SpiceEV".into()),
            currency: Some("EUR".into()),
            energy: Some(energy),
            demand: None,
        })
    }

    fn charger_of(&self, v: &SpVehicle) -> Option<usize> {
        v.station
            .as_deref()
            .and_then(|cs| self.stations.iter().position(|s| s.0 == cs))
    }

    /// Our `depot_simulation` request (wire JSON), with SpiceEV's rules selected in `options`.
    pub fn to_request(
        &self,
        price_csv: Option<&str>,
        strategy: Strategy,
    ) -> Result<Value, ModelError> {
        let fleet: Vec<Value> = self
            .vehicles
            .iter()
            .map(|v| {
                let max_kw = v.curve.iter().map(|p| p[1]).fold(0.0, f64::max);
                let mut fv = json!({
                    "id": v.id,
                    "vehicle": {"battery": {
                        "capacity_kwh": v.capacity_kwh, "efficiency": v.efficiency, "min_soc_pct": 0.0, "max_soc_pct": 100.0,
                        "max_charge_kw": max_kw, "charge_curve": v.curve}},
                    "initial_soc_pct": v.initial_soc * 100.0,
                    "events": v.visits.iter().map(|(a, d, delta, want)| {
                        let mut e = json!({"arrive": a, "depart": d});
                        match delta {
                            Some(x) => e["energy_used_kwh"] = json!(-x * v.capacity_kwh),
                            None => e["soc_on_arrival_pct"] = json!(v.initial_soc * 100.0),
                        }
                        if let Some(w) = want { e["target_soc_pct"] = json!(w * 100.0); }
                        e
                    }).collect::<Vec<_>>(),
                });
                if let Some(c) = self.charger_of(v) {
                    fv["charger"] = json!(self.stations[c].0);
                }
                let _ = &v.type_name;
                fv
            })
            .collect();
        Ok(json!({
            "start": self.start,
            "end": self.end,
            "step_s": self.step_s,
            "strategy": strategy,
            "depot": {
                "grid_limit_kw": self.grid_limit_kw,
                "base_load_kw": 0.0,
                "chargers": self.stations.iter().map(|(id, p)| json!({"id": id, "max_power_kw": p, "connectors": 1, "efficiency": 1.0})).collect::<Vec<_>>(),
            },
            "fleet": fleet,
            "tariff": serde_json::to_value(self.tariff_spec(price_csv)?).map_err(|e| ModelError::invalid("tariff", e.to_string()))?,
            "options": {"event_timing": "round_up_to_step", "sharing_order": "vehicle_id", "price_sampling": "step_start", "queue": true},
            "source": {"format": "spiceev", "notes": self.notes},
        }))
    }

    /// The same scenario as a model input (what the API builds from [`Self::to_request`]).
    pub fn to_input(
        &self,
        price_csv: Option<&str>,
        strategy: Strategy,
    ) -> Result<DepotInput, ModelError> {
        let st =
            time::parse(&self.start).map_err(|m| ModelError::invalid("scenario.start_time", m))?;
        let clock = st.offset_s;
        let at = |x: &str, field: &str| -> Result<i64, ModelError> {
            Ok(time::parse(x)
                .map_err(|m| ModelError::invalid(field, m))?
                .on_clock(clock))
        };
        let fleet = self
            .vehicles
            .iter()
            .map(|v| {
                let mut veh = Vehicle::class_default(VehicleClass::CityBus12m);
                let b = &mut veh.battery;
                b.capacity_kwh = v.capacity_kwh;
                b.efficiency = v.efficiency;
                b.min_soc_pct = 0.0;
                b.max_soc_pct = 100.0;
                b.max_charge_kw = v.curve.iter().map(|p| p[1]).fold(0.0, f64::max);
                b.charge_curve = Curve::new(v.curve.iter().map(|p| (p[0], p[1])).collect())
                    .map_err(|m| {
                        ModelError::invalid(
                            format!("components.vehicle_types.{}.charging_curve", v.type_name),
                            m,
                        )
                    })?;
                let visits = v
                    .visits
                    .iter()
                    .map(|(a, d, delta, want)| {
                        Ok(Visit {
                            arrive_s: at(a, "events.vehicle_events.start_time")?,
                            depart_s: at(d, "events.vehicle_events.start_time")?,
                            arrival: match delta {
                                Some(x) => ArrivalState::EnergyUsedKwh(-x * v.capacity_kwh),
                                None => ArrivalState::SocPct(v.initial_soc * 100.0),
                            },
                            target_soc_pct: want.map(|w| w * 100.0),
                        })
                    })
                    .collect::<Result<Vec<_>, ModelError>>()?;
                Ok(FleetVehicle {
                    id: v.id.clone(),
                    vehicle: veh,
                    initial_soc_pct: v.initial_soc * 100.0,
                    target_soc_pct: None,
                    charger: self.charger_of(v),
                    visits,
                })
            })
            .collect::<Result<Vec<_>, ModelError>>()?;
        Ok(DepotInput {
            start_s: st.wall_s,
            end_s: at(&self.end, "scenario.stop_time")?,
            step_s: self.step_s,
            clock_offset_s: clock,
            strategy,
            grid_limit_kw: self.grid_limit_kw,
            base_load_kw: 0.0,
            chargers: self
                .stations
                .iter()
                .map(|(id, p)| DepotCharger {
                    id: id.clone(),
                    max_power_kw: *p,
                    connectors: 1,
                    efficiency: 1.0,
                })
                .collect(),
            fleet,
            tariff: Tariff::from_spec(&self.tariff_spec(price_csv)?, clock)?,
            semantics: Semantics::spiceev(),
            record: Record::Full,
        })
    }
}
