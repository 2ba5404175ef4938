//! The pane's flows: loading, the detail, the editor (save through the service, its
//! refusals inline, nothing lost, `esc` asking first), config pipelines read-only,
//! delete after asking, read-only mode.

use super::*;
use crate::service::OpsError;
use crate::tui::pane::Effect;
use crate::tui::testing::Harness;

fn act(pane: &mut PipelinesPane, h: &mut Harness, action: Action) {
    pane.on_action(action, &mut h.cx());
}

fn spawned(effects: &[Effect]) -> usize {
    effects
        .iter()
        .filter(|e| matches!(e, Effect::Spawn(_)))
        .count()
}

fn flashes(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Info(m) | Effect::Error(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

async fn run(h: &mut Harness) -> Vec<Msg> {
    h.run_spawned()
        .await
        .into_iter()
        .filter_map(|m| m.downcast::<Msg>().ok().map(|m| *m))
        .collect()
}

fn confirm_of(h: &mut Harness) -> Confirm {
    let at = h
        .effects
        .iter()
        .rposition(|e| matches!(e, Effect::Confirm(_)))
        .expect("a question was asked");
    match h.effects.remove(at) {
        Effect::Confirm(c) => c,
        _ => unreachable!(),
    }
}

fn type_text(pane: &mut PipelinesPane, h: &mut Harness, text: &str) {
    for c in text.chars() {
        let code = if c == '\n' {
            KeyCode::Enter
        } else {
            KeyCode::Char(c)
        };
        press(pane, h, code);
    }
}

/// Selects the pipeline named `name` in the list.
fn select(pane: &mut PipelinesPane, name: &str) {
    pane.cursor.selected = pane
        .visible
        .iter()
        .position(|&i| pane.pipelines[i].pipeline.name == name)
        .expect("listed");
}

#[tokio::test]
async fn opening_lists_and_older_answers_are_dropped() {
    let mut h = Harness::new().await;
    let mut pane = PipelinesPane::new();
    pane.on_open(Nav::Show, &mut h.cx());
    let msgs = run(&mut h).await;
    let [Msg::Listed { generation, result }] = msgs.as_slice() else {
        panic!("one list load");
    };
    assert_eq!(*generation, pane.generation);
    // The real (empty) service lists no pipeline.
    assert_eq!(result.as_ref().map(Vec::len).ok(), Some(0));
    act(&mut pane, &mut h, Action::Refresh);
    let stale: PaneMsg = Box::new(Msg::Listed {
        generation: pane.generation - 1,
        result: Ok(sample()),
    });
    pane.on_msg(stale, &mut h.cx());
    assert!(!pane.loaded, "the older answer is dropped");
}

#[test]
fn the_filter_matches_name_source_stages_and_description() {
    let mut pane = listed();
    let names = |pane: &PipelinesPane| -> Vec<String> {
        pane.visible
            .iter()
            .map(|&i| pane.pipelines[i].pipeline.name.clone())
            .collect()
    };
    pane.set_filter(Filter::parse("prod-us"));
    assert_eq!(names(&pane), ["regions"]);
    pane.set_filter(Filter::parse("config"));
    assert_eq!(names(&pane), ["hotfix"]);
    pane.set_filter(Filter::parse("weekly"));
    assert_eq!(names(&pane), ["release"]);
    pane.set_filter(Filter::parse("!store"));
    assert_eq!(names(&pane), ["hotfix"]);
}

#[tokio::test]
async fn config_pipelines_are_read_only_here() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    select(&mut pane, "hotfix");
    act(&mut pane, &mut h, Action::Edit);
    act(&mut pane, &mut h, Action::Delete);
    assert!(pane.editor.is_none());
    assert!(!h.effects.iter().any(|e| matches!(e, Effect::Confirm(_))));
    assert_eq!(
        flashes(&h.effects),
        [
            "pipeline 'hotfix' is defined in the config file; edit it there",
            "pipeline 'hotfix' is defined in the config file; edit it there"
        ]
    );
}

#[tokio::test]
async fn editing_saves_through_the_service_and_shows_its_refusal_in_place() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    select(&mut pane, "release");
    act(&mut pane, &mut h, Action::Enter);
    assert_eq!(
        pane.detail.as_ref().map(|d| d.name.as_str()),
        Some("release")
    );
    act(&mut pane, &mut h, Action::Edit);
    assert!(pane.captures_input());
    assert!(pane.actions().is_empty(), "keys go to the editor");
    let editor = pane.editor.as_ref().unwrap();
    assert_eq!(editor.editing.as_deref(), Some("release"));
    let opened = editor.text();
    assert!(opened.contains("name = \"release\""), "{opened}");
    assert!(!editor.is_modified());

    // Save unchanged: the real service refuses (its store knows no environments), and
    // the refusal shows in the editor, which stays open with the text.
    ctrl_s(&mut pane, &mut h);
    let msgs = run(&mut h).await;
    let [Msg::Saved { editor, result }] = msgs.as_slice() else {
        panic!("one save");
    };
    let err = result.as_ref().expect_err("unknown environments");
    assert!(err.message.contains("unknown environment"), "{err:?}");
    let answer: PaneMsg = Box::new(Msg::Saved {
        editor: *editor,
        result: Err(err.clone()),
    });
    pane.on_msg(answer, &mut h.cx());
    let editor = pane.editor.as_ref().expect("still open");
    assert!(!editor.saving);
    assert_eq!(editor.text(), opened, "nothing lost");
    let shown = editor.error.as_ref().unwrap().describe();
    assert!(shown.contains("names unknown environments"), "{shown}");
    let screen = Fixture::default().render(&mut pane, NARROW);
    assert!(
        screen.contains("not saved") && screen.contains("unknown environment"),
        "{screen}"
    );

    // A refusal naming a stage points at its line.
    let id = pane.editor.as_ref().unwrap().id;
    let refusal: PaneMsg = Box::new(Msg::Saved {
        editor: id,
        result: Err(OpsError::invalid(
            "pipeline 'release', stage 2 (staging -> production): windows: unknown time zone 'Mars'",
        )),
    });
    pane.on_msg(refusal, &mut h.cx());
    let editor = pane.editor.as_ref().unwrap();
    let line = editor.error.as_ref().unwrap().line.expect("a line");
    assert_eq!(opened.lines().nth(line - 1), Some("[[stages]]"));
    assert_eq!(
        opened
            .lines()
            .take(line)
            .filter(|l| *l == "[[stages]]")
            .count(),
        2
    );

    // Saved: the editor closes, the list reloads and the detail stays on it.
    let view = sample().remove(2);
    let saved: PaneMsg = Box::new(Msg::Saved {
        editor: id,
        result: Ok(view),
    });
    h.effects.clear();
    pane.on_msg(saved, &mut h.cx());
    assert!(pane.editor.is_none());
    assert_eq!(
        flashes(&h.effects),
        ["saved pipeline 'release' (development -> staging -> production)"]
    );
    assert_eq!(spawned(&h.effects), 1);
    assert_eq!(
        pane.detail.as_ref().map(|d| d.name.as_str()),
        Some("release")
    );
}

