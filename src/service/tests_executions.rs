//! The execution tail against simulated instances: incremental polls, several
//! environments merged, one failing while the others answer, detail and retry.

use super::executions::{MAX_POLL_LIMIT, RETRY_ACTION, newest_first};
use super::test_fixture::{Fixture, env_add, generated, sync};
use super::*;
use crate::domain::environment::EnvClass;
use crate::sim::{ExecutionStatus as SimStatus, Fault, SimOptions};
use crate::store::audit::Outcome;
use std::collections::BTreeMap;
use std::sync::Arc;

impl Fixture {
    /// Records an execution of the first workflow of `env` with this status.
    fn run(&self, env: &str, status: SimStatus) -> String {
        let sim = self.sim(env);
        let workflow = &sim.workflow_ids()[0];
        sim.add_execution(workflow, status)
            .expect("record an execution")
            .to_string()
    }
}

/// `dev` and `prod`, each a simulator with 30 workflows and 20 past executions.
async fn fixture() -> Fixture {
    let sim = |seed| SimOptions {
        seed_executions: 20,
        ..generated(seed, 30)
    };
    Fixture::builder()
        .env("dev", EnvClass::Development, sim(11))
        .env("prod", EnvClass::Production, sim(12))
        .build()
        .await
}

fn ids(page: &ExecutionsPage, env: &str) -> Vec<String> {
    page.executions
        .iter()
        .filter(|e| e.env == env)
        .map(|e| e.id.clone())
        .collect()
}

fn query(envs: &[&str], after: &BTreeMap<String, String>, limit: usize) -> ExecutionsQuery {
    ExecutionsQuery {
        envs: envs.iter().map(|e| e.to_string()).collect(),
        after: after.clone(),
        limit,
        ..ExecutionsQuery::default()
    }
}

#[tokio::test]
async fn polls_return_only_new_executions() {
    let f = fixture().await;
    let first = f
        .ops
        .executions_poll(query(&["dev"], &BTreeMap::new(), 5))
        .await
        .unwrap();
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    let seen = ids(&first, "dev");
    assert_eq!(seen.len(), 5, "the limit holds on a first poll");
    assert_eq!(
        first.cursors.get("dev"),
        Some(&seen[0]),
        "cursor is the newest"
    );
    assert!(!first.cursors.contains_key("prod"), "prod was not polled");

    let new: Vec<String> = [SimStatus::Success, SimStatus::Error, SimStatus::Success]
        .into_iter()
        .map(|s| f.run("dev", s))
        .collect();
    let second = f
        .ops
        .executions_poll(query(&["dev"], &first.cursors, 50))
        .await
        .unwrap();
    let mut expected = new.clone();
    expected.reverse();
    assert_eq!(
        ids(&second, "dev"),
        expected,
        "only the new ones, newest first"
    );
    assert_eq!(second.cursors.get("dev"), Some(&expected[0]));
    let statuses: Vec<&str> = second
        .executions
        .iter()
        .map(|e| e.status.as_str())
        .collect();
    assert_eq!(statuses, ["success", "error", "success"]);

    let third = f
        .ops
        .executions_poll(query(&["dev"], &second.cursors, 50))
        .await
        .unwrap();
    assert!(third.executions.is_empty());
    assert_eq!(third.cursors, second.cursors, "no news keeps the cursor");
}

