//! Vehicles: resolved parameters, class defaults and the bundled catalogue.
//!
//! A request names a catalogue id, gives parameters, or both (parameters override the entry). What is
//! still missing comes from [`Vehicle::class_default`], whose values are documented estimates.

use crate::battery::{Battery, Chemistry};
use crate::curve::Curve;
use crate::error::ModelError;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// Broad vehicle class: sets defaults (mass, drag, HVAC size, aux load).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum VehicleClass {
    /// Passenger car.
    Car,
    /// Light commercial van.
    VanLcv,
    /// 12 m city bus.
    #[serde(rename = "city_bus_12m")]
    CityBus12m,
    /// 18 m articulated bus.
    #[serde(rename = "articulated_bus_18m")]
    ArticulatedBus18m,
    /// Class 8 tractor (semi truck), with trailer.
    Class8Tractor,
}

impl VehicleClass {
    /// Parses the catalogue's `segment` field.
    pub fn from_segment(s: &str) -> Option<Self> {
        Some(match s {
            "car" => VehicleClass::Car,
            "van_lcv" => VehicleClass::VanLcv,
            "city_bus_12m" => VehicleClass::CityBus12m,
            "articulated_bus_18m" => VehicleClass::ArticulatedBus18m,
            "class8_tractor" => VehicleClass::Class8Tractor,
            _ => return None,
        })
    }
    /// Typical length (m), used to scale HVAC when the entry gives none.
    pub fn typical_length_m(self) -> f64 {
        match self {
            VehicleClass::Car => 4.6,
            VehicleClass::VanLcv => 5.9,
            VehicleClass::CityBus12m => 12.0,
            VehicleClass::ArticulatedBus18m => 18.0,
            VehicleClass::Class8Tractor => 6.5,
        }
    }
}

/// Cabin climate system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hvac {
    /// No climate load.
    None,
    /// Resistive (PTC) heating, COP 1, and a vapour-compression air conditioner.
    Resistive,
    /// Heat pump heating (COP > 1 above its cut-off).
    HeatPump,
    /// An explicit table of `[ambient °C, electrical kW]`.
    Table(Curve),
}

/// A fully resolved vehicle: every parameter the models need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vehicle {
    /// Catalogue id, when it came from the catalogue.
    pub id: Option<String>,
    /// Class (sets defaults).
    pub class: VehicleClass,
    /// Length (m), scales HVAC.
    pub length_m: f64,
    /// Curb mass (kg).
    pub mass_kg: f64,
    /// Payload (kg): passengers, cargo, trailer.
    pub payload_kg: f64,
    /// Aerodynamic drag coefficient.
    pub drag_coefficient: f64,
    /// Frontal area (m²).
    pub frontal_area_m2: f64,
    /// Rolling resistance coefficient.
    pub rolling_resistance: f64,
    /// Rotational inertia of one wheel (kg·m²).
    pub wheel_inertia_kg_m2: f64,
    /// Number of wheels.
    pub wheel_count: u32,
    /// Wheel radius (m).
    pub wheel_radius_m: f64,
    /// Motor peak power (kW).
    pub motor_max_kw: f64,
    /// Motor efficiency vs fraction of `motor_max_kw` (mechanical output).
    pub motor_efficiency: Curve,
    /// Transmission efficiency.
    pub transmission_efficiency: f64,
    /// Fixed motor efficiency while regenerating; `None` uses the motor curve at |P|/P_max.
    pub regen_efficiency: Option<f64>,
    /// Constant auxiliary load (kW) at the battery terminals (compressor, steering, 12 V).
    pub aux_kw: f64,
    /// Climate system.
    pub hvac: Hvac,
    /// Battery.
    pub battery: Battery,
    /// AC on-board charger rating (kW).
    pub onboard_charger_kw: f64,
    /// AC on-board charger efficiency (inlet AC to DC).
    pub onboard_charger_efficiency: f64,
}

