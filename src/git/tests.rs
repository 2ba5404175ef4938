//! Round trips of the Git adapter: commit, read, entries, blobs, tags, resolve.

use std::sync::Arc;

use super::test_support::*;
use super::{Change, GitAuth, GitError, GitStore, RemoteSpec};

#[test]
fn an_absent_repository_is_created_bare_with_an_empty_branch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/canonical.git");
    let store = open(&path);
    assert_eq!(store.path(), path);
    assert_eq!(store.branch(), "main");
    assert!(store.head().unwrap().is_none());
    assert!(git2::Repository::open_bare(&path).unwrap().is_bare());
    assert_eq!(store.read(None, "README.md").unwrap(), None);
    assert!(store.entries(None, "workflows").unwrap().is_empty());
    assert!(store.tags("").unwrap().is_empty());
    // HEAD names the configured branch, so `git log` and clones see it.
    let repo = git2::Repository::open_bare(&path).unwrap();
    assert_eq!(
        repo.find_reference("HEAD")
            .unwrap()
            .symbolic_target()
            .unwrap(),
        Some("refs/heads/main")
    );
}

#[test]
fn commit_read_entries_and_blobs_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let info = store
        .commit(&change(
            &[
                ("README.md", "what this is\n"),
                ("workflows/b.json", "{\"b\":1}\n"),
                ("workflows/a.json", "{\"a\":1}\n"),
                ("environments/prod.json", "{}\n"),
            ],
            &[],
            "sync: prod, 3 workflows\n\nbecause\n\nN8nops-Kind: sync",
        ))
        .unwrap()
        .expect("a commit");
    assert_eq!(info.subject(), "sync: prod, 3 workflows");
    assert!(info.message.ends_with("N8nops-Kind: sync\n"));
    assert_eq!(info.author, "n8nops test");
    let now_ms = chrono::Utc::now().timestamp_millis();
    assert!((now_ms - info.time_ms).abs() < 60_000, "{}", info.time_ms);
    assert_eq!(store.head().unwrap(), Some(info.clone()));
    assert_eq!(
        branch_id(dir.path(), "main").as_deref(),
        Some(info.id.as_str())
    );

    assert_eq!(
        store.read(None, "workflows/a.json").unwrap().as_deref(),
        Some(&b"{\"a\":1}\n"[..])
    );
    assert_eq!(
        store.read(Some(&info.id), "README.md").unwrap().as_deref(),
        Some(&b"what this is\n"[..])
    );
    assert_eq!(store.read(None, "workflows/zzz.json").unwrap(), None);
    // A directory is not a file.
    assert_eq!(store.read(None, "workflows").unwrap(), None);

    let entries = store.entries(None, "workflows").unwrap();
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a.json", "b.json"]);
    assert_eq!(entries[0].1, GitStore::blob_id(b"{\"a\":1}\n"));
    assert_eq!(store.blob(&entries[1].1).unwrap(), b"{\"b\":1}\n");
    assert_eq!(store.blob(&entries[1].1[..10]).unwrap(), b"{\"b\":1}\n");
    // The top holds only README.md as a file; directories are not listed.
    let top = store.entries(None, "").unwrap();
    assert_eq!(top.len(), 1);
    assert_eq!(top[0].0, "README.md");
    assert!(store.entries(None, "nothing/here").unwrap().is_empty());
    assert!(store.entries(None, "README.md").unwrap().is_empty());

    let missing = store
        .blob(&GitStore::blob_id(b"never written"))
        .unwrap_err();
    assert!(matches!(missing, GitError::NotFound { .. }), "{missing}");
    let bad = store.blob("not-hex").unwrap_err();
    assert!(bad.to_string().contains("not an object id"), "{bad}");
    assert_fsck_clean(dir.path());
}

#[test]
fn blob_id_is_what_git_hash_object_gives() {
    assert_eq!(
        GitStore::blob_id(b"hello\n"),
        "ce013625030ba8dba906f756967f9e9ca394464a"
    );
    assert_eq!(
        GitStore::blob_id(b""),
        "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
    );
    let bytes = "{\"name\": \"Ünïcode\"}\n".as_bytes();
    assert_eq!(
        GitStore::blob_id(bytes),
        git2::Oid::hash_object(git2::ObjectType::Blob, bytes)
            .unwrap()
            .to_string()
    );
}

