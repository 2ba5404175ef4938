//! Promotions end to end between two real n8n 1.123.0 (scripts/test.sh starts both):
//! the first instance (N8NOPS_E2E_N8N_URL) is registered as "dev" (development), the
//! second (N8NOPS_E2E_N8N2_URL) as "prod" (production), in a throw-away store and
//! repository.
//!
//! - [`credentials_are_remapped_to_the_targets_own_ids`]: 40 corpus-derived workflows
//!   (26 using credentials) promoted dev -> prod; each ends in prod equal by fingerprint
//!   to dev's with its credentials remapped, every node credential pointing at prod's
//!   own credential id, and a mapping given with the request honoured.
//! - [`a_failed_write_rolls_prod_back_to_exactly_what_it_was`]: prod registered
//!   through a proxy that makes one create answer 500 after n8n did it; the deployment
//!   ends FAILED, its rollback verified, prod as before by every workflow's fingerprint
//!   and active flag, with nothing left over.
//! - [`a_promote_killed_mid_way_is_rolled_back_by_recover`]: the real binary killed
//!   with SIGKILL in the middle of its writes; `deployments recover` rolls prod back.
//! - [`an_approval_of_a_plan_that_went_stale_deploys_nothing`]: a stage wanting one
//!   approval; dev changes between the request and the approval; the run refuses.
//!
//! Good neighbours: other test binaries use the same two instances (one at a time), and
//! e2e_git may have restored the whole corpus into the second one, or not. Each test
//! creates its own workflows (copies of corpus files under a name unique to the run)
//! and credentials (names unique to the run), asserts about those and about the whole of
//! prod compared with itself, and deletes everything it created at the end, even when
//! it fails. The tests run one at a time (a rollback restores the whole of prod).
//!
//! n8n 1.x lists no credentials: n8nops knows an instance's credentials only through
//! the workflows whose nodes use them. So each test that promotes credentials keeps a
//! "carrier" workflow in prod using each of prod's credentials, as a real prod's own
//! workflows would.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/fault_proxy.rs"]
mod fault_proxy;
#[path = "support/n8n_api.rs"]
mod n8n_api;
#[path = "support/promotion_copies.rs"]
mod promotion_copies;
#[path = "support/real_n8n.rs"]
mod real_n8n;

use fault_proxy::{Fault, FaultProxy};
use futures_util::FutureExt;
use n8n_api::{Api, Live};
use n8nops::domain::deployment::DeploymentState;
use n8nops::domain::environment::EnvClass;
use n8nops::domain::job::JobState;
use n8nops::domain::normalize::fingerprint;
use n8nops::domain::pipeline::{Gates, Pipeline, Stage};
use n8nops::domain::promotion::PlanAction;
use n8nops::service::{
    DeploymentCreate, DeploymentCreated, DeploymentDecision, DriftCheckRequest, DriftReport,
    EnvAdd, ErrorKind, ItemOutcome, JobView, LocalOps, Ops, PromoteRequest, PromotionReport,
    Secret, Settings, follow_job,
};
use n8nops::store::{SecretBox, Store};
use promotion_copies::{CorpusFile, CredKey};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DEV: &str = "dev";
const PROD: &str = "prod";

/// A rollback restores the whole of prod: the tests never overlap.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What a scenario works with.
struct Cx {
    dev: Api,
    prod: Api,
    /// Unique to the run; in every name the scenario creates.
    mark: String,
    /// Every workflow the scenario creates starts with this (the clean-up finds them
    /// by it in both instances).
    prefix: String,
    files: Vec<PathBuf>,
    /// Credentials created: deleted at the end.
    credentials: Mutex<Vec<(Api, String)>>,
}

/// Runs `scenario` against the two real instances when they are there (else says why it
/// skips), then deletes what it created, and checks dev holds what it held before.
async fn with_instances<F, Fut>(name: &str, scenario: F)
where
    F: FnOnce(Arc<Cx>) -> Fut,
    Fut: Future<Output = ()>,
{
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some((url, key)) = real_n8n::real_n8n() else {
        return;
    };
    let Some((url2, key2)) = real_n8n::second_real_n8n() else {
        return;
    };
    let Some(dir) = corpus::corpus_dir() else {
        return;
    };
    let mark = run_mark();
    let cx = Arc::new(Cx {
        dev: Api::new(&url, &key),
        prod: Api::new(&url2, &key2),
        prefix: format!("n8nops-e2e-promo-{mark}-{name} "),
        mark,
        files: corpus::corpus_files(&dir),
        credentials: Mutex::new(Vec::new()),
    });
    let dev_before = cx.dev.live().await;
    let prod_before = cx.prod.live().await;
    eprintln!(
        "{name}: dev holds {} workflows, prod {}",
        dev_before.len(),
        prod_before.len()
    );
    let outcome = AssertUnwindSafe(scenario(cx.clone())).catch_unwind().await;
    clean_up(&cx).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    assert_eq!(
        cx.dev.live().await,
        dev_before,
        "dev holds what it held before the test"
    );
    assert_eq!(
        cx.prod.live().await,
        prod_before,
        "prod holds what it held before the test"
    );
}

