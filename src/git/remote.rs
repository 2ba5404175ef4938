//! Talking to remotes: credentials, urls fit to show, pushing and fetching through
//! anonymous remotes (nothing is written to the repository's config).

use git2::{
    AutotagOption, Cred, CredentialType, FetchOptions, Oid, PushOptions, RemoteCallbacks,
    Repository,
};
use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::sync::Once;

use super::error::clean_message;
use super::types::{GitAuth, RemoteSpec};

/// libgit2 calls the credentials callback again after each refused attempt.
const MAX_AUTH_ATTEMPTS: u32 = 3;

/// How long to wait for a remote to accept the connection.
const CONNECT_TIMEOUT_MS: i32 = 10_000;

/// How long one read or write may wait on a connected remote. It must be set along with
/// the connect timeout: libgit2 1.9 leaves the socket non-blocking after a timed connect
/// and only waits for data when this is set (else a slow server reads as EAGAIN).
const IO_TIMEOUT_MS: i32 = 120_000;

/// Where fetched refs land before `pull` decides what to take.
pub(crate) const INCOMING: &str = "refs/n8nops/incoming";

/// Sets libgit2's process-wide options (server connect and I/O timeouts). Idempotent;
/// called when a store opens. Calling it early in `main`, before threads start, is best.
pub fn configure_libgit2() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: libgit2 keeps these options in plain global ints. `Once` makes this the
        // only write; it happens when the first store opens, before any remote operation
        // of this adapter can read them.
        unsafe {
            let _ = git2::opts::set_server_timeout_in_milliseconds(IO_TIMEOUT_MS);
            let _ = git2::opts::set_server_connect_timeout_in_milliseconds(CONNECT_TIMEOUT_MS);
        }
    });
}

/// `url` without credentials: `https://user:secret@host/x` -> `https://host/x`. scp-like
/// urls (`git@host:org/x.git`) carry only a user name and are kept.
pub fn display_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let authority_start = scheme_end + 3;
    let rest = &url[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_len].rfind('@') {
        Some(at) => format!("{}{}", &url[..authority_start], &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// `message` with the raw url and the token replaced, so a libgit2 message never leaks them.
pub(crate) fn scrub(message: &str, spec: &RemoteSpec, auth: &GitAuth) -> String {
    let mut out = message.replace(&spec.url, &display_url(&spec.url));
    let mut secrets: Vec<&str> = Vec::new();
    if let Some(token) = auth.token.as_deref() {
        secrets.push(token);
    }
    if let Some(password) = url_password(&spec.url) {
        secrets.push(password);
    }
    for secret in secrets.into_iter().filter(|s| s.len() >= 3) {
        out = out.replace(secret, "<redacted>");
    }
    out
}

/// The password part of `scheme://user:password@host/...`, if any.
fn url_password(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let userinfo = &authority[..authority.rfind('@')?];
    userinfo.split_once(':').map(|(_, password)| password)
}

/// A leading `~/` expanded to $HOME.
fn expand_home(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => path.to_owned(),
    }
}

/// For a url naming a local path that does not exist, what to say (libgit2 only says
/// "unsupported URL protocol").
fn missing_local(url: &str) -> Option<String> {
    let path = match url.strip_prefix("file://") {
        Some(path) => path,
        // scp-like `host:path` has a colon before any slash; other urls have a scheme.
        None if url.contains("://") => return None,
        None if url.find(':').is_some_and(|c| !url[..c].contains('/')) => return None,
        None => url,
    };
    (!Path::new(path).exists()).then(|| format!("no repository at {path}"))
}

/// Callbacks answering credential requests from `auth`, giving up after a few attempts.
fn callbacks<'a>(
    auth: &'a GitAuth,
    remote: &'a str,
    attempts: &'a Cell<u32>,
) -> RemoteCallbacks<'a> {
    let mut cb = RemoteCallbacks::new();
    cb.credentials(move |_url, user_from_url, allowed| {
        let n = attempts.get() + 1;
        attempts.set(n);
        credential(auth, remote, n, user_from_url, allowed)
    });
    cb
}

/// The credential for attempt `attempt` (1-based) of a request allowing `allowed`.
fn credential(
    auth: &GitAuth,
    remote: &str,
    attempt: u32,
    user_from_url: Option<&str>,
    allowed: CredentialType,
) -> Result<Cred, git2::Error> {
    if attempt > MAX_AUTH_ATTEMPTS {
        return Err(git2::Error::from_str(&format!(
            "authentication to remote {remote} was refused {MAX_AUTH_ATTEMPTS} times: check its credentials"
        )));
    }
    if allowed.contains(CredentialType::SSH_KEY) {
        let user = user_from_url.unwrap_or("git");
        return match &auth.ssh_key {
            Some(key) => {
                let key = expand_home(key);
                if !key.exists() {
                    return Err(git2::Error::from_str(&format!(
                        "the ssh key file {} for remote {remote} does not exist",
                        key.display()
                    )));
                }
                Cred::ssh_key(user, None, &key, None)
            }
            None => Cred::ssh_key_from_agent(user),
        };
    }
    if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
        let Some(token) = auth.token.as_deref().filter(|t| !t.is_empty()) else {
            return Err(git2::Error::from_str(&format!(
                "remote {remote} asks for a user name and token, and no git token is set"
            )));
        };
        let user = if !auth.username.is_empty() {
            auth.username.as_str()
        } else {
            user_from_url.unwrap_or("x-access-token")
        };
        return Cred::userpass_plaintext(user, token);
    }
    if allowed.contains(CredentialType::USERNAME) {
        let user = user_from_url
            .or(Some(auth.username.as_str()).filter(|u| !u.is_empty()))
            .unwrap_or("git");
        return Cred::username(user);
    }
    if allowed.contains(CredentialType::DEFAULT) {
        return Cred::default();
    }
    Err(git2::Error::from_str(&format!(
        "remote {remote} asks for credentials of a kind n8nops does not support ({allowed:?})"
    )))
}

