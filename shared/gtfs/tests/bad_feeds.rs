//! Small synthetic feeds, written as zips by the test itself: bad input gives a clear error, never a
//! panic; times past 24:00, frequencies and block_id work as GTFS says.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::io::Write;
use std::path::PathBuf;
use twin_gtfs::feed::parse_date;
use twin_gtfs::{load_feed, GtfsError, ImportOptions};

const AGENCY: &str =
    "agency_name,agency_url,agency_timezone\nTest,http://example.org,Europe/Berlin\n";
const CALENDAR: &str = "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\nWD,1,1,1,1,1,0,0,20240101,20241231\n";
const ROUTES: &str = "route_id,route_short_name,route_long_name,route_type\nR1,1,One,3\n";
// Two terminals 5 km apart (0.045° of latitude ≈ 5.0 km) and a stop between.
const STOPS: &str = "stop_id,stop_name,stop_lat,stop_lon\nA,Terminal A,50.000,8.000\nM,Middle,50.0225,8.000\nB,Terminal B,50.045,8.000\n";

fn write_zip(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("twin-gtfs-test-{}-{name}.zip", std::process::id()));
    let file = std::fs::File::create(&path).unwrap();
    let mut z = zip::ZipWriter::new(file);
    for (n, body) in files {
        z.start_file(*n, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(body.as_bytes()).unwrap();
    }
    z.finish().unwrap();
    path
}

fn feed_with(name: &str, trips: &str, stop_times: &str, extra: &[(&str, &str)]) -> PathBuf {
    let mut files = vec![
        ("agency.txt", AGENCY),
        ("calendar.txt", CALENDAR),
        ("routes.txt", ROUTES),
        ("stops.txt", STOPS),
        ("trips.txt", trips),
        ("stop_times.txt", stop_times),
    ];
    files.extend_from_slice(extra);
    write_zip(name, &files)
}

const TRIPS: &str = "route_id,service_id,trip_id\nR1,WD,t1\nR1,WD,t2\n";
const STOP_TIMES: &str = "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n\
t1,23:40:00,23:40:00,A,1\nt1,,,M,2\nt1,24:10:00,24:10:00,B,3\n\
t2,24:20:00,24:20:00,B,1\nt2,,,M,2\nt2,24:50:00,24:50:00,A,3\n";

fn tuesday() -> ImportOptions {
    ImportOptions {
        date: Some(parse_date("2024-03-05").unwrap()),
        ..ImportOptions::default()
    }
}

#[test]
fn times_past_midnight_chain_into_one_block_on_the_service_day() {
    // GIVEN t1 23:40→24:10 A→B and t2 24:20→24:50 B→A (GTFS: hours past 24 belong to the service day)
    let path = feed_with("midnight", TRIPS, STOP_TIMES, &[]);
    let d = load_feed(&path).unwrap().service_day(&tuesday()).unwrap();
    // THEN one derived block, t2 after t1, arriving on the next calendar day.
    assert_eq!(d.blocks.len(), 1);
    let b = &d.blocks[0];
    assert!(b.derived);
    assert_eq!(
        b.trips.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        ["t1", "t2"]
    );
    assert_eq!(b.trips[0].arrive, "2024-03-06T00:10:00");
    assert_eq!(b.trips[1].arrive_time, "24:50:00");
    // The middle stops had no times: two interpolated. Straight-line distance (no shapes): 5.0 km each.
    assert_eq!(d.interpolated_times, 2);
    assert_eq!(b.trips[0].distance_source, "stops");
    assert!(
        (b.trips[0].distance_km - 5.004).abs() < 0.01,
        "{}",
        b.trips[0].distance_km
    );
    // 5 km in 30 min: 10 km/h.
    assert!((b.trips[0].average_speed_kph - b.trips[0].distance_km * 2.0).abs() < 2e-3);
    std::fs::remove_file(path).ok();
}

#[test]
fn block_ids_are_used_when_given() {
    let trips = "route_id,service_id,trip_id,block_id\nR1,WD,t1,X\nR1,WD,t2,Y\n";
    let path = feed_with("blockid", trips, STOP_TIMES, &[]);
    let d = load_feed(&path).unwrap().service_day(&tuesday()).unwrap();
    assert_eq!(d.blocks_from, "block_id");
    let ids: Vec<_> = d
        .blocks
        .iter()
        .map(|b| (b.id.as_str(), b.derived, b.trips.len()))
        .collect();
    assert_eq!(ids, [("X", false, 1), ("Y", false, 1)]);
    std::fs::remove_file(path).ok();
}

#[test]
fn frequencies_expand_into_trips() {
    // t1 as a template every 20 min from 06:00 to 07:00 (exclusive): 06:00, 06:20, 06:40.
    let trips = "route_id,service_id,trip_id\nR1,WD,t1\n";
    let st = "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nt1,06:00:00,06:00:00,A,1\nt1,06:15:00,06:15:00,B,2\n";
    let freq = "trip_id,start_time,end_time,headway_secs\nt1,06:00:00,07:00:00,1200\n";
    let path = feed_with("freq", trips, st, &[("frequencies.txt", freq)]);
    let d = load_feed(&path).unwrap().service_day(&tuesday()).unwrap();
    assert_eq!(d.trip_count, 3);
    let mut deps: Vec<_> = d
        .blocks
        .iter()
        .flat_map(|b| b.trips.iter().map(|t| t.depart_time.clone()))
        .collect();
    deps.sort();
    assert_eq!(deps, ["06:00:00", "06:20:00", "06:40:00"]);
    std::fs::remove_file(path).ok();
}

