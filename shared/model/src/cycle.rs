//! Duty cycles: bundled standard speed traces, explicit traces, and synthesised stop-and-go traces.
//!
//! ```text
//!  DutyCycle ─┬─ Standard(udds | hwfet | us06 | wltc_3b | nrel13 | hhddt_cruise)  bundled CSV (data/cycles)
//!             ├─ Explicit(Trace)      time_s [s], speed_mps [m/s], grade [rise/run]; any (increasing) dt
//!             └─ StopAndGo{average_speed_kph, stops_per_km, ...}
//!                  one stop-to-stop segment:  accelerate ─► cruise ─► brake ─► dwell   (repeated)
//!                    speed ▲      ________
//!                          │     /        \
//!                          │    /          \ _______ dwell
//!                          └───┴────────────┴───────────► t
//! ```
//!
//! Every trace resolves to a [`Trace`]: strictly increasing times, speeds ≥ 0, |grade| ≤ 0.3, all finite.
//! Synthesised traces are deterministic: the same input gives the same trace, bit for bit.

use crate::error::ModelError;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// Steepest grade accepted (rise/run): 30 %, beyond any public road.
pub const MAX_GRADE: f64 = 0.30;

/// A speed trace: the vehicle should be at `speed_mps[i]` at `time_s[i]`, on `grade[i]` (rise/run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    time_s: Vec<f64>,
    speed_mps: Vec<f64>,
    grade: Vec<f64>,
}

impl Trace {
    /// Builds a trace, checking it. Errors name the wire field (`duty_cycle.time_s`, `.speed_mps`, `.grade`).
    ///
    /// Rules: at least two points; equal lengths; finite values; strictly increasing times; speeds ≥ 0;
    /// |grade| ≤ [`MAX_GRADE`]. A missing `grade` means flat.
    pub fn new(
        time_s: Vec<f64>,
        speed_mps: Vec<f64>,
        grade: Option<Vec<f64>>,
    ) -> Result<Self, ModelError> {
        const F: &str = "duty_cycle";
        if time_s.len() < 2 {
            return Err(ModelError::invalid(
                format!("{F}.time_s"),
                "needs at least two points",
            ));
        }
        if speed_mps.len() != time_s.len() {
            return Err(ModelError::invalid(
                format!("{F}.speed_mps"),
                format!(
                    "has {} values but time_s has {}",
                    speed_mps.len(),
                    time_s.len()
                ),
            ));
        }
        let grade = match grade {
            Some(g) if g.len() != time_s.len() => {
                return Err(ModelError::invalid(
                    format!("{F}.grade"),
                    format!("has {} values but time_s has {}", g.len(), time_s.len()),
                ))
            }
            Some(g) => g,
            None => vec![0.0; time_s.len()],
        };
        for (i, t) in time_s.iter().enumerate() {
            if !t.is_finite() {
                return Err(ModelError::invalid(
                    format!("{F}.time_s"),
                    format!("value {i} is not a finite number"),
                ));
            }
            if i > 0 && *t <= time_s[i - 1] {
                return Err(ModelError::invalid(
                    format!("{F}.time_s"),
                    format!("must increase strictly (value {i})"),
                ));
            }
        }
        for (i, v) in speed_mps.iter().enumerate() {
            if !v.is_finite() {
                return Err(ModelError::invalid(
                    format!("{F}.speed_mps"),
                    format!("value {i} is not a finite number"),
                ));
            }
            if *v < 0.0 {
                return Err(ModelError::invalid(
                    format!("{F}.speed_mps"),
                    format!("value {i} is negative ({v})"),
                ));
            }
        }
        for (i, g) in grade.iter().enumerate() {
            if !g.is_finite() {
                return Err(ModelError::invalid(
                    format!("{F}.grade"),
                    format!("value {i} is not a finite number"),
                ));
            }
            if g.abs() > MAX_GRADE {
                return Err(ModelError::invalid(
                    format!("{F}.grade"),
                    format!("value {i} ({g}) is steeper than {MAX_GRADE} (30 %)"),
                ));
            }
        }
        Ok(Self {
            time_s,
            speed_mps,
            grade,
        })
    }

