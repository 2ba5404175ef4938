use super::*;
use crate::domain::job::LogLevel;
use crate::tui::pane::Effect;
use crate::tui::testing::{Fixture, Harness, NARROW, WIDE, event, now};
use chrono::Duration;

fn job(id: &str, title: &str, state: JobState, done: i64, total: i64, minutes_ago: i64) -> JobView {
    let at = now() - Duration::minutes(minutes_ago);
    JobView {
        id: id.into(),
        kind: "sync".into(),
        title: title.into(),
        state,
        actor: "tester".into(),
        phase: (state == JobState::Running).then(|| "workflows".into()),
        done,
        total,
        created_at: at,
        started_at: Some(at),
        finished_at: state.is_finished().then(|| at + Duration::seconds(42)),
        result: None,
        error: (state == JobState::Failed).then(|| "production: connection refused".into()),
    }
}

fn line(level: LogLevel, message: &str, secs: i64) -> JobLogLine {
    JobLogLine {
        at: now() - Duration::seconds(secs),
        level,
        message: message.into(),
    }
}

fn listed(pane: &mut JobsPane, h: &mut Harness, jobs: Vec<JobView>) {
    pane.generation = 1;
    pane.on_msg(
        Box::new(Msg::Listed {
            generation: 1,
            result: Ok(jobs),
        }),
        &mut h.cx(),
    );
}

fn sample() -> Vec<JobView> {
    vec![
        job(
            "20261122-115500-a1b2c3",
            "Sync all environments",
            JobState::Running,
            2,
            3,
            5,
        ),
        job(
            "20261122-110000-d4e5f6",
            "Sync production",
            JobState::Failed,
            1,
            1,
            60,
        ),
        job(
            "20261121-090000-0a0b0c",
            "Sync development",
            JobState::Succeeded,
            1,
            1,
            1620,
        ),
    ]
}

/// A pane with jobs listed and the running one's log streamed in.
async fn with_jobs() -> (JobsPane, Harness) {
    let mut h = Harness::new().await;
    let mut pane = JobsPane::new();
    pane.complete.insert("20261122-115500-a1b2c3".into());
    listed(&mut pane, &mut h, sample());
    for (level, message) in [
        (LogLevel::Info, "development: 60 workflows, 12 credentials"),
        (
            LogLevel::Warn,
            "staging: 2 workflows could not be normalized",
        ),
        (LogLevel::Info, "staging: 58 workflows, 9 credentials"),
    ] {
        pane.on_event(
            &event(
                "20261122-115500-a1b2c3",
                EventBody::Log {
                    level,
                    message: message.into(),
                },
            ),
            &mut h.cx(),
        );
    }
    (pane, h)
}

#[tokio::test]
async fn snapshots_of_the_list_with_the_live_log() {
    let (mut pane, _h) = with_jobs().await;
    let f = Fixture::default();
    insta::assert_snapshot!("jobs_narrow", f.render(&mut pane, NARROW));
    insta::assert_snapshot!("jobs_wide", f.render(&mut pane, WIDE));
}

#[tokio::test]
async fn snapshots_of_loading_empty_and_error() {
    let f = Fixture::default();
    let mut h = Harness::new().await;
    let mut pane = JobsPane::new();
    pane.on_open(Nav::Show, &mut h.cx());
    insta::assert_snapshot!("jobs_loading_narrow", f.render(&mut pane, NARROW));
    insta::assert_snapshot!("jobs_loading_wide", f.render(&mut pane, WIDE));

    let msgs = h.run_spawned().await;
    assert_eq!(msgs.len(), 1, "one list request");
    for msg in msgs {
        pane.on_msg(msg, &mut h.cx());
    }
    assert!(pane.loaded && pane.jobs.is_empty());
    insta::assert_snapshot!("jobs_empty_narrow", f.render(&mut pane, NARROW));
    insta::assert_snapshot!("jobs_empty_wide", f.render(&mut pane, WIDE));

    let mut pane = JobsPane::new();
    pane.generation = 3;
    pane.on_msg(
        Box::new(Msg::Listed {
            generation: 3,
            result: Err(crate::service::OpsError::new(
                crate::service::ErrorKind::Store,
                "database is locked",
            )),
        }),
        &mut h.cx(),
    );
    insta::assert_snapshot!("jobs_error_narrow", f.render(&mut pane, NARROW));
    insta::assert_snapshot!("jobs_error_wide", f.render(&mut pane, WIDE));
}

#[tokio::test]
async fn snapshots_of_a_jobs_full_log() {
    let (mut pane, mut h) = with_jobs().await;
    pane.on_action(Action::Down, &mut h.cx());
    h.effects.clear();
    pane.on_action(Action::Enter, &mut h.cx());
    let generation = pane.detail_generation;
    let mut detail = JobDetail {
        job: sample()[1].clone(),
        logs: vec![
            line(LogLevel::Info, "syncing production", 3600),
            line(
                LogLevel::Error,
                "production: connection refused (http://127.0.0.1:5680)",
                3590,
            ),
        ],
    };
    detail.job.error = Some("production: connection refused".into());
    pane.on_msg(
        Box::new(Msg::Detail {
            generation,
            result: Ok(detail),
        }),
        &mut h.cx(),
    );
    let f = Fixture::default();
    insta::assert_snapshot!("jobs_detail_narrow", f.render(&mut pane, NARROW));
    insta::assert_snapshot!("jobs_detail_wide", f.render(&mut pane, WIDE));
    assert!(pane.back());
    assert!(!pane.back());
}

