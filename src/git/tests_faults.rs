//! Faults: a locked repository, ref and object writes failing with real OS errors. Each
//! must give a clear error naming the repository and leave it intact.

use std::fs;
use std::path::Path;

use super::lock::{LOCK_FILE, write_lock_for};
use super::test_support::*;
use super::{Change, GitError};

fn tagged(writes: &[(&str, &str)], tag: &str) -> Change {
    let mut c = change(writes, &[], "snapshot");
    c.tag = Some(tag.to_owned());
    c
}

#[test]
fn a_second_writer_is_refused_while_the_lock_is_held() {
    let dir = tempfile::tempdir().unwrap();
    let a = open(dir.path());
    let first = a
        .commit(&change(&[("w/a.json", "A")], &[], "first"))
        .unwrap()
        .unwrap();
    let b = open(dir.path());

    let held = a.lock().unwrap();
    let err = b
        .commit(&tagged(&[("w/b.json", "B")], "snapshots/prod/1"))
        .unwrap_err();
    match &err {
        GitError::Locked { path, holder } => {
            assert_eq!(path, dir.path());
            assert!(
                holder.contains(&format!("process {}", std::process::id())),
                "{holder}"
            );
            assert!(holder.contains(" since "), "{holder}");
        }
        other => panic!("expected Locked, got {other}"),
    }
    let text = err.to_string();
    eprintln!("refused as expected: {text}");
    assert!(text.contains(&dir.path().display().to_string()), "{text}");
    assert!(text.contains(LOCK_FILE), "{text}");
    // Push is a writer too.
    assert!(matches!(b.push(None).unwrap_err(), GitError::Locked { .. }));
    assert_eq!(a.head().unwrap().unwrap(), first);
    assert!(tag_ids(dir.path()).is_empty());

    drop(held);
    assert!(!dir.path().join(LOCK_FILE).exists());
    b.commit(&tagged(&[("w/b.json", "B")], "snapshots/prod/1"))
        .unwrap()
        .unwrap();
    assert_eq!(tag_ids(dir.path()).len(), 1);
    assert_fsck_clean(dir.path());
}

#[test]
fn a_lock_left_by_a_dead_process_is_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    write_lock_for(dir.path(), dead);

    let info = store
        .commit(&change(&[("w/a.json", "A")], &[], "after a crash"))
        .unwrap()
        .unwrap();
    assert_eq!(store.head().unwrap().unwrap(), info);
    assert!(
        !dir.path().join(LOCK_FILE).exists(),
        "our lock is removed after use"
    );
}

#[test]
fn a_lock_of_a_live_process_or_another_host_is_respected() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    // A live process: this one (pid 1 would do as well).
    write_lock_for(dir.path(), std::process::id());
    assert!(matches!(
        store.commit(&change(&[("a", "1")], &[], "m")).unwrap_err(),
        GitError::Locked { .. }
    ));
    // Another host: its pid cannot be checked here, so the lock holds.
    fs::write(
        dir.path().join(LOCK_FILE),
        r#"{"pid":999999,"host":"elsewhere.example","since":"2026-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    let err = store.commit(&change(&[("a", "1")], &[], "m")).unwrap_err();
    assert!(err.to_string().contains("elsewhere.example"), "{err}");
    // A lock file still being written (unreadable, fresh) holds too.
    fs::write(dir.path().join(LOCK_FILE), "").unwrap();
    assert!(matches!(
        store.commit(&change(&[("a", "1")], &[], "m")).unwrap_err(),
        GitError::Locked { .. }
    ));
    fs::remove_file(dir.path().join(LOCK_FILE)).unwrap();
    assert!(store.head().unwrap().is_none());
    store
        .commit(&change(&[("a", "1")], &[], "m"))
        .unwrap()
        .unwrap();
}

/// Asserts a failed commit named the repository, and that branch and tags did not move.
fn assert_refused_intact(
    err: &GitError,
    repo: &Path,
    head: &Option<String>,
    tags: &[(String, String)],
) {
    eprintln!("refused as expected: {err}");
    assert!(matches!(err, GitError::Git { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains(&repo.display().to_string()), "{text}");
    assert_eq!(&branch_id(repo, "main"), head);
    assert_eq!(tag_ids(repo), tags);
}

#[test]
fn a_ref_that_cannot_be_written_leaves_branch_and_tags_where_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let store = open(repo);
    store
        .commit(&tagged(&[("w/a.json", "A")], "snapshots/prod/1"))
        .unwrap()
        .unwrap();
    let head = branch_id(repo, "main");
    let tags = tag_ids(repo);

    // A directory where git writes the branch's lock file: a real EEXIST/EISDIR.
    let obstacle = repo.join("refs/heads/main.lock");
    fs::create_dir(&obstacle).unwrap();
    let err = store
        .commit(&tagged(&[("w/b.json", "B")], "snapshots/prod/2"))
        .unwrap_err();
    assert!(err.to_string().contains("branch main"), "{err}");
    assert_refused_intact(&err, repo, &head, &tags);
    assert!(!repo.join("refs/tags/snapshots/prod/2.lock").exists());
    assert_fsck_clean(repo);
    fs::remove_dir(&obstacle).unwrap();

    // The same for the tag: the branch must not move without it.
    let obstacle = repo.join("refs/tags/snapshots/prod/2.lock");
    fs::create_dir(&obstacle).unwrap();
    let err = store
        .commit(&tagged(&[("w/b.json", "B")], "snapshots/prod/2"))
        .unwrap_err();
    assert!(err.to_string().contains("snapshots/prod/2"), "{err}");
    assert_refused_intact(&err, repo, &head, &tags);
    assert!(
        !repo.join("refs/heads/main.lock").exists(),
        "branch lock released"
    );
    assert_fsck_clean(repo);
    fs::remove_dir(&obstacle).unwrap();

    let info = store
        .commit(&tagged(&[("w/b.json", "B")], "snapshots/prod/2"))
        .unwrap()
        .unwrap();
    assert_eq!(branch_id(repo, "main").as_deref(), Some(info.id.as_str()));
    assert_eq!(tag_ids(repo).len(), 2);
    assert_fsck_clean(repo);
}

#[test]
fn a_tag_clashing_with_a_tag_directory_moves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let store = open(repo);
    store
        .commit(&tagged(&[("w/a.json", "A")], "snapshots/prod/2/x"))
        .unwrap()
        .unwrap();
    let head = branch_id(repo, "main");
    let tags = tag_ids(repo);
    // refs/tags/snapshots/prod/2 cannot be a file while it is a directory: whether libgit2
    // refuses when locking or when writing (after moving the branch), nothing may move.
    let err = store
        .commit(&tagged(&[("w/b.json", "B")], "snapshots/prod/2"))
        .unwrap_err();
    assert_refused_intact(&err, repo, &head, &tags);
    assert!(!repo.join("refs/heads/main.lock").exists());
    assert_fsck_clean(repo);
    store
        .commit(&tagged(&[("w/b.json", "B")], "snapshots/prod/3"))
        .unwrap()
        .unwrap();
}