/// Pushes `refspecs` to `spec`. Err holds a message naming the remote (url without
/// credentials); per-ref refusals by the server count as failure. Returns whether the
/// branch ref (`branch_ref`) was accepted even when something else was refused.
pub(crate) fn push(
    repo: &Repository,
    spec: &RemoteSpec,
    auth: &GitAuth,
    refspecs: &[String],
    branch_ref: &str,
) -> Result<(), (String, bool)> {
    let attempts = Cell::new(0);
    let refused: RefCell<Vec<(String, String)>> = RefCell::new(Vec::new());
    let mut cb = callbacks(auth, &spec.name, &attempts);
    cb.push_update_reference(|name, status| {
        if let Some(status) = status {
            refused
                .borrow_mut()
                .push((name.to_owned(), status.to_owned()));
        }
        Ok(())
    });
    let mut opts = PushOptions::new();
    opts.remote_callbacks(cb);
    let fail = |message: String, branch_ok: bool| {
        Err((
            format!(
                "push to remote {} ({}) failed: {}",
                spec.name,
                display_url(&spec.url),
                scrub(&message, spec, auth)
            ),
            branch_ok,
        ))
    };
    if let Some(missing) = missing_local(&spec.url) {
        return fail(missing, false);
    }
    let mut remote = match repo.remote_anonymous(&spec.url) {
        Ok(r) => r,
        Err(e) => return fail(clean_message(e.message()), false),
    };
    if let Err(e) = remote.push(refspecs, Some(&mut opts)) {
        let mut message = clean_message(e.message());
        if message.contains("non-fastforward") {
            message.push_str(" (the remote has commits this repository lacks: pull first)");
        }
        return fail(message, false);
    }
    drop(opts);
    let refused = refused.into_inner();
    if refused.is_empty() {
        return Ok(());
    }
    let branch_ok = !refused.iter().any(|(name, _)| name == branch_ref);
    let list = refused
        .iter()
        .map(|(name, why)| format!("{name} refused ({why})"))
        .collect::<Vec<_>>()
        .join(", ");
    fail(list, branch_ok)
}

/// What a fetch brought: the remote's branch head and its snapshot tags.
#[derive(Debug, Default)]
pub(crate) struct Incoming {
    pub branch: Option<Oid>,
    /// (tag name without refs/tags/, target)
    pub tags: Vec<(String, Oid)>,
}

/// Fetches `branch` and the tags under refs/tags/snapshots/ of `spec` into the incoming
/// namespace, reads them back and clears that namespace. Refs outside it are not touched.
pub(crate) fn fetch(
    repo: &Repository,
    spec: &RemoteSpec,
    auth: &GitAuth,
    branch: &str,
) -> Result<Incoming, String> {
    clear_incoming(repo);
    let result = fetch_into_incoming(repo, spec, auth, branch);
    let incoming =
        result.and_then(|()| read_incoming(repo).map_err(|e| clean_message(e.message())));
    clear_incoming(repo);
    incoming.map_err(|message| scrub(&message, spec, auth))
}

fn fetch_into_incoming(
    repo: &Repository,
    spec: &RemoteSpec,
    auth: &GitAuth,
    branch: &str,
) -> Result<(), String> {
    let attempts = Cell::new(0);
    let cb = callbacks(auth, &spec.name, &attempts);
    let mut opts = FetchOptions::new();
    opts.remote_callbacks(cb)
        .download_tags(AutotagOption::None)
        .update_fetchhead(false);
    let refspecs = [
        format!("+refs/heads/{branch}:{INCOMING}/branch"),
        format!("+refs/tags/snapshots/*:{INCOMING}/tags/snapshots/*"),
    ];
    if let Some(missing) = missing_local(&spec.url) {
        return Err(missing);
    }
    let mut remote = repo
        .remote_anonymous(&spec.url)
        .map_err(|e| clean_message(e.message()))?;
    remote
        .fetch(&refspecs, Some(&mut opts), None)
        .map_err(|e| clean_message(e.message()))
}

