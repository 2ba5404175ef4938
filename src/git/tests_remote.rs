//! Remotes: push failures reported and retried without losing the local commit, a new
//! machine starting from the team's state, pull fast-forwarding or refusing to merge.

use git2::Repository;

use super::push_status::PUSH_STATUS_FILE;
use super::test_support::*;
use super::{Change, GitError, PullOutcome, RemoteSpec};

fn snapshot(writes: &[(&str, &str)], tag: &str) -> Change {
    let mut c = change(writes, &[], "snapshot");
    c.tag = Some(tag.to_owned());
    c
}

fn path_url(p: &std::path::Path) -> String {
    p.to_str().unwrap().to_owned()
}

#[test]
fn an_unreachable_remote_is_reported_and_the_next_push_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let remote_path = dir.path().join("team.git");
    let remotes = vec![
        RemoteSpec::new("origin", path_url(&remote_path)),
        RemoteSpec::new("env-prod", "http://user:hunter2@127.0.0.1:1/x.git"),
    ];
    // Origin does not exist yet: the new repository starts empty (warned), no error.
    let store = open_with(&dir.path().join("local.git"), remotes);
    assert!(store.head().unwrap().is_none());
    let repo = store.path().to_owned();

    store
        .commit(&snapshot(&[("w/a.json", "A")], "snapshots/prod/1"))
        .unwrap()
        .unwrap();
    let head = store
        .commit(&change(&[("w/b.json", "B")], &[], "second"))
        .unwrap()
        .unwrap();

    let outcomes = store.push(None).unwrap();
    assert_eq!(outcomes.len(), 2);
    for outcome in &outcomes {
        let error = outcome.error.as_deref().expect("the push must fail");
        eprintln!("push failed as expected: {error}");
        assert!(
            error.contains(&format!("remote {}", outcome.remote)),
            "{error}"
        );
        assert!(
            !error.contains("hunter2") && !outcome.url.contains("hunter2"),
            "{error}"
        );
    }
    assert_eq!(outcomes[1].url, "http://127.0.0.1:1/x.git");
    // The local commit stays.
    assert_eq!(store.head().unwrap().unwrap(), head);
    assert_eq!(branch_id(&repo, "main").as_deref(), Some(head.id.as_str()));
    assert!(repo.join(PUSH_STATUS_FILE).exists());

    let status = store.remote_status().unwrap();
    assert_eq!(status.len(), 2);
    for (spec, ahead, error) in &status {
        assert_eq!(*ahead, Some(2), "{spec:?}");
        assert!(error.as_deref().unwrap().contains(&spec.name));
        assert!(!spec.url.contains("hunter2"));
    }
    // Status survives a restart (another store on the same repository).
    let again = open_with(&repo, store.remotes().to_vec());
    assert!(again.remote_status().unwrap()[0].2.is_some());
    drop(again);

    // The remote appears; the next push sends everything.
    Repository::init_bare(&remote_path).unwrap();
    let outcomes = store.push(Some(&["origin".to_owned()])).unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].error, None, "{outcomes:?}");
    assert_eq!(
        branch_id(&remote_path, "main").as_deref(),
        Some(head.id.as_str())
    );
    assert_eq!(tag_ids(&remote_path), tag_ids(&repo));
    assert_eq!(tag_ids(&remote_path).len(), 1);

    let status = store.remote_status().unwrap();
    assert_eq!((status[0].1, status[0].2.clone()), (Some(0), None));
    assert_eq!(status[1].1, Some(2));
    assert!(
        status[1].2.is_some(),
        "the other remote's failure is still reported"
    );

    store
        .commit(&change(&[("w/c.json", "C")], &[], "third"))
        .unwrap()
        .unwrap();
    assert_eq!(store.remote_status().unwrap()[0].1, Some(1));

    let err = store.push(Some(&["nope".to_owned()])).unwrap_err();
    assert!(matches!(err, GitError::NotFound { .. }), "{err}");
    assert_fsck_clean(&repo);
    assert_fsck_clean(&remote_path);
}

#[test]
fn the_push_status_file_goes_when_every_remote_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let remote_path = dir.path().join("team.git");
    let store = open_with(
        &dir.path().join("local.git"),
        vec![RemoteSpec::new("origin", path_url(&remote_path))],
    );
    store
        .commit(&change(&[("a", "1")], &[], "m"))
        .unwrap()
        .unwrap();
    assert!(store.push(None).unwrap()[0].error.is_some());
    assert!(store.path().join(PUSH_STATUS_FILE).exists());
    Repository::init_bare(&remote_path).unwrap();
    assert!(store.push(None).unwrap()[0].error.is_none());
    assert!(!store.path().join(PUSH_STATUS_FILE).exists());
}