/// Deletes every workflow named with the scenario's prefix in both instances, then the
/// credentials it created.
async fn clean_up(cx: &Cx) {
    for api in [&cx.dev, &cx.prod] {
        let ids = api.ids_named(&cx.prefix).await;
        if !ids.is_empty() {
            eprintln!("deleting {} test workflows from {}", ids.len(), api.url);
        }
        for id in ids {
            api.delete(&id).await;
        }
    }
    let credentials =
        std::mem::take(&mut *cx.credentials.lock().unwrap_or_else(|p| p.into_inner()));
    for (api, id) in credentials {
        if !api.delete_credential(&id).await {
            eprintln!("credential {id} in {} could not be deleted", api.url);
        }
    }
}

/// A mark unique to this run.
fn run_mark() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() ^ d.as_secs() as u32)
        .unwrap_or_default();
    format!("{:08x}", nanos ^ std::process::id().rotate_left(16))
}

/// A throw-away store and repository, and services on it (one per actor).
struct Local {
    store: Store,
    dir: tempfile::TempDir,
}

impl Local {
    async fn new() -> Local {
        let dir = tempfile::tempdir().expect("temp dir");
        let store =
            Store::open_sqlite(&dir.path().join("n8nops.db"), SecretBox::from_key(&[7; 32]))
                .await
                .expect("store");
        Local { store, dir }
    }

    /// The service as `actor`, with the config's `pipelines`.
    async fn ops(&self, actor: &str, pipelines: Vec<Pipeline>) -> LocalOps {
        let mut settings = Settings::from_config(&Default::default());
        settings.actor = actor.into();
        settings.git.path = Some(self.dir.path().join("canonical.git"));
        settings.pipelines = pipelines;
        LocalOps::new(self.store.clone(), settings)
            .await
            .expect("ops")
    }
}

async fn add_env(ops: &LocalOps, name: &str, class: EnvClass, url: &str, key: &str) {
    ops.env_add(EnvAdd {
        name: name.into(),
        url: url.into(),
        class,
        api_key: Secret::new(key.to_owned()),
        git_repo: None,
        git_branch: None,
    })
    .await
    .unwrap_or_else(|e| panic!("adding {name}: {e}"));
}

/// A drift check of prod, which must run (what it finds is not asserted: prod holds
/// what other tests left).
async fn check_prod(ops: &LocalOps) {
    let events = ops.subscribe();
    let started = ops
        .drift_check(DriftCheckRequest {
            envs: vec![PROD.into()],
            fetch: true,
        })
        .await
        .expect("start a drift check of prod");
    let job = follow_job(ops, events, &started.job_id, |_| {})
        .await
        .expect("follow the drift check");
    assert!(
        job.error.is_none(),
        "the drift check failed: {:?}",
        job.error
    );
    let report: DriftReport =
        serde_json::from_value(job.result.expect("a drift report")).expect("a drift report");
    assert!(report.envs[0].error.is_none(), "{:?}", report.envs[0].error);
    eprintln!("drift check of prod: {:?}", report.envs[0].counts);
}

/// Starts a promotion and follows its run to the end.
async fn promote(
    ops: &LocalOps,
    request: PromoteRequest,
) -> (DeploymentCreated, JobView, PromotionReport) {
    let events = ops.subscribe();
    let begun = Instant::now();
    let created = ops
        .promote(DeploymentCreate {
            request,
            ..DeploymentCreate::default()
        })
        .await
        .unwrap_or_else(|e| panic!("promote: {e}"));
    let job_id = created.job_id.clone().unwrap_or_else(|| {
        panic!(
            "no approval needed: it runs at once: {:?}",
            created.deployment
        )
    });
    let job = follow_job(ops, events, &job_id, |_| {})
        .await
        .expect("follow the promotion");
    eprintln!(
        "promotion {}: {:?} in {:.1} s",
        created.deployment.id,
        job.state,
        begun.elapsed().as_secs_f64()
    );
    let report = report_of(&job);
    (created, job, report)
}

