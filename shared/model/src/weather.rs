//! Temperature series (hourly) and lookups.
//!
//! A series is hourly air temperatures from a start instant; the model works in hours since that start
//! (the API converts ISO 8601 times at the boundary). Between samples the temperature is interpolated
//! linearly; before the first and after the last sample it holds the end value.

use crate::error::ModelError;
use serde::{Deserialize, Serialize};

/// Hourly ambient temperatures (°C), sample `i` at hour `i` after the series start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HourlyTemperature {
    temps_c: Vec<f64>,
}

impl HourlyTemperature {
    /// Builds a series; every value must be finite and within −80…60 °C. Errors name `weather.hourly_temp_c`.
    pub fn new(temps_c: Vec<f64>) -> Result<Self, ModelError> {
        const F: &str = "weather.hourly_temp_c";
        if temps_c.is_empty() {
            return Err(ModelError::invalid(F, "needs at least one value"));
        }
        for (i, t) in temps_c.iter().enumerate() {
            if !t.is_finite() || !(-80.0..=60.0).contains(t) {
                return Err(ModelError::invalid(
                    F,
                    format!("value {i} must be a number between -80 and 60 °C"),
                ));
            }
        }
        Ok(Self { temps_c })
    }

    /// The samples (°C).
    pub fn values(&self) -> &[f64] {
        &self.temps_c
    }

    /// Temperature `hours` after the start (linear between samples, held beyond the ends).
    pub fn at_hour(&self, hours: f64) -> f64 {
        let n = self.temps_c.len();
        if hours.is_nan() || hours <= 0.0 {
            return self.temps_c[0];
        }
        let i = hours.floor() as usize;
        if i + 1 >= n {
            return self.temps_c[n - 1];
        }
        let f = hours - i as f64;
        self.temps_c[i] * (1.0 - f) + self.temps_c[i + 1] * f
    }

    /// Time-weighted mean temperature between `from_h` and `to_h` hours after the start (trapezoidal on
    /// a grid of at most 6 minutes); `at_hour(from_h)` when the interval is empty.
    pub fn mean_between(&self, from_h: f64, to_h: f64) -> f64 {
        if to_h.is_nan() || from_h.is_nan() || to_h <= from_h {
            return self.at_hour(from_h);
        }
        let n = ((to_h - from_h) * 10.0).ceil().clamp(1.0, 100_000.0) as usize;
        let h = (to_h - from_h) / n as f64;
        let mut sum = 0.0;
        for k in 0..n {
            let a = from_h + h * k as f64;
            sum += 0.5 * (self.at_hour(a) + self.at_hour(a + h)) * h;
        }
        sum / (to_h - from_h)
    }

    /// The lowest temperature between `from_h` and `to_h` (samples inside plus both ends).
    pub fn min_between(&self, from_h: f64, to_h: f64) -> f64 {
        let mut m = self.at_hour(from_h).min(self.at_hour(to_h));
        for (i, t) in self.temps_c.iter().enumerate() {
            let h = i as f64;
            if h > from_h && h < to_h {
                m = m.min(*t);
            }
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_between_hours_and_holds_at_the_ends() {
        let w = HourlyTemperature::new(vec![0.0, 10.0, 4.0]).unwrap();
        assert_eq!(w.at_hour(-1.0), 0.0);
        assert!((w.at_hour(0.5) - 5.0).abs() < 1e-12);
        assert!((w.at_hour(1.5) - 7.0).abs() < 1e-12);
        assert_eq!(w.at_hour(9.0), 4.0);
        // mean over the first hour of a linear ramp 0→10 is 5
        assert!((w.mean_between(0.0, 1.0) - 5.0).abs() < 1e-9);
        assert_eq!(w.min_between(0.5, 2.0), 4.0);
    }

    #[test]
    fn rejects_nan_and_empty() {
        assert!(HourlyTemperature::new(vec![]).is_err());
        assert!(HourlyTemperature::new(vec![1.0, f64::NAN]).is_err());
    }
}
