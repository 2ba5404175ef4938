//! `n8nops pipelines ...`: promotion pipelines, from the config and the store.

use super::Context;
use super::output::{self, table};
use crate::domain::pipeline::{Activation, Gates, Stage, Validation};
use crate::service::{Ops, PipelineSource, PipelineView};
use anyhow::Result;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum PipelinesCommand {
    /// Every pipeline, by name, with its stages and where it is defined
    #[command(alias = "ls")]
    List,
    /// One pipeline: its stages, their gates in words, activation and credential mapping
    Show { name: String },
}

pub async fn run(ctx: &Context, ops: &dyn Ops, cmd: PipelinesCommand) -> Result<()> {
    match cmd {
        PipelinesCommand::List => {
            let list = ops.pipelines_list().await?;
            if ctx.json {
                return output::json(&list);
            }
            if list.is_empty() {
                println!(
                    "No pipelines yet. Define them in the config file ([[pipelines]]) or in the TUI."
                );
                return Ok(());
            }
            table(
                &["NAME", "SOURCE", "STAGES", "DESCRIPTION"],
                &list_rows(&list),
            );
            Ok(())
        }
        PipelinesCommand::Show { name } => {
            let view = ops.pipeline_show(name).await?;
            if ctx.json {
                return output::json(&view);
            }
            print!("{}", describe(&view));
            Ok(())
        }
    }
}

fn source_word(source: PipelineSource) -> &'static str {
    match source {
        PipelineSource::Config => "config",
        PipelineSource::Store => "store",
    }
}

/// One row per pipeline: name, source, its stages as `a -> b, b -> c`, description.
fn list_rows(list: &[PipelineView]) -> Vec<Vec<String>> {
    list.iter()
        .map(|v| {
            vec![
                v.pipeline.name.clone(),
                source_word(v.source).into(),
                v.pipeline
                    .stages
                    .iter()
                    .map(Stage::label)
                    .collect::<Vec<_>>()
                    .join(", "),
                v.pipeline.description.clone(),
            ]
        })
        .collect()
}

