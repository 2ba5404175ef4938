//! The text view of a diff: the canonical JSON (pretty, keys sorted) of both sides,
//! line by line, with the changed words of each changed line marked.
//!
//! Large inputs degrade instead of hanging: past the deadline the line diff turns
//! coarser (still correct) and word marks are left out; `degraded` says so.

use crate::domain::normalize::pretty_json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use similar::{Algorithm, ChangeTag, DiffTag, capture_diff_slices_deadline};
use std::time::{Duration, Instant};

/// How long a text diff may take before it degrades.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(300);

/// Lines longer than this (bytes) get no word marks: the word diff of a long
/// minified string costs more than it shows.
const MAX_WORD_DIFF_LINE: usize = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    Equal,
    /// Only on the old side.
    Delete,
    /// Only on the new side.
    Insert,
    /// A changed line: the old line beside its new version.
    Replace,
}

/// One row of the side-by-side view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub kind: RowKind,
    /// Line index (0-based) on each side, where the row has that side.
    pub old: Option<u32>,
    pub new: Option<u32>,
    /// Byte ranges `[start, end)` of the changed words in each line (Replace rows).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub old_words: Vec<(u32, u32)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub new_words: Vec<(u32, u32)>,
}

/// Which side of the diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextSide {
    Old,
    New,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextDiff {
    pub old: Vec<String>,
    pub new: Vec<String>,
    pub rows: Vec<Row>,
    /// Row ranges `[start, end)` of each run of changed rows.
    pub hunks: Vec<(usize, usize)>,
    /// Line ranges `[start, end)` of each element of the normalized `nodes` array.
    pub old_nodes: Vec<(u32, u32)>,
    pub new_nodes: Vec<(u32, u32)>,
    /// The deadline passed: the line diff may be coarser than the best and some
    /// changed lines have no word marks.
    pub degraded: bool,
}

/// What a view shows on one screen line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// A row, both halves (side by side; unified for unchanged rows).
    Row(usize),
    /// Unified view: only the old half of a row (a `-` line).
    Old(usize),
    /// Unified view: only the new half of a row (a `+` line).
    New(usize),
    /// `len` unchanged rows from `start`, folded.
    Fold { start: usize, len: usize },
}

impl Shown {
    /// The row this line shows (the first, for a fold).
    pub fn row(self) -> usize {
        match self {
            Shown::Row(r) | Shown::Old(r) | Shown::New(r) => r,
            Shown::Fold { start, .. } => start,
        }
    }
}

/// The text diff of two normalized workflows, within `timeout`.
pub fn text_diff(old: &Value, new: &Value, timeout: Duration) -> TextDiff {
    let deadline = Instant::now() + timeout;
    let mut diff = diff_lines(&pretty_json(old), &pretty_json(new), deadline);
    diff.old_nodes = node_spans(&diff.old);
    diff.new_nodes = node_spans(&diff.new);
    diff
}

/// The text diff of two texts, giving up on precision at `deadline`.
pub fn diff_lines(old: &str, new: &str, deadline: Instant) -> TextDiff {
    let old_lines: Vec<&str> = old.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    let ops =
        capture_diff_slices_deadline(Algorithm::Patience, &old_lines, &new_lines, Some(deadline));
    let mut degraded = Instant::now() > deadline;
    let mut rows = Vec::with_capacity(old_lines.len().max(new_lines.len()));
    let row = |kind, old: Option<usize>, new: Option<usize>| Row {
        kind,
        old: old.map(|i| i as u32),
        new: new.map(|i| i as u32),
        old_words: Vec::new(),
        new_words: Vec::new(),
    };
    for op in ops {
        let (tag, o, n) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => {
                rows.extend(o.zip(n).map(|(i, j)| row(RowKind::Equal, Some(i), Some(j))));
            }
            DiffTag::Delete => rows.extend(o.map(|i| row(RowKind::Delete, Some(i), None))),
            DiffTag::Insert => rows.extend(n.map(|j| row(RowKind::Insert, None, Some(j)))),
            DiffTag::Replace => {
                let paired = o.len().min(n.len());
                for k in 0..paired {
                    let (i, j) = (o.start + k, n.start + k);
                    let mut r = row(RowKind::Replace, Some(i), Some(j));
                    if Instant::now() < deadline {
                        (r.old_words, r.new_words) =
                            changed_words(old_lines[i], new_lines[j], deadline);
                    } else {
                        degraded = true;
                    }
                    rows.push(r);
                }
                rows.extend((o.start + paired..o.end).map(|i| row(RowKind::Delete, Some(i), None)));
                rows.extend((n.start + paired..n.end).map(|j| row(RowKind::Insert, None, Some(j))));
            }
        }
    }
    let hunks = hunks(&rows);
    TextDiff {
        old: old_lines.into_iter().map(str::to_owned).collect(),
        new: new_lines.into_iter().map(str::to_owned).collect(),
        rows,
        hunks,
        old_nodes: Vec::new(),
        new_nodes: Vec::new(),
        degraded,
    }
}

