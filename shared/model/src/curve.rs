//! Piecewise-linear curves `y(x)` given as `(x, y)` points, clamped at both ends.

use serde::{Deserialize, Serialize};

/// A piecewise-linear function through sorted points; flat beyond the first and last point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    points: Vec<(f64, f64)>,
}

impl Curve {
    /// Builds a curve from points; they must be finite, non-empty and strictly increasing in x.
    pub fn new(points: Vec<(f64, f64)>) -> Result<Self, String> {
        if points.is_empty() {
            return Err("must have at least one point".into());
        }
        for (i, (x, y)) in points.iter().enumerate() {
            if !x.is_finite() || !y.is_finite() {
                return Err(format!("point {i} is not finite"));
            }
            if i > 0 && *x <= points[i - 1].0 {
                return Err(format!("x must increase strictly (point {i})"));
            }
        }
        Ok(Self { points })
    }

    /// A constant curve.
    pub fn constant(y: f64) -> Self {
        Self {
            points: vec![(0.0, y)],
        }
    }

    /// The points.
    pub fn points(&self) -> &[(f64, f64)] {
        &self.points
    }

    /// Linear interpolation at `x`, clamped to the end values outside the range.
    pub fn at(&self, x: f64) -> f64 {
        let p = &self.points;
        let first = p[0];
        if x <= first.0 || p.len() == 1 {
            return first.1;
        }
        for w in p.windows(2) {
            let (x0, y0) = w[0];
            let (x1, y1) = w[1];
            if x <= x1 {
                return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
            }
        }
        p[p.len() - 1].1
    }

    /// Scales every y by `k`.
    pub fn scaled(&self, k: f64) -> Self {
        Self {
            points: self.points.iter().map(|&(x, y)| (x, y * k)).collect(),
        }
    }

    /// Largest y.
    pub fn max_y(&self) -> f64 {
        self.points
            .iter()
            .map(|p| p.1)
            .fold(f64::NEG_INFINITY, f64::max)
    }

    /// The x values where the slope changes (the breakpoints).
    pub fn breakpoints(&self) -> impl Iterator<Item = f64> + '_ {
        self.points.iter().map(|p| p.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_and_clamps() {
        let c = Curve::new(vec![(0.0, 150.0), (80.0, 150.0), (100.0, 50.0)]).unwrap();
        assert_eq!(c.at(-5.0), 150.0);
        assert_eq!(c.at(40.0), 150.0);
        assert!((c.at(90.0) - 100.0).abs() < 1e-12);
        assert_eq!(c.at(120.0), 50.0);
    }

    #[test]
    fn rejects_unsorted_and_empty() {
        assert!(Curve::new(vec![]).is_err());
        assert!(Curve::new(vec![(10.0, 1.0), (5.0, 2.0)]).is_err());
        assert!(Curve::new(vec![(0.0, f64::NAN)]).is_err());
    }
}