#[test]
fn nested_paths_are_created_and_empty_directories_disappear() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store
        .commit(&change(
            &[("a/b/c/d.json", "1"), ("a/top.json", "2"), ("x.json", "3")],
            &[],
            "nested",
        ))
        .unwrap()
        .unwrap();
    assert_eq!(
        store.read(None, "a/b/c/d.json").unwrap().as_deref(),
        Some(&b"1"[..])
    );
    assert_eq!(store.entries(None, "a/b/c").unwrap().len(), 1);

    let second = store
        .commit(&change(&[], &["a/b/c/d.json"], "delete the deep one"))
        .unwrap()
        .unwrap();
    assert_eq!(store.read(None, "a/b/c/d.json").unwrap(), None);
    let repo = git2::Repository::open_bare(dir.path()).unwrap();
    let tree = repo
        .find_commit(git2::Oid::from_str(&second.id).unwrap())
        .unwrap()
        .tree()
        .unwrap();
    assert!(
        tree.get_path(std::path::Path::new("a/b")).is_err(),
        "a/b should be gone"
    );
    assert!(tree.get_path(std::path::Path::new("a/top.json")).is_ok());

    // Deleting the last files removes every directory; the branch keeps an empty tree.
    let third = store
        .commit(&change(&[], &["a/top.json", "x.json"], "delete all"))
        .unwrap()
        .unwrap();
    let tree = repo
        .find_commit(git2::Oid::from_str(&third.id).unwrap())
        .unwrap()
        .tree()
        .unwrap();
    assert_eq!(tree.len(), 0);
    // The older commit still reads as it was.
    assert_eq!(
        store.read(Some(&second.id), "x.json").unwrap().as_deref(),
        Some(&b"3"[..])
    );
    assert_fsck_clean(dir.path());
}

#[test]
fn an_unchanged_tree_commits_nothing_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    // Nothing to write on an empty branch: no commit.
    assert_eq!(store.commit(&change(&[], &[], "nothing")).unwrap(), None);
    assert_eq!(
        store
            .commit(&change(&[], &["absent.json"], "nothing"))
            .unwrap(),
        None
    );
    assert!(store.head().unwrap().is_none());

    let first = store
        .commit(&change(&[("w/a.json", "A")], &[], "first"))
        .unwrap()
        .unwrap();
    // Same content, a deletion of an absent file: unchanged.
    assert_eq!(
        store
            .commit(&change(&[("w/a.json", "A")], &["w/none.json"], "again"))
            .unwrap(),
        None
    );
    assert_eq!(store.head().unwrap().unwrap().id, first.id);

    let mut empty = change(&[("w/a.json", "A")], &[], "recorded anyway");
    empty.allow_empty = true;
    let second = store.commit(&empty).unwrap().unwrap();
    assert_ne!(second.id, first.id);
    let repo = git2::Repository::open_bare(dir.path()).unwrap();
    let c = repo
        .find_commit(git2::Oid::from_str(&second.id).unwrap())
        .unwrap();
    assert_eq!(c.parent_id(0).unwrap().to_string(), first.id);
    assert_eq!(
        c.tree_id(),
        repo.find_commit(git2::Oid::from_str(&first.id).unwrap())
            .unwrap()
            .tree_id()
    );
}

#[test]
fn a_tag_is_made_with_the_commit_and_listed_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut c = change(&[("w/a.json", "A")], &[], "snapshot: prod");
    c.tag = Some("snapshots/prod/20261122-101500".into());
    let first = store.commit(&c).unwrap().unwrap();
    // A tag commits even with an unchanged tree.
    let mut c2 = change(&[("w/a.json", "A")], &[], "snapshot: prod again");
    c2.tag = Some("snapshots/prod/20261122-101500-2".into());
    let second = store.commit(&c2).unwrap().unwrap();
    let mut other = change(&[("w/b.json", "B")], &[], "snapshot: dev");
    other.tag = Some("snapshots/dev/20261122-101501".into());
    let third = store.commit(&other).unwrap().unwrap();

    let prod = store.tags("snapshots/prod/").unwrap();
    let names: Vec<&str> = prod.iter().map(|t| t.name.as_str()).collect();
    // Same second: the later suffix first.
    assert_eq!(
        names,
        [
            "snapshots/prod/20261122-101500-2",
            "snapshots/prod/20261122-101500"
        ]
    );
    assert_eq!(prod[0].commit, second);
    assert_eq!(prod[1].commit, first);
    let all = store.tags("snapshots/").unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].commit, third, "newest commit first");
    assert!(store.tags("nope/").unwrap().is_empty());
    assert!(store.tags("snap*").unwrap().is_empty());

    assert_eq!(
        store.resolve("snapshots/prod/20261122-101500").unwrap(),
        first
    );
    assert_eq!(
        store
            .read(Some("snapshots/dev/20261122-101501"), "w/b.json")
            .unwrap()
            .as_deref(),
        Some(&b"B"[..])
    );

    // The same tag again: refused, nothing moved.
    let before = tag_ids(dir.path());
    let mut again = change(&[("w/c.json", "C")], &[], "snapshot: prod");
    again.tag = Some("snapshots/prod/20261122-101500".into());
    let err = store.commit(&again).unwrap_err();
    assert!(matches!(err, GitError::TagExists { .. }), "{err}");
    assert!(err.to_string().contains("snapshots/prod/20261122-101500"));
    assert_eq!(store.head().unwrap().unwrap(), third);
    assert_eq!(tag_ids(dir.path()), before);

    let mut bad = change(&[("w/c.json", "C")], &[], "bad tag");
    bad.tag = Some("snap..shot".into());
    let err = store.commit(&bad).unwrap_err();
    assert!(matches!(err, GitError::InvalidName { .. }), "{err}");
    assert_fsck_clean(dir.path());
}

