//! The scaled depot pattern of `../shared/reference/README.md`, for benchmarks and larger checks.
//!
//! N buses of type `bus12m` (300 kWh, curve `[[0,150],[0.8,150],[1,50]]` kW over SoC fraction, battery
//! efficiency 0.95), one 150 kW charger each (lossless, as SpiceEV's), grid connection 60 kW × N,
//! target SoC 100 %, TOU price 0.10 /kWh 22:00–06:00 else 0.30. For day d and bus i: departure
//! d 04:30 + 10 min·(i mod 12), arrival d 19:00 + 15 min·(i mod 16), SoC used on the day
//! 0.40 + 0.05·(i mod 9) of capacity. The run starts on Monday 2023-01-02 00:00 with every bus full
//! and at the depot, and uses SpiceEV's rules ([`Semantics::spiceev`]) so the work matches its runs.

use super::{
    ArrivalState, DepotCharger, DepotInput, EventTiming, FleetVehicle, Record, Semantics,
    SharingOrder, Strategy, Visit,
};
use crate::curve::Curve;
use crate::tariff::{EnergyPeriod, EnergySpec, EnergyTier, PriceSampling, Tariff, TariffSpec};
use crate::vehicle::{Vehicle, VehicleClass};

impl Semantics {
    /// SpiceEV 1.1.0's rules: events rounded up to the step, vehicle-id order, price at the step start.
    pub fn spiceev() -> Self {
        Semantics {
            event_timing: EventTiming::RoundUpToStep,
            sharing_order: SharingOrder::VehicleId,
            price_sampling: PriceSampling::StepStart,
            no_queue: false,
        }
    }
}

/// The synthetic 12 m bus of SpiceEV's scaled runs.
pub fn bus12m() -> Vehicle {
    let mut v = Vehicle::class_default(VehicleClass::CityBus12m);
    v.id = None;
    v.battery.capacity_kwh = 300.0;
    v.battery.efficiency = 0.95;
    v.battery.min_soc_pct = 0.0;
    v.battery.max_soc_pct = 100.0;
    v.battery.max_charge_kw = 150.0;
    v.battery.charge_curve = Curve::new(vec![(0.0, 150.0), (80.0, 150.0), (100.0, 50.0)])
        .unwrap_or_else(|_| Curve::constant(150.0));
    v
}

/// The reference TOU price: 0.10 /kWh from 22:00 to 06:00, 0.30 otherwise, every day.
pub fn tou_tariff() -> Tariff {
    let row: Vec<usize> = (0..24).map(|h| usize::from((6..22).contains(&h))).collect();
    let spec = TariffSpec {
        name: Some("SpiceEV reference TOU".into()),
        currency: Some("EUR".into()),
        energy: Some(EnergySpec {
            periods: vec![
                EnergyPeriod {
                    id: 0,
                    label: Some("night".into()),
                    tiers: vec![EnergyTier { rate_per_kwh: 0.10 }],
                },
                EnergyPeriod {
                    id: 1,
                    label: Some("day".into()),
                    tiers: vec![EnergyTier { rate_per_kwh: 0.30 }],
                },
            ],
            weekday_schedule: vec![row; 12],
            ..EnergySpec::default()
        }),
        demand: None,
    };
    Tariff::from_spec(&spec, None).unwrap_or_else(|_| Tariff::flat(0.3))
}

/// `n_buses` buses for `days` days at `step_s`, strategy `uncontrolled`, full recording.
pub fn scaled_depot_scenario(n_buses: usize, days: usize, step_s: i64) -> DepotInput {
    let start = super::time::days_from_civil(2023, 1, 2) * 86_400;
    let bus = bus12m();
    let fleet = (0..n_buses)
        .map(|i| {
            let dep = |d: i64| start + d * 86_400 + 4 * 3600 + 30 * 60 + 600 * (i % 12) as i64;
            let arr = |d: i64| start + d * 86_400 + 19 * 3600 + 900 * (i % 16) as i64;
            let used = (0.40 + 0.05 * (i % 9) as f64) * bus.battery.capacity_kwh;
            let mut visits = vec![Visit {
                arrive_s: start,
                depart_s: dep(0),
                arrival: ArrivalState::SocPct(100.0),
                target_soc_pct: None,
            }];
            for d in 0..days as i64 {
                visits.push(Visit {
                    arrive_s: arr(d),
                    depart_s: dep(d + 1),
                    arrival: ArrivalState::EnergyUsedKwh(used),
                    target_soc_pct: None,
                });
            }
            FleetVehicle {
                id: format!("bus_{i:03}"),
                vehicle: bus.clone(),
                initial_soc_pct: 100.0,
                target_soc_pct: Some(100.0),
                charger: Some(i),
                visits,
            }
        })
        .collect();
    DepotInput {
        start_s: start,
        end_s: start + days as i64 * 86_400,
        step_s,
        clock_offset_s: None,
        strategy: Strategy::Uncontrolled,
        grid_limit_kw: 60.0 * n_buses as f64,
        base_load_kw: 0.0,
        chargers: (0..n_buses)
            .map(|i| DepotCharger {
                id: format!("CS_bus_{i:03}"),
                max_power_kw: 150.0,
                connectors: 1,
                efficiency: 1.0,
            })
            .collect(),
        fleet,
        tariff: tou_tariff(),
        semantics: Semantics::spiceev(),
        record: Record::Full,
    }
}
