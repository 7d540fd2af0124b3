"""Generate the GENERATED telemetry sample ml/data/telemetry_sample.csv (no real fleet data).

A fleet of 12 m battery-electric city buses runs trips over a year. The "measured" battery energy of
each trip comes from a hidden "true fleet" model written here on purpose differently from the
twin's physics (heavier real buses, a draughtier cabin that needs more heat in the cold, a
compressor/aux draw that grows with stop density, per-vehicle efficiency spread, ±4 % noise), so
that a calibration model has something real to learn: what physics alone misses for this fleet.

Columns: see ml/README.md (telemetry CSV format). physics_kwh is left empty here and filled by
`cargo run --release -p twin-estimators --example physics_annotate`.

    .venv/bin/python ml/generate_telemetry.py [--seed 2026] [--trips 1200]
"""
import argparse
import csv
import math

import numpy as np

from cardlib import ML_DIR

G = 9.81


def true_energy_kwh(rng, veh_factor, distance_km, duration_s, stops_per_km, temp_c, payload_kg,
                    gain_m, loss_m):
    """The hidden 'real fleet' energy (battery side, kWh). Not the twin's physics."""
    m = 14_200.0 + payload_kg               # real buses weigh more than the catalogue curb mass
    v = distance_km / (duration_s / 3600.0) / 3.6  # average m/s, dwell included
    v_cruise = v * (1.25 + 0.08 * stops_per_km)    # cruising faster than the average between stops
    rho = 101_325.0 / (287.05 * (temp_c + 273.15))
    crr = 0.0085 * (1.0 + 0.01 * max(0.0, 5.0 - temp_c))   # cold tyres roll harder
    f_road = m * G * crr + 0.5 * rho * 0.62 * 8.2 * v_cruise ** 2
    e_road = f_road * distance_km * 1000.0 / 0.86           # J at the battery, drivetrain 86 %
    e_stops = stops_per_km * distance_km * 0.5 * m * v_cruise ** 2 * (1.0 / 0.86 - 0.55)  # kinetic, 55 % regen
    e_grade = m * G * (gain_m / 0.86 - 0.55 * loss_m)
    hours = duration_s / 3600.0
    heat_kw = 0.0
    if temp_c < 16.0:
        heat_kw = 1.1 * (16.0 - temp_c)                     # draughty doors: ~23 kW at -5 C
    elif temp_c > 22.0:
        heat_kw = 0.9 * (temp_c - 22.0)                     # A/C
    aux_kw = 5.0 + 0.6 * stops_per_km                       # kneeling, doors, compressor
    e_hvac_aux = (heat_kw + aux_kw) * hours * 3.6e6
    kwh = (e_road + e_stops + e_grade + e_hvac_aux) / 3.6e6 * veh_factor
    return max(kwh, 0.1) * (1.0 + rng.normal(0.0, 0.04))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--trips", type=int, default=1200)
    ap.add_argument("--out", default=str(ML_DIR / "data/telemetry_sample.csv"))
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    vehicles = [f"bus{n:02d}" for n in range(1, 13)]
    veh_factor = {v: float(rng.normal(1.0, 0.05)) for v in vehicles}
    rows = []
    for i in range(args.trips):
        vid = vehicles[i % len(vehicles)]
        day = int(rng.integers(0, 365))
        # seasonal temperature, mid-latitude city
        temp = 10.0 - 12.0 * math.cos(2 * math.pi * (day - 15) / 365) + rng.normal(0, 4)
        distance = float(rng.uniform(4.0, 30.0))
        stops = float(rng.uniform(0.5, 4.0))
        avg_kph = float(np.clip(rng.normal(24.0 - 2.5 * stops, 4.0), 8.0, 45.0))
        duration = distance / avg_kph * 3600.0
        payload = float(rng.uniform(0.0, 5500.0))
        gain = float(rng.uniform(0.0, 12.0) * distance)
        loss = float(max(0.0, gain + rng.normal(0.0, 3.0 * distance)))
        energy = true_energy_kwh(rng, veh_factor[vid], distance, duration, stops, temp, payload, gain, loss)
        rows.append({
            "trip_id": f"t{i:05d}", "vehicle_id": vid, "vehicle_model": "class:city_bus_12m", "day_of_year": day,
            "distance_km": round(distance, 3), "duration_s": round(duration, 1), "energy_kwh": round(energy, 3),
            "ambient_temp_c": round(temp, 1), "payload_kg": round(payload, 0), "stops_per_km": round(stops, 3),
            "elevation_gain_m": round(gain, 1), "elevation_loss_m": round(loss, 1), "physics_kwh": "",
        })
    with open(args.out, "w", newline="") as f:
        f.write("# GENERATED sample (ml/generate_telemetry.py, seed %d): not measurements from a real fleet\n" % args.seed)
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    print("wrote", len(rows), "trips to", args.out)


if __name__ == "__main__":
    main()