#[tokio::test]
async fn a_parse_error_is_shown_with_its_line_and_nothing_is_sent() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    act(&mut pane, &mut h, Action::Add);
    // Go to the end and add a stage without its target.
    pane.on_key(
        KeyEvent::new(KeyCode::Char('>'), KeyModifiers::ALT),
        &mut h.cx(),
    );
    press(&mut pane, &mut h, KeyCode::End);
    let before = pane.editor.as_ref().unwrap().text();
    type_text(&mut pane, &mut h, "\n[[stages]]\nfrom = \"production\"\n");
    ctrl_s(&mut pane, &mut h);
    assert_eq!(spawned(&h.effects), 0);
    let editor = pane.editor.as_ref().unwrap();
    let error = editor.error.as_ref().expect("shown");
    assert!(error.message.contains("missing field `to`"), "{error:?}");
    let stage_line = editor
        .text()
        .lines()
        .enumerate()
        .filter(|(_, l)| *l == "[[stages]]")
        .last()
        .map(|(i, _)| i + 1);
    assert_eq!(error.line, stage_line, "{error:?}");
    assert!(editor.text().starts_with(&before), "nothing lost");
    assert!(editor.is_modified());
}

#[tokio::test]
async fn esc_asks_before_dropping_changes_and_closes_at_once_without() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    act(&mut pane, &mut h, Action::Add);
    press(&mut pane, &mut h, KeyCode::Esc);
    assert!(pane.editor.is_none(), "nothing changed: closed");
    assert!(h.effects.is_empty());

    act(&mut pane, &mut h, Action::Add);
    type_text(&mut pane, &mut h, "# a note\n");
    press(&mut pane, &mut h, KeyCode::Esc);
    assert!(pane.editor.is_some(), "still open until answered");
    let confirm = confirm_of(&mut h);
    assert_eq!(confirm.title, "Discard changes");
    assert!(
        confirm.message.contains("drop the new pipeline"),
        "{}",
        confirm.message
    );
    // An answer for an older editor does nothing.
    pane.on_msg(Box::new(Msg::Discard { editor: 0 }), &mut h.cx());
    assert!(pane.editor.is_some());
    pane.on_msg(confirm.payload, &mut h.cx());
    assert!(pane.editor.is_none());
}

