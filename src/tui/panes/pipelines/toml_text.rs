//! A pipeline as the editor holds it: TOML. An existing pipeline is serialized; a new
//! one starts from a commented template over the environments there are. Reading the
//! text back, a parse error names its line (and column) as TOML reports them, and a
//! service refusal naming a stage points at that stage's `[[stages]]` line.

use crate::domain::environment::EnvClass;
use crate::domain::pipeline::Pipeline;
use crate::service::EnvView;

/// Why the editor's text is not a pipeline (yet), and where when it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TextError {
    /// 1-based.
    pub line: Option<usize>,
    /// 1-based.
    pub column: Option<usize>,
    pub message: String,
}

impl TextError {
    /// "line 7, column 3: missing field `to`".
    pub fn describe(&self) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("line {l}, column {c}: {}", self.message),
            (Some(l), None) => format!("line {l}: {}", self.message),
            _ => self.message.clone(),
        }
    }
}

/// The pipeline as TOML, for editing.
pub(super) fn to_text(pipeline: &Pipeline) -> Result<String, String> {
    toml::to_string_pretty(pipeline).map_err(|e| {
        format!(
            "pipeline '{}' cannot be written as TOML: {e}",
            pipeline.name
        )
    })
}

/// The editor's text as a pipeline.
pub(super) fn parse(text: &str) -> Result<Pipeline, TextError> {
    toml::from_str::<Pipeline>(text).map_err(|e| {
        let (line, column) = match e.span() {
            Some(span) => {
                let (l, c) = position(text, span.start);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        TextError {
            line,
            column,
            message: e.message().trim().to_owned(),
        }
    })
}

/// The 1-based line and column of byte `offset` of `text`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A refusal of the service as the editor shows it: when it names a stage
/// (`stage 2 (a -> b)`), at that stage's `[[stages]]` line.
pub(super) fn refusal(text: &str, message: &str) -> TextError {
    let line = stage_named(message).and_then(|n| {
        text.lines()
            .enumerate()
            .filter(|(_, l)| l.trim_start().starts_with("[[stages]]"))
            .nth(n.saturating_sub(1))
            .map(|(i, _)| i + 1)
    });
    TextError {
        line,
        column: None,
        message: message.to_owned(),
    }
}

/// N of "stage N (" in a message.
fn stage_named(message: &str) -> Option<usize> {
    let (_, rest) = message.split_once("stage ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    rest[digits.len()..]
        .starts_with(" (")
        .then(|| digits.parse().ok())
        .flatten()
}

/// The environments a template chains, in class order: development, staging,
/// production (placeholders when fewer than two exist).
fn chain(envs: &[EnvView]) -> Vec<String> {
    let mut sorted: Vec<&EnvView> = envs.iter().collect();
    sorted.sort_by(|a, b| a.class.cmp(&b.class).then_with(|| a.name.cmp(&b.name)));
    let mut names: Vec<String> = Vec::new();
    for class in EnvClass::ALL {
        if let Some(e) = sorted.iter().find(|e| e.class == class) {
            names.push(e.name.clone());
        }
    }
    if names.len() < 2 {
        names = vec!["development".into(), "staging".into(), "production".into()];
    }
    names
}

/// A new pipeline: every setting there is, commented, over the environments there are.
pub(super) fn template(envs: &[EnvView]) -> String {
    let names = chain(envs);
    let mut text = String::from(
        "# A promotion pipeline: stages, each from a source environment to a target.\n\
         # ctrl-s saves it (n8nops checks it first) · esc closes\n\
         name = \"release\"\n",
    );
    text.push_str(&format!("description = \"{}\"\n", names.join(" to ")));
    let last = names.len().saturating_sub(2);
    for (i, pair) in names.windows(2).enumerate() {
        let (from, to) = (&pair[0], &pair[1]);
        text.push_str(&format!("\n[[stages]]\nfrom = \"{from}\"\nto = \"{to}\"\n"));
        if i == 0 {
            text.push_str(
                "# What a promoted workflow's active flag becomes: \"keep_target\" (a new one\n\
                 # arrives inactive) or \"follow_source\".\n",
            );
        }
        text.push_str("activation = \"keep_target\"\n\n[stages.gates]\n");
        if i == 0 {
            text.push_str(
                "# The target must be in sync, or its drifted workflows acknowledged.\n\
                 drift = true\n\
                 # Every credential the workflows use must exist in the target.\n\
                 credentials = true\n\
                 # Approvals needed from people other than the requester.\n",
            );
        } else {
            text.push_str("drift = true\ncredentials = true\n");
        }
        let approvals = if i == last { 1 } else { 0 };
        text.push_str(&format!("approvals = {approvals}\n"));
        if i == last {
            text.push_str(
                "\n# When deploying is allowed: cron (minute hour day month weekday) in a time\n\
                 # zone; a deny beats an allow, and with no allow any time not denied is.\n\
                 # [stages.gates.windows]\n\
                 # timezone = \"Europe/Berlin\"\n\
                 # allow = [\"* 9-16 * * mon-thu\"]\n\
                 # deny = [\"* * 24-26 12 *\"]\n\
                 \n\
                 # A check run before deploying: a command (passes on exit 0) or HTTP.\n\
                 # [stages.gates.validation]\n\
                 # kind = \"http\"\n\
                 # url = \"https://ci.example.com/ready\"\n\
                 # expect_status = 200\n\
                 \n\
                 # Source credential (\"type:name\" or \"name\") = the target's credential name.\n\
                 # [stages.credentials]\n\
                 # \"slackApi:Dev alerts\" = \"Production alerts\"\n",
            );
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pipeline::{Gates, Stage, Validation, Windows};
    use crate::tui::testing;
    use std::collections::BTreeMap;

    #[test]
    fn the_template_is_a_valid_pipeline_over_the_environments() {
        let text = template(&testing::envs());
        let p = parse(&text).unwrap();
        assert_eq!(p.name, "release");
        let stages: Vec<String> = p.stages.iter().map(|s| s.label()).collect();
        assert_eq!(stages, ["development -> staging", "staging -> production"]);
        assert_eq!(p.stages[1].gates.approvals, 1);
        p.validate().unwrap();
        // Fewer than two environments: placeholders.
        let text = template(&[]);
        assert_eq!(parse(&text).unwrap().stages.len(), 2);
    }

    #[test]
    fn a_pipeline_round_trips_through_its_text() {
        let p = Pipeline {
            name: "release".into(),
            description: "the weekly release".into(),
            stages: vec![Stage {
                from: "staging".into(),
                to: "production".into(),
                gates: Gates {
                    approvals: 2,
                    windows: Some(Windows {
                        timezone: "Europe/Berlin".into(),
                        allow: vec!["* 9-16 * * mon-thu".into()],
                        deny: vec!["* * 24-26 12 *".into()],
                    }),
                    validation: Some(Validation::Http {
                        url: "https://ci.example/ready".into(),
                        method: "GET".into(),
                        expect_status: 204,
                        timeout_secs: 10,
                    }),
                    ..Gates::default()
                },
                activation: crate::domain::pipeline::Activation::FollowSource,
                credentials: BTreeMap::from([(
                    "slackApi:Dev alerts".to_owned(),
                    "Production alerts".to_owned(),
                )]),
            }],
        };
        let text = to_text(&p).unwrap();
        assert!(text.contains("[[stages]]"), "{text}");
        assert_eq!(parse(&text).unwrap(), p);
    }

    #[test]
    fn parse_errors_name_their_line_and_column() {
        let text = "name = \"x\"\n\n[[stages]]\nfrom = \"a\"\n";
        let err = parse(text).unwrap_err();
        assert!(err.message.contains("missing field `to`"), "{err:?}");
        assert_eq!(err.line, Some(3), "{err:?}");
        let err = parse("name = \"x\"\nstages = [\nbogus").unwrap_err();
        assert_eq!(err.line, Some(3), "{err:?}");
        assert!(
            err.describe().starts_with("line 3, column "),
            "{}",
            err.describe()
        );
        let err = parse("name = \"x\"\nstages = []\ncolour = 1\n").unwrap_err();
        assert!(err.message.contains("colour"), "{err:?}");
        assert_eq!(err.line, Some(3));
    }

    #[test]
    fn a_refusal_naming_a_stage_points_at_it() {
        let text = template(&testing::envs());
        let err = refusal(
            &text,
            "pipeline 'release', stage 2 (staging -> production): windows: unknown time zone 'Mars'",
        );
        let line = err.line.unwrap();
        assert_eq!(text.lines().nth(line - 1), Some("[[stages]]"));
        assert!(text.lines().take(line - 1).any(|l| l == "[[stages]]"));
        assert_eq!(
            refusal(&text, "pipeline names unknown environment 'x'").line,
            None
        );
        assert_eq!(stage_named("stage 12 (a -> b): x"), Some(12));
        assert_eq!(stage_named("stage two"), None);
    }
}
