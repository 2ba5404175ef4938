//! Tags added and removed.

use super::*;

/// Tags are added (created when new) and removed; n8n, the stored workflow and the
/// stored tag list follow.
#[tokio::test]
async fn tags_are_added_and_removed() {
    let f = fixture(test_support::sqlite().await, Policy::default()).await;
    let w = f
        .stored("dev")
        .await
        .into_iter()
        .find(|w| !w.tags.is_empty())
        .expect("a tagged workflow");
    let old = w.tags[0].clone();
    let report = f
        .ops
        .workflow_op(op(
            WorkflowAction::Tag {
                add: vec!["brand-new".into()],
                remove: vec![old.clone()],
            },
            vec![target("dev", &w.id)],
            false,
        ))
        .await
        .unwrap();
    assert_eq!(kinds(&report), ["done"]);
    let served: Vec<String> = f.sim("dev").workflow(&w.id).unwrap()["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(served.contains(&"brand-new".to_string()) && !served.contains(&old));
    let stored = f.stored_one("dev", &w.id).await.unwrap();
    assert_eq!(stored.tags, served);
    assert_eq!(stored.fingerprint, w.fingerprint, "tags are not content");
    let inventory = f.ops.env_inventory("dev".into()).await.unwrap();
    assert!(inventory.tags.iter().any(|t| t.name == "brand-new"));

    for (add, remove) in [
        (vec![], vec![]),
        (vec!["x".repeat(25)], vec![]),
        (vec!["a".into()], vec!["a".into()]),
    ] {
        let err = f
            .ops
            .workflow_op(op(
                WorkflowAction::Tag { add, remove },
                vec![target("dev", &w.id)],
                false,
            ))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Invalid, "{}", err.message);
    }
}
