//! Tests of the promotion wizard: shared data and the snapshot tests of every step here
//! (their snapshot names follow this module's path), the flows beside it.

mod flows;

use super::*;
use crate::domain::credential_map::CredentialResolution;
use crate::domain::credential_map::{CredentialKey, Resolution, TargetCredential};
use crate::domain::deployment::{ApprovalStatus, DeploymentState};
use crate::domain::diff::WorkflowDiff;
use crate::domain::diff::{DiffStatus, Field, FieldChange, NodeChangeKind, NodeDiff, Risk, Why};
use crate::domain::job::LogLevel;
use crate::domain::pipeline::{
    Activation, GateKind, GateResult, Gates, Pipeline, Stage as PipelineStage,
};
use crate::domain::promotion::{Plan, PlanAction, PlanItem};
use crate::service::{DeploymentItemView, DeploymentView, EventBody, ItemOutcome, PipelineSource};
use crate::tui::testing::{self, Fixture, NARROW, WIDE, now};
use choices::Route;
use serde_json::json;
use std::collections::BTreeMap;

/// The `release` pipeline: development -> staging, then staging -> production with two
/// approvals.
pub(super) fn release() -> PipelineView {
    let stage = |from: &str, to: &str, approvals| PipelineStage {
        from: from.into(),
        to: to.into(),
        gates: Gates {
            approvals,
            ..Gates::default()
        },
        activation: Activation::KeepTarget,
        credentials: BTreeMap::new(),
    };
    PipelineView {
        pipeline: Pipeline {
            name: "release".into(),
            description: "development to production".into(),
            stages: vec![
                stage("development", "staging", 0),
                stage("staging", "production", 2),
            ],
        },
        source: PipelineSource::Config,
        updated_by: None,
        updated_at: None,
    }
}

fn route() -> Route {
    Route {
        pipeline: Some("release".into()),
        from: "staging".into(),
        to: "production".into(),
    }
}

#[allow(clippy::too_many_arguments)]
fn item(
    name: &str,
    canonical: Option<&str>,
    status: DiffStatus,
    risk: Option<Risk>,
    action: PlanAction,
    target_id: Option<&str>,
    source_id: Option<&str>,
) -> PlanItem {
    PlanItem {
        name: name.into(),
        canonical_id: canonical.map(str::to_owned),
        status,
        risk,
        source_fingerprint: source_id.map(|id| format!("fp-s-{id}")),
        target_fingerprint: target_id.map(|id| format!("fp-t-{id}")),
        target_id: target_id.map(str::to_owned),
        source_id: source_id.map(str::to_owned),
        action,
        hotfix_override: false,
    }
}

/// Every workflow that differs between staging and production.
fn items() -> Vec<PlanItem> {
    use DiffStatus::*;
    use PlanAction::*;
    vec![
        item(
            "Billing export",
            Some("billing-export"),
            Modified,
            Some(Risk::High),
            Update,
            Some("14"),
            Some("s14"),
        ),
        item(
            "Error alerts",
            Some("error-alerts"),
            TargetHotfix,
            Some(Risk::Medium),
            Hold,
            Some("3"),
            Some("s3"),
        ),
        item(
            "New webhook",
            Some("new-webhook"),
            Added,
            Some(Risk::Low),
            Create,
            None,
            Some("s21"),
        ),
        item(
            "Old cron",
            Some("old-cron"),
            Deleted,
            None,
            Skip,
            Some("9"),
            None,
        ),
        item(
            "Order sync",
            None,
            Modified,
            Some(Risk::Low),
            Update,
            Some("12"),
            None,
        ),
    ]
}

fn plan(items: Vec<PlanItem>) -> Plan {
    let mut plan = Plan {
        stage: Some("release: staging -> production".into()),
        source_env: "staging".into(),
        target_env: "production".into(),
        items,
        hash: String::new(),
    };
    plan.hash = plan.compute_hash();
    plan
}

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