type Words = Vec<(u32, u32)>;

/// Byte ranges of the words that differ between two versions of a line. Nothing when
/// the lines are long or the whole line changed (marking all of it says nothing).
fn changed_words(old: &str, new: &str, deadline: Instant) -> (Words, Words) {
    if old.len() > MAX_WORD_DIFF_LINE || new.len() > MAX_WORD_DIFF_LINE {
        return (Vec::new(), Vec::new());
    }
    let diff = similar::TextDiff::configure()
        .deadline(deadline)
        .diff_unicode_words(old, new);
    let (mut a, mut b) = (0u32, 0u32);
    let (mut old_words, mut new_words): (Words, Words) = (Vec::new(), Vec::new());
    let mut same = 0usize;
    for change in diff.iter_all_changes() {
        let len = change.value().len() as u32;
        match change.tag() {
            ChangeTag::Equal => {
                if !change.value().trim().is_empty() {
                    same += 1;
                }
                a += len;
                b += len;
            }
            ChangeTag::Delete => {
                push_range(&mut old_words, a, a + len);
                a += len;
            }
            ChangeTag::Insert => {
                push_range(&mut new_words, b, b + len);
                b += len;
            }
        }
    }
    if same == 0 {
        return (Vec::new(), Vec::new());
    }
    (old_words, new_words)
}

/// Adds a range, merged into the last one when they touch.
fn push_range(ranges: &mut Words, start: u32, end: u32) {
    match ranges.last_mut() {
        Some(last) if last.1 == start => last.1 = end,
        _ => ranges.push((start, end)),
    }
}

fn hunks(rows: &[Row]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, r) in rows.iter().enumerate() {
        match (r.kind == RowKind::Equal, start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, rows.len()));
    }
    out
}

/// Where each node of the pretty JSON's top-level `nodes` array starts and ends.
/// serde_json's pretty printer indents by two spaces, so a node is the lines from a
/// `    {` to the next `    }` (or `    },`) after `  "nodes": [`.
pub fn node_spans(lines: &[String]) -> Vec<(u32, u32)> {
    let Some(open) = lines.iter().position(|l| l == "  \"nodes\": [") else {
        return Vec::new();
    };
    let mut spans = Vec::new();
    let mut start = None;
    for (i, line) in lines.iter().enumerate().skip(open + 1) {
        match line.as_str() {
            "    {" => start = Some(i as u32),
            "    }" | "    }," => {
                if let Some(s) = start.take() {
                    spans.push((s, i as u32 + 1));
                }
            }
            l if l.starts_with("  ]") => break,
            _ => {}
        }
    }
    spans
}

impl TextDiff {
    pub fn lines(&self, side: TextSide) -> &[String] {
        match side {
            TextSide::Old => &self.old,
            TextSide::New => &self.new,
        }
    }

    /// The first row that shows `line` of `side`, or the row after which it would be.
    pub fn row_of_line(&self, side: TextSide, line: u32) -> usize {
        let line_of = |r: &Row| match side {
            TextSide::Old => r.old,
            TextSide::New => r.new,
        };
        self.rows
            .iter()
            .position(|r| line_of(r).is_some_and(|l| l >= line))
            .unwrap_or(self.rows.len().saturating_sub(1))
    }

    /// The row where node `index` of `side` begins: its first changed row if it has
    /// one, else its first line.
    pub fn row_of_node(&self, side: TextSide, index: usize) -> Option<usize> {
        let spans = match side {
            TextSide::Old => &self.old_nodes,
            TextSide::New => &self.new_nodes,
        };
        let &(start, end) = spans.get(index)?;
        let first = self.row_of_line(side, start);
        let last = self.row_of_line(side, end.saturating_sub(1));
        let changed = (first..=last.min(self.rows.len().saturating_sub(1)))
            .find(|&r| self.rows[r].kind != RowKind::Equal);
        Some(changed.unwrap_or(first))
    }

    /// The side-by-side view: every row, unchanged runs longer than `2 * context + 1`
    /// folded to `context` rows each side of a change.
    pub fn side_by_side(&self, context: usize) -> Vec<Shown> {
        self.folded(context)
    }

