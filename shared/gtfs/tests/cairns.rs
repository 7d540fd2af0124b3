//! The Sunbus Cairns 2014 feed from ../shared/reference (Queensland Government open data, CC BY).
//! These tests fail, never skip, when the reference data is missing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use twin_gtfs::feed::parse_date;
use twin_gtfs::{load_feed, Feed, ImportOptions, ServiceDay};

fn reference(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference")
        .join(rel);
    assert!(
        p.exists(),
        "reference data missing: {} (the repo is cloned as <dir>/main with shared/ beside it)",
        p.display()
    );
    p
}

fn cairns() -> Feed {
    load_feed(&reference("gtfs/cairns_gtfs_2014.zip")).expect("the Cairns feed loads")
}

fn day(feed: &Feed, date: &str) -> ServiceDay {
    let opts = ImportOptions {
        date: Some(parse_date(date).unwrap()),
        ..ImportOptions::default()
    };
    feed.service_day(&opts).unwrap()
}

/// Every trip of the day in exactly one block; each block in time order, without overlaps, chained at
/// one terminal with at least the minimum layover.
fn assert_blocks_are_a_partition(feed: &Feed, d: &ServiceDay) {
    let services: HashSet<&str> = d.services.iter().map(String::as_str).collect();
    let expected: HashSet<&str> = feed
        .gtfs()
        .trips
        .values()
        .filter(|t| services.contains(t.service_id.as_str()))
        .map(|t| t.id.as_str())
        .collect();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for b in &d.blocks {
        assert!(!b.trips.is_empty());
        for w in b.trips.windows(2) {
            let (a, c) = (&w[0], &w[1]);
            assert!(
                c.depart_s >= a.arrive_s + 300,
                "block {}: {} ({}) then {} ({})",
                b.id,
                a.id,
                a.arrive_time,
                c.id,
                c.depart_time
            );
            assert_eq!(
                a.end_location, c.start_location,
                "block {} chains across locations",
                b.id
            );
        }
        for t in &b.trips {
            *seen.entry(t.id.as_str()).or_default() += 1;
        }
    }
    assert_eq!(
        seen.len(),
        expected.len(),
        "trips in blocks vs trips of the day"
    );
    assert!(
        seen.values().all(|&n| n == 1),
        "a trip is in more than one block"
    );
    assert!(seen.keys().all(|k| expected.contains(k)));
    assert_eq!(d.trip_count, expected.len());
}

#[test]
fn a_tuesday_builds_derived_blocks_covering_every_trip_once() {
    // GIVEN the feed (no block_id anywhere); WHEN blocks are built for Tuesday 2014-06-10
    let feed = cairns();
    let d = day(&feed, "2014-06-10");
    // THEN the weekday service runs (622 trips), the blocks are derived, and they partition the trips.
    assert_eq!(d.services, vec!["CNS2014-CNS_MUL-Weekday-00".to_string()]);
    assert_eq!(d.trip_count, 622);
    assert_eq!(d.blocks_from, "derived");
    assert!(d.blocks.iter().all(|b| b.derived));
    assert_blocks_are_a_partition(&feed, &d);
    // A vehicle runs many trips a day: far fewer blocks than trips (Sunbus ran ≈ 40–60 buses).
    assert!(
        d.blocks.len() < d.trip_count / 4,
        "{} blocks",
        d.blocks.len()
    );
    assert_eq!(d.timezone.as_deref(), Some("Australia/Brisbane"));
}

#[test]
fn the_queens_birthday_holiday_runs_the_sunday_service() {
    // 2014-06-09 is a Monday, but calendar_dates removes the weekday service and adds Sunday's.
    let feed = cairns();
    let d = day(&feed, "2014-06-09");
    assert_eq!(d.services, vec!["CNS2014-CNS_MUL-Sunday-00".to_string()]);
    assert_eq!(d.trip_count, 266);
    assert_blocks_are_a_partition(&feed, &d);
}

#[test]
fn a_week_of_service_days_covers_the_feed_with_its_late_trips_and_empty_times() {
    // Friday (weekday + Friday-only trips), Saturday and Sunday together run all 1,339 trips once.
    let feed = cairns();
    let days: Vec<ServiceDay> = ["2014-06-13", "2014-06-14", "2014-06-15"]
        .iter()
        .map(|d| day(&feed, d))
        .collect();
    for d in &days {
        assert_blocks_are_a_partition(&feed, d);
    }
    let trips: Vec<_> = days
        .iter()
        .flat_map(|d| d.blocks.iter().flat_map(|b| b.trips.iter()))
        .collect();
    assert_eq!(trips.len(), 1339);
    // 44 trips run past 24:00, the latest arriving 29:39:00, which is 05:39 the next morning.
    let late: Vec<_> = trips.iter().filter(|t| t.arrive_s >= 86_400).collect();
    assert_eq!(late.len(), 44);
    let latest = late.iter().max_by_key(|t| t.arrive_s).unwrap();
    assert_eq!(latest.arrive_time, "29:39:00");
    assert!(latest.arrive.ends_with("T05:39:00"), "{}", latest.arrive);
    assert!(latest.arrive > latest.depart);
    // 65 stop times were empty and are interpolated.
    assert_eq!(
        trips.iter().map(|t| t.interpolated_times).sum::<usize>(),
        65
    );
    assert_eq!(days.iter().map(|d| d.interpolated_times).sum::<usize>(), 65);
}

#[test]
fn distances_come_from_shapes_and_speeds_are_those_of_a_city_bus() {
    let feed = cairns();
    let d = day(&feed, "2014-06-10");
    let trips: Vec<_> = d.blocks.iter().flat_map(|b| b.trips.iter()).collect();
    assert_eq!(d.trips_without_shape, 0);
    for t in &trips {
        assert_eq!(t.distance_source, "shape");
        // Cairns routes run 1–60 km; scheduled speeds of city buses 10–60 km/h.
        assert!(
            t.distance_km > 0.5 && t.distance_km < 80.0,
            "{} {}",
            t.id,
            t.distance_km
        );
        assert!(
            t.average_speed_kph > 8.0 && t.average_speed_kph < 70.0,
            "{} {} km/h",
            t.id,
            t.average_speed_kph
        );
        assert!(
            t.stops_per_km > 0.2 && t.stops_per_km < 6.0,
            "{} {}",
            t.id,
            t.stops_per_km
        );
    }
    // Along the road is never shorter than the straight line from first to last stop.
    let mean_speed = trips.iter().map(|t| t.distance_km).sum::<f64>()
        / trips.iter().map(|t| t.duration_min / 60.0).sum::<f64>();
    assert!(mean_speed > 15.0 && mean_speed < 40.0, "{mean_speed}");
}

#[test]
fn no_date_picks_a_busy_day_and_a_date_without_service_is_a_clear_error() {
    let feed = cairns();
    let d = feed.service_day(&ImportOptions::default()).unwrap();
    // The calendar starts Monday 2014-05-26; the busiest of its first week is a Friday (weekday + extras).
    assert_eq!(d.date, "2014-05-30");
    let err = feed
        .service_day(&ImportOptions {
            date: Some(parse_date("2013-01-01").unwrap()),
            ..ImportOptions::default()
        })
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no service on 2013-01-01") && err.contains("2014-05-26"),
        "{err}"
    );
}
