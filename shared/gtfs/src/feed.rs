//! A GTFS feed to the blocks of one service day.
//!
//! ```text
//!   feed.zip ──gtfs-structures──► Gtfs ──service_ids active on date──► trips of the day
//!     └─ per trip: stop times (empty ones interpolated), distance (shape or stops), speed, stop density
//!   trips of the day ──build_blocks (block_id, else chaining at terminals)──► blocks
//! ```

use crate::error::GtfsError;
use crate::shape_ops::{interpolate_times, km, stop_positions_km, PreparedShape};
use gtfs_structures::{Exception, Gtfs};
use jiff::civil::{Date, DateTime, Time};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use twin_model::geography::LatLon;
use twin_model::trip::{build_blocks, BlockTrip, ChainOptions};

/// A loaded feed.
pub struct Feed {
    path: PathBuf,
    gtfs: Gtfs,
    shapes: HashMap<String, PreparedShape>,
}

/// How to turn a feed into blocks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImportOptions {
    /// The service date; `None`: the busiest of the first seven days the calendar covers.
    pub date: Option<Date>,
    /// Layover rules of the chaining heuristic.
    pub chain: ChainOptions,
    /// Stops within this distance (m) of each other count as one terminal for chaining.
    pub terminal_radius_m: f64,
}

impl Default for ImportOptions {
    /// No date, 5 min minimum layover, no maximum, 200 m terminals (the bays of one bus interchange:
    /// Cairns' five stands at The Pier lie within 80 m).
    fn default() -> Self {
        Self {
            date: None,
            chain: ChainOptions::default(),
            terminal_radius_m: 200.0,
        }
    }
}

/// One trip of the service day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportedTrip {
    /// `trip_id`.
    pub id: String,
    /// `route_id`.
    pub route_id: String,
    /// The route's short name, if any.
    pub route: Option<String>,
    /// `service_id`.
    pub service_id: String,
    /// Departure, ISO 8601 local time (a GTFS time past 24:00 falls on the next day).
    pub depart: String,
    /// Arrival, ISO 8601 local time.
    pub arrive: String,
    /// Departure as in the feed (HH:MM:SS, may exceed 24:00).
    pub depart_time: String,
    /// Arrival as in the feed.
    pub arrive_time: String,
    /// Departure, seconds after the service day's midnight.
    pub depart_s: i64,
    /// Arrival, seconds after the service day's midnight.
    pub arrive_s: i64,
    /// Distance (km).
    pub distance_km: f64,
    /// `shape` (along the shape, haversine) or `stops` (straight lines stop to stop).
    pub distance_source: &'static str,
    /// Scheduled duration (min).
    pub duration_min: f64,
    /// Scheduled average speed (km/h).
    pub average_speed_kph: f64,
    /// Number of stops served.
    pub stop_count: usize,
    /// (stops − 1) per km: the scheduled stop density.
    pub stops_per_km: f64,
    /// Intermediate stop times the feed left empty and this import interpolated.
    pub interpolated_times: usize,
    /// First stop id.
    pub start_stop: String,
    /// Last stop id.
    pub end_stop: String,
    /// Terminal key of the first stop (chaining and charger location).
    pub start_location: String,
    /// Terminal key of the last stop.
    pub end_location: String,
}

/// One block of the service day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportedBlock {
    /// `block_id`, or `derived-NNN`.
    pub id: String,
    /// Built by the chaining heuristic, not given by the feed.
    pub derived: bool,
    /// First departure (ISO 8601).
    pub depart: String,
    /// Last arrival (ISO 8601).
    pub arrive: String,
    /// Total distance (km).
    pub distance_km: f64,
    /// The trips, in time order.
    pub trips: Vec<ImportedTrip>,
}