fn resolution(cred_type: &str, name: &str, resolution: Resolution) -> CredentialResolution {
    CredentialResolution {
        source: CredentialKey::new(cred_type, name),
        resolution,
    }
}

fn target(cred_type: &str, name: &str, id: &str) -> TargetCredential {
    TargetCredential {
        cred_type: cred_type.into(),
        name: name.into(),
        id: Some(id.into()),
    }
}

fn gate(gate: GateKind, passed: bool, detail: &str) -> GateResult {
    GateResult {
        gate,
        passed,
        detail: detail.into(),
    }
}

/// A preflight of `items` on the release stage, its gates failing on drift, a missing
/// credential and (as always before a request) approvals.
fn preflight(items: Vec<PlanItem>) -> Preflight {
    let stage = release().pipeline.stages[1].clone();
    Preflight {
        plan: plan(items),
        stage: Some(stage),
        gates: vec![
            gate(
                GateKind::Drift,
                false,
                "1 workflow(s) not in sync in the target and not acknowledged: Billing export (DRIFTED)",
            ),
            gate(
                GateKind::Credentials,
                false,
                "missing in the target: openAiApi 'OpenAI'",
            ),
            gate(GateKind::Approvals, false, "0 of 2 approval(s)"),
        ],
        credentials: BTreeMap::from([
            (
                "Billing export".to_owned(),
                vec![
                    resolution(
                        "postgres",
                        "Orders DB",
                        Resolution::SameName {
                            target: target("postgres", "Orders DB", "72"),
                        },
                    ),
                    resolution(
                        "slackApi",
                        "Dev Slack",
                        Resolution::Mapped {
                            target: target("slackApi", "Prod Slack", "71"),
                        },
                    ),
                ],
            ),
            (
                "Order sync".to_owned(),
                vec![resolution(
                    "openAiApi",
                    "OpenAI",
                    Resolution::Missing { wanted: None },
                )],
            ),
        ]),
        policy: vec![
            "direct edits in production (production) are refused: promotion is the way to change workflows there".into(),
            "the stage staging -> production needs 2 approval(s) from users other than the requester".into(),
        ],
        diffs: BTreeMap::from([("Billing export".to_owned(), url_change())]),
        notes: vec![
            "computed from the store: 'staging' as last synced at 2026-11-22 11:55:00 UTC and 'production' as last synced at 2026-11-22 11:54:00 UTC; nothing was fetched (sync first for the instances' current state)".into(),
        ],
    }
}

fn candidates() -> Preflight {
    preflight(items())
}

/// The preflight of everything (nothing marked), with the hotfix held.
fn chosen() -> Preflight {
    preflight(items())
}

/// A wizard on the release stage staging -> production, at `step`, every preflight
/// answered.
fn at(step: Step) -> PromotePane {
    let mut pane = PromotePane::new();
    pane.envs = testing::envs();
    pane.stages.set(stage::rows(&[release()], &testing::envs()));
    pane.stage_cursor.selected = 1;
    pane.choices.set_route(route());
    pane.candidates.set(candidates());
    pane.refilter();
    pane.chosen.set(chosen());
    pane.chosen_req = pane.choices.request();
    pane.step = step;
    pane
}

fn deployment(state: DeploymentState, job: Option<&str>) -> DeploymentView {
    let p = plan(items());
    DeploymentView {
        id: "dep-7".into(),
        pipeline: Some("release".into()),
        stage: Some("staging -> production".into()),
        source_env: "staging".into(),
        target_env: "production".into(),
        state,
        requested_by: "alice".into(),
        requested_at: now() - chrono::Duration::minutes(2),
        scheduled_for: None,
        plan_hash: p.hash.clone(),
        summary: p.summary(),
        snapshot: Some("production/20261122-115900".into()),
        job_id: job.map(str::to_owned),
        started_at: None,
        finished_at: None,
        error: None,
        rollback_of: None,
        approvals: ApprovalStatus {
            approved: false,
            required: 2,
            counted: vec!["bob".into()],
            stale: Vec::new(),
            self_approved: false,
        },
    }
}

