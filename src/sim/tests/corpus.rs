//! The real corpus seeds exactly as a real n8n accepts it.

use super::*;

/// Files of ../shared/corpus a real n8n 1.123.0 refuses when sent their writable
/// body (`domain::writable::writable_body`), with its message. Measured with
/// POST /api/v1/workflows (tests/e2e_real_n8n.rs checks the same against n8n).
const CORPUS_REJECTED: &[(&str, &str)] = &[
    (
        "Manual/0302_Manual_N8Ntrainingcustomerdatastore_Automate_Triggered.json",
        "request/body/nodes/0 must NOT have additional properties",
    ),
    (
        "Splitout/0645_Splitout_Code_Sync_Webhook.json",
        "request/body/nodes/1 must NOT have additional properties",
    ),
    (
        "Wait/0620_Wait_Slack_Automate_Webhook.json",
        "request/body/nodes/0 must NOT have additional properties",
    ),
    (
        "Wait/0621_Wait_Slack_Monitor_Webhook.json",
        "request/body/nodes/1 must NOT have additional properties",
    ),
    (
        "Wait/0627_Wait_Splitout_Create_Scheduled.json",
        "request/body/nodes/2 must NOT have additional properties",
    ),
    (
        "Webhook/0581_Webhook_Slack_Create_Webhook.json",
        "request/body/nodes/13 must NOT have additional properties",
    ),
    (
        "Webhook/1733_Webhook_Slack_Automate_Webhook.json",
        "request/body/nodes/13 must NOT have additional properties",
    ),
    (
        "Whatsapp/1521_Whatsapp_Stickynote_Automation_Webhook.json",
        "request/body/nodes/0/waitBetweenTries must be number",
    ),
];

#[tokio::test]
async fn corpus_seeds_exactly_as_real_n8n_accepts_it() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/workflows");
    if !dir.is_dir() {
        eprintln!(
            "SKIPPED corpus_seeds_exactly_as_real_n8n_accepts_it: {} does not exist",
            dir.display()
        );
        return;
    }
    let report = load_seed_dir(&dir).unwrap();
    let mut rejected: Vec<(String, String)> = report
        .rejected
        .iter()
        .map(|(f, r)| {
            (
                f.strip_prefix(&dir)
                    .unwrap_or(f)
                    .to_string_lossy()
                    .into_owned(),
                r.clone(),
            )
        })
        .collect();
    rejected.sort();
    let expected: Vec<(String, String)> = CORPUS_REJECTED
        .iter()
        .map(|(f, r)| (f.to_string(), r.to_string()))
        .collect();
    assert_eq!(rejected, expected);
    assert_eq!(report.workflows.len(), 2_053);
    assert_eq!(report.workflows.len() + report.rejected.len(), 2_061);

    // All accepted ones seed and page back out.
    let api = Api::start(SimOptions {
        workflows: report.workflows,
        ..SimOptions::default()
    })
    .await;
    let all = api.all("/workflows", 250).await;
    assert_eq!(all.len(), 2_053);
}