/// The blocks of one service day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceDay {
    /// Service date (YYYY-MM-DD).
    pub date: String,
    /// The agency's time zone (times are local to it).
    pub timezone: Option<String>,
    /// Service ids active that day.
    pub services: Vec<String>,
    /// Trips that day.
    pub trip_count: usize,
    /// How blocks were formed: `block_id`, `derived`, or `mixed`.
    pub blocks_from: &'static str,
    /// The chaining rule used for derived blocks.
    pub chaining: Chaining,
    /// Trips whose distance came from straight lines between stops (no usable shape).
    pub trips_without_shape: usize,
    /// Empty stop times interpolated.
    pub interpolated_times: usize,
    /// The blocks, by first departure.
    pub blocks: Vec<ImportedBlock>,
}

/// The chaining rule, as reported.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Chaining {
    /// Least layover (min).
    pub min_layover_min: f64,
    /// Longest wait before the vehicle counts as back at the depot (min), if any.
    pub max_layover_min: Option<f64>,
    /// Stops this close (m) form one terminal.
    pub terminal_radius_m: f64,
}

/// Reads a GTFS feed (zip archive or folder).
pub fn load_feed(path: &Path) -> Result<Feed, GtfsError> {
    let pb = path.to_path_buf();
    if !path.exists() {
        return Err(GtfsError::Open {
            path: pb,
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        });
    }
    let gtfs = Gtfs::from_path(path).map_err(|e| GtfsError::from_reader(pb.clone(), e))?;
    if gtfs.calendar.is_empty() && gtfs.calendar_dates.is_empty() {
        return Err(GtfsError::MissingFile {
            path: pb,
            file: "calendar.txt or calendar_dates.txt".into(),
        });
    }
    let shapes = gtfs
        .shapes
        .iter()
        .map(|(id, pts)| {
            let mut pts: Vec<&gtfs_structures::Shape> = pts.iter().collect();
            pts.sort_by_key(|p| p.sequence);
            (
                id.clone(),
                PreparedShape::new(
                    pts.iter()
                        .map(|p| LatLon::new(p.latitude, p.longitude))
                        .collect(),
                ),
            )
        })
        .collect();
    Ok(Feed {
        path: pb,
        gtfs,
        shapes,
    })
}

impl Feed {
    /// The underlying parsed feed.
    pub fn gtfs(&self) -> &Gtfs {
        &self.gtfs
    }

    /// First and last date the calendar covers (both files), if any.
    pub fn date_range(&self) -> Option<(Date, Date)> {
        let mut lo: Option<Date> = None;
        let mut hi: Option<Date> = None;
        let mut see = |d: Date| {
            lo = Some(lo.map_or(d, |x| x.min(d)));
            hi = Some(hi.map_or(d, |x| x.max(d)));
        };
        for c in self.gtfs.calendar.values() {
            see(c.start_date);
            see(c.end_date);
        }
        for d in self.gtfs.calendar_dates.values().flatten() {
            see(d.date);
        }
        Some((lo?, hi?))
    }

    /// Whether `service_id` runs on `date` (calendar weekdays within its range, then
    /// calendar_dates: an addition wins, a removal removes).
    pub fn service_runs(&self, service_id: &str, date: Date) -> bool {
        if let Some(ex) = self
            .gtfs
            .calendar_dates
            .get(service_id)
            .and_then(|v| v.iter().find(|d| d.date == date))
        {
            return ex.exception_type == Exception::Added;
        }
        self.gtfs
            .calendar
            .get(service_id)
            .is_some_and(|c| c.start_date <= date && date <= c.end_date && c.valid_weekday(date))
    }

    /// Service ids running on `date`, sorted.
    pub fn services_on(&self, date: Date) -> Vec<String> {
        let ids: HashSet<&str> = self
            .gtfs
            .calendar
            .keys()
            .chain(self.gtfs.calendar_dates.keys())
            .map(String::as_str)
            .filter(|s| self.service_runs(s, date))
            .collect();
        let mut v: Vec<String> = ids.into_iter().map(str::to_string).collect();
        v.sort();
        v
    }

