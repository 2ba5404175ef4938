//! The tail's behaviour (ring buffer, pause/follow, filters, stale results, retry)
//! and its snapshots at 80x24 and wide.

use super::*;
use crate::service::{ErrorKind, ExecutionGap, ExecutionNodeRun, OpsError, time_from_ms};
use crate::tui::pane::Effect;
use crate::tui::testing::{Fixture, Harness, NARROW, WIDE, now};

const WORKFLOWS: [&str; 4] = [
    "Order sync to ERP",
    "Slack alerts for failed payments",
    "Nightly CRM export",
    "Lead enrichment",
];
const ENVS: [&str; 3] = ["development", "staging", "production"];

/// Execution `id` of `env`, started `ago` seconds before the fixed now.
fn exec(env: &str, id: u64, ago: i64, status: &str) -> ExecutionView {
    let started = now().timestamp_millis() - ago * 1000;
    let workflow = (id % 4) as usize;
    ExecutionView {
        env: env.into(),
        id: id.to_string(),
        workflow_id: Some(format!("wf{workflow}")),
        workflow_name: Some(WORKFLOWS[workflow].into()),
        status: status.into(),
        mode: Some(
            if id.is_multiple_of(3) {
                "webhook"
            } else {
                "trigger"
            }
            .into(),
        ),
        started_at: Some(time_from_ms(started)),
        stopped_at: (!matches!(status, "running" | "waiting"))
            .then(|| time_from_ms(started + 137 * id as i64)),
        retry_of: None,
    }
}

/// A page of these executions, newest first, with the cursors they imply.
fn page_of(mut executions: Vec<ExecutionView>) -> ExecutionsPage {
    executions.sort_by_key(|e| std::cmp::Reverse(e.started_at));
    let mut cursors = BTreeMap::new();
    for e in &executions {
        let newest = cursors.entry(e.env.clone()).or_insert_with(|| e.id.clone());
        if e.id.parse::<u64>().ok() > newest.parse::<u64>().ok() {
            *newest = e.id.clone();
        }
    }
    ExecutionsPage {
        executions,
        cursors,
        errors: Vec::new(),
        gaps: Vec::new(),
        gone: Vec::new(),
    }
}

/// Twelve executions over the three environments, a few failed.
fn stream() -> Vec<ExecutionView> {
    let statuses = [
        "success", "error", "success", "success", "canceled", "crashed",
    ];
    let mut list: Vec<ExecutionView> = (0..12u64)
        .map(|i| {
            let env = ENVS[(i % 3) as usize];
            exec(
                env,
                100 + i,
                600 - 40 * i as i64,
                statuses[(i % 6) as usize],
            )
        })
        .collect();
    list[3].workflow_name = None;
    list[7].retry_of = Some("98".into());
    list[7].mode = Some("retry".into());
    let day_ago = now() - chrono::Duration::days(1);
    list[10].started_at = Some(day_ago);
    list[10].stopped_at = Some(day_ago + chrono::Duration::milliseconds(480));
    list
}

fn deliver(pane: &mut ExecutionsPane, h: &mut Harness, page: ExecutionsPage) {
    let generation = pane.generation;
    deliver_as(pane, h, generation, Ok(page));
}

fn deliver_as(
    pane: &mut ExecutionsPane,
    h: &mut Harness,
    generation: u64,
    result: OpsResult<ExecutionsPage>,
) {
    pane.on_msg(Box::new(Msg::Polled { generation, result }), &mut h.cx());
}

fn shown_ids(pane: &ExecutionsPane) -> Vec<String> {
    pane.visible()
        .iter()
        .map(|&i| pane.rows[i].id.clone())
        .collect()
}

fn spawned(h: &Harness) -> usize {
    h.effects
        .iter()
        .filter(|e| matches!(e, Effect::Spawn(_)))
        .count()
}

fn pane() -> ExecutionsPane {
    ExecutionsPane::new(2000, Duration::from_secs(3))
}

fn detail_of(e: &ExecutionView) -> ExecutionDetail {
    ExecutionDetail {
        execution: e.clone(),
        failing_node: Some("Call ERP API".into()),
        error_message: Some(
            "The service was not able to process your request: upstream timed out after 30s".into(),
        ),
        nodes: [
            ("Webhook", "success", 2, Some(1)),
            ("Validate order", "success", 14, Some(1)),
            ("Map fields", "success", 3, Some(2)),
            ("Call ERP API", "error", 30_012, None),
        ]
        .into_iter()
        .map(|(node, status, ms, items)| ExecutionNodeRun {
            node: node.into(),
            status: status.into(),
            duration_ms: Some(ms),
            items,
        })
        .collect(),
    }
}

