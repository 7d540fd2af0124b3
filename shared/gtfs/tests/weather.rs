//! Hourly temperature files from ../shared/reference/weather (TMY3 from pvlib 0.16.1, BSD-3, NREL data;
//! ERA5 Germany 2016 from emobpy 0.6.2, MIT, Copernicus ERA5). Fail, never skip, when missing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::path::PathBuf;
use twin_gtfs::weather::{read_era5, read_series, read_tmy3};

fn reference(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference")
        .join(rel);
    assert!(p.exists(), "reference data missing: {}", p.display());
    p
}

#[test]
fn tmy3_sand_point_is_a_full_year_with_its_coldest_week_in_winter() {
    let s = read_tmy3(&reference("weather/tmy3_703165_sand_point_ak.csv"), 2015).unwrap();
    assert_eq!(s.temps_c.len(), 8760);
    assert_eq!(s.start.to_string(), "2015-01-01T01:00:00");
    let w = s.extreme_window(168, true).unwrap();
    let when = s.time_of(w.start_index).unwrap();
    // Sand Point (Aleutians, maritime): winters around −5…+3 °C; the coldest week falls Nov–Mar.
    assert!(matches!(when.month(), 11 | 12 | 1 | 2 | 3), "{when}");
    assert!(w.mean_c < 0.0 && w.mean_c > -20.0, "{}", w.mean_c);
    assert!(w.min_c <= w.mean_c && w.mean_c <= w.max_c);
    let hot = s.extreme_window(168, false).unwrap();
    assert!(hot.mean_c > w.mean_c + 8.0);
    assert_eq!(s.day_at(w.start_index).len(), 24);
}

#[test]
fn era5_germany_2016_is_a_leap_year_of_hours_in_utc() {
    let s = read_era5(&reference("weather/era5_germany_t2m_hourly_2016.csv")).unwrap();
    assert_eq!(s.temps_c.len(), 8784);
    assert_eq!(s.start.to_string(), "2016-01-01T00:00:00");
    let cold = s.extreme_window(168, true).unwrap();
    // German country-mean winter weeks: −10…+2 °C; the hottest week well above 15 °C.
    assert!(cold.mean_c < 2.0 && cold.mean_c > -15.0, "{}", cold.mean_c);
    assert!(s.extreme_window(168, false).unwrap().mean_c > 15.0);
    // The generic reader recognises both formats by their header.
    assert_eq!(
        read_series(&reference("weather/era5_germany_t2m_hourly_2016.csv"))
            .unwrap()
            .temps_c
            .len(),
        8784
    );
    assert_eq!(
        read_series(&reference("weather/tmy3_723170_greensboro_nc.csv"))
            .unwrap()
            .temps_c
            .len(),
        8760
    );
}

#[test]
fn a_gap_or_a_bad_number_is_a_clear_error() {
    let dir = std::env::temp_dir();
    let gap = dir.join(format!("twin-weather-gap-{}.csv", std::process::id()));
    std::fs::write(
        &gap,
        "# c\nutc_time,t2m_c\n2016-01-01T00:00:00Z,1.0\n2016-01-01T02:00:00Z,1.5\n",
    )
    .unwrap();
    let err = read_era5(&gap).unwrap_err().to_string();
    assert!(
        err.contains("line 4") && err.contains("does not follow"),
        "{err}"
    );
    std::fs::write(&gap, "utc_time,t2m_c\n2016-01-01T00:00:00Z,warm\n").unwrap();
    assert!(read_era5(&gap)
        .unwrap_err()
        .to_string()
        .contains("t2m_c is not a number"));
    std::fs::write(&gap, "a,b\n1,2\n").unwrap();
    assert!(read_series(&gap)
        .unwrap_err()
        .to_string()
        .contains("neither a TMY3"));
    std::fs::remove_file(gap).ok();
}
