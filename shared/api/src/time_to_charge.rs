//! `POST /v1/time-to-charge`: how long until this vehicle reaches its target SoC on this charger.
//!
//! This is the reference handler: parse (serde, unknown fields refused) → check each field once →
//! call the pure model → shape the response. Every other capability follows the same steps.

use crate::error::ApiError;
use crate::validate::{self, opt_range, positive, range, soc};
use crate::vehicle::VehicleSpec;
use crate::{Ctx, Deps, Reply};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use twin_estimators::EstimatorInfo;
use twin_model::charge_point::{self, Charger, ChargerKind};
use twin_model::charging::{self, ChargeConditions, LimitingFactor};

/// Request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeToChargeRequest {
    /// The vehicle (catalogue id and/or parameters).
    pub vehicle: VehicleSpec,
    /// SoC now (%).
    pub soc_pct: f64,
    /// Target SoC (%), not below `soc_pct`.
    pub target_soc_pct: f64,
    /// The charger.
    pub charger: ChargerSpec,
    /// Grid-side power available to this charger (kW).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_limit_kw: Option<f64>,
    /// Battery temperature (°C); default: `ambient_temp_c`, else 25 °C.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery_temp_c: Option<f64>,
    /// Ambient temperature (°C).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambient_temp_c: Option<f64>,
}

/// Charger on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChargerSpec {
    /// `dc` or `ac`.
    pub kind: ChargerKind,
    /// Rated output power (kW).
    pub max_power_kw: f64,
    /// Output current limit (A; per phase on AC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_current_a: Option<f64>,
    /// AC phases (1–3); default 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phases: Option<u8>,
    /// AC phase voltage (V); default 230.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voltage_v: Option<f64>,
    /// Grid-to-inlet efficiency; default 0.95 DC, 0.99 AC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efficiency: Option<f64>,
}

impl ChargerSpec {
    /// Checks and converts, naming fields under `prefix` (e.g. `charger`).
    pub fn resolve(&self, prefix: &str) -> Result<Charger, ApiError> {
        let f = |n: &str| format!("{prefix}.{n}");
        let phases = self.phases.unwrap_or(3);
        if !(1..=3).contains(&phases) {
            return Err(ApiError::invalid(f("phases"), "must be 1, 2 or 3"));
        }
        Ok(Charger {
            kind: self.kind,
            max_power_kw: positive(&f("max_power_kw"), self.max_power_kw, 5_000.0)?,
            max_current_a: self
                .max_current_a
                .map(|a| positive(&f("max_current_a"), a, 5_000.0))
                .transpose()?,
            phases,
            voltage_v: range(
                &f("voltage_v"),
                self.voltage_v.unwrap_or(230.0),
                100.0,
                1_000.0,
            )?,
            efficiency: positive(
                &f("efficiency"),
                self.efficiency
                    .unwrap_or(charge_point::default_efficiency(self.kind)),
                1.0,
            )?,
        })
    }
}

/// One profile point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProfilePoint {
    /// Minutes since plug-in.
    pub t_min: f64,
    /// SoC (%).
    pub soc_pct: f64,
    /// Inlet power (kW).
    pub power_kw: f64,
}

/// Response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TimeToChargeResponse {
    /// Minutes to reach `final_soc_pct`.
    pub duration_min: f64,
    /// Whether the requested target can be reached (false when above the battery's max SoC).
    pub reachable: bool,
    /// SoC at the end (%).
    pub final_soc_pct: f64,
    /// Energy stored in the cells (kWh).
    pub energy_to_battery_kwh: f64,
    /// Energy drawn from the grid (kWh).
    pub energy_from_grid_kwh: f64,
    /// Energy at the vehicle inlet (kWh).
    pub energy_at_inlet_kwh: f64,
    /// What bounds the power for the longest time.
    pub limiting_factor: LimitingFactor,
    /// Share of the charging time each limit binds.
    pub limiting_shares: Vec<LimitShare>,
    /// SoC and power over time.
    pub profile: Vec<ProfilePoint>,
    /// Battery temperature used (°C).
    pub battery_temp_c: f64,
    /// Parameters that took defaults or are estimates.
    pub assumptions: Vec<String>,
    /// Which estimator produced the result.
    pub estimator: EstimatorInfo,
}

/// A limiting factor's share of the charging time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LimitShare {
    /// The limit.
    pub factor: LimitingFactor,
    /// Fraction of the duration (0–1).
    pub share: f64,
}

fn round(x: f64, digits: i32) -> f64 {
    let k = 10f64.powi(digits);
    (x * k).round() / k
}

