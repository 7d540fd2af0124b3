//! `optimal`: a linear programme over the whole horizon, solved with good_lp's clarabel backend.
//!
//! ```text
//!  variables  p[s,k] ≥ 0   average inlet power of session s in step k (kW)
//!             e[s,k]       energy in the cells at the end of step k (kWh)
//!             short[s] ≥ 0 energy missing at the departure of s (kWh)
//!             peak[b] ≥ 0  metered peak of each demand bucket (kW)
//!  min  Σ_k price_k·Δt·Σ_s p/η_c  +  Σ_b rate_b·peak_b  +  M·Σ short
//!  s.t. e[s,k] = e[s,k−1] + η_cells·Δt·p[s,k]            (e[s,−1] = arrival energy, chained between
//!                                                         visits when the arrival gives energy used)
//!       p[s,k] ≤ f·min(charger, vehicle max)              f = part of the step the vehicle is plugged
//!       p[s,k] ≤ f·(a + b·e/cap) for each line of the curve's concave envelope (e at the step end when
//!                                                         the line falls, at the start when it rises)
//!       e ≤ max_soc·cap,  e[s,last] + short[s] ≥ target·cap
//!       Σ_{s on c} p[s,k] ≤ P_c  (chargers with several connectors)
//!       Σ_s p[s,k]/η_c ≤ grid_limit − base load
//!       peak_b ≥ base + mean over the window of Σ_s p/η_c    (each window of bucket b)
//! ```
//! `M` is far above any price, so the shortfall is minimised first (lexicographically in effect), and a
//! run with unavoidable shortfall says so. The engine then replays the plan, so the reported results
//! obey the exact curve integration; on the last step before each departure it tops up what solver
//! tolerances left.

use super::engine::Prepared;
use super::{ArrivalState, DepotInput};
use crate::error::ModelError;
use good_lp::solvers::clarabel::clarabel;
use good_lp::{variable, Expression, ProblemVariables, Solution, SolverModel, Variable};
use serde::Serialize;

/// Largest LP accepted (session-steps); larger runs should use a longer step or a shorter horizon.
pub const MAX_LP_SESSION_STEPS: usize = 300_000;

/// What the LP did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptimalInfo {
    /// Solver.
    pub solver: &'static str,
    /// Variables.
    pub variables: usize,
    /// Constraints (rows, including bounds).
    pub constraints: usize,
    /// Shortfall the LP could not avoid (kWh).
    pub lp_shortfall_kwh: f64,
    /// Whether every departure can be met.
    pub readiness_feasible: bool,
    /// The LP objective (energy + demand cost, without the shortfall penalty).
    pub lp_cost: f64,
}

/// The LP's plan: average inlet power per session and step.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    start_s: i64,
    block_s: i64,
    first: Vec<usize>,
    /// Per session and block: planned inlet power while plugged in (kW).
    power: Vec<Vec<f64>>,
    /// Notes for the caller.
    pub notes: Vec<String>,
    /// Facts.
    pub info: OptimalInfo,
}

impl Plan {
    /// Planned inlet power of `session` while plugged in during the LP block holding time `t` (kW).
    pub fn present_kw(&self, session: usize, t: i64) -> f64 {
        let b = (t - self.start_s).div_euclid(self.block_s);
        let f = self.first[session] as i64;
        if b < f {
            return 0.0;
        }
        self.power[session]
            .get((b - f) as usize)
            .copied()
            .unwrap_or(0.0)
    }
}

/// The LP block (s): 15 min when the step divides it, else the step.
pub fn lp_step_s(step_s: i64) -> i64 {
    if step_s < 900 && 900 % step_s == 0 {
        900
    } else {
        step_s
    }
}