fn created(state: DeploymentState, job: Option<&str>) -> DeploymentCreated {
    DeploymentCreated {
        deployment: deployment(state, job),
        preflight: chosen(),
        job_id: job.map(str::to_owned),
    }
}

fn outcome_item(
    pos: i64,
    name: &str,
    action: PlanAction,
    outcome: ItemOutcome,
    error: Option<&str>,
) -> DeploymentItemView {
    DeploymentItemView {
        pos,
        name: name.into(),
        canonical_id: None,
        source_id: None,
        target_id: None,
        action,
        status: DiffStatus::Modified,
        outcome: Some(outcome),
        error: error.map(str::to_owned),
        diff: None,
    }
}

fn detail(state: DeploymentState) -> DeploymentDetail {
    let failed = state != DeploymentState::Completed;
    let mut deployment = deployment(state, Some("job-42"));
    deployment.approvals.approved = true;
    if failed {
        deployment.error =
            Some("'New webhook' in production: n8n refused the workflow (400 Bad Request)".into());
    }
    DeploymentDetail {
        deployment,
        request: PromoteRequest::default(),
        plan: plan(items()),
        items: vec![
            outcome_item(
                0,
                "Billing export",
                PlanAction::Update,
                if failed {
                    ItemOutcome::RolledBack
                } else {
                    ItemOutcome::Ok
                },
                None,
            ),
            outcome_item(
                1,
                "New webhook",
                PlanAction::Create,
                if failed {
                    ItemOutcome::Failed
                } else {
                    ItemOutcome::Ok
                },
                failed.then_some("n8n refused the workflow (400 Bad Request)"),
            ),
            outcome_item(2, "Order sync", PlanAction::Update, ItemOutcome::Ok, None),
        ],
        decisions: Vec::new(),
        commit: (!failed).then(|| "0123456789abcdef0123456789abcdef01234567".into()),
    }
}

/// A run whose `promote` answered with `created`.
fn running(created: DeploymentCreated) -> Run {
    let mut run = Run::new(99);
    run.job_id = created.job_id.clone();
    run.created = Some(Box::new(created));
    run
}

/// The mapping line open on the selected credential, as `e` opens it.
fn editing(pane: &mut PromotePane) {
    let rows = checks::cred_rows(pane.chosen.ready().unwrap());
    let (_, r) = rows[pane.cred_cursor.selected];
    pane.edit = Some(CredentialEdit {
        key: crate::domain::credential_map::mapping_key(&r.source.cred_type, &r.source.name),
        source: r.source.clone(),
        input: crate::tui::input_line::InputLine::new(&r.source.name),
    });
}

fn both(name: &str, pane: &mut PromotePane) -> (String, String) {
    both_with(name, pane, &Fixture::default())
}

fn both_with(name: &str, pane: &mut PromotePane, fixture: &Fixture) -> (String, String) {
    let narrow = fixture.render(pane, NARROW);
    let wide = fixture.render(pane, WIDE);
    insta::assert_snapshot!(format!("{name}_narrow"), narrow);
    insta::assert_snapshot!(format!("{name}_wide"), wide);
    (narrow, wide)
}

#[test]
fn snapshot_stage() {
    let mut pane = at(Step::Stage);
    let (narrow, wide) = both("stage", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(screen.contains("release"), "{screen}");
        assert!(
            screen.contains("drift · credentials · 2 approvals"),
            "{screen}"
        );
        assert!(screen.contains("default: drift · credentials"), "{screen}");
        assert!(screen.contains("› release"), "the chosen stage: {screen}");
    }
    assert!(
        narrow.contains("Step 1 of 8 · Stage · next: Workflows"),
        "{narrow}"
    );
    assert!(wide.contains("1 Stage › 2 Workflows › 3 Review"), "{wide}");
}

