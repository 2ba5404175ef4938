//! Helpers for the Git adapter's tests.

use std::path::Path;
use std::process::Command;

use super::{Change, GitAuth, GitOptions, GitStore, RemoteSpec};

pub(super) fn options(path: &Path, remotes: Vec<RemoteSpec>) -> GitOptions {
    GitOptions {
        path: path.to_owned(),
        branch: "main".to_owned(),
        remotes,
        auth: GitAuth::default(),
        author_name: "n8nops test".to_owned(),
        author_email: "test@n8nops.invalid".to_owned(),
    }
}

pub(super) fn open(path: &Path) -> GitStore {
    GitStore::open(options(path, Vec::new())).unwrap()
}

pub(super) fn open_with(path: &Path, remotes: Vec<RemoteSpec>) -> GitStore {
    GitStore::open(options(path, remotes)).unwrap()
}

/// A change writing `writes` (path, text) and deleting `deletes`.
pub(super) fn change(writes: &[(&str, &str)], deletes: &[&str], message: &str) -> Change {
    Change {
        writes: writes
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
            .collect(),
        deletes: deletes.iter().map(|p| p.to_string()).collect(),
        message: message.to_owned(),
        ..Change::default()
    }
}

/// The branch's commit id, read with a handle of its own.
pub(super) fn branch_id(repo: &Path, branch: &str) -> Option<String> {
    let repo = git2::Repository::open_bare(repo).unwrap();
    repo.refname_to_id(&format!("refs/heads/{branch}"))
        .ok()
        .map(|id| id.to_string())
}

/// Every tag and its target, sorted by name.
pub(super) fn tag_ids(repo: &Path) -> Vec<(String, String)> {
    let repo = git2::Repository::open_bare(repo).unwrap();
    let mut tags: Vec<(String, String)> = repo
        .references_glob("refs/tags/*")
        .unwrap()
        .map(|r| {
            let r = r.unwrap();
            (
                r.name().unwrap().to_owned(),
                r.target().unwrap().to_string(),
            )
        })
        .collect();
    tags.sort();
    tags
}

pub(super) fn git_cli() -> bool {
    Command::new("git")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Runs `git fsck` on the repository when git is on PATH; says so when it is not.
pub(super) fn assert_fsck_clean(repo: &Path) {
    if !git_cli() {
        eprintln!(
            "git is not on PATH: skipping git fsck of {}",
            repo.display()
        );
        return;
    }
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(repo)
        .args(["fsck", "--strict", "--no-dangling", "--no-progress"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git fsck of {} failed:\n{}\n{}",
        repo.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs git with `args` on the repository; panics on failure.
pub(super) fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(repo)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The number of objects in the repository's object database.
pub(super) fn object_count(repo: &Path) -> usize {
    let repo = git2::Repository::open_bare(repo).unwrap();
    let odb = repo.odb().unwrap();
    let mut n = 0;
    odb.foreach(|_| {
        n += 1;
        true
    })
    .unwrap();
    n
}