    /// Times (s).
    pub fn time_s(&self) -> &[f64] {
        &self.time_s
    }
    /// Target speeds (m/s).
    pub fn speed_mps(&self) -> &[f64] {
        &self.speed_mps
    }
    /// Grades (rise/run).
    pub fn grade(&self) -> &[f64] {
        &self.grade
    }
    /// Number of points.
    pub fn len(&self) -> usize {
        self.time_s.len()
    }
    /// Always false: a trace has at least two points.
    pub fn is_empty(&self) -> bool {
        self.time_s.is_empty()
    }
    /// Duration (s), last time minus first.
    pub fn duration_s(&self) -> f64 {
        self.time_s[self.time_s.len() - 1] - self.time_s[0]
    }
    /// Distance (m) of the trace as given (trapezoidal in speed, as the simulation integrates it).
    pub fn distance_m(&self) -> f64 {
        self.time_s
            .windows(2)
            .zip(self.speed_mps.windows(2))
            .map(|(t, v)| 0.5 * (v[0] + v[1]) * (t[1] - t[0]))
            .sum()
    }
    /// The same trace with every speed multiplied by `k` (times unchanged): accelerations scale by `k`
    /// too. Used to express driving-style uncertainty.
    pub fn speed_scaled(&self, k: f64) -> Self {
        Self {
            time_s: self.time_s.clone(),
            speed_mps: self.speed_mps.iter().map(|v| (v * k).max(0.0)).collect(),
            grade: self.grade.clone(),
        }
    }
}

/// The bundled standard cycles (see `data/cycles/SOURCES.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StandardCycle {
    /// EPA Urban Dynamometer Driving Schedule (city, 12.0 km, 1369 s).
    Udds,
    /// EPA Highway Fuel Economy Test (16.5 km, 765 s).
    Hwfet,
    /// EPA US06 (aggressive, 12.9 km, 600 s).
    Us06,
    /// WLTC class 3b (23.3 km, 1800 s).
    Wltc3b,
    /// NREL13 (11.8 km, 864 s).
    Nrel13,
    /// CARB HHDDT cruise mode, smoothed (37.1 km, 2291.5 s, non-uniform dt).
    HhddtCruise,
}

impl StandardCycle {
    /// All bundled cycles.
    pub const ALL: [StandardCycle; 6] = [
        StandardCycle::Udds,
        StandardCycle::Hwfet,
        StandardCycle::Us06,
        StandardCycle::Wltc3b,
        StandardCycle::Nrel13,
        StandardCycle::HhddtCruise,
    ];

    /// Parses a wire name (`udds`, `hwfet`, `us06`, `wltc_3b`, `nrel13`, `hhddt_cruise`; FASTSim's file
    /// names `NREL13` and `HHDDTCruiseSmooth` are accepted too, case-insensitively).
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "udds" => StandardCycle::Udds,
            "hwfet" => StandardCycle::Hwfet,
            "us06" => StandardCycle::Us06,
            "wltc_3b" | "wltc3b" | "wltc" => StandardCycle::Wltc3b,
            "nrel13" => StandardCycle::Nrel13,
            "hhddt_cruise" | "hhddtcruisesmooth" | "hhddt_cruise_smooth" => {
                StandardCycle::HhddtCruise
            }
            _ => return None,
        })
    }

    /// Wire name.
    pub fn name(self) -> &'static str {
        match self {
            StandardCycle::Udds => "udds",
            StandardCycle::Hwfet => "hwfet",
            StandardCycle::Us06 => "us06",
            StandardCycle::Wltc3b => "wltc_3b",
            StandardCycle::Nrel13 => "nrel13",
            StandardCycle::HhddtCruise => "hhddt_cruise",
        }
    }

    fn csv(self) -> &'static str {
        match self {
            StandardCycle::Udds => include_str!("../data/cycles/udds.csv"),
            StandardCycle::Hwfet => include_str!("../data/cycles/hwfet.csv"),
            StandardCycle::Us06 => include_str!("../data/cycles/us06.csv"),
            StandardCycle::Wltc3b => include_str!("../data/cycles/wltc_3b.csv"),
            StandardCycle::Nrel13 => include_str!("../data/cycles/NREL13.csv"),
            StandardCycle::HhddtCruise => include_str!("../data/cycles/HHDDTCruiseSmooth.csv"),
        }
    }

    /// The trace (parsed once per process).
    pub fn trace(self) -> Result<&'static Trace, ModelError> {
        static PARSED: OnceLock<Vec<Result<Trace, ModelError>>> = OnceLock::new();
        let all = PARSED.get_or_init(|| {
            StandardCycle::ALL
                .iter()
                .map(|c| parse_csv(c.csv()))
                .collect()
        });
        let idx = StandardCycle::ALL
            .iter()
            .position(|c| *c == self)
            .unwrap_or(0);
        match all.get(idx) {
            Some(Ok(t)) => Ok(t),
            Some(Err(e)) => Err(e.clone()),
            None => Err(ModelError::impossible(
                "duty_cycle.name",
                "bundled cycle missing",
            )),
        }
    }
}