#[test]
fn a_new_machine_starts_from_origin_and_pull_fast_forwards_or_refuses_to_merge() {
    let dir = tempfile::tempdir().unwrap();
    let remote_path = dir.path().join("team.git");
    Repository::init_bare(&remote_path).unwrap();
    let remotes = vec![RemoteSpec::new("origin", path_url(&remote_path))];

    let a = open_with(&dir.path().join("a.git"), remotes.clone());
    // An empty remote: nothing to take.
    assert_eq!(a.pull().unwrap(), PullOutcome::UpToDate);
    a.commit(&snapshot(&[("w/a.json", "A")], "snapshots/prod/1"))
        .unwrap()
        .unwrap();
    let a1 = a.head().unwrap().unwrap();
    assert!(a.push(None).unwrap()[0].error.is_none());

    // B is a new machine: it starts from the remote's state.
    let b = open_with(&dir.path().join("b.git"), remotes.clone());
    assert_eq!(b.head().unwrap(), Some(a1.clone()));
    assert_eq!(
        b.read(None, "w/a.json").unwrap().as_deref(),
        Some(&b"A"[..])
    );
    assert_eq!(tag_ids(b.path()), tag_ids(a.path()));
    assert_eq!(b.remote_status().unwrap()[0].1, Some(0));
    assert_eq!(b.pull().unwrap(), PullOutcome::UpToDate);

    // A moves on; B takes it.
    a.commit(&snapshot(&[("w/a.json", "A2")], "snapshots/prod/2"))
        .unwrap()
        .unwrap();
    let a2 = a.head().unwrap().unwrap();
    assert!(a.push(None).unwrap()[0].error.is_none());
    assert_eq!(
        b.pull().unwrap(),
        PullOutcome::FastForwarded {
            from: Some(a1.id.clone()),
            to: a2.id.clone()
        }
    );
    assert_eq!(b.head().unwrap(), Some(a2.clone()));
    assert_eq!(tag_ids(b.path()), tag_ids(a.path()));
    assert_eq!(
        b.read(None, "w/a.json").unwrap().as_deref(),
        Some(&b"A2"[..])
    );

    // Both move on: B must not merge or lose its commit.
    let b3 = b
        .commit(&snapshot(&[("w/b.json", "B")], "snapshots/dev/1"))
        .unwrap()
        .unwrap();
    a.commit(&change(&[("w/a.json", "A3")], &[], "a3"))
        .unwrap()
        .unwrap();
    assert!(a.push(None).unwrap()[0].error.is_none());
    let b_tags = tag_ids(b.path());
    let err = b.pull().unwrap_err();
    assert!(
        matches!(
            err,
            GitError::Diverged {
                ahead: 1,
                behind: 1,
                ..
            }
        ),
        "{err}"
    );
    let text = err.to_string();
    eprintln!("refused as expected: {text}");
    assert!(
        text.contains("diverged") && text.contains("origin"),
        "{text}"
    );
    assert!(text.contains(&b.path().display().to_string()), "{text}");
    assert_eq!(b.head().unwrap(), Some(b3.clone()));
    assert_eq!(tag_ids(b.path()), b_tags);

    // Pushing B's history is refused by the remote, reported, and B keeps its commit.
    let outcome = &b.push(None).unwrap()[0];
    let error = outcome
        .error
        .as_deref()
        .expect("a non-fast-forward push is refused");
    eprintln!("push refused as expected: {error}");
    assert!(error.contains("remote origin"), "{error}");
    assert_eq!(b.head().unwrap(), Some(b3));
    assert_eq!(b.remote_status().unwrap()[0].2.as_deref(), Some(error));

    // Leftovers of the fetch are cleaned up.
    let repo = Repository::open_bare(b.path()).unwrap();
    assert_eq!(repo.references_glob("refs/n8nops/*").unwrap().count(), 0);
    for path in [a.path(), b.path(), remote_path.as_path()] {
        assert_fsck_clean(path);
    }
}

#[test]
fn pull_without_origin_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_with(
        dir.path(),
        vec![RemoteSpec::new("env-prod", "/nowhere/at/all.git")],
    );
    assert_eq!(store.pull().unwrap(), PullOutcome::NoRemote);
}

#[test]
fn pull_from_an_unreachable_origin_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_with(
        &dir.path().join("l.git"),
        vec![RemoteSpec::new(
            "origin",
            "http://me:topsecret@127.0.0.1:1/x.git",
        )],
    );
    let err = store.pull().unwrap_err();
    assert!(matches!(err, GitError::Fetch { .. }), "{err}");
    let text = err.to_string();
    eprintln!("fetch failed as expected: {text}");
    assert!(
        text.contains("origin") && text.contains("127.0.0.1:1"),
        "{text}"
    );
    assert!(!text.contains("topsecret"), "{text}");
}

/// A tiny HTTP server answering 401 to every request; returns its port and the
/// Authorization headers it received.
fn refusing_server() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = std::sync::Arc::clone(&seen);
    // Left running: it blocks on accept once the test is done.
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut auth = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.strip_prefix("Authorization: ") {
                    auth = v.trim().to_owned();
                }
            }
            record.lock().unwrap().push(auth);
            let _ = stream.write_all(
                b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\n\
                  Content-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    (port, seen)
}

#[test]
fn an_https_remote_refusing_the_token_is_given_up_after_three_attempts() {
    let (port, seen) = refusing_server();
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(
        &dir.path().join("l.git"),
        vec![RemoteSpec::new(
            "origin",
            format!("http://127.0.0.1:{port}/team.git"),
        )],
    );
    opts.auth.username = "me".into();
    opts.auth.token = Some("tok-secret-123".into());
    // The first fetch at open is refused too: the repository starts empty.
    let store = super::GitStore::open(opts).unwrap();
    assert!(store.head().unwrap().is_none());
    seen.lock().unwrap().clear();

    store
        .commit(&change(&[("a", "1")], &[], "m"))
        .unwrap()
        .unwrap();
    let outcome = &store.push(None).unwrap()[0];
    let error = outcome.error.as_deref().expect("refused");
    eprintln!("push failed as expected: {error}");
    assert!(
        error.contains("remote origin") && error.contains("3 times"),
        "{error}"
    );
    assert!(!error.contains("tok-secret-123"), "{error}");
    let seen = seen.lock().unwrap().clone();
    // One request without credentials, then one per attempt, then it stops.
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(seen[0], "");
    for auth in &seen[1..] {
        assert_eq!(auth, "Basic bWU6dG9rLXNlY3JldC0xMjM=");
    }
    assert!(store.head().unwrap().is_some());
}