#[test]
fn a_missing_required_file_is_named() {
    let path = write_zip(
        "missing",
        &[
            ("agency.txt", AGENCY),
            ("calendar.txt", CALENDAR),
            ("routes.txt", ROUTES),
            ("stops.txt", STOPS),
            ("trips.txt", TRIPS),
        ],
    );
    let err = load_feed(&path)
        .err()
        .expect("a feed without stop_times.txt is refused");
    assert!(
        matches!(err, GtfsError::MissingFile { ref file, .. } if file == "stop_times.txt"),
        "{err}"
    );
    assert!(err.to_string().contains("stop_times.txt"));
    std::fs::remove_file(path).ok();
}

#[test]
fn a_feed_without_any_calendar_is_refused() {
    let path = write_zip(
        "nocal",
        &[
            ("agency.txt", AGENCY),
            ("routes.txt", ROUTES),
            ("stops.txt", STOPS),
            ("trips.txt", TRIPS),
            ("stop_times.txt", STOP_TIMES),
        ],
    );
    let err = load_feed(&path).err().expect("refused");
    assert!(
        err.to_string()
            .contains("calendar.txt or calendar_dates.txt"),
        "{err}"
    );
    std::fs::remove_file(path).ok();
}

#[test]
fn an_unknown_stop_id_is_named() {
    let st = "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nt1,06:00:00,06:00:00,A,1\nt1,06:15:00,06:15:00,NOWHERE,2\n";
    let path = feed_with(
        "unknownstop",
        "route_id,service_id,trip_id\nR1,WD,t1\n",
        st,
        &[],
    );
    let err = load_feed(&path).err().expect("refused");
    assert!(
        matches!(err, GtfsError::UnknownId { ref id, .. } if id == "NOWHERE"),
        "{err}"
    );
    assert!(err.to_string().contains("`NOWHERE`"));
    std::fs::remove_file(path).ok();
}

#[test]
fn a_broken_zip_is_a_clear_error() {
    // A real zip, truncated to half: the central directory is gone.
    let good = feed_with("tobreak", TRIPS, STOP_TIMES, &[]);
    let bytes = std::fs::read(&good).unwrap();
    let path =
        std::env::temp_dir().join(format!("twin-gtfs-test-{}-broken.zip", std::process::id()));
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = load_feed(&path).err().expect("refused");
    assert!(matches!(err, GtfsError::BrokenZip { .. }), "{err}");
    assert!(err.to_string().contains("not a readable GTFS zip"), "{err}");
    // And something that is not a zip at all.
    std::fs::write(&path, b"route_id,service_id\nthis is a csv, not a zip\n").unwrap();
    assert!(matches!(load_feed(&path), Err(GtfsError::BrokenZip { .. })));
    std::fs::remove_file(path).ok();
    std::fs::remove_file(good).ok();
}

#[test]
fn a_path_that_does_not_exist_is_a_clear_error() {
    let err = load_feed(std::path::Path::new("/nonexistent/feed.zip"))
        .err()
        .expect("refused");
    assert!(err.to_string().contains("/nonexistent/feed.zip"), "{err}");
}

#[test]
fn a_malformed_time_names_the_file_and_value() {
    let st = "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nt1,6h,06:00:00,A,1\nt1,06:15:00,06:15:00,B,2\n";
    let path = feed_with(
        "badtime",
        "route_id,service_id,trip_id\nR1,WD,t1\n",
        st,
        &[],
    );
    let err = load_feed(&path).err().expect("refused").to_string();
    assert!(err.contains("stop_times.txt"), "{err}");
    std::fs::remove_file(path).ok();
}

#[test]
fn a_trip_without_an_end_time_is_named() {
    let st = "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nt1,06:00:00,06:00:00,A,1\nt1,,,B,2\n";
    let path = feed_with("noend", "route_id,service_id,trip_id\nR1,WD,t1\n", st, &[]);
    let err = load_feed(&path)
        .unwrap()
        .service_day(&tuesday())
        .unwrap_err();
    assert!(
        matches!(err, GtfsError::BadTrip { ref trip, .. } if trip == "t1"),
        "{err}"
    );
    std::fs::remove_file(path).ok();
}

#[test]
fn overlapping_trips_in_one_block_id_are_refused() {
    let trips = "route_id,service_id,trip_id,block_id\nR1,WD,t1,X\nR1,WD,t2,X\n";
    let st = "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n\
t1,06:00:00,06:00:00,A,1\nt1,06:30:00,06:30:00,B,2\nt2,06:20:00,06:20:00,B,1\nt2,06:50:00,06:50:00,A,2\n";
    let path = feed_with("overlap", trips, st, &[]);
    let err = load_feed(&path)
        .unwrap()
        .service_day(&tuesday())
        .unwrap_err()
        .to_string();
    assert!(err.contains("block `X`"), "{err}");
    std::fs::remove_file(path).ok();
}
