//! The `:` command line: the shell's commands and their aliases, the active pane's
//! commands, and tab completion over both.

use super::input_line::InputLine;
use super::pane::PaneKind;
use super::theme::Theme;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

/// What a shell command does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellVerb {
    Open(PaneKind),
    Help,
    Quit,
}

/// A command the shell answers whatever the pane.
pub struct ShellCommand {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub help: &'static str,
    pub verb: ShellVerb,
}

pub const SHELL_COMMANDS: &[ShellCommand] = &[
    ShellCommand {
        name: "environments",
        aliases: &["env", "envs"],
        help: "the environments",
        verb: ShellVerb::Open(PaneKind::Environments),
    },
    ShellCommand {
        name: "workflows",
        aliases: &["wf"],
        help: "the workflow catalog (:wf ENV for one environment)",
        verb: ShellVerb::Open(PaneKind::Workflows),
    },
    ShellCommand {
        name: "matrix",
        aliases: &[],
        help: "every workflow against every environment",
        verb: ShellVerb::Open(PaneKind::Matrix),
    },
    ShellCommand {
        name: "executions",
        aliases: &["exec"],
        help: "the live execution tail",
        verb: ShellVerb::Open(PaneKind::Executions),
    },
    ShellCommand {
        name: "jobs",
        aliases: &[],
        help: "background jobs and their logs",
        verb: ShellVerb::Open(PaneKind::Jobs),
    },
    ShellCommand {
        name: "audit",
        aliases: &[],
        help: "the audit log",
        verb: ShellVerb::Open(PaneKind::Audit),
    },
    ShellCommand {
        name: "diff",
        aliases: &[],
        help: "the semantic diff",
        verb: ShellVerb::Open(PaneKind::Diff),
    },
    ShellCommand {
        name: "snapshots",
        aliases: &["snap"],
        help: "snapshots and restores (:snap ENV for one environment)",
        verb: ShellVerb::Open(PaneKind::Snapshots),
    },
    ShellCommand {
        name: "deployments",
        aliases: &["deploy", "dep"],
        help: "promotions: approve, cancel, roll back",
        verb: ShellVerb::Open(PaneKind::Deployments),
    },
    ShellCommand {
        name: "promote",
        aliases: &["wizard"],
        help: "the promotion wizard",
        verb: ShellVerb::Open(PaneKind::Promote),
    },
    ShellCommand {
        name: "pipelines",
        aliases: &["pipe"],
        help: "promotion pipelines, their stages and gates",
        verb: ShellVerb::Open(PaneKind::Pipelines),
    },
    ShellCommand {
        name: "incidents",
        aliases: &["inc"],
        help: "incidents: triage, acknowledge, resolve, revert; metrics and policy",
        verb: ShellVerb::Open(PaneKind::Incidents),
    },
    ShellCommand {
        name: "help",
        aliases: &[],
        help: "every key and command",
        verb: ShellVerb::Help,
    },
    ShellCommand {
        name: "quit",
        aliases: &["q"],
        help: "leave n8nops",
        verb: ShellVerb::Quit,
    },
];

/// The shell command a word names, by name or alias.
pub fn shell_command(word: &str) -> Option<&'static ShellCommand> {
    SHELL_COMMANDS
        .iter()
        .find(|c| c.name == word || c.aliases.contains(&word))
}

/// A word the command line can complete to, with what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub word: String,
    pub help: String,
}

/// The shell's commands and aliases, then the pane's, as completions.
pub fn suggestions(pane_commands: &[(&str, &str)]) -> Vec<Suggestion> {
    let mut out = Vec::new();
    for c in SHELL_COMMANDS {
        out.push(Suggestion {
            word: c.name.into(),
            help: c.help.into(),
        });
        for alias in c.aliases {
            out.push(Suggestion {
                word: (*alias).into(),
                help: format!("= :{}", c.name),
            });
        }
    }
    for (name, help) in pane_commands {
        if !out.iter().any(|s| s.word == *name) {
            out.push(Suggestion {
                word: (*name).into(),
                help: (*help).into(),
            });
        }
    }
    out
}

