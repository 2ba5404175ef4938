//! The `/` filter of the triage list: tokens `sev:critical` (`sev:high+` for high and
//! worse, `sev:critical,high` for either), `state:open` (`ack`, `resolved`),
//! `env:prod`, `kind:drift`, `assignee:bob` (`assignee:none` for nobody), and free text
//! matched in the workflow, environment, assignee, `#id`, kind, drift status and what
//! changed. Every part must match; `!` in front inverts the whole, as elsewhere.

use crate::domain::incident::{IncidentKind, IncidentState, Severity};
use crate::service::IncidentView;
use crate::tui::filter::Filter;

/// One `key:value` part of the filter.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Any of these severities.
    Severity(Vec<Severity>),
    State(Vec<IncidentState>),
    /// Environments whose name contains this (lower case).
    Env(String),
    Kind(Vec<IncidentKind>),
    /// None: unassigned.
    Assignee(Option<String>),
    /// Free text (lower case).
    Text(String),
    /// A token whose value means nothing (`sev:awful`): matches no incident.
    Never,
}

/// The filter as typed, read into its parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Narrowing {
    parts: Vec<Part>,
    invert: bool,
}

fn severities(value: &str) -> Option<Vec<Severity>> {
    let mut out = Vec::new();
    for v in value.split(',').filter(|v| !v.is_empty()) {
        match v.strip_suffix('+') {
            Some(at_least) => {
                let floor = Severity::parse(at_least)?;
                out.extend(Severity::ALL.into_iter().filter(|s| *s >= floor));
            }
            None => out.push(Severity::parse(v)?),
        }
    }
    (!out.is_empty()).then_some(out)
}

fn list<T>(value: &str, parse: impl Fn(&str) -> Option<T>) -> Option<Vec<T>> {
    let out: Option<Vec<T>> = value
        .split(',')
        .filter(|v| !v.is_empty())
        .map(parse)
        .collect();
    out.filter(|v| !v.is_empty())
}

fn part(token: &str) -> Part {
    let lower = token.to_lowercase();
    let Some((key, value)) = lower.split_once(':') else {
        return Part::Text(lower);
    };
    let parsed = match key {
        "sev" | "severity" => severities(value).map(Part::Severity),
        "state" => list(value, IncidentState::parse).map(Part::State),
        "env" | "environment" => (!value.is_empty()).then(|| Part::Env(value.to_owned())),
        "kind" => list(value, IncidentKind::parse).map(Part::Kind),
        "assignee" | "assigned" => Some(Part::Assignee(
            (!matches!(value, "" | "none" | "nobody")).then(|| value.to_owned()),
        )),
        // Not a key this filter knows (a URL, a time): plain text.
        _ => return Part::Text(lower),
    };
    parsed.unwrap_or(Part::Never)
}

impl Narrowing {
    pub fn parse(filter: &Filter) -> Narrowing {
        let text = filter.text.trim();
        let text = text.strip_prefix('!').unwrap_or(text);
        Narrowing {
            parts: text.split_whitespace().map(part).collect(),
            invert: filter.invert,
        }
    }

    /// Whether the filter asks for resolved incidents (the list holds open ones unless
    /// told otherwise).
    pub fn wants_resolved(&self) -> bool {
        self.parts.iter().any(|p| match p {
            Part::State(states) => states.contains(&IncidentState::Resolved),
            _ => false,
        })
    }

    pub fn matches(&self, i: &IncidentView) -> bool {
        if self.parts.is_empty() {
            return true;
        }
        self.parts.iter().all(|p| part_matches(p, i)) != self.invert
    }
}

fn part_matches(part: &Part, i: &IncidentView) -> bool {
    match part {
        Part::Severity(s) => s.contains(&i.severity),
        Part::State(s) => s.contains(&i.state),
        Part::Env(env) => i.env.to_lowercase().contains(env),
        Part::Kind(k) => k.contains(&i.kind),
        Part::Assignee(None) => i.assignee.is_none(),
        Part::Assignee(Some(who)) => i
            .assignee
            .as_deref()
            .is_some_and(|a| a.to_lowercase().contains(who)),
        Part::Text(text) => text_matches(text, i),
        Part::Never => false,
    }
}

fn text_matches(text: &str, i: &IncidentView) -> bool {
    let id = format!("#{}", i.id);
    let status = i.drift_status.map(|s| s.as_str().to_owned());
    let mut fields: Vec<&str> = vec![
        &id,
        &i.env,
        i.kind.as_str(),
        i.state.as_str(),
        i.severity.as_str(),
    ];
    fields.extend(i.workflow.as_deref());
    fields.extend(i.assignee.as_deref());
    fields.extend(status.as_deref());
    fields.extend(i.failures.as_deref());
    if let Some(summary) = &i.summary {
        fields.extend(summary.lines.iter().map(String::as_str));
        fields.extend(summary.renamed_from.as_deref());
    }
    fields.iter().any(|f| f.to_lowercase().contains(text))
}
