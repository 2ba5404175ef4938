//! Tests of the deployments pane: shared data and the snapshot tests of the list and
//! the detail here (their snapshot names follow this module's path), the flows against
//! the service beside it.

mod flows;

use super::detail::DetailState;
use super::*;
use crate::domain::deployment::ApprovalStatus;
use crate::domain::diff::WorkflowDiff;
use crate::domain::diff::{DiffStatus, Field, FieldChange, NodeChangeKind, NodeDiff, Risk, Why};
use crate::domain::promotion::{ActionCounts, Plan, PlanAction, PlanSummary};
use crate::service::{
    DeploymentDecisionView, DeploymentItemView, EventBody, ItemOutcome, PromoteRequest,
};
use crate::tui::testing::{self, Fixture, NARROW, WIDE, now};
use chrono::Duration;
use serde_json::json;

fn counts(create: usize, update: usize, delete: usize, hold: usize) -> PlanSummary {
    PlanSummary {
        by_action: ActionCounts {
            create,
            update,
            delete,
            skip: 0,
            hold,
        },
        ..PlanSummary::default()
    }
}

/// A deployment requested `minutes_ago` by `by`, in `state`.
fn deployment(
    id: &str,
    state: DeploymentState,
    (from, to): (&str, &str),
    by: &str,
    minutes_ago: i64,
) -> DeploymentView {
    DeploymentView {
        id: id.into(),
        pipeline: Some("release".into()),
        stage: Some(format!("{from} -> {to}")),
        source_env: from.into(),
        target_env: to.into(),
        state,
        requested_by: by.into(),
        requested_at: now() - Duration::minutes(minutes_ago),
        scheduled_for: None,
        plan_hash: format!("{:0<64}", format!("{:x}", minutes_ago * 0x9e37_79b9)),
        summary: counts(1, 2, 0, 0),
        snapshot: None,
        job_id: None,
        started_at: None,
        finished_at: None,
        error: None,
        rollback_of: None,
        approvals: ApprovalStatus::default(),
    }
}

/// Six deployments in as many states, newest first.
fn sample() -> Vec<DeploymentView> {
    use DeploymentState as S;
    let mut pending = deployment(
        "dep-0006",
        S::PendingApproval,
        ("staging", "production"),
        "alice",
        4,
    );
    pending.approvals = ApprovalStatus {
        approved: false,
        required: 2,
        counted: vec!["bob".into()],
        stale: vec!["carol".into()],
        self_approved: false,
    };
    pending.summary = counts(1, 2, 0, 1);
    let mut running = deployment("dep-0005", S::Running, ("development", "staging"), "bob", 9);
    running.job_id = Some("job-run".into());
    running.started_at = Some(now() - Duration::minutes(8));
    running.snapshot = Some("staging/20261122-115200".into());
    let mut completed = deployment(
        "dep-0004",
        S::Completed,
        ("staging", "production"),
        "carol",
        95,
    );
    completed.snapshot = Some("production/20261122-102600".into());
    completed.finished_at = Some(now() - Duration::minutes(90));
    completed.pipeline = None;
    completed.stage = None;
    let mut failed = deployment(
        "dep-0003",
        S::Failed,
        ("development", "staging"),
        "alice",
        1500,
    );
    failed.error = Some("writing 'Order sync' to staging: 400 bad request; rolled back".into());
    let mut broken = deployment(
        "dep-0002",
        S::RollbackFailed,
        ("staging", "production"),
        "dave",
        3000,
    );
    broken.error = Some("the rollback could not verify 'Billing export' in production".into());
    let cancelled = deployment(
        "dep-0001",
        S::Cancelled,
        ("development", "staging"),
        "bob",
        4400,
    );
    vec![pending, running, completed, failed, broken, cancelled]
}

fn listed() -> DeploymentsPane {
    let mut pane = DeploymentsPane::new();
    pane.envs = testing::envs();
    pane.listed(sample());
    pane
}

