//! Uploads of files and ZIPs, and downloads.

use super::*;

/// Uploads of a JSON file and of a ZIP with good and bad entries: each bad one is
/// rejected with its reason, named `archive.zip/inner.json`; n8n's refusals in its words.
#[tokio::test]
async fn an_uploaded_file_keeps_the_tags_it_names() {
    let f = fixture(test_support::sqlite().await, Policy::default()).await;
    let mut wf = good_workflow("Tagged upload");
    wf["tags"] = json!([{ "id": "x1", "name": "billing" }, " ops ", { "name": "billing" }, ""]);
    let report = f
        .ops
        .workflows_upload(upload_file("dev", "tagged.json", &wf))
        .await
        .unwrap();
    assert_eq!(report.rejected, []);
    let id = &report.accepted[0].id;
    let served = f.sim("dev").workflow(id).expect("created");
    let mut in_n8n: Vec<&str> = served["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    in_n8n.sort();
    assert_eq!(in_n8n, ["billing", "ops"]);
    let mut stored = f.stored_one("dev", id).await.expect("stored").tags;
    stored.sort();
    assert_eq!(stored, ["billing", "ops"]);
}

#[tokio::test]
async fn upload_of_json_and_a_zip_with_good_and_bad_entries() {
    let f = fixture(test_support::sqlite().await, Policy::default()).await;
    let mut refused_by_n8n = good_workflow("Refused by n8n");
    refused_by_n8n["nodes"][0]["unknownField"] = json!(1);
    let zip = crate::service::archive::write_zip([
        (
            "flows/one.json",
            good_workflow("From the zip").to_string().as_bytes(),
        ),
        (
            "flows/shape.json",
            br#"{"name": "No nodes", "connections": {}}"#.as_slice(),
        ),
        ("flows/broken.json", b"{\"name\": ".as_slice()),
        ("flows/notes.txt", b"hello".as_slice()),
        ("flows/refused.json", refused_by_n8n.to_string().as_bytes()),
        (
            "flows/two.json",
            json!([
                good_workflow("Listed first"),
                good_workflow("Listed second")
            ])
            .to_string()
            .as_bytes(),
        ),
    ])
    .unwrap();
    let report = f
        .ops
        .workflows_upload(UploadRequest {
            env: "dev".into(),
            files: vec![
                UploadFile {
                    name: "single.json".into(),
                    bytes: good_workflow("From a file").to_string().into_bytes(),
                },
                UploadFile {
                    name: "bundle.zip".into(),
                    bytes: zip,
                },
            ],
            confirmed: false,
        })
        .await
        .unwrap();
    assert_eq!(report.outcome, OpOutcome::Done);
    let accepted: Vec<(&str, &str)> = report
        .accepted
        .iter()
        .map(|a| (a.file.as_str(), a.name.as_str()))
        .collect();
    assert_eq!(
        accepted,
        [
            ("single.json", "From a file"),
            ("bundle.zip/flows/one.json", "From the zip"),
            ("bundle.zip/flows/two.json#1", "Listed first"),
            ("bundle.zip/flows/two.json#2", "Listed second"),
        ]
    );
    let rejected: Vec<(&str, &str)> = report
        .rejected
        .iter()
        .map(|r| (r.file.as_str(), r.reason.as_str()))
        .collect();
    assert_eq!(
        rejected[0],
        ("bundle.zip/flows/notes.txt", "not a .json file")
    );
    assert_eq!(
        rejected[1],
        ("bundle.zip/flows/shape.json", "no `nodes` array")
    );
    assert_eq!(rejected[2].0, "bundle.zip/flows/broken.json");
    assert!(
        rejected[2].1.starts_with("not valid JSON"),
        "{}",
        rejected[2].1
    );
    assert_eq!(rejected[3].0, "bundle.zip/flows/refused.json");
    assert!(
        rejected[3].1.starts_with("n8n refused it: ")
            && rejected[3]
                .1
                .contains("must NOT have additional properties"),
        "{}",
        rejected[3].1
    );
    assert_eq!(rejected.len(), 4);

    // Each accepted workflow is in n8n and in the store, fingerprinted the same.
    for a in &report.accepted {
        let served = f.sim("dev").workflow(&a.id).expect("created");
        let stored = f.stored_one("dev", &a.id).await.expect("stored");
        assert_eq!(stored.fingerprint, fingerprint(&served));
        assert_eq!(stored.change, crate::domain::sync::Change::Added);
    }
    let audit = f.audit().await;
    let uploads: Vec<&AuditEntry> = audit
        .iter()
        .filter(|a| a.action == "workflow.upload")
        .collect();
    assert_eq!(
        uploads.iter().filter(|a| a.outcome == Outcome::Ok).count(),
        4
    );
    assert_eq!(
        uploads
            .iter()
            .filter(|a| a.outcome == Outcome::Error)
            .count(),
        4
    );
    assert!(
        uploads
            .iter()
            .any(|a| a.workflow.as_deref() == Some(report.accepted[0].id.as_str()))
    );
}

/// A download is a ZIP of `<env>/<name>.json`, each the stored JSON; uploading it
/// elsewhere gives the same workflows.
#[tokio::test]
async fn download_zip_round_trip() {
    let f = fixture(test_support::sqlite().await, Policy::default()).await;
    let dev = f.stored("dev").await;
    let targets: Vec<WorkflowRef> = dev.iter().take(5).map(|w| target("dev", &w.id)).collect();
    let download = f
        .ops
        .workflows_download(DownloadRequest {
            targets: targets.clone(),
        })
        .await
        .unwrap();
    assert_eq!(download.workflows, 5);
    assert!(
        download.file_name.starts_with("dev-workflows-") && download.file_name.ends_with(".zip")
    );
    let entries = unzip(&download.zip);
    assert_eq!(entries.len(), 5);
    for ((path, text), w) in entries.iter().zip(&dev) {
        assert_eq!(
            path,
            &format!("dev/{}.json", crate::domain::transfer::safe_stem(&w.name))
        );
        let detail = f.ops.workflow_get(target("dev", &w.id)).await.unwrap();
        let parsed: Value = serde_json::from_str(text).unwrap();
        assert_eq!(parsed, detail.raw, "as n8n returned it");
        assert!(text.contains("\n  "), "pretty-printed");
    }

    let report = f
        .ops
        .workflows_upload(UploadRequest {
            env: "stage".into(),
            files: vec![UploadFile {
                name: download.file_name.clone(),
                bytes: download.zip,
            }],
            confirmed: false,
        })
        .await
        .unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let mut uploaded: Vec<String> = Vec::new();
    for a in &report.accepted {
        uploaded.push(f.stored_one("stage", &a.id).await.unwrap().fingerprint);
    }
    let mut originals: Vec<String> = dev.iter().take(5).map(|w| w.fingerprint.clone()).collect();
    uploaded.sort();
    originals.sort();
    assert_eq!(uploaded, originals);

    let missing = f
        .ops
        .workflows_download(DownloadRequest {
            targets: vec![target("dev", "no-such-id")],
        })
        .await
        .unwrap_err();
    assert_eq!(missing.kind, ErrorKind::NotFound);
    assert!(
        missing.message.contains("no-such-id"),
        "{}",
        missing.message
    );
}
