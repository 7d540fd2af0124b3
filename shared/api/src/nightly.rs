//! The nightly re-plan (EventBridge schedule → the depot worker): every depot plan stored under
//! [`PLANS_PREFIX`] (a `depot_simulation` request, `plans/<name>.json`) is moved to the next day on its
//! own wall clock and run as a stored run of its depot.
//!
//! ```text
//! plans/north.json ──shift by whole days so `start` falls on tomorrow──▶ runs/<id>/request.json
//!                  ──create (Idempotency-Key replan:<name>:<date>)──▶ run ──execute──▶ artifacts, succeeded
//! ```
//! The idempotency key makes a repeated schedule (EventBridge delivers at least once) create no second run
//! for the same plan and day.

use serde_json::json;
use twin_model::depot::time as dtime;

use crate::depot_simulation::DepotSimulationRequest;
use crate::error::ApiError;
use crate::runs::{self, store_err, Executed, Worker};
use crate::{Ctx, Door};

/// Where depot plans are stored.
pub const PLANS_PREFIX: &str = "plans/";

/// Moves every time of `req` by whole days so that `start` falls on `day` (days since 1970-01-01 on the
/// plan's wall clock); offsets are kept, so tariffs and event times stay on the same clock.
pub fn shift_to_day(req: &mut DepotSimulationRequest, day: i64) -> Result<(), ApiError> {
    let start = dtime::parse(&req.start).map_err(|m| ApiError::invalid("start", m))?;
    let shift = (day - start.wall_s.div_euclid(86_400)) * 86_400;
    let moved = |s: &str, field: &str| -> Result<String, ApiError> {
        let t = dtime::parse(s).map_err(|m| ApiError::invalid(field, m))?;
        Ok(dtime::format(t.wall_s + shift, t.offset_s))
    };
    req.start = moved(&req.start, "start")?;
    req.end = moved(&req.end, "end")?;
    for (i, v) in req.fleet.iter_mut().enumerate() {
        for (j, e) in v.events.iter_mut().enumerate() {
            e.arrive = moved(&e.arrive, &format!("fleet[{i}].events[{j}].arrive"))?;
            e.depart = moved(&e.depart, &format!("fleet[{i}].events[{j}].depart"))?;
        }
    }
    Ok(())
}

/// The day after `now_ms` on the wall clock of the plan's `start` (UTC when it has no offset).
pub fn next_day(req: &DepotSimulationRequest, now_ms: i64) -> Result<i64, ApiError> {
    let start = dtime::parse(&req.start).map_err(|m| ApiError::invalid("start", m))?;
    let offset = i64::from(start.offset_s.unwrap_or(0));
    Ok((now_ms.div_euclid(1000) + offset).div_euclid(86_400) + 1)
}

/// Re-plans every stored plan for the next day and runs each on `worker`. Returns one entry per plan:
/// `{"plan", "run_id", "status"}`, or `{"plan", "error"}` for a plan that could not be re-planned (a
/// bad plan does not stop the others).
pub async fn replan_all(worker: &Worker, now_ms: i64) -> Result<Vec<serde_json::Value>, ApiError> {
    let stores = &worker.stores;
    let plans = stores
        .artifacts
        .list(PLANS_PREFIX)
        .await
        .map_err(store_err)?;
    let mut out = Vec::with_capacity(plans.len());
    for plan in plans {
        let name = plan
            .key
            .strip_prefix(PLANS_PREFIX)
            .unwrap_or(&plan.key)
            .trim_end_matches(".json")
            .replace('/', "_");
        match replan_one(worker, &plan.key, &name, now_ms).await {
            Ok(r) => {
                out.push(json!({"plan": plan.key, "run_id": r.run_id, "status": r.status.as_str()}))
            }
            Err(e) => out.push(json!({"plan": plan.key, "error": e.to_json()["error"]})),
        }
    }
    Ok(out)
}

async fn replan_one(
    worker: &Worker,
    key: &str,
    name: &str,
    now_ms: i64,
) -> Result<twin_store::RunRecord, ApiError> {
    let stores = &worker.stores;
    let body = stores
        .artifacts
        .get(key)
        .await
        .map_err(store_err)?
        .ok_or_else(|| ApiError::not_found(format!("plan {key} vanished")))?;
    let mut req: DepotSimulationRequest = crate::validate::parse(&body)?;
    let day = next_day(&req, now_ms)?;
    shift_to_day(&mut req, day)?;
    req.mode = None;
    // Checked before it is stored, so a broken plan is reported here rather than as a failed run.
    crate::depot_simulation::to_input(&req)?;
    let (y, m, d) = dtime::civil_from_days(day);
    let depot_id = req.depot.id.clone().unwrap_or_else(|| {
        name.chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            .take(128)
            .collect()
    });
    let depot_id = if depot_id.is_empty() {
        "default".to_owned()
    } else {
        depot_id
    };
    let mut ctx = Ctx::new(Door::Lambda);
    ctx.headers.push((
        "idempotency-key".to_owned(),
        format!("replan:{name}:{y:04}-{m:02}-{d:02}"),
    ));
    let request = serde_json::to_vec(&req).map_err(ApiError::internal)?;
    let (run, _) =
        runs::submit(stores, &ctx, runs::KIND_DEPOT, &depot_id, &request, now_ms).await?;
    match worker.execute(&run.run_id).await.map_err(store_err)? {
        Executed::Finished(r) | Executed::Skipped(r) => Ok(r),
    }
}