/// The URL of an HTTP node moved to v2.
fn url_change() -> WorkflowDiff {
    WorkflowDiff {
        name: None,
        nodes: vec![NodeDiff {
            kind: NodeChangeKind::Modified,
            name: "HTTP Request".into(),
            old_name: None,
            node_type: "n8n-nodes-base.httpRequest".into(),
            old_index: Some(1),
            new_index: Some(1),
            changes: vec![FieldChange {
                field: Field::Parameter,
                path: "parameters.url".into(),
                before: Some(json!("https://api.example/v1/invoices")),
                after: Some(json!("https://api.example/v2/invoices")),
                risk: Risk::High,
                why: Why::HttpRequest,
                cosmetic: false,
            }],
            risk: Risk::High,
            why: Why::HttpRequest,
            cosmetic: false,
        }],
        connections: Vec::new(),
        settings: Vec::new(),
        risk: Some(Risk::High),
    }
}

#[allow(clippy::too_many_arguments)]
fn item(
    pos: i64,
    name: &str,
    action: PlanAction,
    status: DiffStatus,
    ids: (Option<&str>, Option<&str>),
    outcome: Option<ItemOutcome>,
    error: Option<&str>,
    diff: Option<WorkflowDiff>,
) -> DeploymentItemView {
    DeploymentItemView {
        pos,
        name: name.into(),
        canonical_id: Some(name.to_lowercase().replace(' ', "-")),
        source_id: ids.0.map(str::to_owned),
        target_id: ids.1.map(str::to_owned),
        action,
        status,
        outcome,
        error: error.map(str::to_owned),
        diff,
    }
}

fn detail_of(d: DeploymentView, items: Vec<DeploymentItemView>) -> DeploymentDetail {
    DeploymentDetail {
        request: PromoteRequest {
            pipeline: d.pipeline.clone(),
            from: d.source_env.clone(),
            to: d.target_env.clone(),
            ..PromoteRequest::default()
        },
        plan: Plan {
            stage: d.stage.clone(),
            source_env: d.source_env.clone(),
            target_env: d.target_env.clone(),
            items: Vec::new(),
            hash: d.plan_hash.clone(),
        },
        deployment: d,
        items,
        decisions: Vec::new(),
        commit: None,
    }
}

/// The pending production deployment: four workflows, one held for a hotfix.
fn pending_detail() -> DeploymentDetail {
    use DiffStatus as S;
    use PlanAction as A;
    let mut detail = detail_of(
        sample().remove(0),
        vec![
            item(
                0,
                "Billing export",
                A::Update,
                S::Modified,
                (Some("14"), Some("41")),
                None,
                None,
                Some(url_change()),
            ),
            item(
                1,
                "Error alerts",
                A::Hold,
                S::TargetHotfix,
                (Some("3"), Some("30")),
                None,
                None,
                None,
            ),
            item(
                2,
                "New webhook",
                A::Create,
                S::Added,
                (Some("22"), None),
                None,
                None,
                None,
            ),
            item(
                3,
                "Order sync",
                A::Update,
                S::Modified,
                (Some("12"), Some("21")),
                None,
                None,
                Some(url_change()),
            ),
        ],
    );
    detail.decisions = vec![
        DeploymentDecisionView {
            actor: "carol".into(),
            approve: true,
            plan_hash: "old".into(),
            stale: true,
            decided_at: now() - Duration::minutes(3),
            note: Some("fine by me".into()),
        },
        DeploymentDecisionView {
            actor: "bob".into(),
            approve: true,
            plan_hash: detail.deployment.plan_hash.clone(),
            stale: false,
            decided_at: now() - Duration::minutes(2),
            note: None,
        },
    ];
    detail
}