fn report_of(job: &JobView) -> PromotionReport {
    let result = job
        .result
        .clone()
        .unwrap_or_else(|| panic!("the job left no report: {:?}", job.error));
    serde_json::from_value(result).expect("a promotion report")
}

fn request(names: &[String]) -> PromoteRequest {
    PromoteRequest {
        from: DEV.into(),
        to: PROD.into(),
        workflows: names.to_vec(),
        ..PromoteRequest::default()
    }
}

/// A workflow the test made in dev.
struct Made {
    name: String,
    dev_id: String,
}

/// Copies of `files` in dev, named `{prefix}{label}-{NNN} {original name}`, credentials
/// renamed for the run and pointing at dev's ids; `count` of them (a file n8n refuses is
/// skipped, the next one taken; files are reused in turn when there are fewer).
async fn copies_in_dev(
    cx: &Cx,
    files: &[&CorpusFile],
    label: &str,
    count: usize,
    dev_ids: &BTreeMap<CredKey, String>,
) -> Vec<Made> {
    let mut made = Vec::new();
    let mut refused = 0;
    for file in files.iter().cycle().take(count * 2) {
        if made.len() == count {
            break;
        }
        let original: String = file.value["name"]
            .as_str()
            .unwrap_or("workflow")
            .chars()
            .take(60)
            .collect();
        let name = format!("{}{label}-{:03} {}", cx.prefix, made.len(), original.trim());
        let body = promotion_copies::copy_of(&file.value, &name, &cx.mark, dev_ids);
        match cx.dev.create(&body).await {
            Ok(w) => made.push(Made {
                name,
                dev_id: w["id"].as_str().expect("an id").to_owned(),
            }),
            Err(e) => {
                refused += 1;
                eprintln!("n8n refused a copy of {}: {e}", file.path.display());
            }
        }
    }
    assert_eq!(made.len(), count, "{refused} copies refused");
    made
}

fn names(made: &[Made]) -> Vec<String> {
    made.iter().map(|m| m.name.clone()).collect()
}

/// The run's credential keys of `files`.
fn run_keys(files: &[&CorpusFile], mark: &str) -> BTreeSet<CredKey> {
    files
        .iter()
        .flat_map(|f| promotion_copies::usable_credentials(&f.value).unwrap_or_default())
        .map(|(kind, name)| {
            let renamed = promotion_copies::run_credential_name(&name, mark);
            (kind, renamed)
        })
        .collect()
}

/// Credentials in both instances, each its own ids, and the carrier in prod.
struct Creds {
    dev: BTreeMap<CredKey, String>,
    prod: BTreeMap<CredKey, String>,
}

async fn credentials(cx: &Cx, keys: &BTreeSet<CredKey>, prod_only: &BTreeSet<CredKey>) -> Creds {
    let dev = promotion_copies::create_credentials(&cx.dev, keys, &cx.credentials).await;
    let all: BTreeSet<CredKey> = keys.union(prod_only).cloned().collect();
    let prod = promotion_copies::create_credentials(&cx.prod, &all, &cx.credentials).await;
    if !prod.is_empty() {
        let carrier = promotion_copies::carrier(&format!("{}carrier", cx.prefix), &prod);
        cx.prod
            .create(&carrier)
            .await
            .unwrap_or_else(|e| panic!("the carrier workflow in prod: {e}"));
    }
    eprintln!("{} credentials in dev, {} in prod", dev.len(), prod.len());
    Creds { dev, prod }
}

/// The credential each node of a workflow references: node name -> type -> reference.
fn node_credentials(workflow: &Value) -> BTreeMap<String, BTreeMap<String, Value>> {
    workflow["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| {
            let creds = n.get("credentials")?.as_object()?;
            let name = n["name"].as_str()?.to_owned();
            Some((
                name,
                creds.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            ))
        })
        .collect()
}

/// `dev_body` as prod must hold it: each credential `(type, name)` replaced by prod's
/// `{id, name}` for the name `mapping` gives it (`"type:name" -> name`), else the same.
fn expected_in_prod(
    dev_body: &Value,
    prod_ids: &BTreeMap<CredKey, String>,
    mapping: &BTreeMap<String, String>,
) -> Value {
    let mut out = dev_body.clone();
    for node in out["nodes"].as_array_mut().into_iter().flatten() {
        let Some(creds) = node.get_mut("credentials").and_then(Value::as_object_mut) else {
            continue;
        };
        for (kind, reference) in creds.iter_mut() {
            let name = reference["name"].as_str().unwrap_or_default().to_owned();
            let target = mapping
                .get(&format!("{kind}:{name}"))
                .cloned()
                .unwrap_or(name);
            let id = prod_ids
                .get(&(kind.clone(), target.clone()))
                .unwrap_or_else(|| panic!("prod has no credential {kind} '{target}'"));
            *reference = json!({"id": id, "name": target});
        }
    }
    out
}