#[tokio::test]
async fn the_ring_buffer_stays_bounded() {
    let mut h = Harness::new().await;
    let mut p = ExecutionsPane::new(50, Duration::from_secs(3));
    let mut id = 0;
    for round in 0..400 {
        let batch = (0..7)
            .map(|_| {
                id += 1;
                exec(ENVS[id as usize % 3], id, 100_000 - id as i64, "success")
            })
            .collect();
        deliver(&mut p, &mut h, page_of(batch));
        assert!(
            p.rows.len() <= 50,
            "{} rows after round {round}",
            p.rows.len()
        );
    }
    assert_eq!(p.rows.len(), 50);
    assert_eq!(p.rows[0].id, id.to_string(), "the newest stays");
    assert_eq!(p.rows[49].id, (id - 49).to_string(), "the oldest went");
}

#[tokio::test]
async fn polls_when_due_with_the_cursors() {
    let mut h = Harness::new().await;
    let mut p = pane();
    let t0 = Instant::now();
    p.tick(t0, &mut h.cx());
    assert_eq!(spawned(&h), 1, "the first tick polls");
    p.tick(t0 + Duration::from_secs(5), &mut h.cx());
    assert_eq!(spawned(&h), 1, "not while a poll runs");
    deliver(&mut p, &mut h, page_of(stream()));
    p.tick(t0 + Duration::from_secs(1), &mut h.cx());
    assert_eq!(spawned(&h), 1, "not before it is due");
    p.tick(t0 + Duration::from_secs(3), &mut h.cx());
    assert_eq!(spawned(&h), 2, "when due");
    let q = p.query();
    assert_eq!(q.after.get("production").map(String::as_str), Some("111"));
    assert_eq!(q.after.get("development").map(String::as_str), Some("109"));
    assert_eq!(q.after.len(), 3);
}

#[tokio::test]
async fn a_real_poll_round_trips_through_the_service() {
    let mut h = Harness::new().await;
    let mut p = pane();
    p.on_open(Nav::Show, &mut h.cx());
    let msgs = h.run_spawned().await;
    assert_eq!(msgs.len(), 1);
    for msg in msgs {
        p.on_msg(msg, &mut h.cx());
    }
    assert!(p.polled_once && !p.polling);
    assert!(p.failure.is_none() && p.rows.is_empty());
}

#[tokio::test]
async fn pause_holds_the_view_and_counts_new_rows() {
    let mut h = Harness::new().await;
    let f = Fixture::default();
    let mut p = pane();
    deliver(&mut p, &mut h, page_of(stream()));
    p.on_action(Action::Pause, &mut h.cx());
    p.on_action(Action::Down, &mut h.cx());
    p.on_action(Action::Down, &mut h.cx());
    let held = p.target().unwrap().id.clone();
    let first_shown = shown_ids(&p)[p.cursor.offset].clone();

    let new = vec![
        exec("staging", 200, 5, "success"),
        exec("production", 201, 3, "error"),
    ];
    deliver(&mut p, &mut h, page_of(new));
    assert_eq!(p.target().unwrap().id, held, "the cursor stays on its row");
    assert_eq!(
        shown_ids(&p)[p.cursor.offset],
        first_shown,
        "the view does not move"
    );
    assert_eq!(p.unseen, 2);
    let screen = f.render(&mut p, NARROW);
    assert!(screen.contains("paused · 2 new"), "{screen}");
    assert!(!screen.contains("Slack alerts for failed payments  error"));

    // Following again jumps to the newest and keeps it there.
    p.on_action(Action::Pause, &mut h.cx());
    assert_eq!((p.cursor.selected, p.unseen), (0, 0));
    assert_eq!(p.target().unwrap().id, "201");
    deliver(
        &mut p,
        &mut h,
        page_of(vec![exec("staging", 202, 1, "success")]),
    );
    assert_eq!(p.target().unwrap().id, "202");
    assert!(f.render(&mut p, NARROW).contains("following"));

    // Moving off the newest stops following.
    p.on_action(Action::Down, &mut h.cx());
    assert!(p.paused);
}