    /// The date used when none is given: the one with most trips among the first seven the calendar
    /// covers (earliest on ties).
    pub fn default_date(&self) -> Option<Date> {
        let (first, _) = self.date_range()?;
        let mut best: Option<(usize, Date)> = None;
        let mut d = first;
        for _ in 0..7 {
            let services: HashSet<String> = self.services_on(d).into_iter().collect();
            let n = self
                .gtfs
                .trips
                .values()
                .filter(|t| services.contains(&t.service_id))
                .count();
            if best.is_none_or(|(m, _)| n > m) {
                best = Some((n, d));
            }
            d = d.tomorrow().ok()?;
        }
        best.map(|b| b.1)
    }

    /// The trips and blocks of one service day.
    pub fn service_day(&self, opts: &ImportOptions) -> Result<ServiceDay, GtfsError> {
        let date = match opts.date.or_else(|| self.default_date()) {
            Some(d) => d,
            None => return Err(self.no_service("(none given)".into())),
        };
        let services = self.services_on(date);
        let active: HashSet<&str> = services.iter().map(String::as_str).collect();
        let mut ids: Vec<&String> = self
            .gtfs
            .trips
            .iter()
            .filter(|(_, t)| active.contains(t.service_id.as_str()))
            .map(|(id, _)| id)
            .collect();
        ids.sort();
        if ids.is_empty() {
            return Err(self.no_service(date.to_string()));
        }
        let mut trips: Vec<ImportedTrip> = Vec::with_capacity(ids.len());
        let mut block_ids: Vec<Option<String>> = Vec::with_capacity(ids.len());
        let mut interpolated = 0;
        let mut without_shape = 0;
        for id in ids {
            let t = &self.gtfs.trips[id];
            for inst in self.trip_instances(t, date)? {
                interpolated += inst.interpolated_times;
                if inst.distance_source != "shape" {
                    without_shape += 1;
                }
                trips.push(inst);
                block_ids.push(t.block_id.clone().filter(|b| !b.trim().is_empty()));
            }
        }
        self.assign_terminals(&mut trips, opts.terminal_radius_m);
        let block_trips: Vec<BlockTrip> = trips
            .iter()
            .zip(&block_ids)
            .map(|(t, b)| BlockTrip {
                id: t.id.clone(),
                block_id: b.clone(),
                start_location: t.start_location.clone(),
                end_location: t.end_location.clone(),
                depart_s: t.depart_s,
                arrive_s: t.arrive_s,
            })
            .collect();
        let blocks =
            build_blocks(&block_trips, opts.chain).map_err(|source| GtfsError::Blocks {
                path: self.path.clone(),
                source,
            })?;
        let with_id = block_ids.iter().filter(|b| b.is_some()).count();
        let blocks_from = if with_id == trips.len() {
            "block_id"
        } else if with_id == 0 {
            "derived"
        } else {
            "mixed"
        };
        let out_blocks = blocks
            .into_iter()
            .map(|b| {
                let bt: Vec<ImportedTrip> = b.trips.iter().map(|&i| trips[i].clone()).collect();
                ImportedBlock {
                    id: b.id,
                    derived: b.derived,
                    depart: bt.first().map(|t| t.depart.clone()).unwrap_or_default(),
                    arrive: bt.last().map(|t| t.arrive.clone()).unwrap_or_default(),
                    distance_km: round(bt.iter().map(|t| t.distance_km).sum(), 3),
                    trips: bt,
                }
            })
            .collect();
        Ok(ServiceDay {
            date: date.to_string(),
            timezone: self.gtfs.agencies.first().map(|a| a.timezone.clone()),
            services,
            trip_count: trips.len(),
            blocks_from,
            chaining: Chaining {
                min_layover_min: opts.chain.min_layover_s as f64 / 60.0,
                max_layover_min: opts.chain.max_layover_s.map(|s| s as f64 / 60.0),
                terminal_radius_m: opts.terminal_radius_m,
            },
            trips_without_shape: without_shape,
            interpolated_times: interpolated,
            blocks: out_blocks,
        })
    }

    fn no_service(&self, date: String) -> GtfsError {
        let (first, last) = self
            .date_range()
            .map_or((String::from("-"), String::from("-")), |(a, b)| {
                (a.to_string(), b.to_string())
            });
        GtfsError::NoService {
            path: self.path.clone(),
            date,
            first,
            last,
        }
    }