/// 40 corpus-derived workflows, 26 of them using credentials, promoted dev -> prod.
/// Both instances have credentials of the same types and names, each with its own ids;
/// one credential is mapped by the request to another prod credential of its type.
///
/// Proves: every promoted workflow is in prod equal by fingerprint to dev's with its
/// credentials remapped (the fingerprint keeps credential names), and every node
/// credential reference in prod is prod's id for that type and name. n8n itself binds
/// an unknown credential id to the local credential of the same type and name, so the
/// same-name case alone could pass without n8nops; the mapped one cannot (prod has both
/// the same-name credential and the mapped one, and n8n would pick the former).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_remapped_to_the_targets_own_ids() {
    with_instances("remap", |cx| async move {
        let (with, without) = promotion_copies::candidates(&cx.files);
        let mut files = promotion_copies::spread(&with, 30);
        files.extend(promotion_copies::spread(&without, 20));
        let keys = run_keys(&files, &cx.mark);
        // One credential mapped to another of prod's, of its type: the one most of the
        // copies use.
        let mut uses: BTreeMap<CredKey, usize> = BTreeMap::new();
        for f in &files[..26] {
            for key in run_keys(&[*f], &cx.mark) {
                *uses.entry(key).or_default() += 1;
            }
        }
        let (kind, name) = uses
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(k, _)| k.clone())
            .expect("a credential");
        let alternative = format!("{name} (prod alternative)");
        let mapping: BTreeMap<String, String> =
            [(format!("{kind}:{name}"), alternative.clone())].into();
        let extra: BTreeSet<CredKey> = [(kind.clone(), alternative.clone())].into();
        let creds = credentials(&cx, &keys, &extra).await;

        let with_files: Vec<&CorpusFile> = files[..30].to_vec();
        let without_files: Vec<&CorpusFile> = files[30..].to_vec();
        let mut made = copies_in_dev(&cx, &with_files, "c", 26, &creds.dev).await;
        made.extend(copies_in_dev(&cx, &without_files, "n", 14, &creds.dev).await);

        let local = Local::new().await;
        let ops = local.ops("e2e-promotion", Vec::new()).await;
        add_env(&ops, DEV, EnvClass::Development, &cx.dev.url, &cx.dev.key).await;
        add_env(&ops, PROD, EnvClass::Production, &cx.prod.url, &cx.prod.key).await;
        check_prod(&ops).await;

        let mut req = request(&names(&made));
        req.credentials = mapping.clone();
        let (created, job, report) = promote(&ops, req).await;
        let summary = created.preflight.plan.summary().by_action;
        assert_eq!(summary.create, 40, "{:?}", created.preflight.plan);
        assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
        assert_eq!(report.state, DeploymentState::Completed);
        assert!(
            report.snapshot.is_some() && report.commit.is_some(),
            "{report:?}"
        );
        assert_eq!(report.items.len(), 40);

        let mut checked_refs = 0;
        let mut mapped_refs = 0;
        for item in &report.items {
            assert_eq!(item.outcome, Some(ItemOutcome::Ok), "{item:?}");
            let target_id = item.target_id.as_deref().expect("a target id");
            let source_id = item.source_id.as_deref().expect("a source id");
            let live = cx.prod.get(target_id).await.expect("the promoted workflow");
            let dev_body = cx.dev.get(source_id).await.expect("dev's workflow");
            let want = expected_in_prod(&dev_body, &creds.prod, &mapping);
            assert_eq!(live["name"], dev_body["name"]);
            assert_eq!(
                fingerprint(&live),
                fingerprint(&want),
                "'{}' in prod equals dev's with its credentials remapped",
                item.name
            );
            assert_eq!(
                live["active"],
                json!(false),
                "{}: arrives inactive",
                item.name
            );
            let (got, wanted) = (node_credentials(&live), node_credentials(&want));
            assert_eq!(got, wanted, "'{}': prod's credential ids", item.name);
            for (node, refs) in &got {
                for (kind, reference) in refs {
                    let id = reference["id"].as_str().unwrap_or_default();
                    let name = reference["name"].as_str().unwrap_or_default();
                    assert_ne!(
                        Some(&id.to_owned()),
                        creds.dev.get(&(kind.clone(), name.to_owned())),
                        "'{}' node {node}: not dev's id",
                        item.name
                    );
                    checked_refs += 1;
                    if name == alternative {
                        mapped_refs += 1;
                    }
                }
            }
        }
        let using = report
            .items
            .iter()
            .filter(|i| i.name.starts_with(&format!("{}c-", cx.prefix)))
            .count();
        assert_eq!(using, 26);
        assert!(
            checked_refs >= 26,
            "{checked_refs} credential references checked"
        );
        assert!(
            mapped_refs >= 1,
            "the mapped credential is used: {mapped_refs}"
        );
        eprintln!(
            "{checked_refs} credential references in prod checked, {mapped_refs} of them mapped"
        );
    })
    .await;
}