/// The failed deployment: one workflow failed, the one before it rolled back.
fn failed_detail() -> DeploymentDetail {
    use DiffStatus as S;
    use PlanAction as A;
    let mut d = sample().remove(3);
    d.summary = counts(0, 2, 1, 0);
    d.snapshot = Some("staging/20261121-110000".into());
    detail_of(
        d,
        vec![
            item(
                0,
                "Billing export",
                A::Update,
                S::Modified,
                (Some("14"), Some("41")),
                Some(ItemOutcome::RolledBack),
                None,
                Some(url_change()),
            ),
            item(
                1,
                "Order sync",
                A::Update,
                S::Modified,
                (Some("12"), Some("21")),
                Some(ItemOutcome::Failed),
                Some("n8n said 400: node 'Slack' has no credentials"),
                Some(url_change()),
            ),
            item(
                2,
                "Gone workflow",
                A::Delete,
                S::Deleted,
                (None, None),
                Some(ItemOutcome::NotRun),
                None,
                Some(url_change()),
            ),
        ],
    )
}

/// The pane with `detail` open as its load answered.
fn opened(detail: DeploymentDetail) -> DeploymentsPane {
    let mut pane = listed();
    let mut view = DetailView::new(detail.deployment.id.clone());
    view.show(detail);
    pane.detail = Some(view);
    pane
}

fn both(name: &str, pane: &mut DeploymentsPane) -> (String, String) {
    let fixture = Fixture::default();
    let narrow = fixture.render(pane, NARROW);
    let wide = fixture.render(pane, WIDE);
    insta::assert_snapshot!(format!("{name}_narrow"), narrow);
    insta::assert_snapshot!(format!("{name}_wide"), wide);
    (narrow, wide)
}

#[test]
fn snapshot_list() {
    let mut pane = listed();
    progress(
        &mut pane,
        "job-run",
        EventBody::Progress {
            phase: "writing".into(),
            done: 3,
            total: 8,
        },
    );
    pane.cursor.selected = 3;
    let (narrow, wide) = both("list", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(screen.contains("Deployments 6"), "{screen}");
        assert!(screen.contains("PENDING_APPROVAL"), "{screen}");
        assert!(screen.contains("staging -> production"), "{screen}");
        assert!(screen.contains("approvals 1/2"), "{screen}");
        assert!(screen.contains("▰▰▱▱▱▱ 3/8 writing"), "{screen}");
        // The selected (failed) deployment's particulars under the list.
        assert!(screen.contains("dep-0003 · FAILED"), "{screen}");
        assert!(
            screen.contains("writing 'Order sync' to staging"),
            "{screen}"
        );
    }
    for column in ["ID", "PIPELINE", "BY", "REQUESTED", "SUMMARY", "FROM -> TO"] {
        assert!(wide.contains(column), "{column}: {wide}");
    }
    assert!(wide.contains("dep-0002") && wide.contains("dave"), "{wide}");
    assert!(!narrow.contains("PIPELINE"), "{narrow}");
}

#[test]
fn snapshot_list_loading_error_and_empty() {
    let mut pane = DeploymentsPane::new();
    pane.loading = true;
    let (narrow, _) = both("loading", &mut pane);
    assert!(narrow.contains("Loading deployments…"));
    pane.loading = false;
    pane.error = Some("the store is locked".into());
    let (narrow, _) = both("error", &mut pane);
    assert!(narrow.contains("Could not load the deployments: the store is locked"));
    assert!(narrow.contains("ctrl-r tries again"), "{narrow}");
    pane.listed(Vec::new());
    let (narrow, _) = both("empty", &mut pane);
    assert!(narrow.contains("No deployments yet."), "{narrow}");
    pane.query.state = Some(DeploymentState::Failed);
    pane.query.env = Some("production".into());
    let screen = Fixture::default().render(&mut pane, NARROW);
    insta::assert_snapshot!("empty_narrowed_narrow", screen);
    assert!(
        screen.contains("Deployments · FAILED · env production"),
        "{screen}"
    );
    assert!(screen.contains(":all clears it"), "{screen}");
}