#[test]
fn objects_that_cannot_be_written_leave_the_branch_where_it_was() {
    if !git_cli() {
        eprintln!(
            "git is not on PATH: skipping the object write failure test (it repacks with git)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let store = open(repo);
    store
        .commit(&tagged(
            &[("w/a.json", "A"), ("w/b.json", "B")],
            "snapshots/prod/1",
        ))
        .unwrap()
        .unwrap();
    let head = branch_id(repo, "main");
    let tags = tag_ids(repo);

    // Pack every object and drop the loose ones, then put a regular FILE where each loose
    // object directory would go: writing any new object fails with a real OS error.
    git(repo, &["repack", "-a", "-d", "-q"]);
    git(repo, &["prune-packed"]);
    let objects = repo.join("objects");
    let mut made = Vec::new();
    for i in 0..=255u8 {
        let p = objects.join(format!("{i:02x}"));
        if p.is_dir() {
            fs::remove_dir(&p).expect("loose object directories are empty after prune-packed");
        }
        fs::write(&p, "in the way").unwrap();
        made.push(p);
    }

    let err = store
        .commit(&tagged(
            &[("w/c.json", "brand new content")],
            "snapshots/prod/2",
        ))
        .unwrap_err();
    assert!(
        err.to_string().contains("writing the changed files"),
        "{err}"
    );
    assert_refused_intact(&err, repo, &head, &tags);
    // Reads still work from the pack.
    assert_eq!(
        store.read(None, "w/a.json").unwrap().as_deref(),
        Some(&b"A"[..])
    );

    for p in made {
        fs::remove_file(p).unwrap();
    }
    assert_fsck_clean(repo);
    let info = store
        .commit(&tagged(
            &[("w/c.json", "brand new content")],
            "snapshots/prod/2",
        ))
        .unwrap()
        .unwrap();
    assert_eq!(branch_id(repo, "main").as_deref(), Some(info.id.as_str()));
    assert_eq!(
        store.read(None, "w/c.json").unwrap().as_deref(),
        Some(&b"brand new content"[..])
    );
    assert_fsck_clean(repo);
}

/// libgit2 applies a ref transaction ref by ref; when a later ref fails, `undo_refs` puts
/// back what already moved. The failure is hard to provoke for real, so the undo is
/// checked on the state such a failure leaves.
#[test]
fn a_half_applied_ref_update_is_put_back() {
    let dir = tempfile::tempdir().unwrap();
    let repo_path = dir.path();
    let store = open(repo_path);
    let first = store
        .commit(&change(&[("a", "1")], &[], "first"))
        .unwrap()
        .unwrap();
    let repo = git2::Repository::open_bare(repo_path).unwrap();
    let old = git2::Oid::from_str(&first.id).unwrap();
    let sig = git2::Signature::now("t", "t@t").unwrap();
    let tree = repo.find_commit(old).unwrap().tree().unwrap();
    let parent = repo.find_commit(old).unwrap();
    let new = repo
        .commit(None, &sig, &sig, "half", &tree, &[&parent])
        .unwrap();
    // The branch moved and the tag was made, then "something failed".
    repo.reference("refs/heads/main", new, true, "t").unwrap();
    repo.reference("refs/tags/snapshots/p/1", new, true, "t")
        .unwrap();
    store.undo_refs(&repo, Some(old), new, Some("refs/tags/snapshots/p/1"));
    assert_eq!(
        branch_id(repo_path, "main").as_deref(),
        Some(first.id.as_str())
    );
    assert!(tag_ids(repo_path).is_empty());

    // Only what points at the new commit is undone.
    repo.reference("refs/tags/snapshots/p/2", old, true, "t")
        .unwrap();
    store.undo_refs(&repo, Some(old), new, Some("refs/tags/snapshots/p/2"));
    assert_eq!(tag_ids(repo_path).len(), 1);

    // On an empty branch the undo removes the branch again.
    let other = tempfile::tempdir().unwrap();
    let empty = open(other.path());
    let repo = git2::Repository::open_bare(other.path()).unwrap();
    let tree = repo.treebuilder(None).unwrap().write().unwrap();
    let tree = repo.find_tree(tree).unwrap();
    let new = repo.commit(None, &sig, &sig, "half", &tree, &[]).unwrap();
    repo.reference("refs/heads/main", new, true, "t").unwrap();
    empty.undo_refs(&repo, None, new, None);
    assert!(empty.head().unwrap().is_none());
}
