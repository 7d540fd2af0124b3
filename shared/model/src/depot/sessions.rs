//! Plug-in sessions: which visit gets which connector, and when.
//!
//! Connectors free only when their vehicle leaves, so the schedule is independent of charging power:
//! events are replayed in time order (departures before arrivals at the same instant); an arriving
//! vehicle takes a free connector (of its pinned charger, else the first charger with one), or waits
//! in a first-come queue; a departing vehicle frees its connector for the first waiting vehicle that
//! may use it. A vehicle that leaves while still waiting never charges on that visit.

use super::{ArrivalState, DepotInput, EventTiming};
use crate::error::ModelError;
use std::collections::VecDeque;

/// One visit, with its effective times and connector.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// Vehicle index.
    pub vehicle: usize,
    /// Visit index within the vehicle.
    pub visit: usize,
    /// Effective arrival (wall-clock s).
    pub arrive_s: i64,
    /// Effective departure (wall-clock s).
    pub depart_s: i64,
    /// Plug-in time and charger, when a connector was had before departure.
    pub plug: Option<(i64, usize)>,
    /// State on arrival.
    pub arrival: ArrivalState,
    /// SoC wanted at departure (fraction, already capped by the battery's max).
    pub target: f64,
}

impl Session {
    /// Seconds waited for a connector (to departure if none was had).
    pub fn wait_s(&self) -> i64 {
        match self.plug {
            Some((t, _)) => t - self.arrive_s,
            None => self.depart_s - self.arrive_s,
        }
    }
}

fn round_up(t: i64, start: i64, step: i64) -> i64 {
    if t <= start {
        return t;
    }
    start + (t - start + step - 1).div_euclid(step) * step
}

/// Builds the sessions of every visit that starts before the end of the horizon.
pub fn build(input: &DepotInput) -> Result<Vec<Session>, ModelError> {
    let mut out: Vec<Session> = Vec::new();
    for (vi, v) in input.fleet.iter().enumerate() {
        let b = &v.vehicle.battery;
        for (j, e) in v.visits.iter().enumerate() {
            let (a, d) = match input.semantics.event_timing {
                EventTiming::Exact => (e.arrive_s, e.depart_s),
                EventTiming::RoundUpToStep => (
                    round_up(e.arrive_s, input.start_s, input.step_s),
                    round_up(e.depart_s, input.start_s, input.step_s),
                ),
            };
            if a >= input.end_s || d <= input.start_s {
                continue;
            }
            // A stay shorter than a step can round to nothing: it still arrives (its energy use
            // counts) and departs, but never plugs in.
            let target_pct = e
                .target_soc_pct
                .or(v.target_soc_pct)
                .unwrap_or(100.0)
                .min(b.max_soc_pct);
            out.push(Session {
                vehicle: vi,
                visit: j,
                arrive_s: a,
                depart_s: d,
                plug: None,
                arrival: e.arrival,
                target: target_pct / 100.0,
            });
        }
    }
    // Replay: (time, 0 = departure | 1 = arrival, session).
    let mut events: Vec<(i64, u8, usize)> = Vec::with_capacity(out.len() * 2);
    for (i, s) in out
        .iter()
        .enumerate()
        .filter(|(_, s)| s.depart_s > s.arrive_s)
    {
        events.push((s.arrive_s, 1, i));
        events.push((s.depart_s, 0, i));
    }
    events.sort_unstable();
    let mut free: Vec<u32> = input.chargers.iter().map(|c| c.connectors).collect();
    let mut queue: VecDeque<usize> = VecDeque::new();
    let pinned = |s: &Session| input.fleet[s.vehicle].charger;
    for (t, kind, i) in events {
        if kind == 1 {
            let c = match pinned(&out[i]) {
                Some(c) => (free[c] > 0).then_some(c),
                None => free.iter().position(|f| *f > 0),
            };
            match c {
                Some(c) => {
                    free[c] -= 1;
                    out[i].plug = Some((t, c));
                }
                None => {
                    if input.semantics.no_queue {
                        let v = &input.fleet[out[i].vehicle];
                        return Err(ModelError::invalid(
                            "depot.chargers",
                            format!(
                                "vehicle {} arrives at {} to no free connector{} and queueing is off (options.queue = false): add connectors or allow queueing",
                                v.id,
                                super::time::format(t, input.clock_offset_s),
                                match v.charger { Some(c) => format!(" on charger {}", input.chargers[c].id), None => String::new() }
                            ),
                        ));
                    }
                    queue.push_back(i);
                }
            }
        } else {
            match out[i].plug {
                Some((_, c)) => {
                    free[c] += 1;
                    // Serve the first waiting vehicle that may use charger c.
                    if let Some(pos) = queue
                        .iter()
                        .position(|&w| pinned(&out[w]).is_none_or(|p| p == c))
                    {
                        if let Some(w) = queue.remove(pos) {
                            free[c] -= 1;
                            out[w].plug = Some((t, c));
                        }
                    }
                }
                None => {
                    if let Some(pos) = queue.iter().position(|&w| w == i) {
                        queue.remove(pos);
                    }
                }
            }
        }
    }
    Ok(out)
}