#[test]
fn an_expected_head_that_moved_is_a_conflict_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut on_empty = change(&[("w/a.json", "A")], &[], "first");
    on_empty.expected_head = Some(None);
    let first = store.commit(&on_empty).unwrap().unwrap();

    // Someone else committed after we read "empty".
    let mut stale = change(&[("w/b.json", "B")], &[], "stale");
    stale.expected_head = Some(None);
    stale.tag = Some("snapshots/prod/x".into());
    let err = store.commit(&stale).unwrap_err();
    match &err {
        GitError::Conflict {
            expected, actual, ..
        } => {
            assert_eq!(expected, &None);
            assert_eq!(actual.as_deref(), Some(first.id.as_str()));
        }
        other => panic!("expected a conflict, got {other}"),
    }
    assert!(err.to_string().contains(&first.id[..12]), "{err}");
    assert_eq!(store.head().unwrap().unwrap(), first);
    assert!(tag_ids(dir.path()).is_empty());
    assert_eq!(store.read(None, "w/b.json").unwrap(), None);

    let mut wrong = change(&[("w/b.json", "B")], &[], "wrong");
    wrong.expected_head = Some(Some("0".repeat(40)));
    assert!(matches!(
        store.commit(&wrong).unwrap_err(),
        GitError::Conflict { .. }
    ));

    let mut right = change(&[("w/b.json", "B")], &[], "right");
    right.expected_head = Some(Some(first.id.to_uppercase()));
    let second = store.commit(&right).unwrap().unwrap();
    assert_eq!(store.head().unwrap().unwrap(), second);
}

#[test]
fn resolve_takes_ids_tags_and_refs_and_names_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut c = change(&[("w/a.json", "A")], &[], "first");
    c.tag = Some("snapshots/prod/20261122-101500".into());
    let first = store.commit(&c).unwrap().unwrap();
    let second = store
        .commit(&change(&[("w/a.json", "A2")], &[], "second"))
        .unwrap()
        .unwrap();

    assert_eq!(store.resolve(&first.id).unwrap(), first);
    assert_eq!(store.resolve(&first.id[..8]).unwrap(), first);
    assert_eq!(store.resolve("refs/heads/main").unwrap(), second);
    assert_eq!(store.resolve("main").unwrap(), second);
    assert_eq!(
        store
            .resolve("refs/tags/snapshots/prod/20261122-101500")
            .unwrap(),
        first
    );

    for missing in ["snapshots/prod/19990101-000000", "deadbeef", ""] {
        let err = store.resolve(missing).unwrap_err();
        assert!(matches!(err, GitError::NotFound { .. }), "{missing}: {err}");
        let text = err.to_string();
        assert!(text.contains(&format!("`{missing}`")), "{text}");
        assert!(text.contains(&dir.path().display().to_string()), "{text}");
    }
    let blob = GitStore::blob_id(b"A");
    let err = store.resolve(&blob).unwrap_err();
    assert!(err.to_string().contains("names a blob"), "{err}");
    assert!(matches!(
        store.read(Some("no-such-rev"), "w/a.json").unwrap_err(),
        GitError::NotFound { .. }
    ));
}

