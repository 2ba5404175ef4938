//! Untracked workflows, onboarding one by name and all of them (one commit), what is
//! refused before a job starts, and linking the same workflow across environments.

use super::*;
use crate::domain::canonical::slugify;

/// Commits on the branch.
fn commit_count(f: &Fixture) -> usize {
    let repo = git2::Repository::open_bare(f.git_dir.path().join("canonical.git")).unwrap();
    let mut walk = repo.revwalk().unwrap();
    walk.push_ref("refs/heads/main").unwrap();
    walk.count()
}

async fn untracked(f: &Fixture, env: Option<&str>) -> Vec<UntrackedWorkflow> {
    f.ops.untracked_list(env.map(str::to_owned)).await.unwrap()
}

#[tokio::test]
async fn onboarding_one_by_name_then_all_in_one_commit() {
    let f = fixture(&[
        ("dev", EnvClass::Development, generated(41, 3)),
        ("prod", EnvClass::Production, generated(42, 8)),
    ])
    .await;
    let all = untracked(&f, None).await;
    assert_eq!(all.len(), 11);
    let order: Vec<(&str, &str)> = all
        .iter()
        .map(|w| (w.env.as_str(), w.name.as_str()))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "sorted by environment then name");
    let prod = untracked(&f, Some("prod")).await;
    assert_eq!(prod.len(), 8);
    assert!(prod.iter().all(|w| w.env == "prod"));

    let pick = prod[2].clone();
    let (report, job) = onboard(
        &f,
        OnboardRequest {
            env: "prod".into(),
            workflows: vec![pick.name.clone()],
            all: false,
        },
    )
    .await;
    assert_eq!(job.kind, "onboard");
    assert_eq!(report.env, "prod");
    assert_eq!(report.onboarded.len(), 1);
    let one = &report.onboarded[0];
    assert_eq!(
        (one.n8n_id.as_str(), one.name.as_str()),
        (pick.n8n_id.as_str(), pick.name.as_str())
    );
    assert_eq!(one.canonical_id, slugify(&pick.name));
    assert!(!one.linked);
    let head = repo(&f).await.head().unwrap().unwrap();
    assert_eq!(report.commit.as_deref(), Some(head.id.as_str()));
    assert!(
        head.message.contains("N8nops-Kind: onboarding"),
        "{}",
        head.message
    );
    assert!(
        head.message.contains("Onboarded 1 workflow of prod."),
        "{}",
        head.message
    );
    let mapping = mapping_at(&f, "prod", None).await;
    assert_eq!(mapping.workflows.len(), 1);
    assert_eq!(mapping.workflows[&one.canonical_id].n8n_id, pick.n8n_id);

    let left = untracked(&f, Some("prod")).await;
    assert_eq!(left.len(), 7);
    assert!(left.iter().all(|w| w.n8n_id != pick.n8n_id));
    assert_eq!(
        untracked(&f, Some("dev")).await.len(),
        3,
        "dev is untouched"
    );

    // All the rest: one commit.
    let commits = commit_count(&f);
    let (report, _) = onboard(
        &f,
        OnboardRequest {
            env: "prod".into(),
            workflows: Vec::new(),
            all: true,
        },
    )
    .await;
    assert_eq!(report.onboarded.len(), 7);
    assert_eq!(commit_count(&f), commits + 1);
    assert!(untracked(&f, Some("prod")).await.is_empty());
    assert_eq!(mapping_at(&f, "prod", None).await.workflows.len(), 8);
    let listed = workflows(&f, "prod").await;
    assert!(listed.iter().all(|w| w.canonical_id.is_some()));

    // Nothing left: nothing committed.
    let (report, job) = onboard(
        &f,
        OnboardRequest {
            env: "prod".into(),
            workflows: Vec::new(),
            all: true,
        },
    )
    .await;
    assert!(job.error.is_none());
    assert!(report.onboarded.is_empty() && report.commit.is_none());
    assert_eq!(commit_count(&f), commits + 1);
    assert_eq!(
        audited(&f, "onboard").await.len(),
        2,
        "nothing done, nothing audited"
    );
}

#[tokio::test]
async fn unknown_or_tracked_workflows_are_refused_before_a_job_starts() {
    let f = fixture(&[("prod", EnvClass::Production, generated(43, 4))]).await;
    let prod = untracked(&f, Some("prod")).await;
    onboard(
        &f,
        OnboardRequest {
            env: "prod".into(),
            workflows: vec![prod[0].n8n_id.clone()],
            all: false,
        },
    )
    .await;
    let jobs = f.ops.jobs_list(JobQuery::default()).await.unwrap().len();

    let err = f
        .ops
        .onboard(OnboardRequest {
            env: "prod".into(),
            workflows: vec![
                prod[0].name.clone(),
                "No such workflow".into(),
                prod[1].name.clone(),
            ],
            all: false,
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid, "{err}");
    for part in [
        "'prod'".to_owned(),
        format!("already tracked: '{}'", prod[0].name),
        "'No such workflow'".to_owned(),
    ] {
        assert!(err.message.contains(&part), "{part} in: {err}");
    }
    assert!(!err.message.contains(&prod[1].name), "{err}");
    let err = f
        .ops
        .onboard(OnboardRequest {
            env: "prod".into(),
            workflows: Vec::new(),
            all: false,
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid, "{err}");
    let err = f
        .ops
        .onboard(OnboardRequest {
            env: "nope".into(),
            workflows: vec!["x".into()],
            all: false,
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    assert_eq!(
        f.ops.jobs_list(JobQuery::default()).await.unwrap().len(),
        jobs
    );
    assert_eq!(mapping_at(&f, "prod", None).await.workflows.len(), 1);
}

#[tokio::test]
async fn the_same_name_in_another_environment_joins_its_canonical_workflow() {
    // The same generated fleet in both: the same names.
    let f = fixture(&[
        ("dev", EnvClass::Development, generated(44, 5)),
        ("prod", EnvClass::Production, generated(44, 5)),
    ])
    .await;
    snapshot(&f, "dev", None).await;
    let dev = mapping_at(&f, "dev", None).await;
    assert!(untracked(&f, Some("dev")).await.is_empty());
    let prod = untracked(&f, Some("prod")).await;
    assert_eq!(prod.len(), 5, "dev's snapshot tracks nothing of prod");

    let pick = &prod[3];
    let (report, _) = onboard(
        &f,
        OnboardRequest {
            env: "prod".into(),
            workflows: vec![pick.name.clone()],
            all: false,
        },
    )
    .await;
    let one = &report.onboarded[0];
    assert!(one.linked, "{one:?}");
    let (dev_id, _) = dev
        .workflows
        .iter()
        .find(|(_, m)| m.name == pick.name)
        .expect("dev has it");
    assert_eq!(&one.canonical_id, dev_id);
    let ids = repo(&f).await.entries(None, "workflows").unwrap();
    assert_eq!(ids.len(), 5, "no second document for the same workflow");

    // The catalog names the same canonical workflow in both environments.
    let listed = f
        .ops
        .workflows_list(WorkflowQuery {
            search: Some(pick.name.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    let ids: Vec<(&str, Option<&str>)> = listed
        .iter()
        .filter(|w| w.name == pick.name)
        .map(|w| (w.env.as_str(), w.canonical_id.as_deref()))
        .collect();
    assert_eq!(
        ids,
        [
            ("dev", Some(dev_id.as_str())),
            ("prod", Some(dev_id.as_str()))
        ]
    );
}