#[test]
fn snapshot_detail_pending_approval() {
    let mut pane = opened(pending_detail());
    let (narrow, wide) = both("detail", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(
            screen.contains("Deployment dep-0006 PENDING_APPROVAL"),
            "{screen}"
        );
        assert!(screen.contains("staging -> production · pipeline release"));
        assert!(!screen.contains("stage staging -> production"), "{screen}");
        assert!(screen.contains("requested by alice 2026-11-22 11:56 (4m ago)"));
        assert!(
            screen.contains("1 to create, 2 to update · 1 held"),
            "{screen}"
        );
        assert!(screen.contains("approvals 1 of 2: bob"), "{screen}");
        assert!(screen.contains("stale (approved an older plan): carol"));
        assert!(screen.contains("carol approved 3m ago (an older plan): fine by me"));
        assert!(screen.contains("HOLD   TARGET_HOTFIX"), "{screen}");
        // The selected workflow under the list, with the diff applied.
        assert!(screen.contains("staging #14 · production #41"), "{screen}");
        assert!(screen.contains("applied: 1 node · HIGH"), "{screen}");
        assert!(screen.contains("~ HTTP Request  HIGH  parameters.url"));
    }
    assert!(wide.contains("A approve · X reject · x cancel · P replan · esc back"));
}

#[test]
fn snapshot_detail_running_with_progress_and_failed() {
    let mut running = sample().remove(1);
    running.summary = counts(0, 2, 0, 0);
    let mut pane = opened(detail_of(running, Vec::new()));
    let screen = Fixture::default().render(&mut pane, NARROW);
    assert!(
        screen.contains("job job-run: running (no progress reported yet)"),
        "{screen}"
    );
    progress(
        &mut pane,
        "job-run",
        EventBody::Progress {
            phase: "verifying".into(),
            done: 1,
            total: 2,
        },
    );
    progress(
        &mut pane,
        "job-run",
        EventBody::Log {
            level: crate::domain::job::LogLevel::Info,
            message: "wrote 'Billing export'".into(),
        },
    );
    let (narrow, _) = both("detail_running", &mut pane);
    assert!(
        narrow.contains("job job-run: ▰▰▰▰▰▱▱▱▱▱ 1/2 verifying · wrote 'Billing export'"),
        "{narrow}"
    );
    assert!(narrow.contains("No workflows in this deployment."));
    // Nothing can be done to a running deployment: only enter, back.
    assert!(
        narrow.contains("esc back") && !narrow.contains("cancel"),
        "{narrow}"
    );

    let mut pane = opened(failed_detail());
    pane.detail.as_mut().unwrap().cursor.selected = 1;
    let (narrow, wide) = both("detail_failed", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(screen.contains("Deployment dep-0003 FAILED"));
        assert!(screen.contains("writing 'Order sync' to staging: 400 bad request"));
        assert!(screen.contains("rolled_back") && screen.contains("failed"));
        assert!(screen.contains("n8n said 400: node 'Slack' has no credentials"));
    }
    assert!(wide.contains("ERROR"), "{wide}");
}

#[test]
fn snapshot_detail_loading_and_failed() {
    let mut pane = listed();
    pane.detail = Some(DetailView::new("dep-0042".into()));
    let screen = Fixture::default().render(&mut pane, NARROW);
    insta::assert_snapshot!("detail_loading_narrow", screen);
    assert!(screen.contains("Deployment dep-0042") && screen.contains("Loading the deployment…"));
    pane.detail.as_mut().unwrap().state =
        DetailState::Failed("no deployment 'dep-0042' (n8nops deployments list shows them)".into());
    let screen = Fixture::default().render(&mut pane, NARROW);
    insta::assert_snapshot!("detail_failed_load_narrow", screen);
    assert!(screen.contains("Could not load it: no deployment 'dep-0042'"));
}

#[test]
fn readonly_hides_the_actions_in_the_hint() {
    let mut pane = opened(pending_detail());
    let fixture = Fixture {
        readonly: true,
        ..Fixture::default()
    };
    let screen = fixture.render(&mut pane, WIDE);
    assert!(screen.contains("enter diff · esc back"), "{screen}");
    assert!(!screen.contains("A approve"), "{screen}");
}

/// A job's event as the pane's progress takes it (the flows test the reloads).
fn progress(pane: &mut DeploymentsPane, job: &str, body: EventBody) {
    pane.jobs.on_event(&testing::event(job, body), |_| false);
}