/// Splits a command line into the command and the rest (its argument).
pub fn parse(text: &str) -> Option<(&str, &str)> {
    let text = text.trim().trim_start_matches(':').trim_start();
    if text.is_empty() {
        return None;
    }
    Some(match text.split_once(char::is_whitespace) {
        Some((name, arg)) => (name, arg.trim()),
        None => (text, ""),
    })
}

/// The command line while it is open.
#[derive(Debug, Clone, Default)]
pub struct CommandLine {
    pub input: InputLine,
    /// Repeated tabs step through the matches of an ambiguous word.
    cycle: Option<(Vec<String>, usize)>,
}

impl CommandLine {
    pub fn text(&self) -> &str {
        self.input.text()
    }

    /// Suggestions for the word being typed (all of them for an empty line); none once
    /// an argument is being typed.
    pub fn matches<'s>(&self, all: &'s [Suggestion]) -> Vec<&'s Suggestion> {
        let text = self.text().trim_start();
        if text.contains(char::is_whitespace) {
            return Vec::new();
        }
        if let Some((words, _)) = &self.cycle {
            return all.iter().filter(|s| words.contains(&s.word)).collect();
        }
        all.iter().filter(|s| s.word.starts_with(text)).collect()
    }

    /// The word the cycle is on, for highlighting.
    pub fn cycled(&self) -> Option<&str> {
        self.cycle
            .as_ref()
            .and_then(|(words, i)| words.get(*i))
            .map(String::as_str)
    }

    /// Tab: completes the word when one command matches, to the matches' common
    /// prefix when that is longer, else steps through the matches.
    pub fn complete(&mut self, all: &[Suggestion]) {
        if let Some((words, i)) = &mut self.cycle {
            *i = (*i + 1) % words.len();
            let word = words[*i].clone();
            self.input.set_text(&word);
            return;
        }
        let typed = self.text().trim_start().to_owned();
        if typed.contains(char::is_whitespace) {
            return;
        }
        let words: Vec<String> = all
            .iter()
            .filter(|s| s.word.starts_with(&typed))
            .map(|s| s.word.clone())
            .collect();
        match words.as_slice() {
            [] => {}
            [one] => self.input.set_text(&format!("{one} ")),
            _ => {
                let common = common_prefix(&words);
                if common.len() > typed.len() {
                    self.input.set_text(&common);
                } else {
                    self.input.set_text(&words[0]);
                    self.cycle = Some((words, 0));
                }
            }
        }
    }

    /// Any other key edits the line and ends a tab cycle.
    pub fn input(&mut self, key: KeyEvent) {
        if self.input.input(key) {
            self.cycle = None;
        }
    }

    /// The line itself, `:` in front.
    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: &Theme) {
        draw_prompt(frame, area, ":", theme);
        let input = Rect {
            x: area.x + 1,
            width: area.width.saturating_sub(1),
            ..area
        };
        self.input.draw(frame, input, theme.footer);
    }

    /// The matches in a box whose bottom sits on `bottom` (the row above the line).
    pub fn draw_matches(
        &self,
        frame: &mut Frame,
        screen: Rect,
        bottom: u16,
        all: &[Suggestion],
        theme: &Theme,
    ) {
        const MAX_ROWS: usize = 8;
        let matches = self.matches(all);
        if matches.is_empty() || screen.width < 20 {
            return;
        }
        let word_width = matches.iter().map(|s| s.word.len()).max().unwrap_or(0);
        let cycled = self.cycled();
        // Keep the highlighted one on screen while cycling.
        let skip = cycled
            .and_then(|w| matches.iter().position(|s| s.word == w))
            .map_or(0, |i| (i + 1).saturating_sub(MAX_ROWS));
        let mut lines: Vec<Line> = matches
            .iter()
            .skip(skip)
            .take(MAX_ROWS)
            .map(|s| {
                let style = if Some(s.word.as_str()) == cycled {
                    theme.selected
                } else {
                    theme.base
                };
                Line::from(vec![
                    Span::styled(
                        format!(" :{:<word_width$}  ", s.word),
                        theme.key.patch(style),
                    ),
                    Span::styled(s.help.clone(), theme.muted.patch(style)),
                ])
            })
            .collect();
        let more = matches.len().saturating_sub(skip + MAX_ROWS);
        if more > 0 {
            lines.push(Line::styled(format!(" … {more} more (tab)"), theme.muted));
        }
        let height = lines.len() as u16 + 2;
        let width = lines
            .iter()
            .map(|l| l.width() as u16 + 3)
            .max()
            .unwrap_or(0)
            .clamp(20, screen.width);
        if bottom < screen.y + height {
            return;
        }
        let area = Rect::new(screen.x, bottom - height, width, height);
        frame.render_widget(Clear, area);
        frame.render_widget(
            Paragraph::new(lines).block(
                Block::bordered()
                    .border_style(theme.border_focus)
                    .title(Span::styled(" commands ", theme.title)),
            ),
            area,
        );
    }
}