#[tokio::test]
async fn filters_by_environment_workflow_and_status() {
    let mut h = Harness::new().await;
    let mut p = pane();
    deliver(&mut p, &mut h, page_of(stream()));
    assert_eq!(shown_ids(&p).len(), 12);

    p.on_command("status", "Error", &mut h.cx());
    assert_eq!(shown_ids(&p), ["107", "101"]);
    p.on_command("environment", "production", &mut h.cx());
    assert!(shown_ids(&p).is_empty());
    p.on_command("environment", "Staging", &mut h.cx());
    assert_eq!(shown_ids(&p), ["107", "101"]);
    p.on_command("status", "", &mut h.cx());
    assert_eq!(shown_ids(&p), ["107", "104", "101", "110"]);
    p.on_command("workflow", "crm", &mut h.cx());
    assert_eq!(shown_ids(&p), ["110"], "by name, any case");
    p.on_command("workflow", "wf1", &mut h.cx());
    assert_eq!(shown_ids(&p), ["101"], "by id");
    p.on_command("clear", "", &mut h.cx());
    assert_eq!(shown_ids(&p).len(), 12);

    p.set_filter(Filter::parse("!success"));
    assert_eq!(shown_ids(&p), ["111", "107", "105", "104", "101", "110"]);
    p.set_filter(Filter::parse("staging"));
    assert_eq!(shown_ids(&p), ["107", "104", "101", "110"]);
    p.set_filter(Filter::default());

    // Rows that arrive are filtered too.
    p.on_command("status", "error", &mut h.cx());
    deliver(
        &mut p,
        &mut h,
        page_of(vec![
            exec("staging", 300, 2, "success"),
            exec("staging", 301, 1, "error"),
        ]),
    );
    assert_eq!(shown_ids(&p), ["301", "107", "101"]);

    h.effects.clear();
    p.on_command("status", "exploded", &mut h.cx());
    assert!(matches!(&h.effects[..], [Effect::Error(m)] if m.contains("exploded")));
    assert_eq!(p.only.status.as_deref(), Some("error"), "left as it was");
}

#[tokio::test]
async fn results_of_stale_requests_are_dropped() {
    let mut h = Harness::new().await;
    let mut p = pane();
    p.tick(Instant::now(), &mut h.cx());
    let old = p.generation;
    p.on_action(Action::Refresh, &mut h.cx());
    assert_ne!(p.generation, old);
    deliver_as(&mut p, &mut h, old, Ok(page_of(stream())));
    assert!(
        p.rows.is_empty() && p.cursors.is_empty(),
        "stale poll dropped"
    );
    assert!(p.polling, "the current poll still counts as running");
    deliver(&mut p, &mut h, page_of(stream()[..2].to_vec()));
    assert_eq!(p.rows.len(), 2);

    // A detail answer for an execution no longer open is dropped too.
    p.on_action(Action::Enter, &mut h.cx());
    let first = p.detail.as_ref().unwrap().generation;
    let first_exec = p.detail.as_ref().unwrap().execution.clone();
    assert!(p.back());
    p.on_action(Action::Pause, &mut h.cx());
    p.on_action(Action::Down, &mut h.cx());
    p.on_action(Action::Enter, &mut h.cx());
    let msg = Msg::Detail {
        generation: first,
        result: Ok(detail_of(&first_exec)),
    };
    p.on_msg(Box::new(msg), &mut h.cx());
    assert!(matches!(
        p.detail.as_ref().unwrap().state,
        DetailState::Loading
    ));
    assert_ne!(p.detail.as_ref().unwrap().execution.id, first_exec.id);
}

#[tokio::test]
async fn environment_problems_do_not_stop_the_stream() {
    let mut h = Harness::new().await;
    let f = Fixture::default();
    let mut p = pane();
    let mut page = page_of(stream()[..4].to_vec());
    page.errors.push(EnvProblem {
        env: "production".into(),
        message: "GET /api/v1/executions: n8n server error (503): maintenance".into(),
    });
    deliver(&mut p, &mut h, page);
    assert_eq!(p.rows.len(), 4);
    let screen = f.render(&mut p, NARROW);
    assert!(
        screen.contains("! production: GET /api/v1/executions"),
        "{screen}"
    );

    let mut next = page_of(vec![exec("staging", 500, 1, "success")]);
    next.cursors.insert("production".into(), "111".into());
    deliver(&mut p, &mut h, next);
    assert_eq!(p.rows.len(), 5);
    assert!(p.problems.is_empty(), "cleared by an answer without them");
}