/// One catalogue entry: the resolved vehicle and which fields were estimated.
#[derive(Debug, Clone)]
pub struct CatalogueEntry {
    /// The resolved vehicle.
    pub vehicle: Vehicle,
    /// Human name.
    pub name: String,
    /// Published source(s).
    pub source: String,
    /// Fields that are class defaults or estimates, not published figures.
    pub estimated_fields: Vec<String>,
    /// Where each road-load parameter (mass, Cd, A, Crr, motor) comes from.
    pub road_load: Vec<ParamSource>,
}

/// Whether a parameter is a published figure or an estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    /// Published by the manufacturer or a test (see the entry's `source`).
    Measured,
    /// A class default, a rule of thumb or an unverified figure.
    Estimated,
}

/// The origin of one road-load parameter of a catalogue vehicle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamSource {
    /// Wire name of the parameter (`mass_kg`, `drag_coefficient`, ...).
    pub field: String,
    /// Its value.
    pub value: f64,
    /// Measured or estimated.
    pub provenance: Provenance,
    /// Where it comes from.
    pub source: String,
}

impl Vehicle {
    /// Defaults for a class. All values are ESTIMATES typical of the class unless noted:
    /// - car: 1,800 kg, Cd 0.28, A 2.3 m², Crr 0.009 (typical mid-size BEV figures).
    /// - 12 m bus: 13,500 kg curb (Yutong E12 13,750 kg; Proterra ZX5 15,127 kg), Cd 0.65, A 8.0 m²
    ///   (2.55 m wide × 3.2 m high, rounded corners), Crr 0.008 (bus tyres, 0.006–0.009), 6 wheels.
    /// - 18 m bus: 19,500 kg, A 8.3 m², 10 wheels. Class 8 tractor: 11,000 kg tractor, 15,000 kg
    ///   trailer + cargo as payload, Cd 0.6, A 10 m², Crr 0.0065.
    /// - aux: car 0.3 kW, van 0.5 kW, 12 m bus 6 kW, 18 m bus 8 kW (air compressor, power steering, doors,
    ///   lights, battery thermal management, cabin ventilation; e-bus studies report 3–8 kW without HVAC).
    pub fn class_default(class: VehicleClass) -> Vehicle {
        let motor = Curve::new(vec![(0.0, 0.84), (0.1, 0.92), (0.4, 0.95), (1.0, 0.93)])
            .unwrap_or_else(|_| Curve::constant(0.92));
        let (mass, payload, cd, a, crr, wi, wn, wr, motor_kw, aux, cap, chem, chg, volt, obc) =
            match class {
                VehicleClass::Car => (
                    1800.0,
                    100.0,
                    0.28,
                    2.3,
                    0.009,
                    0.8,
                    4,
                    0.33,
                    150.0,
                    0.3,
                    60.0,
                    Chemistry::Nmc,
                    100.0,
                    400.0,
                    11.0,
                ),
                VehicleClass::VanLcv => (
                    2700.0,
                    500.0,
                    0.40,
                    4.5,
                    0.010,
                    1.0,
                    4,
                    0.36,
                    198.0,
                    0.5,
                    68.0,
                    Chemistry::Nmc,
                    115.0,
                    400.0,
                    11.0,
                ),
                VehicleClass::CityBus12m => (
                    13500.0,
                    1500.0,
                    0.65,
                    8.0,
                    0.008,
                    8.0,
                    6,
                    0.48,
                    250.0,
                    6.0,
                    350.0,
                    Chemistry::Lfp,
                    150.0,
                    600.0,
                    22.0,
                ),
                VehicleClass::ArticulatedBus18m => (
                    19500.0,
                    2500.0,
                    0.70,
                    8.3,
                    0.008,
                    8.0,
                    10,
                    0.48,
                    300.0,
                    8.0,
                    500.0,
                    Chemistry::Lfp,
                    150.0,
                    650.0,
                    22.0,
                ),
                VehicleClass::Class8Tractor => (
                    11000.0,
                    15000.0,
                    0.60,
                    10.0,
                    0.0065,
                    10.0,
                    18,
                    0.5,
                    400.0,
                    3.0,
                    438.0,
                    Chemistry::Nmc,
                    270.0,
                    800.0,
                    22.0,
                ),
            };
        Vehicle {
            id: None,
            class,
            length_m: class.typical_length_m(),
            mass_kg: mass,
            payload_kg: payload,
            drag_coefficient: cd,
            frontal_area_m2: a,
            rolling_resistance: crr,
            wheel_inertia_kg_m2: wi,
            wheel_count: wn,
            wheel_radius_m: wr,
            motor_max_kw: motor_kw,
            motor_efficiency: motor,
            transmission_efficiency: 0.97,
            regen_efficiency: None,
            aux_kw: aux,
            hvac: Hvac::Resistive,
            battery: Battery {
                capacity_kwh: cap,
                min_soc_pct: if matches!(class, VehicleClass::Car | VehicleClass::VanLcv) {
                    0.0
                } else {
                    5.0
                },
                max_soc_pct: 100.0,
                efficiency: 0.985,
                chemistry: chem,
                max_charge_kw: chg,
                max_discharge_kw: motor_kw * 1.2,
                nominal_voltage_v: volt,
                charge_curve: generic_curve(chem, chg),
            },
            onboard_charger_kw: obc,
            onboard_charger_efficiency: 0.90,
        }
    }