    /// The unified view: unchanged rows once, each run of changes as its old lines
    /// then its new lines, unchanged runs folded as in `side_by_side`.
    pub fn unified(&self, context: usize) -> Vec<Shown> {
        let out = self.folded(context);
        // Rewrite each run of changed rows: olds first, then news.
        let mut unified = Vec::with_capacity(out.len() + 64);
        let mut i = 0;
        while i < out.len() {
            let changed =
                |s: &Shown| matches!(s, Shown::Row(r) if self.rows[*r].kind != RowKind::Equal);
            if !changed(&out[i]) {
                unified.push(out[i]);
                i += 1;
                continue;
            }
            let end = (i..out.len())
                .find(|&k| !changed(&out[k]))
                .unwrap_or(out.len());
            let run = &out[i..end];
            unified.extend(
                run.iter()
                    .filter(|s| self.rows[s.row()].old.is_some())
                    .map(|s| Shown::Old(s.row())),
            );
            unified.extend(
                run.iter()
                    .filter(|s| self.rows[s.row()].new.is_some())
                    .map(|s| Shown::New(s.row())),
            );
            i = end;
        }
        unified
    }

    fn folded(&self, context: usize) -> Vec<Shown> {
        let mut out = Vec::with_capacity(self.rows.len().min(4096));
        let n = self.rows.len();
        let mut i = 0;
        while i < n {
            if self.rows[i].kind != RowKind::Equal {
                out.push(Shown::Row(i));
                i += 1;
                continue;
            }
            let end = (i..n)
                .find(|&k| self.rows[k].kind != RowKind::Equal)
                .unwrap_or(n);
            let lead = if i == 0 { 0 } else { context };
            let trail = if end == n { 0 } else { context };
            if end - i > lead + trail + 1 {
                out.extend((i..i + lead).map(Shown::Row));
                out.push(Shown::Fold {
                    start: i + lead,
                    len: end - i - lead - trail,
                });
                out.extend((end - trail..end).map(Shown::Row));
            } else {
                out.extend((i..end).map(Shown::Row));
            }
            i = end;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(10)
    }

    #[test]
    fn changed_lines_pair_up_with_their_changed_words() {
        let d = diff_lines(
            "a\n\"url\": \"http://x\",\nb",
            "a\n\"url\": \"http://y\",\nb",
            far(),
        );
        assert_eq!(d.rows.len(), 3);
        let r = &d.rows[1];
        assert_eq!(r.kind, RowKind::Replace);
        let word = |line: &str, (s, e): (u32, u32)| line[s as usize..e as usize].to_owned();
        assert_eq!(word(&d.old[1], r.old_words[0]), "x");
        assert_eq!(word(&d.new[1], r.new_words[0]), "y");
        assert_eq!(d.hunks, vec![(1, 2)]);
        assert!(!d.degraded);
    }

    #[test]
    fn a_passed_deadline_degrades_but_stays_correct() {
        let old: String = (0..3000).map(|i| format!("line {i}\n")).collect();
        let new: String = (0..3000)
            .map(|i| format!("line {}\n", i * 7 % 3001))
            .collect();
        let d = diff_lines(&old, &new, Instant::now());
        assert!(d.degraded);
        // Every old line and every new line is shown, in order.
        let olds: Vec<u32> = d.rows.iter().filter_map(|r| r.old).collect();
        let news: Vec<u32> = d.rows.iter().filter_map(|r| r.new).collect();
        assert_eq!(olds, (0..3000).collect::<Vec<u32>>());
        assert_eq!(news, (0..3000).collect::<Vec<u32>>());
    }

    #[test]
    fn unchanged_runs_fold_around_context() {
        let old: String = (0..40).map(|i| format!("{i}\n")).collect();
        let new = old.replace("\n20\n", "\ntwenty\n");
        let d = diff_lines(&old, &new, far());
        let shown = d.side_by_side(3);
        assert_eq!(shown[0], Shown::Fold { start: 0, len: 17 });
        assert_eq!(shown[4], Shown::Row(20));
        assert_eq!(shown.last(), Some(&Shown::Fold { start: 24, len: 16 }));
        let unified = d.unified(3);
        assert_eq!(unified[4], Shown::Old(20));
        assert_eq!(unified[5], Shown::New(20));
    }

    #[test]
    fn nodes_are_located_in_the_pretty_json() {
        let old = json!({"name": "w", "nodes": [{"name": "A", "parameters": {"x": 1}}, {"name": "B"}], "connections": {}, "settings": {}});
        let mut new = old.clone();
        new["nodes"][1]["parameters"] = json!({"y": 2});
        let d = text_diff(&old, &new, DEFAULT_TIMEOUT);
        assert_eq!(d.new_nodes.len(), 2);
        let (s, e) = d.new_nodes[1];
        assert_eq!(d.new[s as usize], "    {");
        assert!(d.new[e as usize - 1].starts_with("    }"));
        let row = d.row_of_node(TextSide::New, 1).unwrap();
        assert_ne!(d.rows[row].kind, RowKind::Equal);
    }
}