#[test]
fn snapshot_stage_loading_and_errors() {
    let mut pane = PromotePane::new();
    pane.stages.start(1, false);
    let screen = Fixture::default().render(&mut pane, NARROW);
    insta::assert_snapshot!("stage_loading_narrow", screen);
    assert!(screen.contains("Loading pipelines and environments…"));
    pane.stages.accept(
        1,
        Err(crate::service::OpsError::invalid(
            "environments: store locked; pipelines: store locked",
        )),
    );
    let screen = Fixture::default().render(&mut pane, NARROW);
    insta::assert_snapshot!("stage_failed_narrow", screen);
    assert!(screen.contains("Could not list the stages: environments: store locked"));
    assert!(screen.contains("ctrl-r tries again"));
    let mut pane = at(Step::Stage);
    pane.pipelines_error = Some("pipeline 'release' in the config is invalid".into());
    let screen = Fixture::default().render(&mut pane, NARROW);
    assert!(
        screen.contains("The pipelines could not be listed (pipeline 'release'"),
        "{screen}"
    );
}

#[test]
fn snapshot_workflows() {
    let mut pane = at(Step::Workflows);
    pane.choices.marks.insert("billing-export".into());
    pane.choices.marks.insert("error-alerts".into());
    pane.choices.overrides.insert("error-alerts".into());
    pane.unmatched = vec!["Daily report".into()];
    pane.wf_cursor.selected = 1;
    let (narrow, wide) = both("workflows", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(
            screen.contains("5 workflow(s) differ · 2 marked: only those are promoted."),
            "{screen}"
        );
        assert!(screen.contains("1 hotfix override(s)"), "{screen}");
        assert!(screen.contains("Not listed (they do not differ): Daily report."));
        assert!(screen.contains("* Billing export"), "{screen}");
        assert!(screen.contains("TARGET_HOTFIX"), "{screen}");
        assert!(screen.contains("UPDATE (override)"), "{screen}");
        assert!(
            screen.contains("HIGH") && screen.contains("ADDED"),
            "{screen}"
        );
    }
    assert!(wide.contains("CANONICAL ID") && wide.contains("billing-export"));
    assert!(wide.contains("e overrides a hotfix"), "{wide}");
    // Without the override the hotfix holds; nothing marked promotes all.
    pane.choices.overrides.clear();
    pane.choices.marks.clear();
    let screen = Fixture::default().render(&mut pane, NARROW);
    assert!(
        screen.contains("none marked: all 5 are promoted"),
        "{screen}"
    );
    assert!(screen.contains("HOLD"), "{screen}");
}

#[test]
fn snapshot_workflows_filtered_loading_and_nothing_differs() {
    let mut pane = at(Step::Workflows);
    pane.set_filter(Filter::parse("sync"));
    let screen = Fixture::default().render(&mut pane, NARROW);
    insta::assert_snapshot!("workflows_filtered_narrow", screen);
    assert!(
        screen.contains("1 of 5 differing workflow(s) shown (/sync)"),
        "{screen}"
    );
    assert!(screen.contains("Order sync") && !screen.contains("Billing export"));
    pane.candidates.start(500, false);
    let screen = Fixture::default().render(&mut pane, NARROW);
    assert!(screen.contains("Comparing the workflows of both environments…"));
    pane.candidates.set(preflight(Vec::new()));
    pane.refilter();
    let screen = Fixture::default().render(&mut pane, NARROW);
    insta::assert_snapshot!("workflows_nothing_narrow", screen);
    assert!(screen.contains("Nothing differs between staging and production"));
}

