//! Hourly temperature files: NREL TMY3 (as pvlib ships them) and ERA5 CSV, and the coldest or
//! hottest window of a series.
//!
//! ```text
//!   TMY3  month,day,hour_ending,temp_c,...   local standard time, hour-ending 01..24, 8,760 rows
//!   ERA5  utc_time,t2m_c                      ISO 8601 UTC, hourly
//!     ──► TemperatureSeries { start (civil), temps_c[hour] }
//! ```
//! Lines starting with `#` are comments (source and licence lines).

use crate::error::GtfsError;
use jiff::civil::{Date, DateTime, Time};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// An hourly temperature series.
#[derive(Debug, Clone, PartialEq)]
pub struct TemperatureSeries {
    /// Where it came from (the file).
    pub source: String,
    /// Time of the first value (civil time of the file: local standard time for TMY3, UTC for ERA5).
    pub start: DateTime,
    /// One value per hour (°C).
    pub temps_c: Vec<f64>,
}

/// A window of a series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Window {
    /// Index of its first hour.
    pub start_index: usize,
    /// Its length (h).
    pub hours: usize,
    /// Its mean temperature (°C).
    pub mean_c: f64,
    /// Its lowest hourly temperature (°C).
    pub min_c: f64,
    /// Its highest hourly temperature (°C).
    pub max_c: f64,
}

impl TemperatureSeries {
    /// The time of value `i`.
    pub fn time_of(&self, i: usize) -> Option<DateTime> {
        self.start
            .checked_add(jiff::Span::new().hours(i64::try_from(i).ok()?))
            .ok()
    }

    /// The `hours`-long window with the lowest mean (`coldest = true`) or the highest; `None` if the
    /// series is shorter than the window or `hours` is 0.
    pub fn extreme_window(&self, hours: usize, coldest: bool) -> Option<Window> {
        let t = &self.temps_c;
        if hours == 0 || t.len() < hours {
            return None;
        }
        let mut sum: f64 = t[..hours].iter().sum();
        let mut best = (sum, 0usize);
        for i in hours..t.len() {
            sum += t[i] - t[i - hours];
            let better = if coldest { sum < best.0 } else { sum > best.0 };
            if better {
                best = (sum, i + 1 - hours);
            }
        }
        let w = &t[best.1..best.1 + hours];
        Some(Window {
            start_index: best.1,
            hours,
            mean_c: best.0 / hours as f64,
            min_c: w.iter().copied().fold(f64::INFINITY, f64::min),
            max_c: w.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        })
    }

    /// Index of the first value at 00:00 at or before value `i` (clamped to 0).
    pub fn midnight_before(&self, i: usize) -> usize {
        let hour = self
            .time_of(i)
            .map_or(0, |t| usize::try_from(t.hour()).unwrap_or(0));
        i.saturating_sub(hour)
    }

    /// The calendar day (starting at a 00:00 value) with the lowest (`coldest`) or highest mean;
    /// returns the index of its midnight and its mean. Days cut off at the series' ends are skipped.
    pub fn extreme_day(&self, coldest: bool) -> Option<(usize, f64)> {
        let mut best: Option<(usize, f64)> = None;
        let mut i = self.midnight_before(0);
        if self.time_of(i).is_some_and(|t| t.hour() != 0) {
            i += 24 - usize::try_from(self.time_of(i)?.hour()).ok()?;
        }
        while i + 24 <= self.temps_c.len() {
            let mean = self.temps_c[i..i + 24].iter().sum::<f64>() / 24.0;
            if best.is_none_or(|(_, m)| if coldest { mean < m } else { mean > m }) {
                best = Some((i, mean));
            }
            i += 24;
        }
        best
    }

    /// `n` hourly values from index `i`, the last value repeated past the series' end.
    pub fn hours_from(&self, i: usize, n: usize) -> Vec<f64> {
        let last = self.temps_c.len().saturating_sub(1);
        (0..n)
            .filter_map(|k| self.temps_c.get((i + k).min(last)).copied())
            .collect()
    }

    /// The 24 hourly values of the calendar day starting at `i`'s midnight (index of 00:00 at or
    /// before `i`), padded with the nearest value at the series' ends.
    pub fn day_at(&self, i: usize) -> Vec<f64> {
        let hour = self
            .time_of(i)
            .map_or(0, |t| usize::try_from(t.hour()).unwrap_or(0));
        let first = i as i64 - hour as i64;
        (0..24)
            .map(|h| {
                let k = (first + h).clamp(0, self.temps_c.len() as i64 - 1);
                self.temps_c
                    .get(usize::try_from(k).unwrap_or(0))
                    .copied()
                    .unwrap_or(f64::NAN)
            })
            .collect()
    }
}