    fn bad_trip(&self, trip: &str, detail: impl Into<String>) -> GtfsError {
        GtfsError::BadTrip {
            path: self.path.clone(),
            trip: trip.to_string(),
            detail: detail.into(),
        }
    }

    /// One trip, or its frequency-based instances, as imported trips.
    fn trip_instances(
        &self,
        t: &gtfs_structures::Trip,
        date: Date,
    ) -> Result<Vec<ImportedTrip>, GtfsError> {
        let st = &t.stop_times;
        if st.len() < 2 {
            return Err(self.bad_trip(
                &t.id,
                format!("has {} stop time(s); a trip needs at least two", st.len()),
            ));
        }
        let mut stops = Vec::with_capacity(st.len());
        for s in st {
            match (s.stop.latitude, s.stop.longitude) {
                (Some(lat), Some(lon)) if lat.is_finite() && lon.is_finite() => {
                    stops.push(LatLon::new(lat, lon))
                }
                _ => {
                    return Err(self.bad_trip(
                        &t.id,
                        format!("stops at `{}`, which has no coordinates", s.stop.id),
                    ))
                }
            }
        }
        let straight = stop_positions_km(&stops);
        let straight_km = straight.last().copied().unwrap_or(0.0);
        let along_shape = t
            .shape_id
            .as_deref()
            .and_then(|id| self.shapes.get(id))
            .and_then(|sh| sh.positions_km(&stops));
        // A shape that measures shorter than straight lines between the stops does not fit this trip.
        let (pos, source) = match along_shape {
            Some(p) if p.last().copied().unwrap_or(0.0) - p[0] >= 0.95 * straight_km => {
                (p, "shape")
            }
            _ => (straight, "stops"),
        };
        let distance_km = (pos.last().copied().unwrap_or(0.0) - pos[0]).max(0.0);
        // Times: arrival at the end, departure at the start; fill empties.
        let mut arr: Vec<Option<u32>> = st
            .iter()
            .map(|s| s.arrival_time.or(s.departure_time))
            .collect();
        let mut dep: Vec<Option<u32>> = st
            .iter()
            .map(|s| s.departure_time.or(s.arrival_time))
            .collect();
        let filled = interpolate_times(&mut arr, &pos)
            .and_then(|a| interpolate_times(&mut dep, &pos).map(|_| a))
            .ok_or_else(|| {
                self.bad_trip(
                    &t.id,
                    "has no time at its first or last stop (GTFS requires both)",
                )
            })?;
        let depart0 = i64::from(dep[0].unwrap_or(0));
        let arrive0 = i64::from(arr[arr.len() - 1].unwrap_or(0));
        if arrive0 < depart0 {
            return Err(self.bad_trip(&t.id, "arrives before it departs"));
        }
        let n_stops = st.len();
        let first = &st[0].stop;
        let last = &st[n_stops - 1].stop;
        let make = |id: String, depart_s: i64, arrive_s: i64| -> Result<ImportedTrip, GtfsError> {
            let dur_h = (arrive_s - depart_s) as f64 / 3600.0;
            Ok(ImportedTrip {
                id,
                route_id: t.route_id.clone(),
                route: self
                    .gtfs
                    .routes
                    .get(&t.route_id)
                    .and_then(|r| r.short_name.clone()),
                service_id: t.service_id.clone(),
                depart: iso(date, depart_s)
                    .ok_or_else(|| self.bad_trip(&t.id, "departs outside the calendar's range"))?,
                arrive: iso(date, arrive_s)
                    .ok_or_else(|| self.bad_trip(&t.id, "arrives outside the calendar's range"))?,
                depart_time: gtfs_time(depart_s),
                arrive_time: gtfs_time(arrive_s),
                depart_s,
                arrive_s,
                distance_km: round(distance_km, 3),
                distance_source: source,
                duration_min: round(dur_h * 60.0, 3),
                average_speed_kph: if dur_h > 0.0 {
                    round(distance_km / dur_h, 3)
                } else {
                    0.0
                },
                stop_count: n_stops,
                stops_per_km: if distance_km > 0.0 {
                    round((n_stops - 1) as f64 / distance_km, 4)
                } else {
                    0.0
                },
                interpolated_times: filled,
                start_stop: first.id.clone(),
                end_stop: last.id.clone(),
                start_location: first
                    .parent_station
                    .clone()
                    .unwrap_or_else(|| first.id.clone()),
                end_location: last
                    .parent_station
                    .clone()
                    .unwrap_or_else(|| last.id.clone()),
            })
        };
        if t.frequencies.is_empty() {
            return Ok(vec![make(t.id.clone(), depart0, arrive0)?]);
        }
        // frequencies.txt: the trip's stop times are a template, repeated every headway_secs from
        // start_time (inclusive) to end_time (exclusive).
        let mut out = Vec::new();
        for f in &t.frequencies {
            if f.headway_secs == 0 {
                return Err(self.bad_trip(&t.id, "has a frequency with headway_secs = 0"));
            }
            let mut s = i64::from(f.start_time);
            while s < i64::from(f.end_time) {
                out.push(make(
                    format!("{}@{}", t.id, gtfs_time(s)),
                    s,
                    s + (arrive0 - depart0),
                )?);
                s += i64::from(f.headway_secs);
            }
        }
        Ok(out)
    }