    /// Total moving mass (kg).
    pub fn total_mass_kg(&self) -> f64 {
        self.mass_kg + self.payload_kg
    }
}

/// The generic depot curves of `charging_curves.json` (ESTIMATES, marked so there), scaled to `max_kw`:
/// LFP flat to 90 % then a CV taper; NMC tapering from 80 %.
pub fn generic_curve(chem: Chemistry, max_kw: f64) -> Curve {
    let shape: &[(f64, f64)] = match chem {
        Chemistry::Lfp | Chemistry::Lto => &[(0.0, 1.0), (90.0, 1.0), (95.0, 0.6), (100.0, 0.1)],
        Chemistry::Nmc => &[
            (0.0, 1.0),
            (80.0, 1.0),
            (90.0, 2.0 / 3.0),
            (100.0, 20.0 / 150.0),
        ],
    };
    Curve::new(shape.iter().map(|&(s, f)| (s, f * max_kw)).collect())
        .unwrap_or_else(|_| Curve::constant(max_kw))
}

// ---- catalogue --------------------------------------------------------------------------------

const VEHICLES_JSON: &str = include_str!("../data/vehicles.json");
const CURVES_JSON: &str = include_str!("../data/charging_curves.json");

/// Which Open EV Data curve belongs to which catalogue id (same model and year).
const CURVE_LINKS: &[(&str, &str)] = &[
    (
        "tesla_model3_lr_2021",
        "oed:7833cbf1-969a-908f-eadb-cce65d96ed53",
    ),
    (
        "hyundai_ioniq5_lr_2wd_2021",
        "oed:b58bc94d-d929-ad71-d95b-08b877bf76ba",
    ),
];

/// Curves for catalogue vehicles that Open EV Data lacks. ESTIMATES, each with its reasoning.
fn curve_overrides(id: &str) -> Option<(Vec<(f64, f64)>, &'static str)> {
    match id {
        // Ford quotes 15→80 % in about 34 min on DC (≈ 78 kW average over 44 kWh) with a 115 kW peak:
        // peak at low SoC, tapering through the mid range (shape ESTIMATED from that published pair).
        "ford_e_transit_2022" => Some((
            vec![
                (0.0, 100.0),
                (10.0, 115.0),
                (30.0, 100.0),
                (50.0, 80.0),
                (70.0, 62.0),
                (80.0, 55.0),
                (90.0, 35.0),
                (100.0, 10.0),
            ],
            "charge_curve (ESTIMATE shaped to Ford's 115 kW peak and 15-80 % in ~34 min)",
        )),
        // Nissan Leaf e+: 100 kW peak (press), known for early taper; ESTIMATE.
        "nissan_leaf_eplus_2019" => Some((
            vec![
                (0.0, 70.0),
                (10.0, 100.0),
                (40.0, 90.0),
                (60.0, 70.0),
                (80.0, 45.0),
                (90.0, 25.0),
                (100.0, 8.0),
            ],
            "charge_curve (ESTIMATE from the 100 kW peak and typical Leaf e+ taper)",
        )),
        _ => None,
    }
}

