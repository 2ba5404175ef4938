//! Execution traffic: past executions seeded at start, and a background task
//! that keeps creating new ones at a steady rate and settles running ones.

use super::json::Ts;
use super::server::Sim;
use super::store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How far back seeded executions reach.
const SEED_WINDOW_MS: i64 = 24 * 3_600_000;
/// How often the background task wakes up.
const TICK: Duration = Duration::from_millis(250);

/// Records `count` executions spread over the last day, oldest first (so ids
/// grow with time, as in n8n).
pub fn seed_past(store: &mut Store, count: usize) {
    if store.workflow_count() == 0 || count == 0 {
        return;
    }
    let now = Ts::now();
    let mut offsets: Vec<i64> = (0..count)
        .map(|_| store.exec_rng.below(SEED_WINDOW_MS as u64) as i64)
        .collect();
    offsets.sort_unstable_by(|a, b| b.cmp(a));
    for offset in offsets {
        if let Some(id) = store.pick_workflow_to_run() {
            // The workflow exists: it was just picked from the store.
            let _ = store.run_workflow(&id, now.plus_ms(-offset), None);
        }
    }
}

/// Creates `per_minute` executions a minute until `stop` changes.
pub async fn run(sim: Arc<Sim>, per_minute: u32, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let per_tick = f64::from(per_minute) * TICK.as_secs_f64() / 60.0;
    let mut due = 0.0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        due += per_tick;
        let n = due.floor();
        due -= n;
        let mut store = sim.write();
        store.settle_executions(Ts::now());
        for _ in 0..n as usize {
            if let Some(id) = store.pick_workflow_to_run() {
                let _ = store.run_workflow(&id, Ts::now(), None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn seeded_executions_are_in_the_past_and_ordered() {
        let mut store = Store::new(4, &[], 1000);
        let body = json!({"name": "w", "nodes": [{"name": "Hook", "type": "n8n-nodes-base.webhook"}], "connections": {}, "settings": {}});
        let id = store.create_workflow(&body, None).unwrap().id.clone();
        store.activate(&id).unwrap();
        seed_past(&mut store, 200);
        assert_eq!(store.executions.len(), 200);
        let starts: Vec<Ts> = store.executions.iter().map(|e| e.started_at).collect();
        assert!(starts.windows(2).all(|w| w[0] <= w[1]));
        assert!(starts.iter().all(|t| *t <= Ts::now()));
        let statuses: std::collections::HashSet<&str> =
            store.executions.iter().map(|e| e.status.as_str()).collect();
        assert!(statuses.contains("success") && statuses.contains("error"));
    }
}
