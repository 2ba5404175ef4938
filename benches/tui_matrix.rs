//! Render time of one Matrix pane frame at 200x60 with 10,000 workflows across 5 and
//! across 10 environments, into a TestBackend, at scroll positions from top to bottom.
//! Also the one-off costs a load and a filter change pay: building the grid and
//! re-filtering its rows.
//!
//!     cargo bench --bench tui_matrix

use chrono::Utc;
use n8nops::domain::environment::EnvClass;
use n8nops::domain::sync::Change;
use n8nops::service::{EnvCounts, EnvView, WorkflowSummary};
use n8nops::tui::filter::Filter;
use n8nops::tui::keymap::Keymap;
use n8nops::tui::pane::Pane;
use n8nops::tui::panes::matrix::{Grid, MatrixPane};
use n8nops::tui::theme::Theme;
use n8nops::tui::ui::{Health, Ui};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const WORKFLOWS: usize = 10_000;
const FRAMES: usize = 2_000;
const SIZE: (u16, u16) = (200, 60);

fn main() {
    println!(
        "{WORKFLOWS} workflows, {}x{} terminal, {FRAMES} frames per case",
        SIZE.0, SIZE.1
    );
    for envs in [5, 10] {
        run(envs);
    }
}

fn run(env_count: usize) {
    let (envs, workflows) = fleet(env_count);
    let build = median(&repeat(5, || {
        let start = Instant::now();
        std::hint::black_box(Grid::build(&envs, &workflows));
        start.elapsed()
    }));
    let mut pane = MatrixPane::new();
    pane.show(Grid::build(&envs, &workflows));
    drop(workflows);

    let refilter = median(&repeat(21, || {
        let start = Instant::now();
        pane.set_filter(Filter::parse("report"));
        pane.set_filter(Filter::default());
        start.elapsed() / 2
    }));

    let theme = Theme::default();
    let keymap = Keymap::default();
    let health: HashMap<String, Health> = HashMap::new();
    let ui = Ui {
        theme: &theme,
        keymap: &keymap,
        readonly: false,
        now: Utc::now(),
        envs: &envs,
        health: &health,
    };
    let mut terminal = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).expect("a test terminal");
    // Positions from top to bottom, a different one each frame, the column cursor
    // sweeping too, so every frame redraws rows and columns.
    let positions = [0, 1, 2_500, 5_000, 5_030, 7_500, 9_950, WORKFLOWS - 1];
    let mut times = Vec::with_capacity(FRAMES);
    for frame in 0..FRAMES {
        let row = positions[frame % positions.len()] + frame / positions.len() % 7;
        pane.select(row, frame % env_count);
        let start = Instant::now();
        terminal
            .draw(|f| pane.draw(f, f.area(), &ui))
            .expect("draw a frame");
        times.push(start.elapsed());
    }
    times.sort();
    let pct = |p: usize| times[(times.len() - 1) * p / 100];
    println!(
        "{env_count:>2} environments: frame median {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms; \
         grid build {:.1} ms; re-filter {:.2} ms",
        ms(pct(50)),
        ms(pct(90)),
        ms(pct(99)),
        ms(times[times.len() - 1]),
        ms(build),
        ms(refilter),
    );
}

/// `n` environments in the three classes, each holding most of the 10,000 workflows;
/// some workflows differ in the last environment, some are missing somewhere.
fn fleet(n: usize) -> (Vec<EnvView>, Vec<WorkflowSummary>) {
    let classes = [
        EnvClass::Development,
        EnvClass::Staging,
        EnvClass::Production,
    ];
    let envs: Vec<EnvView> = (0..n)
        .map(|i| EnvView {
            name: format!("{}-{}", ["dev", "staging", "prod"][i % 3], i / 3 + 1),
            url: format!("http://10.0.0.{i}:5678"),
            class: classes[i % 3],
            git_repo: None,
            git_branch: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            last_sync_at: None,
            counts: EnvCounts::default(),
        })
        .collect();
    let words = [
        "Sync",
        "orders",
        "to",
        "CRM",
        "nightly",
        "report",
        "Slack",
        "alerts",
        "invoice",
        "export",
        "customer",
        "onboarding",
        "webhook",
        "retry",
        "GitHub",
        "issues",
    ];
    let mut workflows = Vec::with_capacity(WORKFLOWS * n);
    for w in 0..WORKFLOWS {
        let len = 2 + w % 6;
        let name: Vec<&str> = (0..len)
            .map(|k| words[(w * 7 + k * 3) % words.len()])
            .collect();
        let name = format!("{} {w}", name.join(" "));
        for (e, env) in envs.iter().enumerate() {
            if (w + e) % 13 == 0 {
                continue;
            }
            let version = if w % 5 == 0 && e == n - 1 { 1 } else { 0 };
            workflows.push(WorkflowSummary {
                env: env.name.clone(),
                id: format!("{w:x}{e}"),
                name: name.clone(),
                active: w % 3 != 0,
                tags: Vec::new(),
                nodes: 8,
                fingerprint: format!("{:064x}", w * 2 + version),
                updated_at: None,
                stored_at: Utc::now(),
                change: Change::Unchanged,
                canonical_id: None,
                drift: None,
            });
        }
    }
    (envs, workflows)
}

fn repeat(n: usize, mut f: impl FnMut() -> Duration) -> Vec<Duration> {
    (0..n).map(|_| f()).collect()
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
