//! The detail view and its graph.

use super::*;

#[tokio::test]
async fn the_detail_toggles_its_graph_and_scrolls_it() {
    let mut h = Harness::new().await;
    let mut pane = loaded();
    pane.show_detail(detail_of("production", "p1", order_intake()));
    assert!(!pane.actions().contains(&Action::Left));
    act(&mut pane, &mut h, Action::Graph);
    assert!(pane.actions().contains(&Action::Left));
    Fixture::default().render(&mut pane, NARROW);
    act(&mut pane, &mut h, Action::Right);
    act(&mut pane, &mut h, Action::Right);
    let scroll = |p: &WorkflowsPane| {
        p.detail
            .as_ref()
            .and_then(|v| v.ready())
            .map(|d| d.graph.scroll)
    };
    assert_eq!(scroll(&pane), Some((16, 0)));
    act(&mut pane, &mut h, Action::Top);
    assert_eq!(scroll(&pane), Some((0, 0)));
    act(&mut pane, &mut h, Action::Left);
    assert_eq!(scroll(&pane), Some((0, 0)), "never before the start");
    assert!(pane.back(), "esc leaves the graph");
    assert!(pane.detail.as_ref().is_some_and(|v| !v.graph_mode));
}