    /// Terminal keys: stops of one parent station already share a key; stops within `radius_m` of
    /// each other (transitively) are merged too. The key is the smallest stop id of the group.
    fn assign_terminals(&self, trips: &mut [ImportedTrip], radius_m: f64) {
        let mut keys: Vec<String> = trips
            .iter()
            .flat_map(|t| [t.start_location.clone(), t.end_location.clone()])
            .collect();
        keys.sort();
        keys.dedup();
        let pos: Vec<Option<LatLon>> = keys
            .iter()
            .map(|k| {
                self.gtfs
                    .stops
                    .get(k)
                    .and_then(|s| Some(LatLon::new(s.latitude?, s.longitude?)))
            })
            .collect();
        // Union-find over the (few) terminal stops.
        let mut parent: Vec<usize> = (0..keys.len()).collect();
        fn root(p: &mut [usize], mut i: usize) -> usize {
            while p[i] != i {
                p[i] = p[p[i]];
                i = p[i];
            }
            i
        }
        if radius_m > 0.0 {
            for i in 0..keys.len() {
                for j in i + 1..keys.len() {
                    if let (Some(a), Some(b)) = (pos[i], pos[j]) {
                        if km(a, b) * 1000.0 <= radius_m {
                            let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
                            // Keys are sorted: the smaller index is the smaller id.
                            parent[ri.max(rj)] = ri.min(rj);
                        }
                    }
                }
            }
        }
        let name: HashMap<&str, usize> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i))
            .collect();
        let resolved: Vec<String> = (0..keys.len())
            .map(|i| keys[root(&mut parent, i)].clone())
            .collect();
        for t in trips.iter_mut() {
            if let Some(&i) = name.get(t.start_location.as_str()) {
                t.start_location = resolved[i].clone();
            }
            if let Some(&i) = name.get(t.end_location.as_str()) {
                t.end_location = resolved[i].clone();
            }
        }
    }
}

/// Rounds for output (and turns −0 into 0).
fn round(x: f64, digits: i32) -> f64 {
    let k = 10f64.powi(digits);
    (x * k).round() / k + 0.0
}

/// `HH:MM:SS` as GTFS writes it (hours may exceed 24).
pub fn gtfs_time(s: i64) -> String {
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// The civil date-time `s` seconds after `date`'s midnight, ISO 8601 (`2014-06-10T05:50:00`).
pub fn iso(date: Date, s: i64) -> Option<String> {
    let dt: DateTime = date.to_datetime(Time::midnight());
    dt.checked_add(jiff::Span::new().seconds(s))
        .ok()
        .map(|d| d.to_string())
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<Date, String> {
    s.trim()
        .parse::<Date>()
        .map_err(|e| format!("`{s}` is not a date (YYYY-MM-DD): {e}"))
}
