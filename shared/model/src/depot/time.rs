//! Wall-clock times for the depot: ISO 8601 parsing and formatting without a time-zone database.
//!
//! The depot works in the site's local wall-clock time (tariffs are written in it). A time is held as
//! seconds since 1970-01-01T00:00:00 *of that wall clock* (`i64`). Times with an explicit offset are
//! moved onto the wall clock of a reference offset (the request's `start`), so mixed offsets agree.

/// A parsed ISO 8601 time: wall-clock seconds and the offset it was written with, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedTime {
    /// Seconds since 1970-01-01T00:00:00 on the written wall clock.
    pub wall_s: i64,
    /// Offset from UTC in seconds (`Z` is 0); `None` when the text has no offset.
    pub offset_s: Option<i32>,
}

impl ParsedTime {
    /// The wall-clock seconds on a clock with offset `reference` (a naive time is taken as already on it).
    pub fn on_clock(&self, reference: Option<i32>) -> i64 {
        match (self.offset_s, reference) {
            (Some(o), Some(r)) => self.wall_s - i64::from(o) + i64::from(r),
            _ => self.wall_s,
        }
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian; H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date `(year, month 1–12, day 1–31)` of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Calendar facts of a wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// Year.
    pub year: i64,
    /// Month, 1–12.
    pub month: u32,
    /// Hour of day, 0–23.
    pub hour: u32,
    /// Day of week, 0 = Monday … 6 = Sunday.
    pub weekday: u32,
}

/// Calendar facts of `t` (wall-clock seconds).
pub fn civil(t: i64) -> Civil {
    let days = t.div_euclid(86_400);
    let sod = t.rem_euclid(86_400);
    let (year, month, _) = civil_from_days(days);
    Civil {
        year,
        month,
        hour: (sod / 3600) as u32,
        weekday: (days + 3).rem_euclid(7) as u32,
    }
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM`, `YYYY-MM-DDTHH:MM:SS(.fff)` with an optional `Z` or
/// `±HH:MM` offset; a space may stand for the `T`.
pub fn parse(s: &str) -> Result<ParsedTime, String> {
    let s = s.trim();
    let bad = || format!("`{s}` is not an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS)");
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
        let t = s.get(r).ok_or_else(bad)?;
        if t.is_empty() || !t.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        t.parse::<i64>().map_err(|_| bad())
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo as u32) {
        return Err(bad());
    }
    let mut secs = 0i64;
    let mut rest = &s[10..];
    if !rest.is_empty() {
        let sep = rest.as_bytes()[0];
        if sep != b'T' && sep != b't' && sep != b' ' {
            return Err(bad());
        }
        let t = &rest[1..];
        let tb = t.as_bytes();
        if tb.len() < 5 || tb[2] != b':' {
            return Err(bad());
        }
        let two = |x: &str| -> Result<i64, String> {
            if x.len() == 2 && x.bytes().all(|c| c.is_ascii_digit()) {
                x.parse::<i64>().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let h = two(&t[0..2])?;
        let mi = two(&t[3..5])?;
        let mut i = 5;
        let mut sec = 0;
        if tb.len() >= 8 && tb[5] == b':' {
            sec = two(&t[6..8])?;
            i = 8;
            if tb.len() > i && tb[i] == b'.' {
                i += 1;
                while i < tb.len() && tb[i].is_ascii_digit() {
                    i += 1;
                }
            }
        }
        if h > 24 || mi > 59 || sec > 60 || (h == 24 && (mi > 0 || sec > 0)) {
            return Err(bad());
        }
        secs = h * 3600 + mi * 60 + sec;
        rest = &t[i..];
    }
    let offset_s = match rest {
        "" => None,
        "Z" | "z" => Some(0),
        o if (o.starts_with('+') || o.starts_with('-'))
            && (o.len() == 6 || o.len() == 5 || o.len() == 3) =>
        {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let digits: String = o[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 && digits.len() != 2 || !digits.bytes().all(|c| c.is_ascii_digit())
            {
                return Err(bad());
            }
            let hh: i32 = digits[0..2].parse().map_err(|_| bad())?;
            let mm: i32 = if digits.len() == 4 {
                digits[2..4].parse().map_err(|_| bad())?
            } else {
                0
            };
            if hh > 18 || mm > 59 {
                return Err(bad());
            }
            Some(sign * (hh * 3600 + mm * 60))
        }
        _ => return Err(bad()),
    };
    Ok(ParsedTime {
        wall_s: days_from_civil(y, mo as u32, d as u32) * 86_400 + secs,
        offset_s,
    })
}

fn days_in_month(y: i64, m: u32) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Formats wall-clock seconds as `YYYY-MM-DDTHH:MM:SS`, followed by the offset when given.
pub fn format(t: i64, offset_s: Option<i32>) -> String {
    let days = t.div_euclid(86_400);
    let sod = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut out = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    );
    match offset_s {
        None => {}
        Some(0) => out.push('Z'),
        Some(o) => {
            let sign = if o < 0 { '-' } else { '+' };
            let a = o.unsigned_abs();
            out.push_str(&format!("{sign}{:02}:{:02}", a / 3600, (a / 60) % 60));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_knows_the_weekday() {
        let p = parse("2023-01-02T12:00:00").unwrap();
        assert_eq!(p.offset_s, None);
        assert_eq!(format(p.wall_s, None), "2023-01-02T12:00:00");
        // 2023-01-02 was a Monday.
        let c = civil(p.wall_s);
        assert_eq!((c.year, c.month, c.hour, c.weekday), (2023, 1, 12, 0));
        assert_eq!(civil(parse("2024-02-29 23:59").unwrap().wall_s).weekday, 3);
    }

    #[test]
    fn offsets_move_onto_the_reference_clock() {
        let a = parse("2023-06-01T10:00:00+02:00").unwrap();
        let b = parse("2023-06-01T08:00:00Z").unwrap();
        assert_eq!(a.on_clock(Some(7200)), b.on_clock(Some(7200)));
        assert_eq!(format(a.wall_s, a.offset_s), "2023-06-01T10:00:00+02:00");
    }

    #[test]
    fn rejects_nonsense() {
        for s in [
            "",
            "2023-13-01T00:00",
            "2023-02-30",
            "2023-01-01T25:00",
            "yesterday",
            "2023-01-01T10:00+5",
        ] {
            assert!(parse(s).is_err(), "{s}");
        }
    }
}