#[tokio::test]
async fn retry_asks_first_and_never_in_readonly() {
    let mut h = Harness::new().await;
    let mut p = pane();
    deliver(&mut p, &mut h, page_of(stream()));
    assert!(p.actions().contains(&Action::Retry), "on a crashed run");
    p.set_filter(Filter::parse("canceled"));
    assert_eq!(p.target().unwrap().status, "canceled");
    assert!(
        !p.actions().contains(&Action::Retry),
        "not on a canceled run"
    );
    p.on_action(Action::Retry, &mut h.cx());
    assert!(matches!(&h.effects[..], [Effect::Info(_)]));
    h.effects.clear();
    p.set_filter(Filter::default());

    p.on_command("status", "error", &mut h.cx());
    assert!(p.actions().contains(&Action::Retry));
    let mut effects = Vec::new();
    let mut cx = Cx::new(&h.ops, true, &mut effects);
    p.on_action(Action::Retry, &mut cx);
    assert!(matches!(&effects[..], [Effect::Error(m)] if m.contains("read-only")));

    p.on_action(Action::Retry, &mut h.cx());
    let Some(Effect::Confirm(confirm)) = h.effects.pop() else {
        panic!("a confirmation");
    };
    assert!(confirm.message.contains("107") && confirm.message.contains("staging"));
    p.on_msg(confirm.payload, &mut h.cx());
    assert_eq!(spawned(&h), 1, "yes runs the retry");
    let msgs = h.run_spawned().await;
    for msg in msgs {
        p.on_msg(msg, &mut h.cx());
    }
    // The harness has no environments: the service's error is shown as it is.
    assert!(
        matches!(&h.effects[..], [Effect::Error(m)] if m.contains("staging")),
        "an error naming the environment"
    );

    h.effects.clear();
    let ok = Msg::Retried {
        target: ExecutionRef {
            env: "staging".into(),
            id: "107".into(),
        },
        result: Err(OpsError::new(ErrorKind::Conflict, "staging: busy")),
    };
    p.on_msg(Box::new(ok), &mut h.cx());
    assert!(matches!(&h.effects[..], [Effect::Error(_)]));
}

// ---- snapshots ----

async fn with_stream() -> (ExecutionsPane, Harness) {
    let mut h = Harness::new().await;
    let mut p = pane();
    deliver(&mut p, &mut h, page_of(stream()));
    (p, h)
}

#[tokio::test]
async fn snapshot_loading() {
    let mut h = Harness::new().await;
    let f = Fixture::default();
    let mut p = pane();
    p.on_open(Nav::Show, &mut h.cx());
    insta::assert_snapshot!("loading_narrow", f.render(&mut p, NARROW));
    insta::assert_snapshot!("loading_wide", f.render(&mut p, WIDE));
}

#[tokio::test]
async fn snapshot_empty() {
    let mut h = Harness::new().await;
    let f = Fixture::default();
    let mut p = pane();
    deliver(&mut p, &mut h, page_of(Vec::new()));
    insta::assert_snapshot!("empty_narrow", f.render(&mut p, NARROW));
    insta::assert_snapshot!("empty_wide", f.render(&mut p, WIDE));
}

#[tokio::test]
async fn snapshot_error() {
    let mut h = Harness::new().await;
    let f = Fixture::default();
    let mut p = pane();
    let failed = Err(OpsError::new(
        ErrorKind::Store,
        "listing environments: database is locked",
    ));
    let generation = p.generation;
    deliver_as(&mut p, &mut h, generation, failed);
    insta::assert_snapshot!("error_narrow", f.render(&mut p, NARROW));

    // The stream goes on with one environment failing.
    let mut page = page_of(stream());
    page.errors.push(EnvProblem {
        env: "production".into(),
        message: "GET /api/v1/executions: n8n is unreachable: connection refused".into(),
    });
    deliver(&mut p, &mut h, page);
    insta::assert_snapshot!("error_wide", f.render(&mut p, WIDE));
}

#[tokio::test]
async fn snapshot_stream() {
    let (mut p, mut h) = with_stream().await;
    let f = Fixture::default();
    insta::assert_snapshot!("stream_narrow", f.render(&mut p, NARROW));
    insta::assert_snapshot!("stream_wide", f.render(&mut p, WIDE));
    p.on_action(Action::Pause, &mut h.cx());
    p.on_command("status", "error", &mut h.cx());
    deliver(
        &mut p,
        &mut h,
        page_of(vec![exec("production", 400, 1, "error")]),
    );
    insta::assert_snapshot!("stream_paused_filtered_narrow", f.render(&mut p, NARROW));
}

