//! Routes, distances, grade and elevation.
//!
//! ```text
//!   (lat°, lon°) points ──haversine──► segment km ──Σ──► polyline km
//!   elevation profile m  ──Σ rises / Σ falls──► gain m, loss m
//! ```
//!
//! Distances are great-circle distances on a sphere of the mean Earth radius (IUGG, 6,371.0088 km).
//! Over the few kilometres of a bus route the spherical error against the WGS-84 ellipsoid is below
//! 0.5 %, far less than the uncertainty of a scheduled route's real path.

/// Mean Earth radius (km), IUGG value R1 = (2a + b)/3.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A point in WGS-84 degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLon {
    /// Latitude (° north).
    pub lat: f64,
    /// Longitude (° east).
    pub lon: f64,
}

impl LatLon {
    /// A point from latitude and longitude in degrees.
    pub fn new(lat: f64, lon: f64) -> Self {
        Self { lat, lon }
    }
}

/// Great-circle distance between two points (km), by the haversine formula.
pub fn haversine_km(a: LatLon, b: LatLon) -> f64 {
    let (phi1, phi2) = (a.lat.to_radians(), b.lat.to_radians());
    let dphi = phi2 - phi1;
    let dlambda = (b.lon - a.lon).to_radians();
    let h = (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// Length of a polyline (km): the sum of its segments' great-circle distances.
pub fn polyline_km(points: &[LatLon]) -> f64 {
    points.windows(2).map(|w| haversine_km(w[0], w[1])).sum()
}

/// Cumulative distance (km) at each point of a polyline, starting at 0.
pub fn cumulative_km(points: &[LatLon]) -> Vec<f64> {
    let mut out = Vec::with_capacity(points.len());
    let mut acc = 0.0;
    for (i, p) in points.iter().enumerate() {
        if i > 0 {
            acc += haversine_km(points[i - 1], *p);
        }
        out.push(acc);
    }
    out
}

/// Total climb and total descent (m) of an elevation profile, as `(gain_m, loss_m)`, both ≥ 0.
pub fn elevation_gain_loss_m(elevations_m: &[f64]) -> (f64, f64) {
    elevations_m.windows(2).fold((0.0, 0.0), |(g, l), w| {
        let d = w[1] - w[0];
        if d > 0.0 {
            (g + d, l)
        } else {
            (g, l - d)
        }
    })
}

/// Mean grade (rise over run) that lifts or lowers a vehicle by `rise_m` over `distance_km`.
/// Zero for a zero distance.
pub fn mean_grade(rise_m: f64, distance_km: f64) -> f64 {
    if distance_km > 0.0 {
        rise_m / (distance_km * 1000.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_degree_of_latitude_is_about_111_km() {
        // GIVEN two points one degree of latitude apart on a meridian; THEN the arc is R·π/180 = 111.195 km.
        let d = haversine_km(LatLon::new(0.0, 0.0), LatLon::new(1.0, 0.0));
        assert!(
            (d - EARTH_RADIUS_KM * std::f64::consts::PI / 180.0).abs() < 1e-9,
            "{d}"
        );
    }

    #[test]
    fn longitude_degrees_shrink_with_cos_latitude() {
        // At 60° S a degree of longitude spans half the equatorial length (cos 60° = 0.5), within the
        // chord-vs-arc difference of a small circle (< 0.1 %).
        let eq = haversine_km(LatLon::new(0.0, 145.0), LatLon::new(0.0, 146.0));
        let s60 = haversine_km(LatLon::new(-60.0, 145.0), LatLon::new(-60.0, 146.0));
        assert!((s60 / eq - 0.5).abs() < 1e-3, "{}", s60 / eq);
    }

    #[test]
    fn distance_is_symmetric_and_zero_on_the_spot() {
        let a = LatLon::new(-16.92, 145.77);
        let b = LatLon::new(-16.75, 145.67);
        assert_eq!(haversine_km(a, a), 0.0);
        assert!((haversine_km(a, b) - haversine_km(b, a)).abs() < 1e-12);
    }

    #[test]
    fn polyline_is_at_least_the_chord_and_cumulative_ends_at_its_length() {
        // A detour through a third point is never shorter than the straight line (triangle inequality).
        let pts = [
            LatLon::new(-16.92, 145.77),
            LatLon::new(-16.85, 145.70),
            LatLon::new(-16.75, 145.67),
        ];
        let len = polyline_km(&pts);
        assert!(len >= haversine_km(pts[0], pts[2]));
        let cum = cumulative_km(&pts);
        assert_eq!(cum.len(), 3);
        assert!((cum[2] - len).abs() < 1e-12);
    }

    #[test]
    fn gain_and_loss_add_up_to_the_net_rise() {
        let (g, l) = elevation_gain_loss_m(&[10.0, 30.0, 20.0, 50.0, 40.0]);
        assert_eq!((g, l), (50.0, 20.0));
        assert!((g - l - (40.0 - 10.0)).abs() < 1e-12);
        assert_eq!(mean_grade(10.0, 1.0), 0.01);
        assert_eq!(mean_grade(10.0, 0.0), 0.0);
    }
}