#[tokio::test]
async fn events_add_jobs_move_progress_and_stream_log_lines() {
    let (mut pane, mut h) = with_jobs().await;
    h.effects.clear();
    pane.on_event(
        &event(
            "new-job",
            EventBody::Started {
                kind: "sync".into(),
                title: "Sync staging".into(),
            },
        ),
        &mut h.cx(),
    );
    assert_eq!(pane.jobs[0].title, "Sync staging");
    assert_eq!(
        pane.selected().map(|j| j.id.as_str()),
        Some("20261122-115500-a1b2c3"),
        "the cursor stays on the job it was on"
    );
    assert!(
        h.effects.iter().any(|e| matches!(e, Effect::Spawn(_))),
        "a started job reloads the list"
    );
    pane.on_event(
        &event(
            "new-job",
            EventBody::Progress {
                phase: "workflows".into(),
                done: 1,
                total: 4,
            },
        ),
        &mut h.cx(),
    );
    assert_eq!((pane.jobs[0].done, pane.jobs[0].total), (1, 4));
    pane.on_event(
        &event(
            "new-job",
            EventBody::Log {
                level: LogLevel::Info,
                message: "staging: 58 workflows".into(),
            },
        ),
        &mut h.cx(),
    );
    pane.on_action(Action::Top, &mut h.cx());
    let screen = Fixture::default().render(&mut pane, NARROW);
    assert!(screen.contains("staging: 58 workflows"), "{screen}");
    assert!(screen.contains("▰▰▰▱▱▱▱▱▱▱  25%"), "{screen}");

    pane.on_event(
        &event(
            "new-job",
            EventBody::Finished {
                state: JobState::Failed,
                result: None,
                error: Some("staging: timeout".into()),
            },
        ),
        &mut h.cx(),
    );
    assert_eq!(pane.jobs[0].state, JobState::Failed);
    assert_eq!(pane.jobs[0].error.as_deref(), Some("staging: timeout"));
}

#[tokio::test]
async fn a_list_keeps_live_progress_the_store_has_not_caught_up_with() {
    let (mut pane, mut h) = with_jobs().await;
    pane.jobs[0].done = 3;
    let stale = sample();
    listed(&mut pane, &mut h, stale);
    assert_eq!(pane.jobs[0].done, 3);
}

#[tokio::test]
async fn selecting_a_job_started_before_reads_its_stored_log_once() {
    let (mut pane, mut h) = with_jobs().await;
    h.effects.clear();
    pane.on_action(Action::Down, &mut h.cx());
    assert_eq!(h.effects.len(), 1, "the stored log of the selected job");
    pane.on_action(Action::Up, &mut h.cx());
    pane.on_action(Action::Down, &mut h.cx());
    assert_eq!(h.effects.len(), 1, "already being read");
    // The job does not exist in the harness's store: the error is reported.
    for msg in h.run_spawned().await {
        pane.on_msg(msg, &mut h.cx());
    }
    assert!(
        h.effects
            .iter()
            .any(|e| matches!(e, Effect::Error(m) if m.contains("20261122-110000-d4e5f6"))),
        "the error names the job"
    );
}

#[tokio::test]
async fn a_real_sync_job_shows_up_with_its_log() {
    let mut h = Harness::new().await;
    // Nothing listens on port 9: the sync fails at once, logging why.
    h.ops
        .env_add(crate::service::EnvAdd {
            name: "development".into(),
            url: "http://127.0.0.1:9".into(),
            class: crate::domain::environment::EnvClass::Development,
            api_key: crate::service::Secret::new("key".to_owned()),
            git_repo: None,
            git_branch: None,
        })
        .await
        .expect("env added");
    let started = h
        .ops
        .sync(crate::service::SyncRequest::default())
        .await
        .expect("the sync starts");
    let mut detail = None;
    for _ in 0..1000 {
        let d = h.ops.job_get(started.job_id.clone()).await.expect("job");
        if d.job.state.is_finished() {
            detail = Some(d);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let detail = detail.expect("the sync finishes");
    let mut pane = JobsPane::new();
    pane.on_open(Nav::Show, &mut h.cx());
    for msg in h.run_spawned().await {
        pane.on_msg(msg, &mut h.cx());
    }
    assert_eq!(pane.jobs.len(), 1);
    for msg in h.run_spawned().await {
        pane.on_msg(msg, &mut h.cx());
    }
    assert_eq!(
        pane.logs.get(&started.job_id).map(VecDeque::len),
        Some(detail.logs.len())
    );
}

#[test]
fn stored_and_live_logs_merge_without_duplicates() {
    let a = line(LogLevel::Info, "a", 3);
    let b = line(LogLevel::Info, "b", 2);
    let c = line(LogLevel::Warn, "c", 1);
    let live: VecDeque<_> = [b.clone(), c.clone()].into();
    let merged: Vec<_> = merge_logs(vec![a.clone(), b.clone()], &live).into();
    assert_eq!(merged, [a.clone(), b.clone(), c.clone()]);
    let merged: Vec<_> = merge_logs(vec![a.clone()], &live).into();
    assert_eq!(merged, [a.clone(), b.clone(), c.clone()]);
    let merged: Vec<_> = merge_logs(vec![a.clone(), b.clone(), c.clone()], &live).into();
    assert_eq!(merged.len(), 3);
    let merged: Vec<_> = merge_logs(Vec::new(), &live).into();
    assert_eq!(merged, [b, c]);
}