#[derive(Deserialize)]
struct RawCatalogue {
    vehicles: Vec<RawVehicle>,
}

#[derive(Deserialize)]
struct RawVehicle {
    id: String,
    name: String,
    segment: String,
    length_m: Option<f64>,
    curb_mass_kg: Option<f64>,
    battery_kwh_nominal: Option<f64>,
    battery_kwh_usable: Option<f64>,
    chemistry: Option<String>,
    max_dc_charge_kw: Option<f64>,
    max_ac_charge_kw: Option<f64>,
    frontal_area_m2: Option<f64>,
    drag_coefficient: Option<f64>,
    motor_kw: Option<serde_json::Value>,
    width_m: Option<f64>,
    height_m: Option<f64>,
    #[serde(default)]
    estimated_fields: Vec<String>,
    #[serde(default)]
    source: String,
}

#[derive(Deserialize)]
struct RawCurves {
    cars_and_vans_open_ev_data: Vec<RawCurve>,
}

#[derive(Deserialize)]
struct RawCurve {
    id: String,
    curve: Vec<(f64, f64)>,
}

fn build_catalogue() -> Vec<CatalogueEntry> {
    let raw: RawCatalogue = match serde_json::from_str(VEHICLES_JSON) {
        Ok(r) => r,
        Err(_) => return Vec::new(),
    };
    let curves: Vec<RawCurve> = serde_json::from_str::<RawCurves>(CURVES_JSON)
        .map(|c| c.cars_and_vans_open_ev_data)
        .unwrap_or_default();
    raw.vehicles
        .into_iter()
        .filter_map(|r| entry_from_raw(r, &curves))
        .collect()
}

fn entry_from_raw(r: RawVehicle, curves: &[RawCurve]) -> Option<CatalogueEntry> {
    let class = VehicleClass::from_segment(&r.segment)?;
    let mut v = Vehicle::class_default(class);
    let mut est: Vec<String> = r.estimated_fields.clone();
    let mut defaulted = |f: &str| est.push(format!("{f} (class default)"));
    v.id = Some(r.id.clone());
    match r.length_m {
        Some(l) => v.length_m = l,
        None => defaulted("length_m"),
    }
    match r.curb_mass_kg {
        Some(m) => v.mass_kg = m,
        None => defaulted("mass_kg"),
    }
    match r.frontal_area_m2 {
        Some(a) => v.frontal_area_m2 = a,
        None => defaulted("frontal_area_m2"),
    }
    match r.drag_coefficient {
        Some(c) => v.drag_coefficient = c,
        None => defaulted("drag_coefficient"),
    }
    defaulted("rolling_resistance");
    match r.motor_kw.as_ref().and_then(motor_kw_of) {
        Some(k) => v.motor_max_kw = k,
        None => defaulted("motor_max_kw"),
    }
    if let Some(c) = r.chemistry.as_deref().and_then(Chemistry::parse) {
        v.battery.chemistry = c;
    }
    match r.battery_kwh_usable.or(r.battery_kwh_nominal) {
        Some(c) => v.battery.capacity_kwh = c,
        None => defaulted("battery.capacity_kwh"),
    }
    if r.battery_kwh_usable.is_some() {
        // A usable figure is the whole window the BMS allows.
        v.battery.min_soc_pct = 0.0;
    }
    match r.max_dc_charge_kw {
        Some(k) => v.battery.max_charge_kw = k,
        None => defaulted("battery.max_charge_kw"),
    }
    if let Some(k) = r.max_ac_charge_kw {
        v.onboard_charger_kw = k;
    }
    v.battery.max_discharge_kw = v.motor_max_kw * 1.2;
    let linked = CURVE_LINKS
        .iter()
        .find(|(id, _)| *id == r.id)
        .and_then(|(_, oed)| curves.iter().find(|c| c.id == *oed));
    if let Some(c) = linked.and_then(|c| Curve::new(c.curve.clone()).ok()) {
        v.battery.charge_curve = c;
    } else if let Some((pts, note)) = curve_overrides(&r.id) {
        v.battery.charge_curve = Curve::new(pts)
            .unwrap_or_else(|_| generic_curve(v.battery.chemistry, v.battery.max_charge_kw));
        est.push(note.to_string());
    } else {
        v.battery.charge_curve = generic_curve(v.battery.chemistry, v.battery.max_charge_kw);
        est.push(
            "charge_curve (generic estimate for the chemistry, scaled to max_charge_kw)".into(),
        );
    }
    let road_load = road_load_overlay(&r, &mut v, &mut est);
    Some(CatalogueEntry {
        vehicle: v,
        name: r.name,
        source: r.source,
        estimated_fields: est,
        road_load,
    })
}