#[tokio::test]
async fn environments_are_merged_newest_first_with_names_from_the_store() {
    let f = fixture().await;
    let before = f
        .ops
        .executions_poll(ExecutionsQuery::default())
        .await
        .unwrap();
    assert!(
        before.executions.iter().all(|e| e.workflow_name.is_none()),
        "no names before a sync"
    );

    sync(&f.ops, SyncRequest::default()).await;
    let page = f
        .ops
        .executions_poll(ExecutionsQuery::default())
        .await
        .unwrap();
    assert!(page.errors.is_empty(), "{:?}", page.errors);
    assert_eq!(ids(&page, "dev").len(), 20);
    assert_eq!(ids(&page, "prod").len(), 20);
    assert_eq!(
        page.cursors.keys().collect::<Vec<_>>(),
        ["dev", "prod"],
        "a cursor per environment"
    );
    let mut sorted = page.executions.clone();
    sorted.sort_by(newest_first);
    assert_eq!(page.executions, sorted, "newest first across environments");
    let stored = f
        .ops
        .workflows_list(WorkflowQuery::default())
        .await
        .unwrap();
    for e in &page.executions {
        let workflow = stored
            .iter()
            .find(|w| w.env == e.env && Some(&w.id) == e.workflow_id.as_ref())
            .expect("the workflow was synced");
        assert_eq!(e.workflow_name.as_ref(), Some(&workflow.name));
    }

    // Filters reach n8n.
    let errors = f
        .ops
        .executions_poll(ExecutionsQuery {
            status: Some("error".into()),
            ..ExecutionsQuery::default()
        })
        .await
        .unwrap();
    assert!(errors.executions.iter().all(|e| e.status == "error"));
    let expected_errors = page
        .executions
        .iter()
        .filter(|e| e.status == "error")
        .count();
    assert_eq!(errors.executions.len(), expected_errors);
}

#[tokio::test]
async fn a_failing_environment_is_reported_while_the_others_answer() {
    let f = fixture().await;
    let first = f
        .ops
        .executions_poll(ExecutionsQuery::default())
        .await
        .unwrap();
    f.sim("prod")
        .set_faults(Fault::status(503).on("/api/v1/executions"));
    let fresh = f.run("dev", SimStatus::Success);
    f.run("prod", SimStatus::Success);

    let page = f
        .ops
        .executions_poll(query(&[], &first.cursors, 50))
        .await
        .unwrap();
    assert_eq!(ids(&page, "dev"), [fresh], "dev still answers");
    assert!(ids(&page, "prod").is_empty());
    assert_eq!(page.errors.len(), 1);
    let problem = &page.errors[0];
    assert_eq!(problem.env, "prod");
    assert!(problem.message.contains("503"), "{}", problem.message);
    assert!(!problem.message.starts_with("prod:"), "{}", problem.message);
    assert_eq!(
        page.cursors.get("prod"),
        first.cursors.get("prod"),
        "a failed poll keeps its cursor"
    );

    // Once it recovers, the missed execution comes in.
    f.sim("prod").clear_faults();
    let next = f
        .ops
        .executions_poll(query(&[], &page.cursors, 50))
        .await
        .unwrap();
    assert!(next.errors.is_empty());
    assert_eq!(ids(&next, "prod").len(), 1);
    assert!(ids(&next, "dev").is_empty());
}