#[tokio::test]
async fn snapshot_running_and_skipped() {
    let (mut p, mut h) = with_stream().await;
    let f = Fixture::default();
    let mut page = page_of(vec![
        exec("production", 112, 2, "running"),
        exec("staging", 99, 400, "waiting"),
    ]);
    page.gaps.push(ExecutionGap {
        env: "production".into(),
        after: "111".into(),
        until: "1350".into(),
        at_most: Some(1239),
    });
    deliver(&mut p, &mut h, page);
    insta::assert_snapshot!("running_skipped_narrow", f.render(&mut p, NARROW));
    insta::assert_snapshot!("running_skipped_wide", f.render(&mut p, WIDE));
}

#[tokio::test]
async fn snapshot_detail() {
    let (mut p, mut h) = with_stream().await;
    let f = Fixture::default();
    p.on_command("status", "error", &mut h.cx());
    p.on_action(Action::Enter, &mut h.cx());
    insta::assert_snapshot!("detail_loading_narrow", f.render(&mut p, NARROW));
    let detail = p.detail.as_ref().unwrap();
    let msg = Msg::Detail {
        generation: detail.generation,
        result: Ok(detail_of(&detail.execution)),
    };
    p.on_msg(Box::new(msg), &mut h.cx());
    assert!(p.actions().contains(&Action::Retry));
    insta::assert_snapshot!("detail_narrow", f.render(&mut p, NARROW));
    insta::assert_snapshot!("detail_wide", f.render(&mut p, WIDE));
    assert!(p.back(), "esc closes the detail");
    assert!(!p.back(), "then the shell goes back");
}

// ---- long runs, gaps ----

#[tokio::test]
async fn running_rows_are_replaced_in_place_when_they_end() {
    let mut h = Harness::new().await;
    let mut p = pane();
    deliver(&mut p, &mut h, page_of(stream()));
    // A run that started before most of the stream, still going: it goes where
    // it belongs by start time, not in front.
    let long = exec("production", 90, 500, "running");
    deliver(&mut p, &mut h, page_of(vec![long.clone()]));
    assert_eq!(p.rows.len(), 13);
    let at = shown_ids(&p).iter().position(|id| id == "90").unwrap();
    assert!(at > 0, "sorted by start time");
    assert!(
        p.rows
            .iter()
            .zip(p.rows.iter().skip(1))
            .all(|(a, b)| newest_first(a, b).is_le())
    );
    let q = p.query();
    assert_eq!(q.unfinished.len(), 1);
    assert_eq!(
        q.unfinished["production"].get("90").map(String::as_str),
        Some("running")
    );

    // It ends: the next poll brings it again and the row is replaced, not added.
    let mut ended = long.clone();
    ended.status = "error".into();
    ended.stopped_at = Some(time_from_ms(now().timestamp_millis() - 20_000));
    let mut page = page_of(vec![ended]);
    page.cursors = p.cursors.clone();
    deliver(&mut p, &mut h, page);
    assert_eq!(p.rows.len(), 13, "replaced, not added");
    assert_eq!(shown_ids(&p)[at], "90", "where it was");
    assert_eq!(p.rows.iter().filter(|e| e.id == "90").count(), 1);
    assert_eq!(p.rows[p.visible()[at]].status, "error");
    assert!(p.query().unfinished.is_empty(), "nothing left to follow");
}