// ---- road-load overlay ------------------------------------------------------------------------

/// Per-vehicle road-load figures the catalogue file lacks: `(id, field, value, provenance, source)`.
/// Each is an ESTIMATE unless marked measured; unverified press figures are marked estimated.
const ROAD_LOAD_OVERLAY: &[(&str, &str, f64, Provenance, &str)] = &[
    (
        "byd_k9_12m",
        "motor_max_kw",
        180.0,
        Provenance::Estimated,
        "2 × 90 kW in-wheel motors (BYD K9 press specification, unverified)",
    ),
    (
        "proterra_zx5_max_40ft",
        "motor_max_kw",
        380.0,
        Provenance::Estimated,
        "DuoPower drivetrain, 510 hp peak (Proterra press material, unverified)",
    ),
    (
        "hyundai_ioniq5_lr_2wd_2021",
        "motor_max_kw",
        160.0,
        Provenance::Estimated,
        "160 kW rear motor (Hyundai press release 2021, unverified)",
    ),
    (
        "hyundai_ioniq5_lr_2wd_2021",
        "drag_coefficient",
        0.288,
        Provenance::Estimated,
        "Cd 0.288 (Hyundai press release 2021, unverified)",
    ),
    (
        "nissan_leaf_eplus_2019",
        "motor_max_kw",
        160.0,
        Provenance::Estimated,
        "160 kW (Nissan press release 2019, unverified)",
    ),
    (
        "tesla_model3_lr_2021",
        "motor_max_kw",
        324.0,
        Provenance::Estimated,
        "combined front + rear output ≈ 324 kW (press reports, unverified)",
    ),
];

/// Frontal area as a fraction of width × height (rounded corners, ground clearance, wheels). ESTIMATES:
/// box-like buses and trucks ≈ 0.92, cars and vans ≈ 0.85 (the rule of thumb of vehicle-dynamics texts).
fn frontal_area_fill(class: VehicleClass) -> f64 {
    match class {
        VehicleClass::Car | VehicleClass::VanLcv => 0.85,
        _ => 0.92,
    }
}

/// Why each class default road-load value is what it is (see [`Vehicle::class_default`]).
fn class_default_reason(field: &str, class: VehicleClass) -> &'static str {
    let bus = matches!(
        class,
        VehicleClass::CityBus12m | VehicleClass::ArticulatedBus18m
    );
    match field {
        "mass_kg" if bus => "class default: typical curb mass of the class (Yutong E12 13,750 kg, Proterra ZX5 15,127 kg)",
        "mass_kg" => "class default: typical curb mass of the class",
        "drag_coefficient" if bus => "class default: Cd 0.65–0.70, a blunt-fronted city bus",
        "drag_coefficient" => "class default: typical of the class",
        "frontal_area_m2" => "class default: width × height of the class, rounded",
        "rolling_resistance" if bus => "class default: bus tyres on asphalt, Crr 0.006–0.009",
        "rolling_resistance" if class == VehicleClass::Class8Tractor => {
            "class default: low-rolling-resistance truck tyres, Crr ≈ 0.0065"
        }
        "rolling_resistance" => "class default: passenger-car tyres on asphalt, Crr 0.008–0.010",
        _ => "class default: typical motor peak power of the class",
    }
}

