//! The time-stepped engine: sessions in, allocation per step, results out.

use super::charge_ops::ChargeModel;
use super::optimal::{self, Plan};
use super::report::{DepartureReport, DepotResult, Series, Summary, VehicleReport};
use super::sessions::{self, Session};
use super::{time, ArrivalState, DepotInput, Record, SharingOrder, Strategy};
use crate::charge_point::{Charger, ChargerKind};
use crate::charging::inlet_to_cells;
use crate::error::ModelError;
use crate::tariff::DemandWindow;

/// A departure is short when its SoC is below the target by more than this (fraction; SpiceEV's 1e-5).
pub const SHORT_TOLERANCE: f64 = 1e-5;

/// Everything precomputed once per scenario.
pub struct Prepared {
    /// Charging models per vehicle.
    pub models: Vec<ChargeModel>,
    /// Sessions (one per visit in the horizon).
    pub sessions: Vec<Session>,
    /// Step count.
    pub n_steps: usize,
    /// Price per step (currency / kWh).
    pub prices: Vec<f64>,
    /// Demand windows.
    pub windows: Vec<DemandWindow>,
}

/// Precomputes the charging models, sessions, prices and demand windows.
pub fn prepare(input: &DepotInput) -> Result<Prepared, ModelError> {
    input.validate()?;
    let models = input
        .fleet
        .iter()
        .map(|f| {
            let v = &f.vehicle;
            // Depot chargers are DC: the vehicle's DC limit and curve apply.
            let dc = Charger {
                kind: ChargerKind::Dc,
                max_power_kw: f64::INFINITY,
                max_current_a: None,
                phases: 3,
                voltage_v: 400.0,
                efficiency: 1.0,
            };
            ChargeModel::new(
                v.battery.capacity_kwh,
                inlet_to_cells(v, &dc),
                v.battery.max_charge_kw,
                v.battery.max_soc_pct,
                &v.battery.charge_curve,
            )
        })
        .collect();
    let sessions = sessions::build(input)?;
    let n_steps = input.steps();
    let prices = input.tariff.step_prices(
        input.start_s,
        input.step_s,
        n_steps,
        input.semantics.price_sampling,
    );
    let windows = input
        .tariff
        .demand_windows(input.start_s, input.step_s, n_steps);
    Ok(Prepared {
        models,
        sessions,
        n_steps,
        prices,
        windows,
    })
}

/// Runs the scenario with its strategy (solving the LP first for `optimal`).
pub fn simulate(input: &DepotInput) -> Result<DepotResult, ModelError> {
    let prep = prepare(input)?;
    let mut notes = Vec::new();
    let plan = if input.strategy == Strategy::Optimal {
        let p = optimal::plan(input, &prep)?;
        notes.extend(p.notes.iter().cloned());
        Some(p)
    } else {
        None
    };
    let mut r = run(input, &prep, plan.as_ref());
    r.notes.extend(notes);
    if let Some(p) = &plan {
        r.optimal = Some(p.info.clone());
    }
    Ok(r)
}

#[derive(Clone, Copy)]
struct Active {
    session: usize,
    vehicle: usize,
    charger: usize,
    plug_s: i64,
    depart_s: i64,
    key: f64,
    e_step: f64,
}

fn arrival_soc(state: ArrivalState, soc_before: f64, capacity_kwh: f64) -> f64 {
    match state {
        ArrivalState::SocPct(p) => p / 100.0,
        ArrivalState::EnergyUsedKwh(e) => (soc_before - e / capacity_kwh).max(0.0),
    }
}