/// Checks a request and computes the answer (pure; used by the handler and by benchmarks).
pub fn compute(req: &TimeToChargeRequest) -> Result<TimeToChargeResponse, ApiError> {
    let resolved = req.vehicle.resolve()?;
    let v = &resolved.vehicle;
    let soc_now = soc("soc_pct", req.soc_pct)?;
    let target = soc("target_soc_pct", req.target_soc_pct)?;
    if target < soc_now {
        return Err(ApiError::invalid(
            "target_soc_pct",
            format!("must not be below soc_pct ({soc_now})"),
        ));
    }
    let charger = req.charger.resolve("charger")?;
    let site = req
        .site_limit_kw
        .map(|s| positive("site_limit_kw", s, 100_000.0))
        .transpose()?;
    let ambient = opt_range("ambient_temp_c", req.ambient_temp_c, -60.0, 60.0)?;
    let battery_temp = opt_range("battery_temp_c", req.battery_temp_c, -60.0, 80.0)?
        .or(ambient)
        .unwrap_or(25.0);
    let mut assumptions = resolved.assumed.clone();
    if req.battery_temp_c.is_none() {
        assumptions.push(format!(
            "battery_temp_c = {battery_temp} ({})",
            if ambient.is_some() {
                "ambient"
            } else {
                "default"
            }
        ));
    }
    let cond = ChargeConditions {
        battery_temp_c: battery_temp,
        site_limit_kw: site,
    };
    let plan = charging::time_to_charge(v, &charger, &cond, soc_now, target)?;
    Ok(TimeToChargeResponse {
        duration_min: round(plan.duration_min, 4),
        reachable: plan.reachable,
        final_soc_pct: round(plan.final_soc_pct, 4),
        energy_to_battery_kwh: round(plan.energy_to_battery_kwh, 4),
        energy_from_grid_kwh: round(plan.energy_from_grid_kwh, 4),
        energy_at_inlet_kwh: round(plan.energy_at_inlet_kwh, 4),
        limiting_factor: plan.limiting_factor,
        limiting_shares: plan
            .limit_shares
            .iter()
            .map(|&(factor, share)| LimitShare {
                factor,
                share: round(share, 4),
            })
            .collect(),
        profile: plan
            .profile
            .iter()
            .map(|p| ProfilePoint {
                t_min: round(p.t_min, 4),
                soc_pct: round(p.soc_pct, 4),
                power_kw: round(p.power_kw, 4),
            })
            .collect(),
        battery_temp_c: battery_temp,
        assumptions,
        estimator: EstimatorInfo::physics(),
    })
}

/// The handler.
pub async fn handle(_deps: &Deps, _ctx: &Ctx, body: &[u8]) -> Result<Reply, ApiError> {
    let req: TimeToChargeRequest = validate::parse(body)?;
    Reply::ok(&compute(&req)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(json: &str) -> Result<TimeToChargeResponse, ApiError> {
        compute(&validate::parse::<TimeToChargeRequest>(json.as_bytes())?)
    }

    #[test]
    fn profile_energies_sum_to_the_total() {
        // Integrate the inlet power profile with the trapezoid rule: it must match the inlet energy.
        let r = req(
            r#"{"vehicle": {"model": "yutong_e12"}, "soc_pct": 10, "target_soc_pct": 100,
                        "charger": {"kind": "dc", "max_power_kw": 150}}"#,
        )
        .unwrap();
        let e: f64 = r
            .profile
            .windows(2)
            .map(|w| (w[1].t_min - w[0].t_min) / 60.0 * (w[0].power_kw + w[1].power_kw) / 2.0)
            .sum();
        assert!(
            (e - r.energy_at_inlet_kwh).abs() / r.energy_at_inlet_kwh < 0.01,
            "{e} vs {}",
            r.energy_at_inlet_kwh
        );
        assert!((r.energy_to_battery_kwh - 0.9 * 422.0).abs() < 1e-6);
    }

    #[test]
    fn ac_is_limited_by_phases_volts_amps() {
        // 1 phase × 230 V × 16 A = 3.68 kW < the 22 kW on-board charger: 60 kWh at 3.68 kW ≈ 16.3 h.
        let r = req(r#"{"vehicle": {"class": "car", "battery": {"capacity_kwh": 60, "efficiency": 1},
                        "onboard_charger_efficiency": 1}, "soc_pct": 0, "target_soc_pct": 100,
                        "charger": {"kind": "ac", "max_power_kw": 22, "max_current_a": 16, "phases": 1, "efficiency": 1}}"#)
        .unwrap();
        assert_eq!(r.limiting_factor, LimitingFactor::Charger);
        assert!(
            (r.duration_min - 60.0 / 3.68 * 60.0).abs() < 0.01,
            "{}",
            r.duration_min
        );
    }

    #[test]
    fn target_below_current_is_a_400_naming_the_field() {
        let e = req(
            r#"{"vehicle": {"model": "yutong_e12"}, "soc_pct": 80, "target_soc_pct": 20,
                        "charger": {"kind": "dc", "max_power_kw": 150}}"#,
        )
        .unwrap_err();
        assert_eq!(
            (e.status, e.field.as_deref()),
            (400, Some("target_soc_pct"))
        );
    }

    #[test]
    fn soc_outside_range_is_refused() {
        let e = req(
            r#"{"vehicle": {"model": "yutong_e12"}, "soc_pct": 120, "target_soc_pct": 130,
                        "charger": {"kind": "dc", "max_power_kw": 150}}"#,
        )
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("soc_pct"));
    }
}
