//! The electrification report on the Cairns feed (../shared/reference, CC BY Queensland Government):
//! a 12 m bus at 0 °C and 30 °C. Fails, never skips, when the reference data is missing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::path::PathBuf;
use twin_gtfs::feed::parse_date;
use twin_gtfs::report::{
    busiest_terminal, plan_day, plan_days, DayWeather, Report, ReportOptions,
    DEFAULT_RESERVE_SOC_PCT,
};
use twin_gtfs::{load_feed, ImportOptions, ServiceDay};

fn tuesday() -> ServiceDay {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference/gtfs/cairns_gtfs_2014.zip");
    assert!(p.exists(), "reference data missing: {}", p.display());
    let feed = load_feed(&p).unwrap();
    feed.service_day(&ImportOptions {
        date: Some(parse_date("2014-06-10").unwrap()),
        ..ImportOptions::default()
    })
    .unwrap()
}

fn opts(weather: DayWeather) -> ReportOptions {
    ReportOptions {
        vehicle_id: "yutong_e12".into(),
        vehicle: twin_model::vehicle::lookup("yutong_e12")
            .unwrap()
            .vehicle
            .clone(),
        weather,
        start_soc_pct: None,
        reserve_soc_pct: DEFAULT_RESERVE_SOC_PCT,
        depot_charger_kw: Some(150.0),
        layover_chargers: Vec::new(),
    }
}

fn report(day: &ServiceDay, t: f64) -> Report {
    plan_day(day, &opts(DayWeather::Constant(t))).unwrap()
}

#[test]
fn cold_days_electrify_fewer_blocks_than_hot_ones_and_mild_days_the_most() {
    // GIVEN the Tuesday's blocks and a Yutong E12 (422 kWh); WHEN planned at 0, 20 and 30 °C
    let day = tuesday();
    let (cold, mild, hot) = (report(&day, 0.0), report(&day, 20.0), report(&day, 30.0));
    eprintln!("{}", cold.to_table());
    eprintln!("{}", hot.to_table());
    // THEN every block is reported, with the same distance whatever the weather
    for r in [&cold, &mild, &hot] {
        assert_eq!(r.blocks.len(), day.blocks.len());
        assert_eq!(r.summary.trips, day.trip_count);
        assert!((r.summary.distance_km - cold.summary.distance_km).abs() < 1e-6);
    }
    // AND heating at 0 °C costs more than cooling at 30 °C, which costs more than 20 °C (no HVAC):
    // a bus heats ~20 K of air exchange in the cold, and cools ~6 K with a COP > 1 in the heat.
    assert!(
        cold.summary.energy_kwh > hot.summary.energy_kwh,
        "{} vs {}",
        cold.summary.energy_kwh,
        hot.summary.energy_kwh
    );
    assert!(hot.summary.energy_kwh > mild.summary.energy_kwh);
    // AND so the share of feasible blocks is lower at 0 °C than at 30 °C, and highest when mild.
    assert!(
        cold.summary.share_feasible < hot.summary.share_feasible,
        "{} vs {}",
        cold.summary.share_feasible,
        hot.summary.share_feasible
    );
    assert!(hot.summary.share_feasible <= mild.summary.share_feasible);
    // AND consumption is that of 12 m e-buses in service: 0.8–1.4 kWh/km mild, more in the cold
    // (../shared/reference/README.md; Yutong at −33 °C: 1.56 kWh/km).
    assert!(
        mild.summary.kwh_per_km > 0.7 && mild.summary.kwh_per_km < 1.4,
        "{}",
        mild.summary.kwh_per_km
    );
    assert!(
        cold.summary.kwh_per_km > mild.summary.kwh_per_km && cold.summary.kwh_per_km < 2.2,
        "{}",
        cold.summary.kwh_per_km
    );
    // AND each infeasible block names the trip where it first falls below reserve, feasible ones none.
    for b in &cold.blocks {
        assert_eq!(b.feasible, b.first_failing_trip.is_none(), "{}", b.id);
        assert_eq!(b.feasible, b.shortfall_kwh == 0.0, "{}", b.id);
        assert!(b.min_soc_pct >= 0.0 && b.min_soc_pct <= 100.0);
        if !b.feasible {
            // Energy over usable: shortfall ≈ energy − (start − reserve) energy, within the layover
            // draw after the failing trip.
            assert!(b.energy_kwh > cold.summary.usable_kwh, "{}", b.id);
        }
    }
}

#[test]
fn a_charger_at_the_busiest_terminal_makes_more_blocks_feasible() {
    let day = tuesday();
    let base = report(&day, 0.0);
    let terminal = busiest_terminal(&day).unwrap();
    let mut o = opts(DayWeather::Constant(0.0));
    o.layover_chargers.push((terminal.clone(), 300.0));
    let with = plan_day(&day, &o).unwrap();
    eprintln!("charger at {terminal}\n{}", with.to_table());
    assert!(with.summary.blocks_feasible > base.summary.blocks_feasible);
    assert!(with.summary.charging_stops > 0 && with.summary.charged_kwh > 0.0);
    // Charging adds energy, it does not change what the trips use.
    assert!((with.summary.distance_km - base.summary.distance_km).abs() < 1e-9);
    // Blocks feasible without a charger need no stop.
    for (a, b) in base.blocks.iter().zip(&with.blocks) {
        if a.feasible {
            assert!(b.feasible && b.charging_stops == 0, "{}", a.id);
        }
    }
}

#[test]
fn a_week_of_weather_reports_the_worst_day_per_block() {
    let day = tuesday();
    let days = vec![
        DayWeather::Hourly {
            temps_c: vec![20.0; 30],
            label: "mild".into(),
        },
        DayWeather::Hourly {
            temps_c: vec![0.0; 30],
            label: "cold".into(),
        },
    ];
    let week = plan_days(&day, &opts(DayWeather::Constant(20.0)), &days, "two days").unwrap();
    let cold = report(&day, 0.0);
    assert_eq!(week.days.len(), 2);
    assert_eq!(week.summary.blocks_feasible, cold.summary.blocks_feasible);
    assert!(week.days[0].share_feasible >= week.days[1].share_feasible);
}

#[test]
fn html_and_table_show_every_block() {
    let day = tuesday();
    let r = report(&day, 30.0);
    let html = r.to_html();
    assert!(
        html.starts_with("<!doctype html>")
            && html.contains("<svg")
            && html.trim_end().ends_with("</html>")
    );
    let table = r.to_table();
    for b in &r.blocks {
        assert!(html.contains(&b.id) && table.contains(&b.id));
    }
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["summary"]["share_feasible"].is_number());
    assert_eq!(json["blocks"].as_array().unwrap().len(), r.blocks.len());
    for k in ["id", "feasible", "distance_km", "energy_kwh", "min_soc_pct"] {
        assert!(json["blocks"][0].get(k).is_some(), "{k}");
    }
}
