//! Chargers (EVSE): AC or DC, power and current limits, efficiency.

use serde::{Deserialize, Serialize};

/// AC (the vehicle's on-board charger converts) or DC (the station converts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum ChargerKind {
    /// Alternating current: limited by phases × voltage × current and the on-board charger.
    Ac,
    /// Direct current: limited by the station's power and current.
    Dc,
}

/// A resolved charger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Charger {
    /// AC or DC.
    pub kind: ChargerKind,
    /// Rated output power (kW).
    pub max_power_kw: f64,
    /// Output current limit (A); for AC per phase.
    pub max_current_a: Option<f64>,
    /// AC phases (1 or 3).
    pub phases: u8,
    /// AC phase-to-neutral voltage (V).
    pub voltage_v: f64,
    /// Grid-to-inlet efficiency: the grid supplies inlet power ÷ this.
    pub efficiency: f64,
}

impl Charger {
    /// The charger's output power limit (kW) for a pack at `pack_voltage_v`, from its power and
    /// current ratings. AC: phases × voltage × current; DC: current × pack voltage.
    pub fn output_limit_kw(&self, pack_voltage_v: f64) -> f64 {
        let by_current = match (self.kind, self.max_current_a) {
            (ChargerKind::Ac, Some(a)) => f64::from(self.phases) * self.voltage_v * a / 1000.0,
            (ChargerKind::Dc, Some(a)) => a * pack_voltage_v / 1000.0,
            (_, None) => f64::INFINITY,
        };
        self.max_power_kw.min(by_current)
    }
}

/// Default efficiencies (grid to vehicle inlet).
///
/// DC: 0.95, typical of the rectifier stage of 50–350 kW stations (datasheets quote 94–96 %).
/// AC: 0.99, the EVSE is a contactor; the conversion losses sit in the on-board charger.
pub fn default_efficiency(kind: ChargerKind) -> f64 {
    match kind {
        ChargerKind::Dc => 0.95,
        ChargerKind::Ac => 0.99,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ac_limit_is_phases_times_volts_times_amps() {
        let c = Charger {
            kind: ChargerKind::Ac,
            max_power_kw: 22.0,
            max_current_a: Some(16.0),
            phases: 3,
            voltage_v: 230.0,
            efficiency: 0.99,
        };
        assert!((c.output_limit_kw(400.0) - 11.04).abs() < 1e-9);
    }

    #[test]
    fn dc_current_limit_uses_pack_voltage() {
        let c = Charger {
            kind: ChargerKind::Dc,
            max_power_kw: 150.0,
            max_current_a: Some(200.0),
            phases: 3,
            voltage_v: 230.0,
            efficiency: 0.95,
        };
        assert!((c.output_limit_kw(400.0) - 80.0).abs() < 1e-9);
        assert!((c.output_limit_kw(800.0) - 150.0).abs() < 1e-9);
    }
}