#[tokio::test]
async fn updates_while_paused_do_not_move_the_view_or_count_as_new() {
    let mut h = Harness::new().await;
    let mut p = pane();
    let mut list = stream();
    list[5].status = "running".into();
    list[5].stopped_at = None;
    let running = list[5].id.clone();
    deliver(&mut p, &mut h, page_of(list.clone()));
    p.on_action(Action::Pause, &mut h.cx());
    p.on_action(Action::Down, &mut h.cx());
    p.on_action(Action::Down, &mut h.cx());
    let held = p.target().unwrap().id.clone();

    let mut ended = list[5].clone();
    ended.status = "success".into();
    let mut page = page_of(vec![ended, exec("staging", 300, 1, "success")]);
    page.cursors = p.cursors.clone();
    deliver(&mut p, &mut h, page);
    assert_eq!(p.unseen, 1, "only the new row counts");
    assert_eq!(p.target().unwrap().id, held);
    let row = p.rows.iter().find(|e| e.id == running).unwrap();
    assert_eq!(row.status, "success");

    // Filtered on running, a row that ends leaves the view; the cursor stays on
    // what is left.
    let mut runs = page_of(vec![
        exec("staging", 301, 1, "running"),
        exec("staging", 302, 1, "running"),
    ]);
    runs.cursors = p.cursors.clone();
    deliver(&mut p, &mut h, runs);
    p.on_command("status", "running", &mut h.cx());
    p.on_action(Action::Down, &mut h.cx());
    assert_eq!(p.target().unwrap().id, "301");
    let mut page = page_of(vec![exec("staging", 301, 1, "success")]);
    page.cursors = p.cursors.clone();
    deliver(&mut p, &mut h, page);
    assert_eq!(shown_ids(&p), ["302"]);
    assert_eq!(p.target().unwrap().id, "302");
}

#[tokio::test]
async fn out_of_order_rows_keep_the_buffer_bound() {
    let mut h = Harness::new().await;
    let mut p = ExecutionsPane::new(20, Duration::from_secs(3));
    for round in 0..50u64 {
        // New ones, plus an old run still going that the buffer has no room for.
        let mut batch: Vec<ExecutionView> = (0..3)
            .map(|i| {
                exec(
                    "staging",
                    1000 + round * 3 + i,
                    10_000 - (round * 3 + i) as i64,
                    "success",
                )
            })
            .collect();
        batch.push(exec("production", 7, 50_000, "running"));
        deliver(&mut p, &mut h, page_of(batch));
        assert!(
            p.rows.len() <= 20,
            "{} rows after round {round}",
            p.rows.len()
        );
    }
    assert_eq!(p.rows.len(), 20);
    assert!(
        p.rows.iter().all(|e| e.id != "7"),
        "the oldest does not stay"
    );
    assert_eq!(p.rows[0].id, "1149");
}

#[tokio::test]
async fn vanished_rows_go_and_skipped_bursts_are_told() {
    let mut h = Harness::new().await;
    let f = Fixture::default();
    let mut p = pane();
    deliver(&mut p, &mut h, page_of(stream()));
    let mut page = page_of(Vec::new());
    page.cursors = p.cursors.clone();
    page.gone.push(ExecutionRef {
        env: "staging".into(),
        id: "107".into(),
    });
    page.gaps.push(ExecutionGap {
        env: "production".into(),
        after: "111".into(),
        until: "351".into(),
        at_most: Some(240),
    });
    deliver(&mut p, &mut h, page);
    assert_eq!(p.rows.len(), 11);
    assert!(!shown_ids(&p).contains(&"107".to_string()));
    let screen = f.render(&mut p, NARROW);
    assert!(
        screen.contains("production: up to 240 older executions skipped"),
        "{screen}"
    );

    // Gaps add up until the pane starts over.
    let mut page = page_of(Vec::new());
    page.cursors = p.cursors.clone();
    page.gaps.push(ExecutionGap {
        env: "production".into(),
        after: "1351".into(),
        until: "1361".into(),
        at_most: Some(10),
    });
    deliver(&mut p, &mut h, page);
    assert_eq!(p.skipped.get("production"), Some(&Some(250)));
    p.on_action(Action::Refresh, &mut h.cx());
    assert!(p.skipped.is_empty());
}

#[tokio::test]
async fn an_open_detail_is_read_again_when_its_run_ends() {
    let mut h = Harness::new().await;
    let mut p = pane();
    deliver(
        &mut p,
        &mut h,
        page_of(vec![exec("production", 42, 30, "running")]),
    );
    p.on_action(Action::Enter, &mut h.cx());
    let opened = p.detail.as_ref().unwrap().generation;
    h.effects.clear();

    // The same status again: nothing to read.
    let mut page = page_of(vec![exec("production", 42, 30, "running")]);
    page.cursors = p.cursors.clone();
    deliver(&mut p, &mut h, page);
    assert_eq!(spawned(&h), 0);

    let mut page = page_of(vec![exec("production", 42, 30, "success")]);
    page.cursors = p.cursors.clone();
    deliver(&mut p, &mut h, page);
    assert_eq!(spawned(&h), 1, "the detail is read again");
    let detail = p.detail.as_ref().unwrap();
    assert_ne!(detail.generation, opened, "the first answer is now stale");
    assert_eq!(detail.execution.status, "success");
}