/// prod registered through a proxy that passes one create on to n8n, then answers 500
/// (n8n holds a workflow n8nops believes failed), after letting at least 8 writes
/// through: the 7 updates (one of a workflow active in prod) and a create.
///
/// Proves: the deployment ends FAILED with its rollback verified, and prod, read through
/// the real API, holds exactly what it held before the promotion: the same workflow ids,
/// each with the same fingerprint and active flag, and no workflow the promotion
/// created, including the one whose answer was lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_rolls_prod_back_to_exactly_what_it_was() {
    with_instances("fault", |cx| async move {
        let (with, without) = promotion_copies::candidates(&cx.files);
        let mut files = promotion_copies::spread(&with, 8);
        files.extend(promotion_copies::spread(&without, 4));
        let keys = run_keys(&files, &cx.mark);
        let creds = credentials(&cx, &keys, &BTreeSet::new()).await;
        // Sorted by name, the updates (a-) come before the creates (b-).
        let mut updates = copies_in_dev(&cx, &files[..6], "a", 6, &creds.dev).await;
        let yearly = format!("{}a-006 yearly", cx.prefix);
        let created = cx
            .dev
            .create(&promotion_copies::yearly_workflow(&yearly))
            .await
            .expect("the yearly workflow in dev");
        updates.push(Made {
            name: yearly.clone(),
            dev_id: created["id"].as_str().expect("an id").to_owned(),
        });
        let creates_from: Vec<&CorpusFile> = files[6..].to_vec();
        let creates = copies_in_dev(&cx, &creates_from, "b", 4, &creds.dev).await;

        let proxy = FaultProxy::start(&cx.prod.url).await;
        let local = Local::new().await;
        let ops = local.ops("e2e-promotion", Vec::new()).await;
        add_env(&ops, DEV, EnvClass::Development, &cx.dev.url, &cx.dev.key).await;
        add_env(&ops, PROD, EnvClass::Production, &proxy.url, &cx.prod.key).await;

        // Release 1: the a- workflows, into prod; the yearly one activated there.
        let (_, job, first) = promote(&ops, request(&names(&updates))).await;
        assert_eq!(first.state, DeploymentState::Completed, "{:?}", job.error);
        let yearly_in_prod = first
            .items
            .iter()
            .find(|i| i.name == yearly)
            .and_then(|i| i.target_id.clone())
            .expect("the yearly workflow in prod");
        let activated = cx.prod.activate(&yearly_in_prod).await;
        assert_eq!(activated["active"], json!(true));

        // Release 2: every a- changed in dev, and the b- new.
        for m in &updates {
            let body = cx.dev.get(&m.dev_id).await.expect("a dev workflow");
            let changed = promotion_copies::with_note(&body, &format!("release 2 {}", cx.mark));
            assert_ne!(fingerprint(&changed), fingerprint(&body));
            cx.dev.put(&m.dev_id, &changed).await;
        }
        check_prod(&ops).await;
        let before = cx.prod.live().await;
        assert!(before[&yearly_in_prod].active);

        proxy.arm(Fault {
            after_writes: 8,
            method: Some(reqwest::Method::POST),
            status: 500,
            forward_first: true,
        });
        let mut all = names(&updates);
        all.extend(names(&creates));
        let (created, job, report) = promote(&ops, request(&all)).await;
        let summary = created.preflight.plan.summary().by_action;
        assert_eq!(
            (summary.update, summary.create),
            (7, 4),
            "{:?}",
            created.preflight.plan
        );
        let fired = proxy.fired().expect("the fault fired");
        let writes = proxy.writes();
        eprintln!("the proxy failed {fired}; writes it saw: {writes:#?}");
        let puts_before = writes
            .iter()
            .take_while(|w| !w.ends_with("-> 500"))
            .filter(|w| w.starts_with("PUT"))
            .count();
        assert_eq!(
            puts_before, 7,
            "every update was written before the fault: {writes:?}"
        );

        assert_eq!(job.state, JobState::Failed);
        assert_eq!(report.state, DeploymentState::Failed, "{:?}", job.error);
        let error = job.error.clone().unwrap_or_default();
        assert!(error.contains("rolled back"), "{error}");
        let rollback = report.rollback.as_ref().expect("the rollback's report");
        assert!(rollback.ok(), "the rollback verified: {rollback:#?}");
        let outcomes: BTreeMap<String, Option<ItemOutcome>> = report
            .items
            .iter()
            .map(|i| (i.name.clone(), i.outcome))
            .collect();
        let failed: Vec<&String> = outcomes
            .iter()
            .filter(|(_, o)| **o == Some(ItemOutcome::Failed))
            .map(|(n, _)| n)
            .collect();
        assert_eq!(failed.len(), 1, "{outcomes:#?}");
        assert!(
            failed[0].starts_with(&format!("{}b-", cx.prefix)),
            "a create failed: {failed:?}"
        );
        for m in &updates {
            assert_eq!(
                outcomes[&m.name],
                Some(ItemOutcome::RolledBack),
                "{}",
                m.name
            );
        }
        assert!(
            report
                .items
                .iter()
                .all(|i| i.outcome != Some(ItemOutcome::Ok)),
            "{outcomes:#?}"
        );

        // prod, through the real API: exactly as before.
        let after = cx.prod.live().await;
        let changed: Vec<(&String, Option<&Live>, Option<&Live>)> = before
            .keys()
            .chain(after.keys())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|id| before.get(*id) != after.get(*id))
            .map(|id| (id, before.get(id), after.get(id)))
            .collect();
        assert!(changed.is_empty(), "prod differs from before: {changed:#?}");
        assert!(after[&yearly_in_prod].active, "still active");
        let shown = ops
            .deployment_show(report.deployment_id.clone())
            .await
            .expect("deployment show");
        assert_eq!(shown.deployment.state, DeploymentState::Failed);
    })
    .await;
}