/// Parses `time_s,speed_mps,grade` CSV text (header line first).
pub fn parse_csv(text: &str) -> Result<Trace, ModelError> {
    let mut t = Vec::new();
    let mut v = Vec::new();
    let mut g = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut cols = line.split(',').map(|c| c.trim().parse::<f64>());
        let mut next = || -> Result<f64, ModelError> {
            match cols.next() {
                Some(Ok(x)) => Ok(x),
                _ => Err(ModelError::invalid(
                    "duty_cycle",
                    format!("line {} is not `time_s,speed_mps,grade`", n + 1),
                )),
            }
        };
        t.push(next()?);
        v.push(next()?);
        g.push(next().unwrap_or(0.0));
    }
    Trace::new(t, v, Some(g))
}

/// Parameters of a synthesised stop-and-go cycle.
///
/// Defaults are ESTIMATES typical of city buses: mean acceleration 1.0 m/s² and braking 1.2 m/s²
/// (in-service buses accelerate at ≈ 0.8–1.3 m/s² with standing passengers), and 20 s dwell per stop.
/// `average_speed_kph` is the scheduled average *including* dwell, as timetables state it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StopAndGo {
    /// Average speed over the cycle, dwell included (km/h).
    pub average_speed_kph: f64,
    /// Stops per km (0 = one long cruise of 20 km between stops).
    pub stops_per_km: f64,
    /// Dwell at each stop (s). Shortened automatically when the average speed leaves no time for it.
    pub dwell_s: f64,
    /// Acceleration from standstill to cruise (m/s²).
    pub accel_mps2: f64,
    /// Braking deceleration (m/s²).
    pub decel_mps2: f64,
}

impl StopAndGo {
    /// Default dwell (s), acceleration and deceleration (m/s²): see the type's docs.
    pub const DEFAULT_DWELL_S: f64 = 20.0;
    /// Default mean acceleration (m/s²).
    pub const DEFAULT_ACCEL_MPS2: f64 = 1.0;
    /// Default mean braking deceleration (m/s²).
    pub const DEFAULT_DECEL_MPS2: f64 = 1.2;
    /// Longest stop-to-stop segment (m): below 0.05 stops/km the cycle is one 20 km cruise.
    pub const MAX_SEGMENT_M: f64 = 20_000.0;

    /// A stop-and-go cycle with the default dwell and accelerations.
    pub fn new(average_speed_kph: f64, stops_per_km: f64) -> Self {
        Self {
            average_speed_kph,
            stops_per_km,
            dwell_s: Self::DEFAULT_DWELL_S,
            accel_mps2: Self::DEFAULT_ACCEL_MPS2,
            decel_mps2: Self::DEFAULT_DECEL_MPS2,
        }
    }

