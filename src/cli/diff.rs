//! `n8nops diff`: semantic diff of workflows between environments or files.
//!
//! `ENV_A` is the old side (the environment a promotion would change), `ENV_B` the new
//! side (where it would come from), as in `diff a b`. Exit codes with `--exit-code`:
//! 0 nothing differs, 1 something does, 2 an error.

use super::Context;
use super::output;
use crate::domain::diff::{
    ConnectionChange, DiffStatus, NodeChangeKind, NodeDiff, Risk, WorkflowDiff,
};
use crate::service::{DiffDocument, DiffEntry, DiffReport, DiffRequest, Ops};
use anyhow::{Context as _, Result, bail};
use clap::Args;
use serde_json::Value;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old side: the environment a promotion would change
    #[arg(required_unless_present = "files", requires = "env_b")]
    pub env_a: Option<String>,
    /// The new side: the environment a promotion would come from
    pub env_b: Option<String>,
    /// Only this workflow (by name); all shared workflows when none is named
    #[arg(long, short)]
    pub workflow: Option<String>,
    /// Compare two workflow files instead, old then new (needs no environment)
    #[arg(long, num_args = 2, value_names = ["A.json", "B.json"],
          conflicts_with_all = ["env_a", "env_b", "workflow"])]
    pub files: Option<Vec<PathBuf>>,
    /// Show cosmetic changes too (positions, notes, sticky notes)
    #[arg(long)]
    pub cosmetic: bool,
    /// List unchanged workflows too
    #[arg(long)]
    pub all: bool,
    /// Exit 1 when anything differs and 0 when nothing does (2 stays an error)
    #[arg(long)]
    pub exit_code: bool,
}

/// Not an error: `--exit-code` found differences. `cli::main` exits 1 on it.
#[derive(Debug, thiserror::Error)]
#[error("differences found")]
pub struct Differences;

pub async fn run(ctx: &Context, ops: &dyn Ops, args: DiffArgs) -> Result<()> {
    if args.files.is_some() {
        return run_files(ctx.json, args);
    }
    let (Some(a), Some(b)) = (args.env_a.clone(), args.env_b.clone()) else {
        bail!("name two environments (ENV_A ENV_B) or give --files A.json B.json");
    };
    let report = ops
        .diff(DiffRequest::Envs {
            a,
            b,
            workflow: args.workflow.clone(),
        })
        .await?;
    finish(ctx.json, &args, &report)
}

/// `--files`: needs neither the store nor any environment.
pub fn run_files(json: bool, args: DiffArgs) -> Result<()> {
    let files = args.files.as_deref().unwrap_or_default();
    let [a, b] = files else {
        bail!("--files takes two files: A.json B.json");
    };
    let report = DiffReport::of_documents(&read_document(a)?, &read_document(b)?, false);
    finish(json, &args, &report)
}

fn read_document(path: &Path) -> Result<DiffDocument> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let workflow: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    if !workflow.get("nodes").is_some_and(Value::is_array) {
        bail!(
            "{} is not an n8n workflow: it has no \"nodes\" array",
            path.display()
        );
    }
    Ok(DiffDocument {
        label: path.display().to_string(),
        workflow,
    })
}

fn finish(json: bool, args: &DiffArgs, report: &DiffReport) -> Result<()> {
    if json {
        output::json(report)?;
    } else {
        let paint = Paint::detect();
        print!("{}", render(report, args.cosmetic, args.all, &paint));
    }
    if args.exit_code && report.differs() {
        return Err(Differences.into());
    }
    Ok(())
}

/// ANSI colour, only on a terminal and without NO_COLOR.
struct Paint {
    on: bool,
}

impl Paint {
    fn detect() -> Paint {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Paint {
            on: std::io::stdout().is_terminal() && !no_color,
        }
    }