/// Applies [`ROAD_LOAD_OVERLAY`] and the frontal-area rule to a catalogue vehicle, and records where
/// every road-load parameter came from (catalogue file, overlay, dimensions, or class default).
fn road_load_overlay(r: &RawVehicle, v: &mut Vehicle, est: &mut Vec<String>) -> Vec<ParamSource> {
    // The catalogue file names two of these fields differently.
    let raw_name = |f: &str| {
        match f {
            "mass_kg" => "curb_mass_kg",
            "motor_max_kw" => "motor_kw",
            other => other,
        }
        .to_string()
    };
    let listed_estimated = |f: &str| {
        r.estimated_fields
            .iter()
            .any(|e| e.starts_with(&raw_name(f)))
    };
    let from_file = |f: &str, present: bool| -> Option<ParamSource> {
        present.then(|| ParamSource {
            field: f.to_string(),
            value: 0.0,
            provenance: if listed_estimated(f) {
                Provenance::Estimated
            } else {
                Provenance::Measured
            },
            source: "catalogue (vehicles.json), see the entry's source".to_string(),
        })
    };
    let mut out: Vec<ParamSource> = Vec::new();
    let fields: [(&str, bool); 5] = [
        ("mass_kg", r.curb_mass_kg.is_some()),
        ("drag_coefficient", r.drag_coefficient.is_some()),
        ("frontal_area_m2", r.frontal_area_m2.is_some()),
        ("rolling_resistance", false),
        (
            "motor_max_kw",
            r.motor_kw.as_ref().and_then(motor_kw_of).is_some(),
        ),
    ];
    for (field, present) in fields {
        let overlay = ROAD_LOAD_OVERLAY
            .iter()
            .find(|(id, f, ..)| *id == r.id && *f == field);
        let src = if let Some(&(_, _, value, prov, source)) = overlay {
            set_road_load(v, field, value);
            Some(ParamSource {
                field: field.into(),
                value,
                provenance: prov,
                source: source.into(),
            })
        } else if let Some(s) = from_file(field, present) {
            Some(s)
        } else if field == "frontal_area_m2" {
            match (r.width_m, r.height_m) {
                (Some(w), Some(h)) if w > 0.0 && h > 0.0 => {
                    let a = frontal_area_fill(v.class) * w * h;
                    set_road_load(v, field, a);
                    Some(ParamSource {
                        field: field.into(),
                        value: a,
                        provenance: Provenance::Estimated,
                        source: format!(
                            "{} × width × height from the catalogue",
                            frontal_area_fill(v.class)
                        ),
                    })
                }
                _ => None,
            }
        } else {
            None
        };
        let src = src.unwrap_or_else(|| ParamSource {
            field: field.into(),
            value: 0.0,
            provenance: Provenance::Estimated,
            source: class_default_reason(field, v.class).into(),
        });
        let already = |e: &String| {
            (e.starts_with(field) || e.starts_with(&raw_name(field)))
                && !e.contains("(class default)")
        };
        if src.provenance == Provenance::Estimated && !est.iter().any(already) {
            est.retain(|e| !e.starts_with(&format!("{field} (class default)")));
            est.push(format!("{field} (ESTIMATE: {})", src.source));
        }
        out.push(ParamSource {
            value: road_load_value(v, field),
            ..src
        });
    }
    v.battery.max_discharge_kw = v.motor_max_kw * 1.2;
    out
}

fn set_road_load(v: &mut Vehicle, field: &str, x: f64) {
    match field {
        "mass_kg" => v.mass_kg = x,
        "drag_coefficient" => v.drag_coefficient = x,
        "frontal_area_m2" => v.frontal_area_m2 = x,
        "rolling_resistance" => v.rolling_resistance = x,
        "motor_max_kw" => v.motor_max_kw = x,
        _ => {}
    }
}

fn road_load_value(v: &Vehicle, field: &str) -> f64 {
    match field {
        "mass_kg" => v.mass_kg,
        "drag_coefficient" => v.drag_coefficient,
        "frontal_area_m2" => v.frontal_area_m2,
        "rolling_resistance" => v.rolling_resistance,
        _ => v.motor_max_kw,
    }
}

fn motor_kw_of(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::Array(a) => a.iter().filter_map(|x| x.as_f64()).reduce(f64::max),
        _ => None,
    }
}

/// The bundled catalogue (parsed once).
pub fn catalogue() -> &'static [CatalogueEntry] {
    static CATALOGUE: OnceLock<Vec<CatalogueEntry>> = OnceLock::new();
    CATALOGUE.get_or_init(build_catalogue)
}

