//! The repository's status and push, to a local bare remote and to one that is not
//! there (reported, the commit kept), and the sealed https token.

use super::*;
use crate::config::GitConfig;
use crate::store::audit::Outcome;

/// A fixture whose repository has `remote` as origin, pushed only on demand.
async fn with_remote(remote: &std::path::Path, push: bool) -> Fixture {
    let git = GitConfig {
        remote: Some(remote.display().to_string()),
        push,
        ..Default::default()
    };
    fixture_with(
        Fixture::builder().git(git),
        &[("prod", EnvClass::Production, generated(71, 4))],
    )
    .await
}

#[tokio::test]
async fn status_and_push_to_a_bare_remote() {
    let dir = tempfile::tempdir().unwrap();
    let remote_path = dir.path().join("remote.git");
    let remote = git2::Repository::init_bare(&remote_path).unwrap();
    let f = with_remote(&remote_path, false).await;

    let empty = f.ops.git_status().await.unwrap();
    assert_eq!(empty.branch, "main");
    assert!(empty.path.ends_with("canonical.git"), "{}", empty.path);
    assert_eq!((empty.head, empty.head_subject), (None, None));

    let (view, _) = snapshot(&f, "prod", None).await;
    let status = f.ops.git_status().await.unwrap();
    assert_eq!(status.head.as_deref(), Some(view.commit.as_str()));
    let subject = status.head_subject.unwrap();
    assert!(
        subject.starts_with("snapshot: prod, 4 workflows"),
        "{subject}"
    );
    assert_eq!(status.remotes.len(), 1);
    assert_eq!(status.remotes[0].name, "origin");
    assert_eq!(
        status.remotes[0].ahead,
        Some(1),
        "not pushed yet (push is off)"
    );
    assert!(remote.find_reference("refs/heads/main").is_err());

    let report = f.ops.git_push().await.unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.remotes.len(), 1);
    assert_eq!(report.remotes[0].ahead, Some(0));
    let pushed = remote.refname_to_id("refs/heads/main").unwrap();
    assert_eq!(pushed.to_string(), view.commit);
    let tag = remote
        .refname_to_id(&format!("refs/tags/snapshots/{}", view.id))
        .unwrap();
    assert_eq!(tag.to_string(), view.commit);
    let status = f.ops.git_status().await.unwrap();
    assert_eq!(
        (status.remotes[0].ahead, &status.remotes[0].error),
        (Some(0), &None)
    );
    let audit = audited(&f, "git.push").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].outcome, Outcome::Ok);
}

#[tokio::test]
async fn a_push_to_a_missing_remote_is_reported_and_the_commit_kept() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere").join("remote.git");
    // Push after each commit is on: the snapshot still succeeds.
    let f = with_remote(&missing, true).await;
    let (view, _) = snapshot(&f, "prod", None).await;

    let report = f.ops.git_push().await.unwrap();
    assert!(!report.ok());
    assert_eq!(report.remotes.len(), 1);
    let error = report.remotes[0].error.clone().expect("the push failed");
    assert!(!error.is_empty());
    assert_eq!(report.remotes[0].ahead, Some(1));

    let status = f.ops.git_status().await.unwrap();
    assert_eq!(
        status.head.as_deref(),
        Some(view.commit.as_str()),
        "the commit is kept"
    );
    assert!(status.remotes[0].error.is_some(), "{status:?}");
    let audit = audited(&f, "git.push").await;
    assert_eq!(audit[0].outcome, Outcome::Error);
    assert!(audit[0].detail.as_deref().unwrap().contains("origin"));
    assert!(!missing.exists());
}

#[tokio::test]
async fn the_token_is_sealed_and_never_audited() {
    let f = fixture(&[("prod", EnvClass::Production, generated(72, 1))]).await;
    let token = "ghp_secretvalue123";
    f.ops.git_token_set(Some(Secret::new(token))).await.unwrap();
    let mut conn = f.ops.store().conn().await.unwrap();
    let kept = crate::store::secrets::get(&mut conn, f.ops.store().secrets(), "git.token")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some(token));
    drop(conn);

    let err = f
        .ops
        .git_token_set(Some(Secret::new("  ")))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid);
    f.ops.git_token_set(None).await.unwrap();
    let mut conn = f.ops.store().conn().await.unwrap();
    let kept = crate::store::secrets::get(&mut conn, f.ops.store().secrets(), "git.token")
        .await
        .unwrap();
    assert_eq!(kept, None);
    drop(conn);

    let audit = audited(&f, "git.token").await;
    let details: Vec<&str> = audit.iter().filter_map(|a| a.detail.as_deref()).collect();
    assert_eq!(details, ["token cleared", "token set"]);
    assert!(audit.iter().all(|a| !format!("{a:?}").contains(token)));
}