#[tokio::test]
async fn bad_queries_are_refused() {
    let f = fixture().await;
    let unknown = f
        .ops
        .executions_poll(query(&["nowhere"], &BTreeMap::new(), 5))
        .await
        .unwrap_err();
    assert_eq!(unknown.kind, ErrorKind::NotFound);
    assert!(unknown.message.contains("nowhere"), "{}", unknown.message);
    let status = f
        .ops
        .executions_poll(ExecutionsQuery {
            status: Some("exploded".into()),
            ..ExecutionsQuery::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.kind, ErrorKind::Invalid);
    let missing = f
        .ops
        .execution_get(ExecutionRef {
            env: "dev".into(),
            id: "999999".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.kind, ErrorKind::NotFound);
    assert!(
        missing.message.contains("999999") && missing.message.contains("dev"),
        "{}",
        missing.message
    );
}

#[tokio::test]
async fn detail_names_the_failing_node_and_its_error() {
    let f = fixture().await;
    let id = f.run("prod", SimStatus::Error);
    let detail = f
        .ops
        .execution_get(ExecutionRef {
            env: "prod".into(),
            id: id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(detail.execution.id, id);
    assert_eq!(detail.execution.status, "error");
    let node = detail.failing_node.clone().expect("a failing node");
    let message = detail.error_message.clone().expect("an error message");
    assert!(!message.is_empty() && message != "unknown error");
    assert!(detail.nodes.len() >= 2, "{:?}", detail.nodes);
    let last = detail.nodes.last().unwrap();
    assert_eq!(last.node, node, "the run stops at the failing node");
    assert_eq!(last.status, "error");
    assert!(
        detail.nodes[..detail.nodes.len() - 1]
            .iter()
            .all(|n| n.status == "success" && n.items.is_some())
    );

    let ok = f.run("prod", SimStatus::Success);
    let detail = f
        .ops
        .execution_get(ExecutionRef {
            env: "prod".into(),
            id: ok,
        })
        .await
        .unwrap();
    assert_eq!((detail.failing_node, detail.error_message), (None, None));
    assert!(detail.nodes.iter().all(|n| n.status == "success"));
}

#[tokio::test]
async fn retry_creates_a_new_execution_and_is_audited() {
    let f = fixture().await;
    let failed = f.run("dev", SimStatus::Error);
    let retried = f
        .ops
        .execution_retry(ExecutionRef {
            env: "dev".into(),
            id: failed.clone(),
        })
        .await
        .unwrap();
    assert_eq!(retried.env, "dev");
    assert_eq!(retried.retry_of.as_deref(), Some(failed.as_str()));
    assert_eq!(retried.mode.as_deref(), Some("retry"));
    assert!(retried.id.parse::<u64>().unwrap() > failed.parse::<u64>().unwrap());
    let again = f
        .ops
        .execution_get(ExecutionRef {
            env: "dev".into(),
            id: retried.id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(again.execution.retry_of.as_deref(), Some(failed.as_str()));

    // A successful execution cannot be retried: the error names env and execution.
    let succeeded = f.run("dev", SimStatus::Success);
    let err = f
        .ops
        .execution_retry(ExecutionRef {
            env: "dev".into(),
            id: succeeded.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid);
    assert!(
        err.message.contains("dev") && err.message.contains(&succeeded),
        "{}",
        err.message
    );

    let audit = f
        .ops
        .audit_list(AuditQuery {
            env: Some("dev".into()),
            limit: Some(10),
        })
        .await
        .unwrap();
    let retries: Vec<_> = audit.iter().filter(|a| a.action == RETRY_ACTION).collect();
    assert_eq!(retries.len(), 2, "{audit:?}");
    assert_eq!(retries[0].outcome, Outcome::Error, "newest first");
    assert_eq!(retries[1].outcome, Outcome::Ok);
    let detail = retries[1].detail.as_deref().unwrap_or_default();
    assert!(
        detail.contains(&failed) && detail.contains(&retried.id),
        "{detail}"
    );
}

/// What the caller holds as unfinished after a page: env -> id -> status.
fn unfinished(page: &ExecutionsPage) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut held: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for e in page.executions.iter().filter(|e| e.unfinished()) {
        held.entry(e.env.clone())
            .or_default()
            .insert(e.id.clone(), e.status.clone());
    }
    held
}

fn find<'a>(page: &'a ExecutionsPage, env: &str, id: &str) -> Option<&'a ExecutionView> {
    page.executions.iter().find(|e| e.env == env && e.id == id)
}

#[tokio::test]
async fn a_long_run_shows_while_it_runs_and_when_it_ends() {
    let f = fixture().await;
    let sim = f.sim("dev");
    let workflow = sim.workflow_ids()[0].clone();
    let long = sim.start_execution(&workflow).unwrap().to_string();

    // n8n leaves running executions out of its list: the poll asks for them.
    let first = f
        .ops
        .executions_poll(query(&["dev"], &BTreeMap::new(), 5))
        .await
        .unwrap();
    let shown = find(&first, "dev", &long).expect("the running one is shown");
    assert_eq!((shown.status.as_str(), shown.stopped_at), ("running", None));
    assert_ne!(
        first.cursors.get("dev"),
        Some(&long),
        "a running one does not move the cursor"
    );

    // Newer runs end first: the cursor moves past the long run.
    let newer: Vec<String> = (0..3).map(|_| f.run("dev", SimStatus::Success)).collect();
    let held = unfinished(&first);
    assert_eq!(held["dev"].get(&long).map(String::as_str), Some("running"));
    let second = f
        .ops
        .executions_poll(ExecutionsQuery {
            unfinished: held.clone(),
            ..query(&["dev"], &first.cursors, 50)
        })
        .await
        .unwrap();
    let mut expected = newer.clone();
    expected.reverse();
    assert_eq!(
        ids(&second, "dev"),
        expected,
        "a held run that did not change is not sent again"
    );
    assert_eq!(second.cursors.get("dev"), Some(&expected[0]));

    // Without holding it, the caller is told about it again (it may be new to it).
    let unheld = f
        .ops
        .executions_poll(query(&["dev"], &second.cursors, 50))
        .await
        .unwrap();
    assert_eq!(ids(&unheld, "dev"), [long.as_str()]);

    // It ends after newer ones were seen: the next poll carries it, ended.
    sim.finish_execution(long.parse().unwrap(), SimStatus::Error)
        .unwrap();
    let third = f
        .ops
        .executions_poll(ExecutionsQuery {
            unfinished: held,
            ..query(&["dev"], &second.cursors, 50)
        })
        .await
        .unwrap();
    assert!(third.errors.is_empty(), "{:?}", third.errors);
    assert_eq!(ids(&third, "dev"), [long.as_str()]);
    let ended = find(&third, "dev", &long).unwrap();
    assert_eq!(ended.status, "error");
    assert!(ended.stopped_at.is_some() && ended.duration_ms().is_some());
    assert_eq!(third.cursors, second.cursors, "the cursor does not go back");
    assert!(unfinished(&third).is_empty());
    assert!(third.gone.is_empty() && third.gaps.is_empty());
}

#[tokio::test]
async fn held_waiting_runs_are_followed_and_vanished_ones_reported() {
    let f = fixture().await;
    let waiting = f.run("prod", SimStatus::Waiting);
    let first = f
        .ops
        .executions_poll(query(&["prod"], &BTreeMap::new(), 5))
        .await
        .unwrap();
    assert_eq!(
        find(&first, "prod", &waiting).map(|e| e.status.as_str()),
        Some("waiting"),
        "n8n lists waiting ones"
    );
    let mut held = unfinished(&first);
    held.entry("prod".into())
        .or_default()
        .insert("999999".into(), "running".into());

    let still = f
        .ops
        .executions_poll(ExecutionsQuery {
            unfinished: held.clone(),
            ..query(&["prod"], &first.cursors, 50)
        })
        .await
        .unwrap();
    assert!(still.errors.is_empty(), "{:?}", still.errors);
    assert!(ids(&still, "prod").is_empty(), "nothing changed");
    assert_eq!(
        still.gone,
        [ExecutionRef {
            env: "prod".into(),
            id: "999999".into()
        }],
        "one n8n does not have is reported gone"
    );

    f.sim("prod")
        .finish_execution(waiting.parse().unwrap(), SimStatus::Success)
        .unwrap();
    held.get_mut("prod").unwrap().remove("999999");
    let resumed = f
        .ops
        .executions_poll(ExecutionsQuery {
            unfinished: held,
            ..query(&["prod"], &first.cursors, 50)
        })
        .await
        .unwrap();
    assert_eq!(ids(&resumed, "prod"), [waiting.as_str()]);
    assert_eq!(resumed.executions[0].status, "success");
}

#[tokio::test]
async fn a_burst_is_caught_up_on_up_to_a_cap_and_the_gap_reported() {
    let f = fixture().await;
    let first = f
        .ops
        .executions_poll(query(&["dev"], &BTreeMap::new(), 5))
        .await
        .unwrap();
    let cursor: u64 = first.cursors["dev"].parse().unwrap();

    // More than the per-poll limit, fewer than the cap: all of them come.
    let burst: Vec<String> = (0..120).map(|_| f.run("dev", SimStatus::Success)).collect();
    let caught = f
        .ops
        .executions_poll(query(&["dev"], &first.cursors, 5))
        .await
        .unwrap();
    assert_eq!(
        ids(&caught, "dev").len(),
        120,
        "the limit is for first polls"
    );
    assert!(caught.gaps.is_empty());
    assert_eq!(caught.cursors["dev"], burst[119]);

    // More than the cap: the newest come, and the gap is told.
    let before: u64 = caught.cursors["dev"].parse().unwrap();
    let burst: Vec<u64> = (0..MAX_POLL_LIMIT + 40)
        .map(|_| f.run("dev", SimStatus::Success).parse().unwrap())
        .collect();
    let page = f
        .ops
        .executions_poll(query(&["dev"], &caught.cursors, 5))
        .await
        .unwrap();
    let got = ids(&page, "dev");
    assert_eq!(got.len(), MAX_POLL_LIMIT);
    assert_eq!(got[0], burst.last().unwrap().to_string());
    assert_eq!(
        page.gaps,
        [ExecutionGap {
            env: "dev".into(),
            after: before.to_string(),
            until: burst[39].to_string(),
            at_most: Some(40),
        }]
    );
    assert!(cursor < before);
    let next = f
        .ops
        .executions_poll(query(&["dev"], &page.cursors, 5))
        .await
        .unwrap();
    assert!(next.executions.is_empty() && next.gaps.is_empty());
}

#[tokio::test]
async fn clients_are_reused_until_the_environment_changes() {
    let f = fixture().await;
    let row = env_named(&f.ops, "dev").await;
    let first = f.ops.client(&row).await.unwrap();
    let again = f.ops.client(&row).await.unwrap();
    assert!(Arc::ptr_eq(&first.inner, &again.inner), "the same client");
    let prod = f
        .ops
        .client(&env_named(&f.ops, "prod").await)
        .await
        .unwrap();
    assert!(
        !Arc::ptr_eq(&first.inner, &prod.inner),
        "one per environment"
    );

    // A new key: a new client, which uses it.
    f.ops
        .env_update(EnvUpdate {
            name: "dev".into(),
            url: None,
            class: None,
            api_key: Some(Secret::new("not-the-key")),
            git_repo: None,
            git_branch: None,
        })
        .await
        .unwrap();
    let changed = f.ops.client(&env_named(&f.ops, "dev").await).await.unwrap();
    assert!(!Arc::ptr_eq(&first.inner, &changed.inner));
    let refused = f
        .ops
        .executions_poll(query(&["dev"], &BTreeMap::new(), 5))
        .await
        .unwrap();
    assert_eq!(refused.errors.len(), 1, "the new key is the one sent");
    assert!(
        refused.errors[0].message.contains("401"),
        "{:?}",
        refused.errors
    );

    // Removed and added again: nothing of the old client is left.
    f.ops.env_remove("dev".into()).await.unwrap();
    f.ops
        .env_add(env_add("dev", &f.sim("dev").url, EnvClass::Development))
        .await
        .unwrap();
    let back = f
        .ops
        .executions_poll(query(&["dev"], &BTreeMap::new(), 5))
        .await
        .unwrap();
    assert!(back.errors.is_empty(), "{:?}", back.errors);
    assert_eq!(ids(&back, "dev").len(), 5);
}

async fn env_named(ops: &LocalOps, name: &str) -> crate::store::environments::EnvRow {
    let mut conn = ops.store.conn().await.unwrap();
    crate::store::environments::get(&mut conn, name)
        .await
        .unwrap()
}