/// Looks a vehicle up by catalogue id.
pub fn lookup(id: &str) -> Result<&'static CatalogueEntry, ModelError> {
    catalogue()
        .iter()
        .find(|e| e.vehicle.id.as_deref() == Some(id))
        .ok_or_else(|| ModelError::UnknownVehicle(id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_use_the_catalogue_segment_names_on_the_wire() {
        for seg in [
            "car",
            "van_lcv",
            "city_bus_12m",
            "articulated_bus_18m",
            "class8_tractor",
        ] {
            let c = VehicleClass::from_segment(seg).unwrap();
            assert_eq!(serde_json::to_value(c).unwrap(), serde_json::json!(seg));
        }
    }

    #[test]
    fn catalogue_holds_every_reference_vehicle() {
        assert_eq!(catalogue().len(), 18);
        let e = lookup("ford_e_transit_2022").unwrap();
        assert_eq!(e.vehicle.battery.capacity_kwh, 68.0);
        assert_eq!(e.vehicle.battery.max_charge_kw, 115.0);
        assert!(lookup("no_such_bus").is_err());
    }

    #[test]
    fn buses_get_bus_defaults_and_say_so() {
        let e = lookup("yutong_e12").unwrap();
        assert_eq!(e.vehicle.class, VehicleClass::CityBus12m);
        assert_eq!(e.vehicle.mass_kg, 13750.0);
        assert!(e
            .estimated_fields
            .iter()
            .any(|f| f.starts_with("rolling_resistance")));
        assert_eq!(e.vehicle.battery.chemistry, Chemistry::Lfp);
    }

    #[test]
    fn every_catalogue_vehicle_says_where_each_road_load_value_comes_from() {
        for e in catalogue() {
            let fields: Vec<&str> = e.road_load.iter().map(|p| p.field.as_str()).collect();
            assert_eq!(
                fields,
                [
                    "mass_kg",
                    "drag_coefficient",
                    "frontal_area_m2",
                    "rolling_resistance",
                    "motor_max_kw"
                ]
            );
            for p in &e.road_load {
                assert!(
                    p.value > 0.0 && !p.source.is_empty(),
                    "{:?}: {p:?}",
                    e.vehicle.id
                );
                if p.provenance == Provenance::Estimated {
                    assert!(
                        // (the catalogue file calls two of them curb_mass_kg and motor_kw)
                        e.estimated_fields.iter().any(|f| f.starts_with(&p.field)
                            || f.starts_with(
                                &p.field
                                    .replace("mass_kg", "curb_mass_kg")
                                    .replace("motor_max_kw", "motor_kw")
                            )),
                        "{:?}: {}",
                        e.vehicle.id,
                        p.field
                    );
                }
            }
        }
        // Yutong: published curb mass and motor; frontal area from its 2.5 m × 3.285 m
        let y = lookup("yutong_e12").unwrap();
        let a = y
            .road_load
            .iter()
            .find(|p| p.field == "frontal_area_m2")
            .unwrap();
        assert!(
            (a.value - 0.92 * 2.5 * 3.285).abs() < 1e-9 && a.provenance == Provenance::Estimated
        );
        let m = y.road_load.iter().find(|p| p.field == "mass_kg").unwrap();
        assert_eq!((m.value, m.provenance), (13750.0, Provenance::Measured));
        assert_eq!(y.vehicle.motor_max_kw, 215.0);
    }

    #[test]
    fn an_estimate_is_listed_once() {
        // Tesla's frontal area is marked unverified in the catalogue file: one entry, not two.
        let e = lookup("tesla_model3_lr_2021").unwrap();
        let n = e
            .estimated_fields
            .iter()
            .filter(|f| f.starts_with("frontal_area_m2"))
            .count();
        assert_eq!(n, 1, "{:?}", e.estimated_fields);
    }

    #[test]
    fn linked_cars_use_their_open_ev_data_curve() {
        let e = lookup("tesla_model3_lr_2021").unwrap();
        assert_eq!(e.vehicle.battery.charge_curve.max_y(), 250.0);
    }
}