fn read_incoming(repo: &Repository) -> Result<Incoming, git2::Error> {
    let mut incoming = Incoming::default();
    let tags_prefix = format!("{INCOMING}/tags/");
    for reference in repo.references_glob(&format!("{INCOMING}/*"))? {
        let reference = reference?;
        let Ok(name) = reference.name() else {
            continue;
        };
        let name = name.to_owned();
        let target = match reference.peel_to_commit() {
            Ok(commit) => commit.id(),
            Err(e) => {
                tracing::warn!("ignoring fetched ref {name}: {}", e.message());
                continue;
            }
        };
        if name == format!("{INCOMING}/branch") {
            incoming.branch = Some(target);
        } else if let Some(tag) = name.strip_prefix(&tags_prefix) {
            incoming.tags.push((tag.to_owned(), target));
        }
    }
    Ok(incoming)
}

fn clear_incoming(repo: &Repository) {
    let Ok(refs) = repo.references_glob(&format!("{INCOMING}/*")) else {
        return;
    };
    let names: Vec<String> = refs
        .flatten()
        .filter_map(|r| r.name().ok().map(str::to_owned))
        .collect();
    for name in names {
        if let Ok(mut r) = repo.find_reference(&name)
            && let Err(e) = r.delete()
        {
            tracing::warn!("cannot remove the fetched ref {name}: {}", e.message());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_url_strips_credentials_only() {
        assert_eq!(
            display_url("https://user:secret@github.com/org/x.git"),
            "https://github.com/org/x.git"
        );
        assert_eq!(display_url("https://tok@host"), "https://host");
        assert_eq!(
            display_url("https://host/a@b/x.git"),
            "https://host/a@b/x.git"
        );
        assert_eq!(
            display_url("git@github.com:org/x.git"),
            "git@github.com:org/x.git"
        );
        assert_eq!(display_url("/srv/git/x.git"), "/srv/git/x.git");
        assert_eq!(
            display_url("ssh://git@host:22/x.git"),
            "ssh://host:22/x.git"
        );
    }

    #[test]
    fn scrub_hides_the_token_and_the_raw_url() {
        let spec = RemoteSpec::new("origin", "https://me:s3cret@host/x.git");
        let auth = GitAuth {
            token: Some("tok123".into()),
            ..Default::default()
        };
        let msg = scrub(
            "failed https://me:s3cret@host/x.git with tok123",
            &spec,
            &auth,
        );
        assert_eq!(msg, "failed https://host/x.git with <redacted>");
    }

    #[test]
    fn only_local_paths_are_checked_for_existence() {
        assert_eq!(
            missing_local("/no/such/repo.git").as_deref(),
            Some("no repository at /no/such/repo.git")
        );
        assert!(missing_local("file:///no/such").is_some());
        assert!(missing_local("relative/none.git").is_some());
        assert!(missing_local("/").is_none());
        for remote in [
            "https://github.com/org/x.git",
            "ssh://git@host/x.git",
            "git@github.com:org/x.git",
            "host:x.git",
        ] {
            assert!(missing_local(remote).is_none(), "{remote}");
        }
    }

    #[test]
    fn scrub_hides_a_password_quoted_without_the_url() {
        let spec = RemoteSpec::new("origin", "https://me:s3cret@host/x.git");
        let msg = scrub("auth me:s3cret refused", &spec, &GitAuth::default());
        assert_eq!(msg, "auth me:<redacted> refused");
        assert_eq!(url_password("https://host/x"), None);
        assert_eq!(url_password("https://tok@host/x"), None);
        assert_eq!(url_password("https://u:p%40w@host/x"), Some("p%40w"));
    }

    #[test]
    fn credentials_follow_the_url_kind_and_give_up_after_three_attempts() {
        let with_token = GitAuth {
            token: Some("tok".into()),
            ..Default::default()
        };
        let https = CredentialType::USER_PASS_PLAINTEXT;
        for attempt in 1..=3 {
            assert!(credential(&with_token, "origin", attempt, None, https).is_ok());
        }
        let err = credential(&with_token, "origin", 4, None, https)
            .err()
            .unwrap();
        assert!(
            err.message().contains("origin") && err.message().contains("3 times"),
            "{err}"
        );
        let err = credential(&GitAuth::default(), "origin", 1, None, https)
            .err()
            .unwrap();
        assert!(err.message().contains("no git token"), "{err}");

        let ssh = CredentialType::SSH_KEY;
        assert!(credential(&GitAuth::default(), "origin", 1, Some("git"), ssh).is_ok());
        let with_key = GitAuth {
            ssh_key: Some(PathBuf::from("/no/such/key")),
            ..Default::default()
        };
        let err = credential(&with_key, "env-prod", 1, Some("git"), ssh)
            .err()
            .unwrap();
        assert!(err.message().contains("/no/such/key"), "{err}");
        assert!(credential(&GitAuth::default(), "o", 1, None, CredentialType::USERNAME).is_ok());
    }

    #[test]
    fn expand_home_only_expands_a_leading_tilde() {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        if let Some(home) = home {
            assert_eq!(expand_home(Path::new("~/.ssh/id")), home.join(".ssh/id"));
        }
        assert_eq!(expand_home(Path::new("/k/~/id")), PathBuf::from("/k/~/id"));
    }
}
