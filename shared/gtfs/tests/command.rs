//! The commands behind `twin import gtfs` and `twin plan gtfs`, on the reference feed and weather.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::path::PathBuf;
use twin_gtfs::command::{CommandError, ImportCommand, PlanCommand};

fn reference(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference")
        .join(rel);
    assert!(p.exists(), "reference data missing: {}", p.display());
    p
}

fn plan() -> PlanCommand {
    PlanCommand {
        import: ImportCommand {
            feed: reference("gtfs/cairns_gtfs_2014.zip"),
            date: Some("2014-06-10".into()),
            ..ImportCommand::default()
        },
        vehicle: "yutong_e12".into(),
        ..PlanCommand::default()
    }
}

#[test]
fn the_coldest_week_of_a_cold_place_is_harder_than_its_hottest() {
    // GIVEN Cairns' Tuesday and Sand Point AK's TMY3 year; WHEN planned over its coldest and hottest weeks
    let weather = Some(reference("weather/tmy3_703165_sand_point_ak.csv"));
    let cold = PlanCommand {
        weather: weather.clone(),
        weather_day: Some("coldest-week".into()),
        ..plan()
    }
    .run()
    .unwrap();
    let warm = PlanCommand {
        weather,
        weather_day: Some("hottest-week".into()),
        ..plan()
    }
    .run()
    .unwrap();
    // THEN seven days each, and no more blocks feasible in the cold week than in the warm one
    assert_eq!(cold.days.len(), 7);
    assert!(
        cold.summary.weather.contains("coldest-week"),
        "{}",
        cold.summary.weather
    );
    assert!(cold.summary.ambient_c < warm.summary.ambient_c);
    assert!(cold.summary.blocks_feasible <= warm.summary.blocks_feasible);
    assert!(cold.summary.energy_kwh > warm.summary.energy_kwh);
    // A block counts as feasible over the week only if it is feasible on every day.
    let worst_day = cold.days.iter().map(|d| d.blocks_feasible).min().unwrap();
    assert!(cold.summary.blocks_feasible <= worst_day);
}

#[test]
fn a_named_weather_day_and_the_coldest_day_both_work() {
    let weather = Some(reference("weather/era5_germany_t2m_hourly_2016.csv"));
    let day = PlanCommand {
        weather: weather.clone(),
        weather_day: Some("2016-07-01".into()),
        ..plan()
    }
    .run()
    .unwrap();
    assert!(
        day.summary.weather.contains("2016-07-01"),
        "{}",
        day.summary.weather
    );
    let coldest = PlanCommand { weather, ..plan() }.run().unwrap();
    assert!(coldest.summary.ambient_c < day.summary.ambient_c);
}

#[test]
fn flags_are_checked_and_named() {
    let e = PlanCommand { ..plan() }.run().unwrap_err();
    assert!(
        matches!(
            e,
            CommandError::Usage {
                flag: "--ambient-c",
                ..
            }
        ),
        "{e}"
    );
    let e = PlanCommand {
        ambient_c: Some(10.0),
        vehicle: "no_such_bus".into(),
        ..plan()
    }
    .run()
    .unwrap_err();
    assert!(e.to_string().contains("no_such_bus"), "{e}");
    let e = PlanCommand {
        ambient_c: Some(10.0),
        layover_charger_kw: Some(300.0),
        layover_charger_at: vec!["nowhere".into()],
        ..plan()
    }
    .run()
    .unwrap_err();
    assert!(
        matches!(
            e,
            CommandError::Usage {
                flag: "--layover-charger-at",
                ..
            }
        ),
        "{e}"
    );
    let mut p = plan();
    p.ambient_c = Some(10.0);
    p.import.date = Some("10/06/2014".into());
    assert!(matches!(
        p.run().unwrap_err(),
        CommandError::Usage { flag: "--date", .. }
    ));
}

#[test]
fn a_named_layover_charger_stop_maps_to_its_terminal() {
    // Stop A of The Pier (750450) belongs to the terminal keyed by stop E (750449): same charger.
    let by_bay = PlanCommand {
        ambient_c: Some(0.0),
        layover_charger_kw: Some(300.0),
        layover_charger_at: vec!["750449".into()],
        ..plan()
    }
    .run()
    .unwrap();
    let default = PlanCommand {
        ambient_c: Some(0.0),
        layover_charger_kw: Some(300.0),
        ..plan()
    }
    .run()
    .unwrap();
    assert_eq!(
        by_bay.summary.blocks_feasible,
        default.summary.blocks_feasible
    );
    assert!(by_bay.summary.charging_stops > 0);
    let imported = ImportCommand {
        max_layover_min: Some(60.0),
        ..plan().import
    }
    .run()
    .unwrap();
    let unbounded = plan().import.run().unwrap();
    // Sending vehicles home after an hour's wait splits blocks: more of them.
    assert!(imported.blocks.len() > unbounded.blocks.len());
}
