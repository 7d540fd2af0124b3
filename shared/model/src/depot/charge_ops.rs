//! Exact integration of a piecewise-linear charging curve within a time step.
//!
//! On a piece where the inlet power is `P(s) = a + b·s` (s = SoC fraction) the cells follow
//! `ds/dt = k·P(s)` with `k = η_cells / capacity_kwh`, so `u = a + b·s` grows as `u₀·e^{k·b·t}`;
//! where a constant cap `c` binds, `ds/dt = k·c`. Pieces are precomputed once per vehicle, so a step
//! costs a few multiplications and at most one `exp` per piece crossed: no allocation.

use crate::curve::Curve;

/// One linear piece of the inlet power limit over SoC fraction: `P(s) = a + b·s` on `[s0, s1)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Piece {
    /// Start (SoC fraction).
    pub s0: f64,
    /// End (SoC fraction).
    pub s1: f64,
    /// Intercept (kW).
    pub a: f64,
    /// Slope (kW per unit SoC).
    pub b: f64,
}

/// A vehicle's charging behaviour, precomputed for the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct ChargeModel {
    /// Capacity (kWh).
    pub capacity_kwh: f64,
    /// Inlet-to-cells efficiency.
    pub eta_cells: f64,
    /// Flat inlet limit of the vehicle (kW).
    pub vehicle_max_kw: f64,
    /// Highest SoC the BMS charges to (fraction).
    pub max_soc: f64,
    /// The curve's pieces covering [0, 1] (curve clamped at its ends, negative power taken as 0).
    pub pieces: Vec<Piece>,
}

impl ChargeModel {
    /// Builds the pieces of `curve` (x in SoC %, y in inlet kW).
    pub fn new(
        capacity_kwh: f64,
        eta_cells: f64,
        vehicle_max_kw: f64,
        max_soc_pct: f64,
        curve: &Curve,
    ) -> Self {
        let pts: Vec<(f64, f64)> = curve
            .points()
            .iter()
            .map(|&(x, y)| (x / 100.0, y.max(0.0)))
            .collect();
        let mut xs: Vec<f64> = vec![0.0];
        xs.extend(pts.iter().map(|p| p.0).filter(|x| *x > 0.0 && *x < 1.0));
        xs.push(1.0);
        xs.dedup_by(|a, b| (*a - *b).abs() < 1e-12);
        let at = |x: f64| curve.at(x * 100.0).max(0.0);
        let mut pieces = Vec::with_capacity(xs.len());
        for w in xs.windows(2) {
            let (x0, x1) = (w[0], w[1]);
            let (y0, y1) = (at(x0), at(x1));
            let b = (y1 - y0) / (x1 - x0);
            pieces.push(Piece {
                s0: x0,
                s1: x1,
                a: y0 - b * x0,
                b,
            });
        }
        ChargeModel {
            capacity_kwh,
            eta_cells,
            vehicle_max_kw,
            max_soc: max_soc_pct / 100.0,
            pieces,
        }
    }

    /// `k` of the ODE (per hour): SoC fraction gained per kWh at the inlet.
    #[inline]
    pub fn k(&self) -> f64 {
        self.eta_cells / self.capacity_kwh
    }

    /// Inlet kWh needed to go from `s` to `target` (fractions).
    #[inline]
    pub fn inlet_kwh(&self, s: f64, target: f64) -> f64 {
        (target - s).max(0.0) * self.capacity_kwh / self.eta_cells
    }

    /// Lowest curve power on `[s, target]` (kW).
    pub fn min_curve_between(&self, s: f64, target: f64) -> f64 {
        let mut m = f64::INFINITY;
        for p in &self.pieces {
            if p.s1 <= s || p.s0 >= target {
                continue;
            }
            let lo = s.max(p.s0);
            let hi = target.min(p.s1);
            m = m.min(p.a + p.b * lo).min(p.a + p.b * hi);
        }
        m.max(0.0)
    }

    /// Charges from `s` towards `target` for at most `tau_h` hours with the inlet power capped at `cap_kw`.
    /// Returns the SoC reached (never above `target`).
    pub fn advance(&self, s: f64, target: f64, cap_kw: f64, tau_h: f64) -> f64 {
        self.run(s, target, cap_kw, tau_h).0
    }

    /// Hours needed from `s` to `target` with the inlet capped at `cap_kw` (∞ if it never gets there).
    pub fn time_to(&self, s: f64, target: f64, cap_kw: f64) -> f64 {
        let (reached, t) = self.run(s, target, cap_kw, f64::INFINITY);
        if reached >= target - 1e-12 {
            t
        } else {
            f64::INFINITY
        }
    }