/// Solves the LP.
pub fn plan(input: &DepotInput, prep: &Prepared) -> Result<Plan, ModelError> {
    // The LP works on blocks of at least 15 min (steps that divide 15 min are grouped), so its size
    // does not grow when the simulation step shrinks; the engine replays each block's power.
    let dt_s = lp_step_s(input.step_s);
    let dt_h = dt_s as f64 / 3600.0;
    let n = ((input.end_s - input.start_s) + dt_s - 1)
        .div_euclid(dt_s)
        .max(0) as usize;
    let per = (dt_s / input.step_s) as usize;
    let prices: Vec<f64> = (0..n)
        .map(|b| {
            let lo = (b * per).min(prep.prices.len());
            let hi = ((b + 1) * per).min(prep.prices.len());
            if hi > lo {
                prep.prices[lo..hi].iter().sum::<f64>() / (hi - lo) as f64
            } else {
                0.0
            }
        })
        .collect();
    let windows = input.tariff.demand_windows(input.start_s, dt_s, n);
    let ns = prep.sessions.len();
    // Steps and presence fraction of each session.
    let mut first = vec![0usize; ns];
    let mut fracs: Vec<Vec<f64>> = vec![Vec::new(); ns];
    let mut total = 0usize;
    for (i, s) in prep.sessions.iter().enumerate() {
        let Some((plug, _)) = s.plug else { continue };
        let a = plug.max(input.start_s);
        let b = s.depart_s.min(input.end_s);
        if b <= a {
            continue;
        }
        let k0 = ((a - input.start_s) / dt_s) as usize;
        let k1 = (((b - input.start_s) + dt_s - 1) / dt_s) as usize;
        first[i] = k0;
        for k in k0..k1.min(n) {
            let t0 = input.start_s + k as i64 * dt_s;
            let ov = (t0 + dt_s).min(b) - t0.max(a);
            fracs[i].push((ov.max(0) as f64) / dt_s as f64);
        }
        total += fracs[i].len();
    }
    if total > MAX_LP_SESSION_STEPS {
        return Err(ModelError::impossible(
            "strategy",
            format!("optimal would need {total} plugged vehicle-steps (limit {MAX_LP_SESSION_STEPS}): use a longer step_s or a shorter horizon"),
        ));
    }
    let max_price = prices.iter().fold(0.0f64, |m, p| m.max(p.abs()));
    let demand_rates: f64 = prep
        .windows
        .iter()
        .flat_map(|w| w.keys.iter().map(|k| k.1))
        .fold(0.0, f64::max);
    // A kWh short must cost more than anything it could save: its energy at the dearest price, or
    // the demand charge of carrying it as extra power through the shortest window.
    let window_h = (prep
        .windows
        .first()
        .map_or(dt_s, |_| input.tariff.window_s().min(dt_s).max(1)) as f64
        / 3600.0)
        .max(dt_h.min(0.25));
    let big_m = 10.0 * (max_price + demand_rates / window_h + 0.01);

    let mut vars = ProblemVariables::new();
    let mut cons: Vec<good_lp::Constraint> = Vec::with_capacity(total * 3);
    let mut p_vars: Vec<Vec<Variable>> = vec![Vec::new(); ns];
    let mut short_vars: Vec<Option<Variable>> = vec![None; ns];
    // Per step: the grid-side charger power terms.
    let mut step_terms: Vec<Vec<(Variable, f64)>> = vec![Vec::new(); n];
    // Per charger and step with several connectors: the inlet power terms.
    let mut charger_terms: Vec<std::collections::BTreeMap<usize, Vec<Variable>>> =
        vec![Default::default(); input.chargers.len()];
    let mut objective = Expression::with_capacity(total + ns);

    // Sessions per vehicle in time order, for the energy chain.
    let mut order: Vec<usize> = (0..ns).collect();
    order.sort_by_key(|&i| (prep.sessions[i].vehicle, prep.sessions[i].arrive_s));
    let mut prev_vehicle = usize::MAX;
    let mut chain = Expression::default();
    for &i in &order {
        let s = &prep.sessions[i];
        let m = &prep.models[s.vehicle];
        let cap = m.capacity_kwh;
        if s.vehicle != prev_vehicle {
            prev_vehicle = s.vehicle;
            chain = Expression::from(input.fleet[s.vehicle].initial_soc_pct / 100.0 * cap);
        }
        let e_arr: Expression = match s.arrival {
            ArrivalState::SocPct(p) => Expression::from(p / 100.0 * cap),
            ArrivalState::EnergyUsedKwh(used) => chain.clone() - used,
        };
        let target = s.target.min(m.max_soc);
        let mut e_prev = e_arr.clone();
        if let Some((_, c)) = s.plug {
            let ch = &input.chargers[c];
            let hw = ch.max_power_kw.min(m.vehicle_max_kw);
            let lines: Vec<(f64, f64)> = m
                .concave_lines()
                .into_iter()
                .filter(|&(a, b)| b.abs() > 1e-9 && (a.min(a + b)) < hw)
                .collect();
            let multi = ch.connectors > 1;
            for (j, &f) in fracs[i].iter().enumerate() {
                let k = first[i] + j;
                let p = vars.add(variable().min(0.0).max(hw * f));
                // e ≥ 0 follows from p ≥ 0; e ≤ max SoC stops storing cheap energy beyond the battery.
                let e = vars.add(variable().max(m.max_soc * cap));
                cons.push((e - e_prev.clone() - m.eta_cells * dt_h * p).eq(0.0));
                for &(a, b) in &lines {
                    let e_ref: Expression = if b < 0.0 { e.into() } else { e_prev.clone() };
                    cons.push((p - f * b / cap * e_ref).leq(f * a));
                }
                step_terms[k].push((p, 1.0 / ch.efficiency));
                objective.add_mul(prices[k] * dt_h / ch.efficiency, p);
                if multi {
                    charger_terms[c].entry(k).or_default().push(p);
                }
                p_vars[i].push(p);
                e_prev = e.into();
            }
        }
        if s.depart_s <= input.end_s {
            let sh = vars.add(variable().min(0.0));
            cons.push((e_prev.clone() + sh).geq(target * cap));
            objective.add_mul(big_m, sh);
            short_vars[i] = Some(sh);
        } else if let Some((plug, _)) = s.plug {
            // Cut by the end of the horizon: at least pro-rata progress towards the target, so the plan
            // cannot look cheap by leaving the next departures to a day it does not see.
            let share = ((input.end_s - plug.max(input.start_s)) as f64
                / (s.depart_s - plug.max(input.start_s)).max(1) as f64)
                .clamp(0.0, 1.0);
            let sh = vars.add(variable().min(0.0));
            cons.push(
                (e_prev.clone() + sh - (1.0 - share) * e_arr.clone()).geq(share * target * cap),
            );
            objective.add_mul(big_m, sh);
        }
        chain = e_prev;
    }
    // Site limit.
    let budget = (input.grid_limit_kw - input.base_load_kw).max(0.0);
    for terms in step_terms.iter().filter(|t| !t.is_empty()) {
        let mut ex = Expression::with_capacity(terms.len());
        for &(v, c) in terms {
            ex.add_mul(c, v);
        }
        cons.push(ex.leq(budget));
    }
    // Shared chargers.
    for (c, by_step) in charger_terms.iter().enumerate() {
        for vs in by_step.values().filter(|v| v.len() > 1) {
            let mut ex = Expression::with_capacity(vs.len());
            for &v in vs {
                ex.add_mul(1.0, v);
            }
            cons.push(ex.leq(input.chargers[c].max_power_kw));
        }
    }
    // Demand charges.
    let mut peaks: Vec<(crate::tariff::DemandKey, Variable)> = Vec::new();
    for w in &windows {
        let nw = (w.end_step - w.first_step) as f64;
        for &(key, rate) in &w.keys {
            let pv = match peaks.iter().find(|p| p.0 == key) {
                Some(p) => p.1,
                None => {
                    let v = vars.add(variable().min(0.0));
                    objective.add_mul(rate, v);
                    peaks.push((key, v));
                    v
                }
            };
            let mut ex = Expression::default();
            for terms in &step_terms[w.first_step..w.end_step] {
                for &(v, c) in terms {
                    ex.add_mul(c / nw, v);
                }
            }
            cons.push((ex + input.base_load_kw).leq(pv));
        }
    }
    let n_vars = vars.len();
    let n_cons = cons.len();
    let mut model = vars.minimise(objective.clone()).using(clarabel);
    for c in cons {
        model.add_constraint(c);
    }
    let sol = model.solve().map_err(|e| {
        ModelError::impossible(
            "strategy",
            format!("the optimal LP could not be solved: {e}"),
        )
    })?;
    let mut power: Vec<Vec<f64>> = vec![Vec::new(); ns];
    for i in 0..ns {
        power[i] = p_vars[i]
            .iter()
            .zip(&fracs[i])
            .map(|(&v, &f)| {
                if f > 0.0 {
                    sol.value(v).max(0.0) / f
                } else {
                    0.0
                }
            })
            .collect();
    }
    let shortfall: f64 = short_vars
        .iter()
        .flatten()
        .map(|&v| sol.value(v).max(0.0))
        .sum();
    let lp_cost = sol.eval(&objective) - big_m * shortfall;
    let feasible = shortfall <= 1e-3;
    let mut notes = Vec::new();
    if !feasible {
        notes.push(format!(
            "readiness is impossible under these limits: optimal minimised the total shortfall first ({shortfall:.2} kWh short over all departures), then the cost"
        ));
    }
    Ok(Plan {
        start_s: input.start_s,
        block_s: dt_s,
        first,
        power,
        notes,
        info: OptimalInfo {
            solver: "clarabel (good_lp)",
            variables: n_vars,
            constraints: n_cons,
            lp_shortfall_kwh: shortfall,
            readiness_feasible: feasible,
            lp_cost,
        },
    })
}