/// A one-character prompt (`:` or `/`) in the key style.
pub fn draw_prompt(frame: &mut Frame, area: Rect, prompt: &str, theme: &Theme) {
    frame.render_widget(
        Paragraph::new(Span::styled(prompt.to_owned(), theme.key)),
        Rect { width: 1, ..area },
    );
}

fn common_prefix(words: &[String]) -> String {
    let Some(first) = words.first() else {
        return String::new();
    };
    let mut end = first.len();
    for w in &words[1..] {
        end = first
            .char_indices()
            .zip(w.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(end);
    }
    first[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn typed(text: &str) -> CommandLine {
        let mut line = CommandLine::default();
        line.input.set_text(text);
        line
    }

    #[test]
    fn aliases_name_the_same_command() {
        for (word, verb) in [
            ("env", ShellVerb::Open(PaneKind::Environments)),
            ("environments", ShellVerb::Open(PaneKind::Environments)),
            ("wf", ShellVerb::Open(PaneKind::Workflows)),
            ("exec", ShellVerb::Open(PaneKind::Executions)),
            ("matrix", ShellVerb::Open(PaneKind::Matrix)),
            ("jobs", ShellVerb::Open(PaneKind::Jobs)),
            ("audit", ShellVerb::Open(PaneKind::Audit)),
            ("diff", ShellVerb::Open(PaneKind::Diff)),
            ("q", ShellVerb::Quit),
            ("quit", ShellVerb::Quit),
            ("help", ShellVerb::Help),
        ] {
            assert_eq!(shell_command(word).map(|c| c.verb), Some(verb), "{word}");
        }
        assert!(shell_command("nope").is_none());
        assert_eq!(parse(" :wf  production "), Some(("wf", "production")));
        assert_eq!(parse("matrix"), Some(("matrix", "")));
        assert_eq!(parse("  "), None);
    }

    #[test]
    fn tab_completes_a_unique_word_then_a_common_prefix_then_cycles() {
        let all = suggestions(&[("differs", "rows that differ")]);
        let mut line = typed("ma");
        line.complete(&all);
        assert_eq!(line.text(), "matrix ");

        let mut line = typed("di");
        line.complete(&all);
        assert_eq!(line.text(), "diff", "common prefix of diff and differs");
        line.complete(&all);
        assert_eq!(line.text(), "diff");
        assert_eq!(line.cycled(), Some("diff"));
        line.complete(&all);
        assert_eq!(line.text(), "differs");
        line.complete(&all);
        assert_eq!(line.text(), "diff");
        line.input(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE));
        assert_eq!(line.cycled(), None);
        assert_eq!(line.text(), "dif");

        let line = typed("e");
        let words: Vec<&str> = line.matches(&all).iter().map(|s| s.word.as_str()).collect();
        assert_eq!(words, ["environments", "env", "envs", "executions", "exec"]);
        assert!(typed("wf prod").matches(&all).is_empty());
    }

    #[test]
    fn pane_commands_never_shadow_the_shells() {
        let all = suggestions(&[("jobs", "a pane's own jobs"), ("status", "by status")]);
        assert_eq!(all.iter().filter(|s| s.word == "jobs").count(), 1);
        assert!(all.iter().any(|s| s.word == "status"));
    }
}