/// The real binary on its own data dir.
struct Binary {
    dir: PathBuf,
    dev_key: String,
    prod_key: String,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }

    fn expect(self, code: i32, what: &str) -> Run {
        assert_eq!(
            self.code, code,
            "{what}: exit {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

impl Binary {
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_n8nops"));
        cmd.arg("--config")
            .arg(self.dir.join("config.toml"))
            .arg("--data-dir")
            .arg(self.dir.join("data"))
            .args(args)
            .env("USER", "e2e-promotion")
            .env("E2E_DEV_KEY", &self.dev_key)
            .env("E2E_PROD_KEY", &self.prod_key)
            .env("NO_COLOR", "1")
            .env_remove("N8NOPS_DATABASE_URL")
            .env_remove("N8NOPS_MASTER_KEY")
            .env_remove("N8NOPS_GIT_TOKEN")
            .stdin(Stdio::null());
        cmd
    }

    async fn run(&self, args: &[&str]) -> Run {
        let mut cmd = self.command(args);
        let out = tokio::task::spawn_blocking(move || cmd.output().expect("run n8nops"))
            .await
            .expect("join");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn promote_args(names: &[String]) -> Vec<&str> {
        let mut args = vec!["--json", "promote", "--from", DEV, "--to", PROD, "--yes"];
        for n in names {
            args.extend(["-w", n.as_str()]);
        }
        args
    }
}

/// The real binary, `promote --from dev --to prod --yes`, on 10 updates and 150 creates,
/// killed with SIGKILL once its deployment is RUNNING and more than 10 workflows are
/// written (read from the store's SQLite file while it runs); then `n8nops deployments
/// recover` on the same data dir.
///
/// Proves: a promotion whose process dies mid-way (after its automatic snapshot, with
/// updates and creates already in prod and possibly one write in flight) is left
/// RUNNING with a dead runner, and the next `deployments recover` takes it over, rolls
/// prod back to the snapshot and verifies it: the deployment ends FAILED, and prod, read
/// through the real API, holds exactly what it held before the promotion (same ids,
/// fingerprints and active flags, nothing left over).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promote_killed_mid_way_is_rolled_back_by_recover() {
    with_instances("kill", |cx| async move {
        let (_, without) = promotion_copies::candidates(&cx.files);
        let files = promotion_copies::spread(&without, 80);
        let none = BTreeMap::new();
        let updates = copies_in_dev(&cx, &files[..10], "a", 10, &none).await;
        let creates = copies_in_dev(&cx, &files[10..], "b", 150, &none).await;

        let data = tempfile::tempdir().expect("temp dir");
        let bin = Binary {
            dir: data.path().to_owned(),
            dev_key: cx.dev.key.clone(),
            prod_key: cx.prod.key.clone(),
        };
        std::fs::write(bin.dir.join("config.toml"), "").expect("config");
        for (name, url, class, var) in [
            (DEV, &cx.dev.url, "development", "E2E_DEV_KEY"),
            (PROD, &cx.prod.url, "production", "E2E_PROD_KEY"),
        ] {
            bin.run(&[
                "env", "add", name, "--url", url, "--class", class, "--api-key-env", var,
            ])
            .await
            .expect(0, "env add");
        }

        // Release 1: the a- workflows; then each changed in dev.
        let first = bin
            .run(&Binary::promote_args(&names(&updates)))
            .await
            .expect(0, "the first promotion")
            .json();
        assert_eq!(first["report"]["state"], "COMPLETED", "{first}");
        for m in &updates {
            let body = cx.dev.get(&m.dev_id).await.expect("a dev workflow");
            cx.dev
                .put(&m.dev_id, &promotion_copies::with_note(&body, "release 2"))
                .await;
        }
        let drift = bin.run(&["--json", "drift", "check", PROD]).await;
        assert!(drift.code == 0 || drift.code == 1, "drift check: {}", drift.stderr);
        let before = cx.prod.live().await;

        // Release 2, killed mid-way.
        let mut all = names(&updates);
        all.extend(names(&creates));
        let log = std::fs::File::create(bin.dir.join("promote.log")).expect("a log");
        let mut child = bin
            .command(&Binary::promote_args(&all))
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawn promote");
        let started = Instant::now();
        let (id, written) = loop {
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "the deployment never got far enough to be killed"
            );
            if let Some(status) = child.try_wait().expect("the promote process") {
                let log = std::fs::read_to_string(bin.dir.join("promote.log")).unwrap_or_default();
                panic!("promote ended ({status}) before it could be killed: use more workflows\n{log}");
            }
            if let Some(found) = running_with_writes(&bin.dir.join("data/n8nops.db"), 11).await {
                break found;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("reap the killed process");
        eprintln!(
            "killed promote ({status}) {:.1} s in, with {written} workflows written, deployment {id}",
            started.elapsed().as_secs_f64()
        );
        let shown = bin
            .run(&["--json", "deployments", "show", &id])
            .await
            .expect(0, "deployments show")
            .json();
        assert_eq!(shown["deployment"]["state"], "RUNNING", "left as it was");
        assert_ne!(cx.prod.live().await, before, "the killed run had changed prod");

        let recovered = bin
            .run(&["--json", "deployments", "recover"])
            .await
            .expect(0, "deployments recover")
            .json();
        let ran = recovered.as_array().expect("a list of recoveries");
        assert_eq!(ran.len(), 1, "{recovered}");
        assert_eq!(ran[0]["deployment_id"], json!(id));
        assert_eq!(ran[0]["report"]["state"], "FAILED", "{recovered}");
        let shown = bin
            .run(&["--json", "deployments", "show", &id])
            .await
            .expect(0, "deployments show")
            .json();
        assert_eq!(shown["deployment"]["state"], "FAILED");
        let error = shown["deployment"]["error"].as_str().unwrap_or_default();
        assert!(error.contains("interrupted"), "{error}");

        let after = cx.prod.live().await;
        let changed: Vec<&String> = before
            .keys()
            .chain(after.keys())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|id| before.get(*id) != after.get(*id))
            .collect();
        assert!(changed.is_empty(), "prod differs from before in {changed:?}");
        let again = bin
            .run(&["deployments", "recover"])
            .await
            .expect(0, "a second recover");
        assert!(again.stdout.contains("nothing to recover"), "{}", again.stdout);
    })
    .await;
}

/// The deployment RUNNING in the SQLite file `db` with at least `n` workflows written:
/// its id and how many. Read from the file, not with the binary: every n8nops process
/// marks the jobs in the store that are running as interrupted when it starts, so a
/// `deployments list` while the promote runs would end that promote.
async fn running_with_writes(db: &Path, n: usize) -> Option<(String, usize)> {
    use sqlx::Connection;
    let url = format!("sqlite://{}?mode=ro", db.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.ok()?;
    let id: Option<String> =
        sqlx::query_scalar("SELECT id FROM deployments WHERE state = 'RUNNING'")
            .fetch_optional(&mut conn)
            .await
            .ok()?;
    let written: Option<i64> = match &id {
        Some(id) => sqlx::query_scalar(
            "SELECT count(*) FROM deployment_items WHERE deployment_id = ?1 AND result = 'ok'",
        )
        .bind(id)
        .fetch_one(&mut conn)
        .await
        .ok(),
        None => None,
    };
    let _ = conn.close().await;
    let written = usize::try_from(written?).ok()?;
    (written >= n).then(|| (id.unwrap_or_default(), written))
}

/// A stage wanting one approval: alice asks to promote two workflows, dev changes one
/// of them through the API, then bob (another service on the same store) approves.
///
/// Proves: the approval binds the plan it was given on: the run fetches both sides
/// again, finds a different plan, refuses as stale (the deployment back to PENDING),
/// and prod holds exactly what it held before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_of_a_plan_that_went_stale_deploys_nothing() {
    with_instances("stale", |cx| async move {
        let (_, without) = promotion_copies::candidates(&cx.files);
        let files = promotion_copies::spread(&without, 2);
        let made = copies_in_dev(&cx, &files, "s", 2, &BTreeMap::new()).await;
        let pipeline = Pipeline {
            name: "release".into(),
            description: String::new(),
            stages: vec![Stage {
                from: DEV.into(),
                to: PROD.into(),
                gates: Gates {
                    approvals: 1,
                    ..Gates::default()
                },
                activation: Default::default(),
                credentials: BTreeMap::new(),
            }],
        };
        let local = Local::new().await;
        let alice = local.ops("alice", vec![pipeline.clone()]).await;
        let bob = local.ops("bob", vec![pipeline]).await;
        add_env(&alice, DEV, EnvClass::Development, &cx.dev.url, &cx.dev.key).await;
        add_env(
            &alice,
            PROD,
            EnvClass::Production,
            &cx.prod.url,
            &cx.prod.key,
        )
        .await;
        let before = cx.prod.live().await;

        let mut req = request(&names(&made));
        req.pipeline = Some("release".into());
        let created = alice
            .promote(DeploymentCreate {
                request: req,
                ..DeploymentCreate::default()
            })
            .await
            .unwrap_or_else(|e| panic!("promote: {e}"));
        let id = created.deployment.id.clone();
        assert_eq!(created.deployment.state, DeploymentState::PendingApproval);
        assert!(created.job_id.is_none());
        assert!(
            created
                .preflight
                .plan
                .items
                .iter()
                .all(|i| i.action == PlanAction::Create)
        );
        let own = alice
            .deployment_decide(DeploymentDecision {
                id: id.clone(),
                approve: true,
                note: None,
            })
            .await
            .expect_err("the requester cannot approve");
        assert_eq!(own.kind, ErrorKind::Forbidden, "{own}");

        // dev changes after the request.
        let body = cx.dev.get(&made[0].dev_id).await.expect("a dev workflow");
        cx.dev
            .put(
                &made[0].dev_id,
                &promotion_copies::with_note(&body, "changed after the request"),
            )
            .await;

        let events = bob.subscribe();
        let decided = bob
            .deployment_decide(DeploymentDecision {
                id: id.clone(),
                approve: true,
                note: Some("approved on the old plan".into()),
            })
            .await
            .unwrap_or_else(|e| panic!("bob approves: {e}"));
        assert_eq!(decided.deployment.state, DeploymentState::Approved);
        let job_id = decided.job_id.expect("approved: it runs");
        let job = follow_job(&bob, events, &job_id, |_| {})
            .await
            .expect("follow the run");
        assert_eq!(job.state, JobState::Failed);
        let error = job.error.clone().unwrap_or_default();
        assert!(error.contains("stale"), "{error}");
        let report = report_of(&job);
        assert_eq!(report.state, DeploymentState::Pending);
        assert!(
            report
                .items
                .iter()
                .all(|i| i.outcome.is_none() || i.outcome == Some(ItemOutcome::NotRun)),
            "{:?}",
            report.items
        );
        assert_eq!(cx.prod.live().await, before, "prod is unchanged");
        assert!(cx.prod.ids_named(&cx.prefix).await.is_empty());
        let shown = alice.deployment_show(id).await.expect("deployment show");
        assert_eq!(shown.deployment.state, DeploymentState::Pending);
        assert!(
            shown.deployment.error.unwrap_or_default().contains("stale"),
            "the deployment says why"
        );
    })
    .await;
}