#[test]
fn invalid_paths_are_refused_and_nothing_is_committed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let cases: Vec<Change> = vec![
        change(&[("../escape.json", "x")], &[], "m"),
        change(&[("/abs.json", "x")], &[], "m"),
        change(&[("a//b.json", "x")], &[], "m"),
        change(&[(".git/config", "x")], &[], "m"),
        change(&[("w/", "x")], &[], "m"),
        change(&[("", "x")], &[], "m"),
        change(&[("w/a.json", "x")], &["w/a.json"], "m"),
        change(&[("w/a.json", "x"), ("w/a.json", "y")], &[], "m"),
        change(&[("w", "x"), ("w/a.json", "y")], &[], "m"),
        change(&[("w/a.json", "y"), ("w", "x")], &[], "m"),
    ];
    for c in cases {
        let err = store.commit(&c).unwrap_err();
        assert!(matches!(err, GitError::InvalidPath { .. }), "{c:?}: {err}");
    }
    assert!(store.head().unwrap().is_none());
    assert!(matches!(
        store.read(None, "../x").unwrap_err(),
        GitError::InvalidPath { .. }
    ));
}

#[test]
fn a_file_can_replace_a_directory_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store
        .commit(&change(&[("x/inner.json", "1")], &[], "dir"))
        .unwrap()
        .unwrap();
    store
        .commit(&change(&[("x", "now a file")], &["x/inner.json"], "file"))
        .unwrap_err(); // one change may not use x both ways
    store
        .commit(&change(&[("x", "now a file")], &[], "file"))
        .unwrap()
        .unwrap();
    assert_eq!(
        store.read(None, "x").unwrap().as_deref(),
        Some(&b"now a file"[..])
    );
    assert_eq!(store.read(None, "x/inner.json").unwrap(), None);
    // Deleting under a path that is a file leaves the file alone.
    assert_eq!(
        store
            .commit(&change(&[], &["x/inner.json"], "noop"))
            .unwrap(),
        None
    );
    store
        .commit(&change(&[("x/inner.json", "2")], &[], "dir again"))
        .unwrap()
        .unwrap();
    assert_eq!(
        store.read(None, "x/inner.json").unwrap().as_deref(),
        Some(&b"2"[..])
    );
    assert_fsck_clean(dir.path());
}

#[test]
fn one_changed_file_among_ten_thousand_writes_only_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let writes: Vec<(String, Vec<u8>)> = (0..10_000)
        .map(|i| {
            (
                format!("workflows/wf-{i:05}.json"),
                format!("{{\"i\":{i}}}\n").into_bytes(),
            )
        })
        .collect();
    store
        .commit(&Change {
            writes,
            message: "onboarding: prod, 10000 workflows".into(),
            ..Change::default()
        })
        .unwrap()
        .unwrap();
    assert_eq!(store.entries(None, "workflows").unwrap().len(), 10_000);

    let before = object_count(dir.path());
    store
        .commit(&change(
            &[
                ("workflows/wf-04242.json", "{\"i\":\"changed\"}\n"),
                ("workflows/wf-00001.json", "{\"i\":1}\n"), // unchanged: not rewritten
            ],
            &[],
            "sync: prod, 1 changed",
        ))
        .unwrap()
        .unwrap();
    // One blob, the workflows tree, the root tree and the commit.
    assert_eq!(object_count(dir.path()) - before, 4);
    assert_eq!(
        store
            .read(None, "workflows/wf-04242.json")
            .unwrap()
            .as_deref(),
        Some(&b"{\"i\":\"changed\"}\n"[..])
    );

    // 2,000 changed files in one commit.
    let writes: Vec<(String, Vec<u8>)> = (0..2_000)
        .map(|i| {
            (
                format!("workflows/wf-{i:05}.json"),
                format!("{{\"v\":2,\"i\":{i}}}\n").into_bytes(),
            )
        })
        .collect();
    let before = object_count(dir.path());
    store
        .commit(&Change {
            writes,
            message: "sync: prod, 2000 changed".into(),
            ..Change::default()
        })
        .unwrap()
        .unwrap();
    assert_eq!(object_count(dir.path()) - before, 2_000 + 3);
    assert_eq!(
        store
            .read(None, "workflows/wf-01999.json")
            .unwrap()
            .as_deref(),
        Some(&b"{\"v\":2,\"i\":1999}\n"[..])
    );
    assert_eq!(
        store
            .read(None, "workflows/wf-02000.json")
            .unwrap()
            .as_deref(),
        Some(&b"{\"i\":2000}\n"[..])
    );
}

