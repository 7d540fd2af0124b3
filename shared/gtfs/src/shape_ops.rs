//! Trip distance along a shape: match each stop, in order, to the shape, then measure between the
//! first and the last stop's positions.
//!
//! Matching walks forward along the shape from the previous stop's match, and takes the nearest point
//! of the first close approach (within [`NEAR_KM`]); it stops looking once the shape has moved
//! [`LEAVE_KM`] beyond that approach. So a loop or an out-and-back route that passes a stop twice
//! matches the pass that comes in order.

use twin_model::geography::{cumulative_km, haversine_km, LatLon};

/// A stop counts as "on" the shape within this distance (km).
const NEAR_KM: f64 = 0.1;
/// Once matched closely, stop searching when the shape is this much farther away again (km).
const LEAVE_KM: f64 = 0.3;

/// A shape prepared for matching: points and cumulative distance.
#[derive(Debug, Clone)]
pub(crate) struct PreparedShape {
    pts: Vec<LatLon>,
    cum_km: Vec<f64>,
}

impl PreparedShape {
    pub(crate) fn new(pts: Vec<LatLon>) -> Self {
        let cum_km = cumulative_km(&pts);
        Self { pts, cum_km }
    }

    /// Distance along the shape (km) at which each stop lies; `None` if the shape is empty.
    pub(crate) fn positions_km(&self, stops: &[LatLon]) -> Option<Vec<f64>> {
        if self.pts.is_empty() {
            return None;
        }
        let mut from = 0usize;
        let mut out = Vec::with_capacity(stops.len());
        for &s in stops {
            let j = self.match_from(s, from);
            out.push(self.cum_km[j]);
            from = j;
        }
        Some(out)
    }

    fn match_from(&self, p: LatLon, from: usize) -> usize {
        // Equirectangular distance is enough to compare nearby points and much cheaper than haversine.
        let k = p.lat.to_radians().cos();
        let fast = |q: LatLon| {
            let dx = (q.lon - p.lon).to_radians() * k;
            let dy = (q.lat - p.lat).to_radians();
            twin_model::geography::EARTH_RADIUS_KM * (dx * dx + dy * dy).sqrt()
        };
        let mut best = (f64::INFINITY, from);
        for (j, &q) in self.pts.iter().enumerate().skip(from) {
            let d = fast(q);
            if d < best.0 {
                best = (d, j);
            }
            if best.0 <= NEAR_KM && d > best.0 + LEAVE_KM {
                break;
            }
        }
        best.1
    }
}

/// Cumulative straight-line distance between consecutive stops (km), starting at 0.
pub(crate) fn stop_positions_km(stops: &[LatLon]) -> Vec<f64> {
    cumulative_km(stops)
}

/// Fills empty times by linear interpolation on distance between the nearest timed stops
/// (GTFS: times may be omitted at stops that are not timepoints). Returns how many were filled;
/// `None` if the first or last time is missing, which GTFS forbids.
pub(crate) fn interpolate_times(times: &mut [Option<u32>], pos_km: &[f64]) -> Option<usize> {
    let n = times.len();
    if n == 0 || times[0].is_none() || times[n - 1].is_none() {
        return None;
    }
    let mut filled = 0;
    let mut prev = 0usize;
    for i in 1..n {
        if times[i].is_none() {
            continue;
        }
        if i > prev + 1 {
            let (t0, t1) = (f64::from(times[prev]?), f64::from(times[i]?));
            let (d0, d1) = (pos_km[prev], pos_km[i]);
            for (j, slot) in times.iter_mut().enumerate().take(i).skip(prev + 1) {
                let f = if d1 > d0 {
                    (pos_km[j] - d0) / (d1 - d0)
                } else {
                    (j - prev) as f64 / (i - prev) as f64
                };
                *slot = Some((t0 + f.clamp(0.0, 1.0) * (t1 - t0)).round() as u32);
                filled += 1;
            }
        }
        prev = i;
    }
    Some(filled)
}

/// Great-circle distance helper re-exported for the feed module.
pub(crate) fn km(a: LatLon, b: LatLon) -> f64 {
    haversine_km(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A straight east-west line along the equator, points every 0.001° (≈ 111 m).
    fn line(n: usize) -> Vec<LatLon> {
        (0..n).map(|i| LatLon::new(0.0, i as f64 * 0.001)).collect()
    }

    #[test]
    fn stops_on_a_straight_shape_measure_their_separation() {
        let shape = PreparedShape::new(line(101));
        let stops = [
            LatLon::new(0.0001, 0.010),
            LatLon::new(-0.0001, 0.050),
            LatLon::new(0.0, 0.090),
        ];
        let pos = shape.positions_km(&stops).unwrap();
        let expected = haversine_km(LatLon::new(0.0, 0.010), LatLon::new(0.0, 0.090));
        assert!((pos[2] - pos[0] - expected).abs() < 1e-9, "{pos:?}");
    }

    #[test]
    fn a_loop_matches_the_end_for_the_last_stop() {
        // Out 100 points east and back on the same road: the first and last stop are the same place.
        let mut pts = line(101);
        let back: Vec<LatLon> = pts.iter().rev().skip(1).copied().collect();
        pts.extend(back);
        let shape = PreparedShape::new(pts);
        let stops = [
            LatLon::new(0.0, 0.0),
            LatLon::new(0.0, 0.1),
            LatLon::new(0.0, 0.0),
        ];
        let pos = shape.positions_km(&stops).unwrap();
        let there_and_back = 2.0 * haversine_km(LatLon::new(0.0, 0.0), LatLon::new(0.0, 0.1));
        assert!((pos[2] - pos[0] - there_and_back).abs() < 1e-6, "{pos:?}");
    }

    #[test]
    fn empty_times_are_interpolated_on_distance() {
        let mut t = vec![Some(0), None, None, Some(300)];
        let n = interpolate_times(&mut t, &[0.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!(n, 2);
        assert_eq!(t, vec![Some(0), Some(100), Some(200), Some(300)]);
        // Uneven spacing follows distance, not index.
        let mut t = vec![Some(0), None, Some(400)];
        interpolate_times(&mut t, &[0.0, 3.0, 4.0]).unwrap();
        assert_eq!(t[1], Some(300));
    }

    #[test]
    fn missing_end_times_are_refused() {
        assert_eq!(interpolate_times(&mut [Some(0), None], &[0.0, 1.0]), None);
        assert_eq!(interpolate_times(&mut [None, Some(1)], &[0.0, 1.0]), None);
    }
}
