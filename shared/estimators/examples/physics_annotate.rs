//! Fill the `physics_kwh` column of a telemetry CSV with the twin's physics estimate of each trip
//! (`twin_model::energy::trip_energy`: traction from a stop-and-go cycle at the trip's average speed
//! and stop density, aux and HVAC for the duration, climb and descent).
//!
//!     cargo run --release -p twin-estimators --example physics_annotate -- IN.csv OUT.csv
//!
//! Format: ml/README.md. `#` lines are copied through; fields are plain (no quoting). The vehicle is
//! `vehicle_model`: a catalogue id (e.g. `yutong_e12`) or `class:<segment>` (e.g. `class:city_bus_12m`)
//! for the class defaults; `payload_kg` replaces the vehicle's payload.

use std::fmt::Write as _;

use twin_model::energy::{trip_energy, Conditions, TripSpec};
use twin_model::vehicle::{lookup, Vehicle, VehicleClass};

fn vehicle(model: &str) -> Result<Vehicle, Box<dyn std::error::Error>> {
    match model.strip_prefix("class:") {
        Some(seg) => Ok(Vehicle::class_default(
            VehicleClass::from_segment(seg)
                .ok_or_else(|| format!("unknown vehicle class `{seg}`"))?,
        )),
        None => Ok(lookup(model)?.vehicle.clone()),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(input), Some(output)) = (args.next(), args.next()) else {
        return Err("usage: physics_annotate IN.csv OUT.csv".into());
    };
    let text = std::fs::read_to_string(&input)?;
    let mut out = String::new();
    let mut header: Option<Vec<String>> = None;
    let mut n = 0;
    for (line_no, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            writeln!(out, "{line}")?;
            continue;
        }
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        let Some(h) = &header else {
            header = Some(cols.iter().map(|s| s.to_string()).collect());
            writeln!(out, "{line}")?;
            continue;
        };
        if cols.len() != h.len() {
            return Err(format!(
                "line {}: {} fields, header has {}",
                line_no + 1,
                cols.len(),
                h.len()
            )
            .into());
        }
        let get = |name: &str| -> Result<&str, String> {
            h.iter()
                .position(|c| c == name)
                .map(|i| cols[i])
                .ok_or_else(|| format!("column `{name}` missing"))
        };
        let num = |name: &str| -> Result<f64, Box<dyn std::error::Error>> {
            let s = get(name)?;
            s.parse::<f64>().map_err(|_| {
                format!("line {}: `{name}` = `{s}` is not a number", line_no + 1).into()
            })
        };
        let mut v = vehicle(get("vehicle_model")?)?;
        v.payload_kg = num("payload_kg")?;
        let trip = TripSpec {
            distance_km: num("distance_km")?,
            duration_s: num("duration_s")?,
            stops_per_km: num("stops_per_km")?,
            duty_cycle: None,
            elevation_gain_m: num("elevation_gain_m")?,
            elevation_loss_m: num("elevation_loss_m")?,
        };
        let e = trip_energy(&v, &trip, &Conditions::at(num("ambient_temp_c")?))
            .map_err(|e| format!("line {}: {e}", line_no + 1))?;
        let p_ix = h
            .iter()
            .position(|c| c == "physics_kwh")
            .ok_or("column `physics_kwh` missing")?;
        let mut cols: Vec<String> = cols.iter().map(|s| s.to_string()).collect();
        cols[p_ix] = format!("{:.4}", e.energy_kwh);
        writeln!(out, "{}", cols.join(","))?;
        n += 1;
    }
    std::fs::write(&output, out)?;
    eprintln!("annotated {n} trips into {output}");
    Ok(())
}