#[test]
fn writers_of_one_store_in_several_threads_take_turns() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(dir.path()));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for i in 0..10 {
                    let path = format!("w/{t}-{i}.json");
                    store
                        .commit(&change(&[(&path, "x")], &[], "concurrent"))
                        .unwrap()
                        .unwrap();
                    assert!(store.read(None, &path).unwrap().is_some());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(store.entries(None, "w").unwrap().len(), 40);
    let repo = git2::Repository::open_bare(dir.path()).unwrap();
    let mut walk = repo.revwalk().unwrap();
    walk.push_ref("refs/heads/main").unwrap();
    assert_eq!(walk.count(), 40);
    assert!(!dir.path().join("n8nops.lock").exists());
}

#[test]
fn reopening_finds_the_state_and_bad_places_or_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = {
        let store = open(dir.path());
        store
            .commit(&change(&[("a.json", "A")], &[], "first"))
            .unwrap()
            .unwrap()
    };
    assert_eq!(open(dir.path()).head().unwrap(), Some(first));

    let file = dir.path().join("plain-file");
    std::fs::write(&file, "not a repository").unwrap();
    let err = GitStore::open(options(&file, Vec::new())).unwrap_err();
    assert!(matches!(err, GitError::Open { .. }), "{err}");
    assert!(err.to_string().contains("plain-file"), "{err}");

    let not_repo = dir.path().join("some-dir");
    std::fs::create_dir(&not_repo).unwrap();
    std::fs::write(not_repo.join("x"), "x").unwrap();
    assert!(matches!(
        GitStore::open(options(&not_repo, Vec::new())).unwrap_err(),
        GitError::Open { .. }
    ));

    let mut bad = options(&dir.path().join("b.git"), Vec::new());
    bad.branch = "no..good".into();
    assert!(matches!(
        GitStore::open(bad).unwrap_err(),
        GitError::InvalidName { kind: "branch", .. }
    ));
    let twice = vec![
        RemoteSpec::new("origin", "/x"),
        RemoteSpec::new("origin", "/y"),
    ];
    assert!(matches!(
        GitStore::open(options(&dir.path().join("c.git"), twice)).unwrap_err(),
        GitError::InvalidName { .. }
    ));
}

#[test]
fn debug_output_never_shows_secrets() {
    let auth = GitAuth {
        ssh_key: None,
        username: "me".into(),
        token: Some("ghp_supersecret".into()),
    };
    let text = format!("{auth:?}");
    assert!(!text.contains("supersecret"), "{text}");
    assert!(text.contains("redacted"), "{text}");
    let spec = RemoteSpec::new("origin", "https://me:pa55@github.com/org/x.git");
    let text = format!("{spec:?}");
    assert!(!text.contains("pa55"), "{text}");
    assert_eq!(spec.redacted().url, "https://github.com/org/x.git");
    let mut opts = options(std::path::Path::new("/tmp/x"), vec![spec]);
    opts.auth = auth;
    let text = format!("{opts:?}");
    assert!(
        !text.contains("supersecret") && !text.contains("pa55"),
        "{text}"
    );
}

#[test]
fn a_restore_point_is_tagged_but_the_branch_stays() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let first = store
        .commit(&change(&[("workflows/a.json", "1")], &[], "first"))
        .unwrap()
        .unwrap();
    let point = store
        .commit(&Change {
            tag: Some("snapshots/prod/20261123-030000".into()),
            detached: true,
            ..change(&[("workflows/a.json", "2")], &[], "restore point")
        })
        .unwrap()
        .unwrap();
    assert_eq!(
        store.head().unwrap().unwrap().id,
        first.id,
        "the branch stays"
    );
    let tags = store.tags("snapshots/prod/").unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!(
        tags[0].commit.id, point.id,
        "the tag names the restore point"
    );
    assert_eq!(
        store
            .read(Some(&point.id), "workflows/a.json")
            .unwrap()
            .unwrap(),
        b"2".to_vec()
    );
    assert_eq!(
        store.read(None, "workflows/a.json").unwrap().unwrap(),
        b"1".to_vec(),
        "the branch still holds what it held"
    );
    let untagged = store.commit(&Change {
        detached: true,
        ..change(&[("workflows/a.json", "3")], &[], "no tag")
    });
    assert!(untagged.is_err(), "a restore point needs a tag");
}