#[tokio::test]
async fn delete_asks_then_deletes_the_store_pipeline() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    select(&mut pane, "regions");
    act(&mut pane, &mut h, Action::Enter);
    act(&mut pane, &mut h, Action::Delete);
    assert_eq!(spawned(&h.effects), 0);
    let confirm = confirm_of(&mut h);
    assert_eq!(confirm.type_to_confirm, None);
    assert!(
        confirm
            .message
            .contains("Delete pipeline 'regions' (staging -> prod-eu, staging -> prod-us)?"),
        "{}",
        confirm.message
    );
    pane.on_msg(confirm.payload, &mut h.cx());
    let msgs = run(&mut h).await;
    let [Msg::Deleted { name, .. }] = msgs.as_slice() else {
        panic!("one delete");
    };
    assert_eq!(name, "regions");
    let done: PaneMsg = Box::new(Msg::Deleted {
        name: "regions".into(),
        result: Ok(()),
    });
    pane.on_msg(done, &mut h.cx());
    assert!(pane.detail.is_none(), "its detail closes");
    assert_eq!(flashes(&h.effects), ["deleted pipeline 'regions'"]);
    assert_eq!(spawned(&h.effects), 1, "the list reloads");
}

#[tokio::test]
async fn readonly_refuses_changes_even_when_confirmed() {
    let mut h = Harness::new().await;
    let mut pane = listed();
    pane.on_action(Action::Add, &mut Cx::new(&h.ops, true, &mut h.effects));
    assert!(pane.editor.is_none());
    pane.on_msg(
        Box::new(Msg::DeleteConfirmed {
            name: "release".into(),
        }),
        &mut Cx::new(&h.ops, true, &mut h.effects),
    );
    assert_eq!(spawned(&h.effects), 0);
    assert!(flashes(&h.effects).iter().all(|m| m.contains("read-only")));
    for action in [Action::Add, Action::Edit, Action::Delete] {
        assert!(action.is_mutating(), "{action:?}");
    }
}

#[test]
fn the_detail_scrolls_within_its_lines() {
    let mut pane = listed();
    select(&mut pane, "release");
    pane.detail = Some(DetailView::new("release".into()));
    let fixture = Fixture::default();
    let first = fixture.render(&mut pane, NARROW);
    assert!(!first.contains("Stripe live"), "{first}");
    let view = pane.detail.as_mut().unwrap();
    let len = view.scroll_len();
    view.cursor.apply(Action::Bottom, len);
    let last = fixture.render(&mut pane, NARROW);
    assert!(last.contains("Stripe live"), "{last}");
    assert!(!last.contains("kept in the n8nops store"), "{last}");
}
