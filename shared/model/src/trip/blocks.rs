//! Building blocks (one vehicle's chain of trips through a service day) from a day's trips.
//!
//! ```text
//!   trips with block_id ──group by id, sort by departure──► given blocks
//!   trips without       ──depart-time order, chain at the same location
//!                         after ≥ min layover (longest-waiting vehicle first)──► derived blocks
//! ```
//!
//! The chaining rule is the classic first-in-first-out vehicle-scheduling heuristic: trips are taken
//! in departure order; each goes to the vehicle that has waited longest at the trip's start location,
//! provided it arrived at least `min_layover_s` earlier; otherwise a new vehicle (block) starts.
//! Locations are opaque keys: the caller decides which stops count as one terminal.

use crate::error::ModelError;
use std::collections::HashMap;

/// The scheduling facts of one trip that block building needs.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockTrip {
    /// Trip id (for messages).
    pub id: String,
    /// The block it belongs to, when the timetable says so.
    pub block_id: Option<String>,
    /// Where it starts (a location key).
    pub start_location: String,
    /// Where it ends (a location key).
    pub end_location: String,
    /// Departure (s since the service day's reference midnight; may exceed 86,400).
    pub depart_s: i64,
    /// Arrival (s, same reference).
    pub arrive_s: i64,
}

/// A block: indices into the input trips, in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// The timetable's `block_id`, or a generated `derived-NNN` id.
    pub id: String,
    /// Whether the block was built by the chaining heuristic (no `block_id` in the timetable).
    pub derived: bool,
    /// Indices into the input slice, in departure order.
    pub trips: Vec<usize>,
}

/// Options of the chaining heuristic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChainOptions {
    /// Least time between arriving and departing again at the same location (s).
    pub min_layover_s: i64,
    /// Longest wait at a terminal before the vehicle is taken to be back at the depot and a new
    /// block starts (s); `None` never splits.
    pub max_layover_s: Option<i64>,
}

impl Default for ChainOptions {
    /// 5 min minimum layover (a common recovery-time floor in bus scheduling; ESTIMATE, operators set
    /// 5–10 min), no maximum.
    fn default() -> Self {
        Self {
            min_layover_s: 300,
            max_layover_s: None,
        }
    }
}

/// Groups `trips` into blocks: by `block_id` where given, by the chaining heuristic for the rest.
///
/// Given blocks whose trips overlap in time are an error naming the block and both trips. Blocks
/// come out ordered by first departure; every input trip is in exactly one block.
pub fn build_blocks(trips: &[BlockTrip], opts: ChainOptions) -> Result<Vec<Block>, ModelError> {
    for (i, t) in trips.iter().enumerate() {
        if t.arrive_s < t.depart_s {
            return Err(ModelError::invalid(
                format!("trips[{i}].arrive"),
                format!(
                    "trip `{}` arrives ({}) before it departs ({})",
                    t.id, t.arrive_s, t.depart_s
                ),
            ));
        }
    }
    let mut blocks: Vec<Block> = Vec::new();
    // Given blocks.
    let mut given: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut loose: Vec<usize> = Vec::new();
    for (i, t) in trips.iter().enumerate() {
        match t.block_id.as_deref().map(str::trim) {
            Some(b) if !b.is_empty() => given.entry(b).or_default().push(i),
            _ => loose.push(i),
        }
    }
    for (id, mut idx) in given {
        sort_by_time(trips, &mut idx);
        for w in idx.windows(2) {
            let (a, b) = (&trips[w[0]], &trips[w[1]]);
            if b.depart_s < a.arrive_s {
                return Err(ModelError::invalid(
                    "block_id",
                    format!(
                        "block `{id}`: trip `{}` departs before trip `{}` arrives",
                        b.id, a.id
                    ),
                ));
            }
        }
        blocks.push(Block {
            id: id.to_string(),
            derived: false,
            trips: idx,
        });
    }
    // Derived blocks.
    sort_by_time(trips, &mut loose);
    // Vehicles waiting at each location: (ready time, block index), oldest first.
    let mut waiting: HashMap<&str, Vec<(i64, usize)>> = HashMap::new();
    let mut derived: Vec<Vec<usize>> = Vec::new();
    for &i in &loose {
        let t = &trips[i];
        let chosen = waiting
            .get_mut(t.start_location.as_str())
            .and_then(|queue| {
                // Drop vehicles that waited too long: they went back to the depot.
                if let Some(max) = opts.max_layover_s {
                    queue.retain(|&(ready, _)| t.depart_s - ready <= max);
                }
                let pos = queue
                    .iter()
                    .position(|&(ready, _)| ready + opts.min_layover_s <= t.depart_s)?;
                Some(queue.remove(pos).1)
            });
        let b = match chosen {
            Some(b) => b,
            None => {
                derived.push(Vec::new());
                derived.len() - 1
            }
        };
        derived[b].push(i);
        let queue = waiting.entry(t.end_location.as_str()).or_default();
        // Keep each queue ordered by ready time (arrivals come nearly in order; insert in place).
        let at = queue.partition_point(|&(ready, _)| ready <= t.arrive_s);
        queue.insert(at, (t.arrive_s, b));
    }
    let width = derived.len().to_string().len().max(3);
    for (n, idx) in derived.into_iter().enumerate() {
        blocks.push(Block {
            id: format!("derived-{:0width$}", n + 1),
            derived: true,
            trips: idx,
        });
    }
    blocks.sort_by(|a, b| {
        let fa = a.trips.first().map(|&i| trips[i].depart_s);
        let fb = b.trips.first().map(|&i| trips[i].depart_s);
        fa.cmp(&fb).then_with(|| a.id.cmp(&b.id))
    });
    Ok(blocks)
}