#[test]
fn snapshot_review() {
    let mut pane = at(Step::Review);
    let (narrow, wide) = both("review", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(
            screen.contains(
                "5 workflow(s), every workflow that differs: 1 to create · 2 to update · 1 held"
            ),
            "{screen}"
        );
        assert!(
            screen.contains("1 held: production has a hotfix there"),
            "{screen}"
        );
        assert!(screen.contains("Step 3 of 8") || screen.contains("3 Review"));
    }
    assert!(
        wide.contains("CHANGES IN THE TARGET") && wide.contains("1 node"),
        "{wide}"
    );
    assert!(wide.contains("not written"), "{wide}");
    // Rechecking keeps the answer on screen, and says so; a failed recheck says why.
    pane.chosen.start(600, true);
    let screen = Fixture::default().render(&mut pane, NARROW);
    assert!(screen.contains("rechecking…") && screen.contains("Billing export"));
    pane.chosen.accept(
        600,
        Err(crate::service::OpsError::invalid(
            "no workflow named 'Gone' in 'staging' or 'production' (as last synced)",
        )),
    );
    let screen = Fixture::default().render(&mut pane, NARROW);
    insta::assert_snapshot!("review_recheck_failed_narrow", screen);
    assert!(
        screen.contains("The recheck failed: no workflow named 'Gone'"),
        "{screen}"
    );
}

#[test]
fn snapshot_credentials_and_the_mapping_line() {
    let mut pane = at(Step::Credentials);
    pane.choices
        .credentials
        .insert("slackApi:Dev Slack".into(), "Prod Slack".into());
    pane.cred_cursor.selected = 2;
    let (narrow, wide) = both("credentials", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(
            screen.contains("3 credential use(s) in 2 workflow(s) · 1 missing in production"),
            "{screen}"
        );
        assert!(screen.contains("mapped here") && screen.contains("same name"));
        assert!(
            screen.contains("✗ OpenAI") && screen.contains("MISSING"),
            "{screen}"
        );
        assert!(screen.contains("IN PRODUCTION"), "{screen}");
    }
    assert!(wide.contains("openAiApi"), "{wide}");
    editing(&mut pane);
    let (narrow, _) = both("credentials_editing", &mut pane);
    assert!(
        narrow.contains("Map openAiApi 'OpenAI' to which credential of production?"),
        "{narrow}"
    );
}

#[test]
fn snapshot_gates() {
    let mut pane = at(Step::Gates);
    pane.choices.acks.insert("order-sync-not-this-one".into());
    let (narrow, wide) = both("gates", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(screen.contains("FAIL drift"), "{screen}");
        assert!(
            screen.contains("WAIT approvals   0 of 2 approval(s)"),
            "{screen}"
        );
        assert!(screen.contains("policy"), "{screen}");
        assert!(screen.contains("blocks the gate"), "{screen}");
    }
    assert!(wide.contains("note   computed from the store"), "{wide}");
    assert!(
        wide.contains("space acknowledges a workflow's drift"),
        "{wide}"
    );
}

#[test]
fn snapshot_confirm_on_production_and_read_only() {
    let mut pane = at(Step::Confirm);
    let (narrow, wide) = both("confirm", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(
            screen.contains("Promote 3 workflow(s) from staging to production through"),
            "{screen}"
        );
        assert!(
            screen.contains("is production: you will type its name"),
            "{screen}"
        );
        assert!(screen.contains("2 approval(s)"), "{screen}");
        assert!(
            screen.contains("p promotes, after one more question."),
            "{screen}"
        );
    }
    let fixture = Fixture {
        readonly: true,
        ..Fixture::default()
    };
    let (narrow, _) = both_with("confirm_readonly", &mut pane, &fixture);
    assert!(narrow.contains("Read-only: this is a preview"), "{narrow}");
    assert!(!narrow.contains("p promotes"), "{narrow}");
    pane.promote_error =
        Some("the drift gate fails: 1 workflow(s) not in sync in production".into());
    let screen = Fixture::default().render(&mut pane, NARROW);
    assert!(screen.contains("The service refused the promotion: the drift gate fails"));
}