    fn code(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn risk(&self, risk: Risk) -> String {
        let code = match risk {
            Risk::Low => "32",
            Risk::Medium => "33",
            Risk::High => "1;31",
        };
        self.code(code, risk.as_str())
    }

    fn status(&self, status: DiffStatus) -> String {
        let code = match status {
            DiffStatus::Added => "32",
            DiffStatus::Deleted => "31",
            DiffStatus::Unchanged => "2",
            DiffStatus::Modified => "33",
            DiffStatus::TargetHotfix => "1;35",
        };
        self.code(code, status.as_str())
    }
}

/// The human report.
fn render(report: &DiffReport, cosmetic: bool, all: bool, paint: &Paint) -> String {
    let mut out = String::new();
    let many = report.workflows.len() > 1;
    if many || report.workflows.is_empty() {
        out.push_str(&format!(
            "{} -> {}: {}\n",
            report.a,
            report.b,
            tally(&report.workflows)
        ));
    }
    for w in &report.workflows {
        if many && !all && !w.status.differs() {
            continue;
        }
        render_entry(&mut out, report, w, cosmetic, paint, many);
    }
    out
}

fn tally(entries: &[DiffEntry]) -> String {
    if entries.is_empty() {
        return "no workflows".into();
    }
    let mut parts = Vec::new();
    for status in [
        DiffStatus::Unchanged,
        DiffStatus::Modified,
        DiffStatus::TargetHotfix,
        DiffStatus::Added,
        DiffStatus::Deleted,
    ] {
        let n = entries.iter().filter(|w| w.status == status).count();
        if n > 0 {
            parts.push(format!(
                "{n} {}",
                status.as_str().to_lowercase().replace('_', " ")
            ));
        }
    }
    let s = if entries.len() == 1 { "" } else { "s" };
    format!("{} workflow{s}: {}", entries.len(), parts.join(", "))
}

fn render_entry(
    out: &mut String,
    report: &DiffReport,
    w: &DiffEntry,
    cosmetic: bool,
    paint: &Paint,
    many: bool,
) {
    let diff = w
        .diff
        .as_ref()
        .filter(|_| matches!(w.status, DiffStatus::Modified | DiffStatus::TargetHotfix) || !many);
    let risk = diff
        .and_then(|d| d.risk)
        .map(|r| format!("  risk {}", paint.risk(r)))
        .unwrap_or_default();
    let sides = if many {
        String::new()
    } else {
        format!("  ({} -> {})", report.a, report.b)
    };
    out.push_str(&format!(
        "{}  {}{risk}{sides}\n",
        paint.status(w.status),
        w.name
    ));
    if w.status == DiffStatus::TargetHotfix {
        out.push_str(&format!(
            "  ! {} changed since it last matched {}: promoting would overwrite that change\n",
            report.a, report.b
        ));
    }
    if let Some(d) = diff
        && w.status != DiffStatus::Added
        && w.status != DiffStatus::Deleted
    {
        render_diff(out, d, cosmetic, paint);
    }
}

fn render_diff(out: &mut String, d: &WorkflowDiff, cosmetic: bool, paint: &Paint) {
    if let Some(n) = &d.name {
        out.push_str(&format!(
            "  workflow renamed {} -> {}  {}\n",
            short(&n.before),
            short(&n.after),
            paint.risk(Risk::Low)
        ));
    }
    for n in d.visible_nodes(cosmetic) {
        render_node(out, n, cosmetic, paint);
    }
    if !d.connections.is_empty() {
        out.push_str("  connections\n");
        for c in &d.connections {
            let line = match c {
                ConnectionChange::Added { link } => paint.code("32", &format!("+ {link}")),
                ConnectionChange::Removed { link } => paint.code("31", &format!("- {link}")),
                ConnectionChange::Reordered {
                    from,
                    output_type,
                    output,
                } => paint.code("33", &format!("~ {from} {output_type}[{output}] reordered")),
                ConnectionChange::Malformed { from, .. } => {
                    paint.code("33", &format!("~ {from} (not in n8n's shape) changed"))
                }
            };
            out.push_str(&format!("    {line}  {}\n", paint.risk(c.risk())));
        }
    }
    if !d.settings.is_empty() {
        out.push_str("  settings\n");
        for s in &d.settings {
            out.push_str(&format!(
                "    ~ {}  {} -> {}  {}\n",
                s.key,
                shown(&s.before),
                shown(&s.after),
                paint.risk(s.risk)
            ));
        }
    }
    let hidden = d.cosmetic_count();
    if !cosmetic && hidden > 0 {
        let s = if hidden == 1 { "" } else { "s" };
        out.push_str(&format!(
            "  {hidden} cosmetic node change{s} hidden (--cosmetic shows them)\n"
        ));
    }
}

fn render_node(out: &mut String, n: &NodeDiff, cosmetic: bool, paint: &Paint) {
    let (mark, code) = match n.kind {
        NodeChangeKind::Added => ("+", "32"),
        NodeChangeKind::Removed => ("-", "31"),
        NodeChangeKind::Renamed => ("»", "36"),
        NodeChangeKind::Modified => ("~", "33"),
    };
    let name = match &n.old_name {
        Some(old) => format!("{old} -> {}", n.name),
        None => n.name.clone(),
    };
    let node_type = n.node_type.rsplit('.').next().unwrap_or(&n.node_type);
    out.push_str(&format!(
        "  {}  [{node_type}]  {} {}\n",
        paint.code(code, &format!("{mark} {name}")),
        paint.risk(n.risk),
        n.why
    ));
    for c in n.changes.iter().filter(|c| cosmetic || !c.cosmetic) {
        if c.path == "name" {
            continue;
        }
        out.push_str(&format!(
            "      {}  {} -> {}\n",
            c.path,
            shown(&c.before),
            shown(&c.after)
        ));
    }
}

/// A value on one line, cut to a readable length; `(none)` when absent.
fn shown(v: &Option<Value>) -> String {
    v.as_ref().map_or_else(|| "(none)".into(), short)
}

fn short(v: &Value) -> String {
    const MAX: usize = 60;
    let text = v.to_string();
    if text.chars().count() <= MAX {
        return text;
    }
    let cut: String = text.chars().take(MAX - 1).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(label: &str, workflow: Value) -> DiffDocument {
        DiffDocument {
            label: label.into(),
            workflow,
        }
    }

    #[test]
    fn human_output_speaks_in_nodes() {
        let a = json!({"name": "Orders", "nodes": [
            {"id": "1", "name": "Fetch", "type": "n8n-nodes-base.httpRequest", "position": [0, 0],
             "parameters": {"url": "https://a"}},
            {"id": "2", "name": "Set", "type": "n8n-nodes-base.set", "position": [1, 0], "parameters": {}}
        ], "connections": {"Fetch": {"main": [[{"node": "Set", "type": "main", "index": 0}]]}},
           "settings": {"executionTimeout": 60}});
        let mut b = a.clone();
        b["nodes"][0]["parameters"]["url"] = json!("={{ $json.url }}");
        b["nodes"][1]["name"] = json!("Set fields");
        b["nodes"][1]["position"] = json!([5, 5]);
        b["connections"] =
            json!({"Fetch": {"main": [[{"node": "Set fields", "type": "main", "index": 0}]]}});
        b["settings"]["executionTimeout"] = json!(600);
        let report = DiffReport::of_documents(&doc("a.json", a), &doc("b.json", b), false);
        let text = render(&report, false, false, &Paint { on: false });
        insta::assert_snapshot!(text, @r#"
        MODIFIED  Orders  risk HIGH  (a.json -> b.json)
          ~ Fetch  [httpRequest]  HIGH expression
              parameters.url  "https://a" -> "={{ $json.url }}"
          » Set -> Set fields  [set]  LOW rename
          settings
            ~ executionTimeout  60 -> 600  MEDIUM
        "#);
        let text = render(&report, true, false, &Paint { on: false });
        assert!(text.contains("position  [1,0] -> [5,5]"), "{text}");
    }

    #[test]
    fn values_are_cut_to_one_short_line() {
        let long = json!("x".repeat(200));
        assert_eq!(short(&long).chars().count(), 60);
        assert_eq!(shown(&None), "(none)");
    }
}