/// Reads a TMY3 file as pvlib ships it (`month,day,hour_ending,temp_c,...`). TMY years mix months of
/// different years, so the series is placed in `year` (hour-ending 1 of 1 January is 01:00).
pub fn read_tmy3(path: &Path, year: i16) -> Result<TemperatureSeries, GtfsError> {
    let text = read(path)?;
    let mut rows = data_lines(&text);
    let header = rows.next().ok_or_else(|| parse_err(path, "empty file"))?;
    let cols: Vec<&str> = header.1.split(',').map(str::trim).collect();
    let col = |name: &str| {
        cols.iter()
            .position(|c| *c == name)
            .ok_or_else(|| parse_err(path, format!("no `{name}` column")))
    };
    let (cm, cd, ch, ct) = (
        col("month")?,
        col("day")?,
        col("hour_ending")?,
        col("temp_c")?,
    );
    let mut temps = Vec::with_capacity(8760);
    let mut start: Option<DateTime> = None;
    let mut prev: Option<DateTime> = None;
    for (line_no, line) in rows {
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        let num = |i: usize| -> Result<f64, GtfsError> {
            f.get(i)
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    parse_err(
                        path,
                        format!(
                            "line {line_no}: column {} is not a number",
                            cols.get(i).unwrap_or(&"?")
                        ),
                    )
                })
        };
        let (m, d, he, t) = (num(cm)?, num(cd)?, num(ch)?, num(ct)?);
        let date = Date::new(year, m as i8, d as i8)
            .map_err(|e| parse_err(path, format!("line {line_no}: {e}")))?;
        if !(1.0..=24.0).contains(&he) {
            return Err(parse_err(
                path,
                format!("line {line_no}: hour_ending {he} is not within 1..24"),
            ));
        }
        let at = date
            .to_datetime(Time::midnight())
            .checked_add(jiff::Span::new().hours(he as i64))
            .map_err(|e| parse_err(path, format!("line {line_no}: {e}")))?;
        check_hourly(path, line_no, prev, at)?;
        prev = Some(at);
        start.get_or_insert(at);
        temps.push(check_temp(path, line_no, t)?);
    }
    finish(path, start, temps)
}

/// Reads an ERA5 CSV (`utc_time,t2m_c`, ISO 8601 times such as `2016-01-01T00:00:00Z`).
pub fn read_era5(path: &Path) -> Result<TemperatureSeries, GtfsError> {
    let text = read(path)?;
    let mut rows = data_lines(&text);
    let header = rows.next().ok_or_else(|| parse_err(path, "empty file"))?;
    let cols: Vec<&str> = header.1.split(',').map(str::trim).collect();
    let ct = cols
        .iter()
        .position(|c| *c == "utc_time")
        .ok_or_else(|| parse_err(path, "no `utc_time` column"))?;
    let cv = cols
        .iter()
        .position(|c| *c == "t2m_c")
        .ok_or_else(|| parse_err(path, "no `t2m_c` column"))?;
    let mut temps = Vec::with_capacity(8784);
    let mut start: Option<DateTime> = None;
    let mut prev: Option<DateTime> = None;
    for (line_no, line) in rows {
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        let ts = f
            .get(ct)
            .ok_or_else(|| parse_err(path, format!("line {line_no}: no time")))?;
        let at: DateTime = ts.trim_end_matches('Z').parse().map_err(|e| {
            parse_err(
                path,
                format!("line {line_no}: `{ts}` is not an ISO 8601 time: {e}"),
            )
        })?;
        let t = f
            .get(cv)
            .and_then(|s| s.parse::<f64>().ok())
            .ok_or_else(|| parse_err(path, format!("line {line_no}: t2m_c is not a number")))?;
        check_hourly(path, line_no, prev, at)?;
        prev = Some(at);
        start.get_or_insert(at);
        temps.push(check_temp(path, line_no, t)?);
    }
    finish(path, start, temps)
}

/// Reads either format, by its header.
pub fn read_series(path: &Path) -> Result<TemperatureSeries, GtfsError> {
    let text = read(path)?;
    let header = data_lines(&text)
        .next()
        .map(|l| l.1.to_string())
        .unwrap_or_default();
    if header.contains("hour_ending") {
        read_tmy3(path, 2015)
    } else if header.contains("utc_time") {
        read_era5(path)
    } else {
        Err(parse_err(
            path,
            "neither a TMY3 (month,day,hour_ending,temp_c) nor an ERA5 (utc_time,t2m_c) header",
        ))
    }
}

fn read(path: &Path) -> Result<String, GtfsError> {
    std::fs::read_to_string(path).map_err(|source| GtfsError::Open {
        path: path.to_path_buf(),
        source,
    })
}

/// Non-empty, non-comment lines with their 1-based line numbers.
fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

fn parse_err(path: &Path, detail: impl Into<String>) -> GtfsError {
    GtfsError::Parse {
        path: PathBuf::from(path),
        detail: detail.into(),
    }
}

fn check_hourly(
    path: &Path,
    line_no: usize,
    prev: Option<DateTime>,
    at: DateTime,
) -> Result<(), GtfsError> {
    if let Some(p) = prev {
        let expected = p
            .checked_add(jiff::Span::new().hours(1))
            .map_err(|e| parse_err(path, e.to_string()))?;
        if at != expected {
            return Err(parse_err(
                path,
                format!("line {line_no}: {at} does not follow {p} by one hour"),
            ));
        }
    }
    Ok(())
}

fn check_temp(path: &Path, line_no: usize, t: f64) -> Result<f64, GtfsError> {
    if t.is_finite() && (-90.0..=60.0).contains(&t) {
        Ok(t)
    } else {
        Err(parse_err(
            path,
            format!("line {line_no}: temperature {t} °C is implausible"),
        ))
    }
}

fn finish(
    path: &Path,
    start: Option<DateTime>,
    temps: Vec<f64>,
) -> Result<TemperatureSeries, GtfsError> {
    let start = start.ok_or_else(|| parse_err(path, "no data rows"))?;
    Ok(TemperatureSeries {
        source: path.display().to_string(),
        start,
        temps_c: temps,
    })
}