    /// Stop-to-stop distance (m).
    pub fn segment_m(&self) -> f64 {
        if self.stops_per_km > 1000.0 / Self::MAX_SEGMENT_M {
            1000.0 / self.stops_per_km
        } else {
            Self::MAX_SEGMENT_M
        }
    }

    /// Solves one segment: (cruise speed m/s, dwell s, accel time, cruise time, brake time).
    fn solve(&self) -> Result<SegmentPlan, ModelError> {
        let f = "duty_cycle";
        let checks = [
            ("average_speed_kph", self.average_speed_kph, false),
            ("stops_per_km", self.stops_per_km, true),
            ("dwell_s", self.dwell_s, true),
            ("accel_mps2", self.accel_mps2, false),
            ("decel_mps2", self.decel_mps2, false),
        ];
        for (name, x, zero_ok) in checks {
            if !x.is_finite() || x < 0.0 || (!zero_ok && x == 0.0) {
                let want = if zero_ok { ">= 0" } else { "> 0" };
                return Err(ModelError::invalid(
                    format!("{f}.{name}"),
                    format!("must be a finite number {want}"),
                ));
            }
        }
        if self.average_speed_kph > 200.0 {
            return Err(ModelError::invalid(
                format!("{f}.average_speed_kph"),
                "must be <= 200",
            ));
        }
        if self.stops_per_km > 20.0 {
            return Err(ModelError::invalid(
                format!("{f}.stops_per_km"),
                "must be <= 20 (one stop every 50 m)",
            ));
        }
        let seg = self.segment_m();
        let v_avg = self.average_speed_kph / 3.6;
        let total = seg / v_avg;
        // Moving time T_m and cruise speed v: seg = v·T_m − v²·k, k = (1/a + 1/d)/2.
        let k = 0.5 * (1.0 / self.accel_mps2 + 1.0 / self.decel_mps2);
        // Fastest possible: a triangle profile needs T_m ≥ 2·sqrt(k·seg).
        let t_min = 2.0 * (k * seg).sqrt();
        if total < t_min {
            return Err(ModelError::impossible(
                format!("{f}.average_speed_kph"),
                format!(
                    "{:.1} km/h is unreachable with {} stops/km at {} m/s² accel and {} m/s² braking",
                    self.average_speed_kph, self.stops_per_km, self.accel_mps2, self.decel_mps2
                ),
            ));
        }
        // Keep the stated dwell when there is time for it; otherwise give the motion what it needs
        // (cruise at ≤ 1.25× the average moving speed of a pure triangle, i.e. dwell shrinks first).
        let dwell = self
            .dwell_s
            .min(((total - t_min) * 0.5).max(0.0))
            .min(total - t_min);
        let t_move = total - dwell;
        let disc = (t_move * t_move - 4.0 * k * seg).max(0.0);
        let v = (t_move - disc.sqrt()) / (2.0 * k);
        let t_acc = v / self.accel_mps2;
        let t_dec = v / self.decel_mps2;
        let t_cruise = (t_move - t_acc - t_dec).max(0.0);
        Ok(SegmentPlan {
            v,
            dwell,
            t_acc,
            t_cruise,
            t_dec,
        })
    }

    /// The trace of `segments` identical stop-to-stop segments (at least one), starting at rest.
    /// Points every ≤ 1 s plus each phase boundary, so the distance is exact.
    pub fn trace(&self, segments: usize) -> Result<Trace, ModelError> {
        let p = self.solve()?;
        let mut t = vec![0.0];
        let mut v = vec![0.0];
        let mut t0 = 0.0;
        for _ in 0..segments.max(1) {
            // accelerate
            push_ramp(&mut t, &mut v, t0, p.t_acc, 0.0, p.v);
            t0 += p.t_acc;
            push_ramp(&mut t, &mut v, t0, p.t_cruise, p.v, p.v);
            t0 += p.t_cruise;
            push_ramp(&mut t, &mut v, t0, p.t_dec, p.v, 0.0);
            t0 += p.t_dec;
            push_ramp(&mut t, &mut v, t0, p.dwell, 0.0, 0.0);
            t0 += p.dwell;
        }
        Trace::new(t, v, None)
    }