fn sort_by_time(trips: &[BlockTrip], idx: &mut [usize]) {
    idx.sort_by(|&a, &b| {
        (trips[a].depart_s, trips[a].arrive_s, &trips[a].id).cmp(&(
            trips[b].depart_s,
            trips[b].arrive_s,
            &trips[b].id,
        ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(id: &str, from: &str, to: &str, dep_min: i64, arr_min: i64) -> BlockTrip {
        BlockTrip {
            id: id.into(),
            block_id: None,
            start_location: from.into(),
            end_location: to.into(),
            depart_s: dep_min * 60,
            arrive_s: arr_min * 60,
        }
    }

    #[test]
    fn shuttle_chains_into_one_block_when_layover_allows() {
        // GIVEN A→B 60–90, B→A 100–130, A→B 140–170 with a 5 min minimum layover; THEN one vehicle.
        let trips = vec![
            t("1", "A", "B", 60, 90),
            t("2", "B", "A", 100, 130),
            t("3", "A", "B", 140, 170),
        ];
        let blocks = build_blocks(&trips, ChainOptions::default()).unwrap();
        assert_eq!(blocks.len(), 1);
        assert!(blocks[0].derived);
        assert_eq!(blocks[0].trips, vec![0, 1, 2]);
    }

    #[test]
    fn too_short_a_layover_needs_a_second_vehicle() {
        // B→A departs 2 min after A→B arrives: under the 5 min floor, so another vehicle runs it.
        let trips = vec![t("1", "A", "B", 60, 90), t("2", "B", "A", 92, 120)];
        let blocks = build_blocks(&trips, ChainOptions::default()).unwrap();
        assert_eq!(blocks.len(), 2);
    }

    #[test]
    fn a_trip_from_elsewhere_does_not_chain() {
        let trips = vec![t("1", "A", "B", 60, 90), t("2", "C", "A", 120, 150)];
        assert_eq!(
            build_blocks(&trips, ChainOptions::default()).unwrap().len(),
            2
        );
    }

    #[test]
    fn longest_waiting_vehicle_goes_first() {
        // Two vehicles wait at B (arrived 90 and 100); the 120 departure takes the one from 90.
        let trips = vec![
            t("x", "A", "B", 60, 90),
            t("y", "C", "B", 70, 100),
            t("z", "B", "A", 120, 150),
        ];
        let blocks = build_blocks(&trips, ChainOptions::default()).unwrap();
        let with_z = blocks.iter().find(|b| b.trips.contains(&2)).unwrap();
        assert_eq!(with_z.trips, vec![0, 2]);
    }

    #[test]
    fn max_layover_sends_the_vehicle_home() {
        let trips = vec![t("1", "A", "B", 60, 90), t("2", "B", "A", 400, 430)];
        let opts = ChainOptions {
            min_layover_s: 300,
            max_layover_s: Some(3600),
        };
        assert_eq!(build_blocks(&trips, opts).unwrap().len(), 2);
        assert_eq!(
            build_blocks(&trips, ChainOptions::default()).unwrap().len(),
            1
        );
    }

    #[test]
    fn given_block_ids_are_kept_and_sorted() {
        let mut a = t("late", "A", "B", 200, 230);
        a.block_id = Some("B1".into());
        let mut b = t("early", "B", "A", 100, 130);
        b.block_id = Some("B1".into());
        let blocks = build_blocks(&[a, b], ChainOptions::default()).unwrap();
        assert_eq!(blocks.len(), 1);
        assert!(!blocks[0].derived);
        assert_eq!(blocks[0].id, "B1");
        assert_eq!(blocks[0].trips, vec![1, 0]);
    }

    #[test]
    fn overlapping_trips_in_a_given_block_are_an_error_naming_them() {
        let mut a = t("a", "A", "B", 100, 150);
        a.block_id = Some("B1".into());
        let mut b = t("b", "B", "A", 140, 170);
        b.block_id = Some("B1".into());
        let err = build_blocks(&[a, b], ChainOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("B1") && err.contains("`a`") && err.contains("`b`"),
            "{err}"
        );
    }

    #[test]
    fn times_past_midnight_chain_like_any_other() {
        // GTFS times run past 24:00 on the same service day: 24:10 follows 23:30.
        let trips = vec![
            t("1", "A", "B", 23 * 60, 23 * 60 + 30),
            t("2", "B", "A", 24 * 60 + 10, 24 * 60 + 40),
        ];
        let blocks = build_blocks(&trips, ChainOptions::default()).unwrap();
        assert_eq!(blocks.len(), 1);
    }

    proptest::proptest! {
        #[test]
        fn every_trip_in_exactly_one_block_in_order_without_overlap(
            raw in proptest::collection::vec((0u8..4, 0u8..4, 0i64..1200, 5i64..90), 1..60)
        ) {
            let trips: Vec<BlockTrip> = raw.iter().enumerate().map(|(i, &(a, b, dep, dur))| {
                t(&i.to_string(), &a.to_string(), &b.to_string(), dep, dep + dur)
            }).collect();
            let blocks = build_blocks(&trips, ChainOptions::default()).unwrap();
            let mut seen = vec![0u32; trips.len()];
            for b in &blocks {
                for w in b.trips.windows(2) {
                    let (x, y) = (&trips[w[0]], &trips[w[1]]);
                    proptest::prop_assert!(y.depart_s >= x.arrive_s + 300);
                    proptest::prop_assert_eq!(&y.start_location, &x.end_location);
                }
                for &i in &b.trips { seen[i] += 1; }
            }
            proptest::prop_assert!(seen.iter().all(|&n| n == 1));
        }
    }
}