#[test]
fn snapshot_progress_running() {
    let mut pane = at(Step::Progress);
    let mut run = running(created(DeploymentState::Running, Some("job-42")));
    for body in [
        EventBody::Progress {
            phase: "fetching".into(),
            done: 2,
            total: 2,
        },
        EventBody::Log {
            level: LogLevel::Info,
            message: "drift gate passed: the target is in sync".into(),
        },
        EventBody::Progress {
            phase: "writing".into(),
            done: 0,
            total: 3,
        },
        EventBody::Log {
            level: LogLevel::Info,
            message: "production: 'Billing export' written and verified".into(),
        },
        EventBody::Progress {
            phase: "Billing export".into(),
            done: 1,
            total: 3,
        },
    ] {
        run.apply(&testing::event("job-42", body));
    }
    pane.run = Some(run);
    let (narrow, wide) = both("progress", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(
            screen.contains("Deployment dep-7 · RUNNING · job job-42 · requested by alice"),
            "{screen}"
        );
        assert!(
            screen.contains("fetching") && screen.contains("2/2"),
            "{screen}"
        );
        assert!(
            screen.contains("writing") && screen.contains("1/3"),
            "{screen}"
        );
        assert!(
            screen.contains("✓ UPDATE  Billing export") && screen.contains("written and verified"),
            "{screen}"
        );
        assert!(screen.contains("· CREATE  New webhook"), "{screen}");
    }
    assert!(
        wide.contains("Log") && wide.contains("drift gate passed"),
        "{wide}"
    );
    assert!(wide.contains("esc leaves (it keeps running)"), "{wide}");
}

#[test]
fn snapshot_progress_waiting_for_approvals() {
    let mut pane = at(Step::Progress);
    pane.run = Some(running(created(DeploymentState::PendingApproval, None)));
    let (narrow, _) = both("progress_pending", &mut pane);
    assert!(
        narrow.contains(
            "Waiting for approvals: 1 of 2 from people other than you (approved by bob)."
        ),
        "{narrow}"
    );
    assert!(
        narrow.contains("enter opens it in the Deployments pane"),
        "{narrow}"
    );
}

#[test]
fn snapshot_result_completed_and_rolled_back() {
    let mut pane = at(Step::Result);
    let mut run = running(created(DeploymentState::Running, Some("job-42")));
    run.result.set(detail(DeploymentState::Completed));
    pane.run = Some(run);
    let (narrow, wide) = both("result", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(
            screen.contains("COMPLETED · deployment dep-7 · staging → production"),
            "{screen}"
        );
        assert!(
            screen.contains("snapshot production/20261122-115900 · commit 0123456789ab"),
            "{screen}"
        );
        assert!(screen.contains("no rollback"), "{screen}");
    }
    let mut run = running(created(DeploymentState::Running, Some("job-42")));
    run.result.set(detail(DeploymentState::Failed));
    pane.run = Some(run);
    let (narrow, wide) = both("result_failed", &mut pane);
    for screen in [&narrow, &wide] {
        assert!(screen.contains("FAILED · deployment dep-7"), "{screen}");
        assert!(
            screen.contains("production was rolled back to production/20261122-115900"),
            "{screen}"
        );
        assert!(screen.contains("rolled back") && screen.contains("FAILED"));
    }
    assert!(
        wide.contains("n8n refused the workflow (400 Bad Request)"),
        "{wide}"
    );
}

#[test]
fn tiny_screens_do_not_break_the_drawing() {
    let fixture = Fixture::default();
    for step in Step::ALL {
        let mut pane = at(step);
        if step >= Step::Progress {
            let mut run = running(created(DeploymentState::Running, Some("job-42")));
            run.result.set(detail(DeploymentState::Failed));
            pane.run = Some(run);
        }
        for size in [(1, 1), (4, 3), (20, 6), (40, 10)] {
            fixture.render(&mut pane, size);
        }
    }
    let mut pane = at(Step::Credentials);
    editing(&mut pane);
    for size in [(1, 1), (4, 3), (20, 6)] {
        fixture.render(&mut pane, size);
    }
}