    /// A trace at least `min_distance_m` long (whole segments).
    pub fn trace_covering(&self, min_distance_m: f64) -> Result<Trace, ModelError> {
        let seg = self.segment_m();
        let n = (min_distance_m / seg).ceil();
        let n = if n.is_finite() && n >= 1.0 {
            n.min(10_000.0) as usize
        } else {
            1
        };
        self.trace(n)
    }
}

struct SegmentPlan {
    v: f64,
    dwell: f64,
    t_acc: f64,
    t_cruise: f64,
    t_dec: f64,
}

/// Appends a linear speed ramp from `v0` to `v1` over `dur` seconds starting at `t0`, in ≤ 1 s steps.
fn push_ramp(t: &mut Vec<f64>, v: &mut Vec<f64>, t0: f64, dur: f64, v0: f64, v1: f64) {
    if dur <= 1e-9 {
        return;
    }
    let n = dur.ceil().max(1.0) as usize;
    for i in 1..=n {
        let f = i as f64 / n as f64;
        t.push(t0 + dur * f);
        v.push(v0 + (v1 - v0) * f);
    }
}

/// A duty cycle as a request states it.
#[derive(Debug, Clone, PartialEq)]
pub enum DutyCycle {
    /// A bundled standard cycle.
    Standard(StandardCycle),
    /// An explicit trace.
    Explicit(Trace),
    /// A synthesised stop-and-go cycle.
    StopAndGo(StopAndGo),
}

impl DutyCycle {
    /// Minimum distance a synthesised cycle covers when resolved for a range estimate (m).
    pub const SYNTH_MIN_DISTANCE_M: f64 = 5_000.0;

