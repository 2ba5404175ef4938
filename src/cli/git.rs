//! `n8nops git status|push|token`: the canonical repository and its remotes.

use super::context::Context;
use super::output;
use super::snapshot::{plural, short_commit};
use crate::service::{GitStatus, Ops, PushReport, RemoteStatus, Secret};
use anyhow::{Context as _, Result, bail};
use clap::Subcommand;
use std::io::{BufRead, IsTerminal};

/// Where `git token` reads the token from before trying stdin.
pub const TOKEN_ENV: &str = "N8NOPS_GIT_TOKEN";

#[derive(Debug, Subcommand)]
pub enum GitCommand {
    /// The repository, its branch and head, and each remote
    Status,
    /// Push the branch and the snapshot tags to every remote
    Push,
    /// Keep the token for https remotes, encrypted (from N8NOPS_GIT_TOKEN, else stdin)
    Token {
        /// Forget the stored token
        #[arg(long)]
        clear: bool,
    },
}

pub async fn run(ctx: &Context, ops: &dyn Ops, cmd: GitCommand) -> Result<()> {
    match cmd {
        GitCommand::Status => {
            let status = ops.git_status().await?;
            if ctx.json {
                return output::json(&status);
            }
            print!("{}", render_status(&status));
            Ok(())
        }
        GitCommand::Push => {
            let report = ops.git_push().await?;
            if ctx.json {
                output::json(&report)?;
            } else {
                print!("{}", render_push(&report));
            }
            if !report.ok() {
                let failed: Vec<&str> = report
                    .remotes
                    .iter()
                    .filter(|r| r.error.is_some())
                    .map(|r| r.name.as_str())
                    .collect();
                bail!(
                    "the push failed for {}; the commits stay local and the next push retries",
                    failed.join(", ")
                );
            }
            Ok(())
        }
        GitCommand::Token { clear } => {
            let token = if clear { None } else { Some(read_token()?) };
            ops.git_token_set(token).await?;
            let word = if clear { "cleared" } else { "stored" };
            if ctx.json {
                return output::json(&serde_json::json!({ "token": word }));
            }
            if clear {
                println!("Git token forgotten.");
            } else {
                println!("Git token stored, encrypted.");
            }
            Ok(())
        }
    }
}

/// The token from `N8NOPS_GIT_TOKEN`, else stdin (a no-echo prompt on a terminal).
/// Never from an argument: it would show in `ps`.
fn read_token() -> Result<Secret> {
    let token = match std::env::var(TOKEN_ENV)
        .ok()
        .filter(|t| !t.trim().is_empty())
    {
        Some(token) => token,
        None if std::io::stdin().is_terminal() => {
            rpassword::prompt_password("Git token: ").context("reading the Git token")?
        }
        None => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the Git token from stdin")?;
            line
        }
    };
    let token = token.trim();
    if token.is_empty() {
        bail!("no Git token given: set {TOKEN_ENV} or type it on stdin");
    }
    Ok(Secret::new(token))
}

fn render_status(s: &GitStatus) -> String {
    let mut out = format!("repository  {}\nbranch      {}\n", s.path, s.branch);
    match &s.head {
        Some(head) => out.push_str(&format!(
            "head        {}  {}\n",
            short_commit(head),
            s.head_subject.as_deref().unwrap_or("")
        )),
        None => out.push_str("head        (no commits yet)\n"),
    }
    if s.remotes.is_empty() {
        out.push_str(
            "remotes     none ([git] remote in the config, or an environment's --git-repo)\n",
        );
    }
    for r in &s.remotes {
        out.push_str(&format!("remote      {}\n", remote_line(r)));
    }
    out
}

fn render_push(report: &PushReport) -> String {
    if report.remotes.is_empty() {
        return "No remotes to push to ([git] remote in the config, or an environment's --git-repo).\n"
            .into();
    }
    report
        .remotes
        .iter()
        .map(|r| format!("{}\n", remote_line(r)))
        .collect()
}

/// `origin  https://github.com/acme/n8n.git  2 commits ahead  last push failed: ...`
fn remote_line(r: &RemoteStatus) -> String {
    let ahead = match r.ahead {
        Some(0) => "up to date".to_owned(),
        Some(n) => format!("{} ahead", plural(n, "commit")),
        None => "ahead unknown".to_owned(),
    };
    let mut line = format!("{}  {}  {ahead}", r.name, r.url);
    if let Some(error) = &r.error {
        line.push_str(&format!("  push failed: {error}"));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(name: &str, ahead: Option<usize>, error: Option<&str>) -> RemoteStatus {
        RemoteStatus {
            name: name.into(),
            url: format!("https://git.example.com/{name}.git"),
            ahead,
            error: error.map(Into::into),
        }
    }

    #[test]
    fn status_gives_path_branch_head_and_each_remote() {
        let status = GitStatus {
            path: "/data/canonical.git".into(),
            branch: "main".into(),
            head: Some("0123456789abcdef".into()),
            head_subject: Some("backup: prod, 42 workflows".into()),
            remotes: vec![
                remote("origin", Some(2), Some("origin: connection refused")),
                remote("env-prod", Some(0), None),
            ],
        };
        insta::assert_snapshot!(render_status(&status), @r"
        repository  /data/canonical.git
        branch      main
        head        0123456789ab  backup: prod, 42 workflows
        remote      origin  https://git.example.com/origin.git  2 commits ahead  push failed: origin: connection refused
        remote      env-prod  https://git.example.com/env-prod.git  up to date
        ");
    }

    #[test]
    fn a_push_lists_each_remote_or_says_there_is_none() {
        let report = PushReport {
            remotes: vec![remote("origin", None, None)],
        };
        assert_eq!(
            render_push(&report),
            "origin  https://git.example.com/origin.git  ahead unknown\n"
        );
        assert!(render_push(&PushReport { remotes: vec![] }).starts_with("No remotes"));
    }
}