    /// The integrator: returns (SoC reached, hours used).
    fn run(&self, s0: f64, target: f64, cap_kw: f64, tau_h: f64) -> (f64, f64) {
        let c = cap_kw.min(self.vehicle_max_kw);
        if c <= 0.0 || s0 >= target || tau_h <= 0.0 {
            return (s0.min(target.max(s0)), 0.0);
        }
        let k = self.k();
        let mut s = s0;
        let mut left = tau_h;
        let mut used = 0.0;
        let mut idx = self
            .pieces
            .iter()
            .position(|p| s < p.s1)
            .unwrap_or(self.pieces.len().saturating_sub(1));
        let mut guard = 0;
        while left > 0.0 && s < target - 1e-13 && guard < 4 * self.pieces.len() + 8 {
            guard += 1;
            let Some(p) = self.pieces.get(idx) else { break };
            let end = p.s1.min(target);
            if s >= end {
                if idx + 1 < self.pieces.len() {
                    idx += 1;
                    continue;
                }
                break;
            }
            let ps = p.a + p.b * s;
            let capped = ps > c + 1e-12 || (ps >= c - 1e-12 && p.b >= 0.0);
            if capped {
                // Capped at c until the curve falls to c (if it does) or the piece ends.
                let pe = if p.b < 0.0 {
                    end.min((c - p.a) / p.b).max(s)
                } else {
                    end
                };
                let dt = (pe - s) / (k * c);
                if dt <= left {
                    left -= dt;
                    used += dt;
                    s = pe;
                    if pe >= p.s1 && idx + 1 < self.pieces.len() {
                        idx += 1;
                    }
                } else {
                    s += k * c * left;
                    used += left;
                    left = 0.0;
                }
            } else {
                if ps <= 1e-12 {
                    break; // no power here
                }
                // Follows the curve until it reaches the cap (rising) or the piece ends.
                let pe = if p.b > 0.0 {
                    end.min((c - p.a) / p.b)
                } else {
                    end
                };
                let pe = pe.max(s);
                let kb = k * p.b;
                if kb.abs() < 1e-12 {
                    let dt = (pe - s) / (k * ps);
                    if dt <= left {
                        left -= dt;
                        used += dt;
                        s = pe;
                    } else {
                        s += k * ps * left;
                        used += left;
                        left = 0.0;
                    }
                } else {
                    let ue = p.a + p.b * pe;
                    let dt = if ue <= 0.0 {
                        f64::INFINITY
                    } else {
                        (ue / ps).ln() / kb
                    };
                    if dt <= left {
                        left -= dt;
                        used += dt;
                        s = pe;
                    } else {
                        let u = ps * (kb * left).exp();
                        s = ((u - p.a) / p.b).min(pe);
                        used += left;
                        left = 0.0;
                    }
                }
                if s >= p.s1 && idx + 1 < self.pieces.len() {
                    idx += 1;
                }
            }
        }
        (s.min(target).max(s0), used)
    }

    /// The upper concave envelope of the curve over [0, 1] as lines `P ≤ a + b·s` (for the LP).
    pub fn concave_lines(&self) -> Vec<(f64, f64)> {
        let mut pts: Vec<(f64, f64)> = Vec::with_capacity(self.pieces.len() + 1);
        for p in &self.pieces {
            pts.push((p.s0, p.a + p.b * p.s0));
        }
        if let Some(p) = self.pieces.last() {
            pts.push((p.s1, p.a + p.b * p.s1));
        }
        // Monotone-chain upper hull.
        let mut hull: Vec<(f64, f64)> = Vec::with_capacity(pts.len());
        for q in pts {
            while hull.len() >= 2 {
                let (o, a) = (hull[hull.len() - 2], hull[hull.len() - 1]);
                let cross = (a.0 - o.0) * (q.1 - o.1) - (a.1 - o.1) * (q.0 - o.0);
                if cross >= 0.0 {
                    hull.pop();
                } else {
                    break;
                }
            }
            hull.push(q);
        }
        hull.windows(2)
            .map(|w| {
                let b = (w[1].1 - w[0].1) / (w[1].0 - w[0].0);
                (w[0].1 - b * w[0].0, b)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bus() -> ChargeModel {
        let c = Curve::new(vec![(0.0, 150.0), (80.0, 150.0), (100.0, 50.0)]).unwrap();
        ChargeModel::new(300.0, 0.95, 1e9, 100.0, &c)
    }

    /// Fine explicit integration as the reference.
    fn euler(m: &ChargeModel, s: f64, target: f64, cap: f64, tau: f64) -> f64 {
        let n = 200_000;
        let dt = tau / n as f64;
        let curve = Curve::new(vec![(0.0, 150.0), (80.0, 150.0), (100.0, 50.0)]).unwrap();
        let mut s = s;
        for _ in 0..n {
            if s >= target {
                return target;
            }
            let p = curve.at(s * 100.0).min(cap);
            s += m.k() * p * dt;
        }
        s.min(target)
    }

    #[test]
    fn flat_part_is_linear_in_time() {
        // 150 kW × 0.25 h × 0.95 / 300 kWh = 0.11875 of SoC.
        let m = bus();
        let s = m.advance(0.2, 1.0, 1e9, 0.25);
        assert!((s - 0.31875).abs() < 1e-12);
    }

    #[test]
    fn taper_matches_fine_integration() {
        let m = bus();
        for &(s0, cap, tau) in &[
            (0.7, 1e9, 0.5),
            (0.85, 120.0, 0.3),
            (0.5, 100.0, 2.0),
            (0.95, 40.0, 1.0),
        ] {
            let a = m.advance(s0, 1.0, cap, tau);
            let b = euler(&m, s0, 1.0, cap, tau);
            assert!((a - b).abs() < 1e-5, "{s0} {cap} {tau}: {a} vs {b}");
        }
    }

    #[test]
    fn stops_at_target_and_time_to_agrees() {
        let m = bus();
        let t = m.time_to(0.5, 0.9, 150.0);
        assert!((m.advance(0.5, 0.9, 150.0, t) - 0.9).abs() < 1e-9);
        assert!(m.advance(0.5, 0.9, 150.0, t * 0.99) < 0.9);
        assert_eq!(m.advance(0.5, 0.9, 150.0, 100.0), 0.9);
    }

    #[test]
    fn concave_curve_gives_its_own_lines() {
        let lines = bus().concave_lines();
        assert_eq!(lines.len(), 2);
        assert!((lines[1].0 + lines[1].1 * 0.9 - 100.0).abs() < 1e-9);
    }
}