    /// The trace to simulate (a synthesised cycle covers at least [`Self::SYNTH_MIN_DISTANCE_M`]).
    pub fn trace(&self) -> Result<std::borrow::Cow<'_, Trace>, ModelError> {
        use std::borrow::Cow;
        Ok(match self {
            DutyCycle::Standard(c) => Cow::Borrowed(c.trace()?),
            DutyCycle::Explicit(t) => Cow::Borrowed(t),
            DutyCycle::StopAndGo(s) => Cow::Owned(s.trace_covering(Self::SYNTH_MIN_DISTANCE_M)?),
        })
    }

    /// A short label: the cycle name, `explicit`, or `stop_and_go`.
    pub fn label(&self) -> &'static str {
        match self {
            DutyCycle::Standard(c) => c.name(),
            DutyCycle::Explicit(_) => "explicit",
            DutyCycle::StopAndGo(_) => "stop_and_go",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_cycles_match_their_published_distance_and_duration() {
        // GIVEN the FASTSim reference's own distances (trapezoidal) and durations
        let expect = [
            (StandardCycle::Udds, 11.990433, 1369.0),
            (StandardCycle::Hwfet, 16.506817, 765.0),
            (StandardCycle::Us06, 12.887582, 600.0),
            (StandardCycle::Wltc3b, 23.266278, 1800.0),
            (StandardCycle::Nrel13, 11.786071, 864.0),
            (StandardCycle::HhddtCruise, 37.140854, 2291.5),
        ];
        for (c, km, s) in expect {
            let t = c.trace().unwrap();
            assert!(
                (t.distance_m() / 1000.0 - km).abs() < 1e-4,
                "{c:?}: {}",
                t.distance_m()
            );
            assert!((t.duration_s() - s).abs() < 1e-9, "{c:?}");
            assert_eq!(StandardCycle::parse(c.name()), Some(c));
        }
    }

    #[test]
    fn hhddt_cruise_has_non_uniform_time_steps() {
        let t = StandardCycle::HhddtCruise.trace().unwrap();
        let dts: Vec<f64> = t.time_s().windows(2).map(|w| w[1] - w[0]).collect();
        assert!(dts.iter().any(|d| (d - 1.0).abs() > 1e-6));
    }

    #[test]
    fn bad_traces_are_rejected_naming_the_field() {
        let field = |r: Result<Trace, ModelError>| match r {
            Err(ModelError::Invalid { field, .. }) => field,
            other => panic!("expected invalid, got {other:?}"),
        };
        assert_eq!(
            field(Trace::new(vec![0.0, 1.0], vec![0.0], None)),
            "duty_cycle.speed_mps"
        );
        assert_eq!(
            field(Trace::new(vec![0.0, 1.0], vec![0.0, -1.0], None)),
            "duty_cycle.speed_mps"
        );
        assert_eq!(
            field(Trace::new(vec![0.0, 1.0], vec![0.0, f64::NAN], None)),
            "duty_cycle.speed_mps"
        );
        assert_eq!(
            field(Trace::new(
                vec![0.0, 1.0],
                vec![0.0, 1.0],
                Some(vec![0.0, 0.31])
            )),
            "duty_cycle.grade"
        );
        assert_eq!(
            field(Trace::new(vec![0.0, 1.0], vec![0.0, 1.0], Some(vec![0.0]))),
            "duty_cycle.grade"
        );
        assert_eq!(
            field(Trace::new(vec![0.0, 0.0], vec![0.0, 1.0], None)),
            "duty_cycle.time_s"
        );
        assert_eq!(
            field(Trace::new(vec![0.0, f64::NAN], vec![0.0, 1.0], None)),
            "duty_cycle.time_s"
        );
    }

    #[test]
    fn stop_and_go_meets_its_average_speed_and_stop_density() {
        // GIVEN a bus timetable of 18 km/h with 2.5 stops/km
        let s = StopAndGo::new(18.0, 2.5);
        let t = s.trace(10).unwrap();
        // THEN ten 400 m segments are driven at exactly 18 km/h on average (dwell included)
        assert!((t.distance_m() - 4000.0).abs() < 1e-6, "{}", t.distance_m());
        let avg_kph = t.distance_m() / t.duration_s() * 3.6;
        assert!((avg_kph - 18.0).abs() < 1e-9, "{avg_kph}");
        // AND it stops once per segment, with a plausible urban cruise speed
        let stops = t
            .speed_mps()
            .windows(2)
            .filter(|w| w[0] > 0.0 && w[1] == 0.0)
            .count();
        assert_eq!(stops, 10);
        let vmax = t.speed_mps().iter().cloned().fold(0.0, f64::max) * 3.6;
        assert!((20.0..50.0).contains(&vmax), "{vmax}");
        // AND the same input gives the same trace
        assert_eq!(t, s.trace(10).unwrap());
    }

    #[test]
    fn stop_and_go_shortens_dwell_then_refuses_the_impossible() {
        // 30 km/h with 3 stops/km: 333 m in 40 s needs ≥ 34.9 s of motion, so the 20 s dwell shrinks
        let t = StopAndGo::new(30.0, 3.0).trace(3).unwrap();
        assert!((t.distance_m() / t.duration_s() * 3.6 - 30.0).abs() < 1e-9);
        let stopped = t
            .time_s()
            .windows(2)
            .zip(t.speed_mps().windows(2))
            .filter(|(_, v)| v[0] == 0.0 && v[1] == 0.0);
        let dwell: f64 = stopped.map(|(t, _)| t[1] - t[0]).sum::<f64>() / 3.0;
        assert!(dwell > 0.0 && dwell < 5.0, "{dwell}");
        // 80 km/h with 5 stops/km cannot be driven at 1 m/s²
        assert!(matches!(
            StopAndGo::new(80.0, 5.0).trace(1),
            Err(ModelError::Impossible { .. })
        ));
        assert!(matches!(
            StopAndGo::new(-1.0, 5.0).trace(1),
            Err(ModelError::Invalid { .. })
        ));
    }

    #[test]
    fn zero_stops_is_one_long_cruise() {
        let t = StopAndGo::new(60.0, 0.0).trace(1).unwrap();
        assert!((t.distance_m() - 20_000.0).abs() < 1e-6);
    }
}