/// The gates of a stage, one sentence each.
fn gate_lines(gates: &Gates) -> Vec<String> {
    let mut lines = vec![
        if gates.drift {
            "drift: the target must be in sync, or its drifted workflows acknowledged".into()
        } else {
            "drift: not checked".into()
        },
        if gates.credentials {
            "credentials: every credential the workflows use must exist in the target".into()
        } else {
            "credentials: not checked".into()
        },
        match gates.approvals {
            0 => "approvals: none needed".into(),
            1 => "approvals: 1 from someone other than the requester".into(),
            n => format!("approvals: {n} from people other than the requester"),
        },
    ];
    match &gates.windows {
        None => lines.push("time windows: any time".into()),
        Some(w) => {
            let list = |l: &[String]| {
                l.iter()
                    .map(|c| format!("'{c}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let allow = if w.allow.is_empty() {
                "any time".to_string()
            } else {
                format!("only at {}", list(&w.allow))
            };
            let deny = if w.deny.is_empty() {
                String::new()
            } else {
                format!(", never at {} (deny beats allow)", list(&w.deny))
            };
            lines.push(format!("time windows ({}): {allow}{deny}", w.timezone));
        }
    }
    lines.push(match &gates.validation {
        None => "validation: none".into(),
        Some(v @ Validation::Command { .. }) => format!(
            "validation: {} must exit 0 within {} s",
            v.describe(),
            v.timeout_secs()
        ),
        Some(v @ Validation::Http { expect_status, .. }) => format!(
            "validation: {} must answer {expect_status} within {} s",
            v.describe(),
            v.timeout_secs()
        ),
    });
    lines
}

/// A pipeline for people: header, then each stage with its gates, activation policy
/// and credential mapping.
fn describe(view: &PipelineView) -> String {
    let p = &view.pipeline;
    let mut out = format!("Pipeline {} ({})\n", p.name, source_word(view.source));
    if !p.description.is_empty() {
        out.push_str(&format!("{}\n", p.description));
    }
    if let (Some(by), Some(at)) = (&view.updated_by, view.updated_at) {
        out.push_str(&format!("Saved by {by} at {}\n", output::time(Some(at))));
    }
    for (i, stage) in p.stages.iter().enumerate() {
        out.push_str(&format!("\nStage {}: {}\n", i + 1, stage.label()));
        for line in gate_lines(&stage.gates) {
            out.push_str(&format!("  {line}\n"));
        }
        out.push_str(match stage.activation {
            Activation::KeepTarget => {
                "  activation: keep the target's (new workflows arrive inactive)\n"
            }
            Activation::FollowSource => "  activation: follow the source\n",
        });
        if stage.credentials.is_empty() {
            out.push_str("  credentials mapped: none (same name and type)\n");
        } else {
            out.push_str("  credentials mapped:\n");
            for (from, to) in &stage.credentials {
                out.push_str(&format!("    {from} -> {to}\n"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pipeline::{Pipeline, Windows};

    fn stage(from: &str, to: &str) -> Stage {
        Stage {
            from: from.into(),
            to: to.into(),
            gates: Gates::default(),
            activation: Activation::KeepTarget,
            credentials: Default::default(),
        }
    }

    fn view(name: &str, source: PipelineSource, stages: Vec<Stage>) -> PipelineView {
        PipelineView {
            pipeline: Pipeline {
                name: name.into(),
                description: "to production".into(),
                stages,
            },
            source,
            updated_by: None,
            updated_at: None,
        }
    }

    #[test]
    fn list_rows_show_source_and_stages() {
        let rows = list_rows(&[view(
            "main",
            PipelineSource::Config,
            vec![stage("dev", "staging"), stage("staging", "prod")],
        )]);
        assert_eq!(
            rows,
            vec![vec![
                "main".to_string(),
                "config".into(),
                "dev -> staging, staging -> prod".into(),
                "to production".into()
            ]]
        );
    }

    #[test]
    fn show_puts_every_gate_in_words() {
        let mut last = stage("staging", "prod");
        last.gates = Gates {
            drift: false,
            credentials: true,
            approvals: 2,
            windows: Some(Windows {
                timezone: "Europe/Berlin".into(),
                allow: vec!["* 9-17 * * 1-5".into()],
                deny: vec!["* * 24 12 *".into()],
            }),
            validation: Some(Validation::Http {
                url: "https://ci.example.com/ok".into(),
                method: "GET".into(),
                expect_status: 204,
                timeout_secs: 10,
            }),
        };
        last.activation = Activation::FollowSource;
        last.credentials
            .insert("slackApi:Dev alerts".into(), "Prod alerts".into());
        let mut v = view(
            "main",
            PipelineSource::Store,
            vec![stage("dev", "staging"), last],
        );
        v.updated_by = Some("ana".into());
        v.updated_at = Some(crate::service::time_from_ms(0));
        let text = describe(&v);
        let expected = "\
Pipeline main (store)
to production
Saved by ana at 1970-01-01 00:00

Stage 1: dev -> staging
  drift: the target must be in sync, or its drifted workflows acknowledged
  credentials: every credential the workflows use must exist in the target
  approvals: none needed
  time windows: any time
  validation: none
  activation: keep the target's (new workflows arrive inactive)
  credentials mapped: none (same name and type)

Stage 2: staging -> prod
  drift: not checked
  credentials: every credential the workflows use must exist in the target
  approvals: 2 from people other than the requester
  time windows (Europe/Berlin): only at '* 9-17 * * 1-5', never at '* * 24 12 *' (deny beats allow)
  validation: GET https://ci.example.com/ok must answer 204 within 10 s
  activation: follow the source
  credentials mapped:
    slackApi:Dev alerts -> Prod alerts
";
        assert_eq!(text, expected);
    }

    #[test]
    fn a_command_validation_and_one_approval_read_naturally() {
        let gates = Gates {
            approvals: 1,
            validation: Some(Validation::Command {
                command: vec!["./check.sh".into(), "prod".into()],
                timeout_secs: 30,
            }),
            ..Gates::default()
        };
        let lines = gate_lines(&gates);
        assert_eq!(
            lines[2],
            "approvals: 1 from someone other than the requester"
        );
        assert_eq!(
            lines[4],
            "validation: command './check.sh prod' must exit 0 within 30 s"
        );
    }
}