/// Runs the engine over prepared sessions; `plan` holds the LP's powers for `optimal`.
pub fn run(input: &DepotInput, prep: &Prepared, plan: Option<&Plan>) -> DepotResult {
    let n = prep.n_steps;
    let nv = input.fleet.len();
    let dt_s = input.step_s;
    let dt_h = dt_s as f64 / 3600.0;
    let full = input.record == Record::Full;
    let sess = &prep.sessions;
    let models = &prep.models;

    let mut soc: Vec<f64> = input
        .fleet
        .iter()
        .map(|f| f.initial_soc_pct / 100.0)
        .collect();
    let rank: Vec<usize> = {
        let mut idx: Vec<usize> = (0..nv).collect();
        idx.sort_by(|&a, &b| input.fleet[a].id.cmp(&input.fleet[b].id));
        let mut r = vec![0; nv];
        for (pos, &i) in idx.iter().enumerate() {
            r[i] = pos;
        }
        r
    };
    let mut by_arrive: Vec<usize> = (0..sess.len()).collect();
    by_arrive.sort_by_key(|&i| (sess[i].arrive_s, i));
    let mut by_plug: Vec<usize> = (0..sess.len())
        .filter(|&i| sess[i].plug.is_some())
        .collect();
    by_plug.sort_by_key(|&i| (sess[i].plug.map(|p| p.0), i));
    let mut by_depart: Vec<usize> = (0..sess.len()).collect();
    by_depart.sort_by_key(|&i| (sess[i].depart_s, i));
    let (mut ia, mut ip, mut id) = (0usize, 0usize, 0usize);

    let mut active: Vec<Active> =
        Vec::with_capacity(input.chargers.iter().map(|c| c.connectors as usize).sum());
    let mut charger_left: Vec<f64> = vec![0.0; input.chargers.len()];
    let mut cuts: Vec<i64> = Vec::with_capacity(16);
    let mut departures: Vec<Vec<DepartureReport>> = vec![Vec::new(); nv];
    let mut departed_soc = vec![f64::NAN; sess.len()];
    let mut arrived = vec![false; sess.len()];

    let mut site_kw = vec![0.0; n];
    let mut series = if full {
        Some(Series::new(n, nv, sess.len()))
    } else {
        None
    };
    let site_budget = (input.grid_limit_kw - input.base_load_kw).max(0.0);

    let (mut e_grid_chg, mut e_inlet, mut e_cells, mut plugged_h) = (0.0, 0.0, 0.0, 0.0);
    let mut vehicle_steps: u64 = 0;

    #[allow(clippy::needless_range_loop)]
    for k in 0..n {
        let t0 = input.start_s + k as i64 * dt_s;
        let t1 = (t0 + dt_s).min(input.end_s.max(t0 + 1));
        if let Some(s) = series.as_mut() {
            for (v, x) in soc.iter().enumerate() {
                s.soc[k * nv + v] = *x as f32;
            }
        }
        // Arrivals during this step set the vehicle's SoC.
        while ia < by_arrive.len() && sess[by_arrive[ia]].arrive_s < t1 {
            let i = by_arrive[ia];
            if !arrived[i] {
                let s = &sess[i];
                soc[s.vehicle] =
                    arrival_soc(s.arrival, soc[s.vehicle], models[s.vehicle].capacity_kwh);
                arrived[i] = true;
            }
            ia += 1;
        }
        // Plug-ins during this step.
        while ip < by_plug.len() {
            let i = by_plug[ip];
            let Some((tp, c)) = sess[i].plug else {
                ip += 1;
                continue;
            };
            if tp >= t1 {
                break;
            }
            let s = &sess[i];
            let a = Active {
                session: i,
                vehicle: s.vehicle,
                charger: c,
                plug_s: tp,
                depart_s: s.depart_s,
                key: 0.0,
                e_step: 0.0,
            };
            match input.semantics.sharing_order {
                SharingOrder::Arrival => active.push(a),
                SharingOrder::VehicleId => {
                    let pos = active.partition_point(|x| rank[x.vehicle] < rank[a.vehicle]);
                    active.insert(pos, a);
                }
            }
            ip += 1;
        }
        // Strategy keys (least laxity: sort by slack).
        if input.strategy == Strategy::LeastLaxity && active.len() > 1 {
            for a in active.iter_mut() {
                let m = &models[a.vehicle];
                let target = sess[a.session].target.min(m.max_soc);
                let from = t0.max(a.plug_s);
                let remain_h = (a.depart_s - from) as f64 / 3600.0;
                let hw = input.chargers[a.charger].max_power_kw;
                a.key = if soc[a.vehicle] >= target - 1e-12 {
                    f64::INFINITY
                } else {
                    remain_h - m.time_to(soc[a.vehicle], target, hw)
                };
            }
            active.sort_by(|x, y| x.key.total_cmp(&y.key));
        }
        // Sub-intervals: the plugged set changes only at plug-ins and departures inside the step, so
        // the budgets are shared exactly among those present together (usually one sub-interval).
        cuts.clear();
        cuts.push(t0);
        for a in active.iter() {
            if a.plug_s > t0 && a.plug_s < t1 {
                cuts.push(a.plug_s);
            }
            if a.depart_s > t0 && a.depart_s < t1 {
                cuts.push(a.depart_s);
            }
        }
        cuts.push(t1);
        if cuts.len() > 2 {
            cuts.sort_unstable();
            cuts.dedup();
        }
        for a in active.iter_mut() {
            a.e_step = 0.0;
            let from = t0.max(a.plug_s);
            let to = t1.min(a.depart_s);
            if to > from {
                vehicle_steps += 1;
                plugged_h += (to - from) as f64 / 3600.0;
            }
        }
        let mut chg_grid_kw = 0.0;
        for w in 0..cuts.len() - 1 {
            let (ta, tb) = (cuts[w], cuts[w + 1]);
            let tau_h = (tb - ta) as f64 / 3600.0;
            for (c, ch) in input.chargers.iter().enumerate() {
                charger_left[c] = ch.max_power_kw;
            }
            let mut site_left = site_budget;
            for a in active.iter_mut() {
                if a.plug_s > ta || a.depart_s < tb {
                    continue;
                }
                let m = &models[a.vehicle];
                let s0 = soc[a.vehicle];
                let target = sess[a.session].target.min(m.max_soc);
                if s0 >= target - 1e-12 {
                    continue;
                }
                let ch = &input.chargers[a.charger];
                let hw = ch.max_power_kw;
                let request = match input.strategy {
                    Strategy::Uncontrolled | Strategy::LeastLaxity => f64::INFINITY,
                    Strategy::Balanced => {
                        balanced_request(m, s0, target, (a.depart_s - ta) as f64 / 3600.0, hw)
                    }
                    Strategy::Optimal => {
                        // The plan's power while plugged in during this LP block.
                        let p = plan.map(|p| p.present_kw(a.session, ta)).unwrap_or(0.0);
                        if a.depart_s <= t1 && a.depart_s == tb {
                            // Last stretch before departure: top up what the plan's tolerances left.
                            p.max(m.inlet_kwh(s0, target) / tau_h)
                        } else {
                            p
                        }
                    }
                };
                let shared = ch.connectors > 1;
                let mut cap = request.min(hw).min(site_left * ch.efficiency);
                if shared {
                    cap = cap.min(charger_left[a.charger]);
                }
                if cap <= 1e-9 {
                    continue;
                }
                let s1 = m.advance(s0, target, cap, tau_h);
                let inlet_kwh = (s1 - s0) * m.capacity_kwh / m.eta_cells;
                let p_here = inlet_kwh / tau_h;
                if shared {
                    charger_left[a.charger] = (charger_left[a.charger] - p_here).max(0.0);
                }
                site_left = (site_left - p_here / ch.efficiency).max(0.0);
                soc[a.vehicle] = s1;
                a.e_step += inlet_kwh;
                chg_grid_kw += inlet_kwh / ch.efficiency / dt_h;
                e_inlet += inlet_kwh;
                e_grid_chg += inlet_kwh / ch.efficiency;
                e_cells += (s1 - s0) * m.capacity_kwh;
            }
        }
        if let Some(s) = series.as_mut() {
            for a in active.iter() {
                if a.e_step > 0.0 {
                    s.session_power[a.session].push((k as u32, (a.e_step / dt_h) as f32));
                }
            }
        }
        site_kw[k] = chg_grid_kw + input.base_load_kw;
        if let Some(s) = series.as_mut() {
            s.plugged[k] = active
                .iter()
                .filter(|a| a.plug_s < t1 && a.depart_s > t0)
                .count() as u16;
        }
        // Departures during this step.
        while id < by_depart.len() && sess[by_depart[id]].depart_s <= t1 {
            let i = by_depart[id];
            let s = &sess[i];
            if !arrived[i] {
                // Arrived and left at the same instant (a stay rounded to nothing): it still arrived.
                soc[s.vehicle] =
                    arrival_soc(s.arrival, soc[s.vehicle], models[s.vehicle].capacity_kwh);
                arrived[i] = true;
            }
            if s.depart_s <= input.end_s {
                let m = &models[s.vehicle];
                let target = s.target.min(m.max_soc);
                let got = soc[s.vehicle];
                departed_soc[i] = got;
                departures[s.vehicle].push(DepartureReport {
                    depart: time::format(s.depart_s, input.clock_offset_s),
                    soc_pct: got * 100.0,
                    target_soc_pct: target * 100.0,
                    short_kwh: ((target - got) * m.capacity_kwh).max(0.0),
                    short: got < target - SHORT_TOLERANCE,
                    waited_min: s.wait_s() as f64 / 60.0,
                });
            }
            if let Some(pos) = active.iter().position(|a| a.session == i) {
                active.remove(pos);
            }
            id += 1;
        }
    }

    let energy_cost_chg: f64 = site_kw
        .iter()
        .zip(&prep.prices)
        .map(|(p, c)| p * c * dt_h)
        .sum();
    let (demand_cost, peaks) = input.tariff.demand_cost(&prep.windows, &site_kw);
    let (peak_step, peak_kw) =
        site_kw.iter().enumerate().fold(
            (0, 0.0f64),
            |acc, (i, &p)| if p > acc.1 + 1e-12 { (i, p) } else { acc },
        );
    let horizon_h = n as f64 * dt_h;
    let charger_kw: f64 = input.chargers.iter().map(|c| c.max_power_kw).sum();
    let connectors: f64 = input.chargers.iter().map(|c| f64::from(c.connectors)).sum();
    let all: Vec<&DepartureReport> = departures.iter().flatten().collect();
    let summary = Summary {
        energy_from_grid_kwh: e_grid_chg + input.base_load_kw * horizon_h,
        energy_to_batteries_kwh: e_cells,
        energy_at_inlets_kwh: e_inlet,
        charging_energy_from_grid_kwh: e_grid_chg,
        base_load_kwh: input.base_load_kw * horizon_h,
        peak_kw,
        peak_at: time::format(
            input.start_s + peak_step as i64 * dt_s,
            input.clock_offset_s,
        ),
        energy_cost: energy_cost_chg,
        demand_cost,
        total_cost: energy_cost_chg + demand_cost,
        demand_peaks_kw: peaks.iter().map(|p| p.1).collect(),
        departures: all.len(),
        departures_short: all.iter().filter(|d| d.short).count(),
        total_short_kwh: all.iter().map(|d| d.short_kwh).sum(),
        min_departure_soc_pct: all
            .iter()
            .map(|d| d.soc_pct)
            .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.min(x)))),
        charger_utilisation: if charger_kw > 0.0 && horizon_h > 0.0 {
            e_inlet / (charger_kw * horizon_h)
        } else {
            0.0
        },
        connector_occupancy: if connectors > 0.0 && horizon_h > 0.0 {
            plugged_h / (connectors * horizon_h)
        } else {
            0.0
        },
        visits_waited: sess.iter().filter(|s| s.wait_s() > 0).count(),
        max_wait_min: sess.iter().map(|s| s.wait_s()).max().unwrap_or(0) as f64 / 60.0,
        steps: n,
        step_s: dt_s,
        vehicle_steps,
    };
    if let Some(s) = series.as_mut() {
        s.site_kw = site_kw;
        s.prices = prep.prices.clone();
    }
    let vehicles = input
        .fleet
        .iter()
        .zip(departures)
        .map(|(f, d)| VehicleReport {
            id: f.id.clone(),
            departures: d,
        })
        .collect();
    let mut notes = Vec::new();
    if summary.visits_waited > 0 {
        notes.push(format!(
            "{} visit(s) waited for a free connector (longest {:.0} min)",
            summary.visits_waited, summary.max_wait_min
        ));
    }
    DepotResult {
        strategy: input.strategy,
        summary,
        vehicles,
        notes,
        series,
        optimal: None,
    }
}

/// Balanced: the least constant inlet power that reaches `target` in `remain_h` (kW). Where the curve
/// tapers below that power, the least cap that still arrives in time (bisection on the exact
/// integrator); where nothing arrives in time, the charger's full power.
pub fn balanced_request(m: &ChargeModel, s0: f64, target: f64, remain_h: f64, hw_kw: f64) -> f64 {
    if remain_h <= 1e-9 {
        return f64::INFINITY;
    }
    let need = m.inlet_kwh(s0, target) / remain_h;
    if need <= m.min_curve_between(s0, target) {
        return need;
    }
    let top = hw_kw.min(m.vehicle_max_kw);
    if m.time_to(s0, target, top) >= remain_h {
        return f64::INFINITY;
    }
    let (mut lo, mut hi) = (need, top);
    for _ in 0..30 {
        let mid = 0.5 * (lo + hi);
        if m.time_to(s0, target, mid) <= remain_h {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}
