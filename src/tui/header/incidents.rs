//! The header's incident indicator: how many incidents are open and the worst severity
//! among them, kept from the service's list (at start and at every heartbeat, whether
//! or not a load failed before) and from incident events in between. An incident that opens or escalates flashes there for a
//! while as it arrives.

use crate::domain::incident::{EventKind, IncidentState, Severity};
use crate::service::IncidentView;
use crate::tui::theme::Theme;
use crate::tui::ui::shorten;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long a new or escalated incident stays flashed in the header.
pub const ARRIVAL_FOR: Duration = Duration::from_secs(10);
/// Characters of a workflow's name the flash keeps.
const WORKFLOW_CHARS: usize = 24;

/// The style of a severity: critical is white on red like production, unmistakable;
/// high, medium and low take the risk colours.
pub fn severity_style(severity: Severity, theme: &Theme) -> Style {
    match severity {
        Severity::Critical => theme.class_production,
        Severity::High => theme.risk_high,
        Severity::Medium => theme.risk_medium,
        Severity::Low => theme.risk_low,
    }
}

/// An incident that just opened or escalated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    pub id: i64,
    pub severity: Severity,
    /// `NEW critical #4 production 'Order sync'`.
    pub text: String,
    pub until: Instant,
}

/// One incident event, as the header takes it.
#[derive(Debug, Clone, Copy)]
pub struct IncidentNotice<'a> {
    pub id: i64,
    pub env: &'a str,
    pub workflow: Option<&'a str>,
    pub severity: Severity,
    pub state: IncidentState,
    pub change: EventKind,
}

#[derive(Debug, Clone, Default)]
pub struct IncidentIndicator {
    /// The open incidents (OPEN or ACKNOWLEDGED) by id, with their severity.
    open: BTreeMap<i64, Severity>,
    /// The service answered a list at least once (tests read it).
    #[cfg_attr(not(test), allow(dead_code))]
    loaded: bool,
    arrival: Option<Arrival>,
}

impl IncidentIndicator {
    /// Takes the service's list of open incidents as the truth.
    pub fn seed(&mut self, incidents: &[IncidentView]) {
        self.open = incidents
            .iter()
            .filter(|i| i.state.is_open())
            .map(|i| (i.id, i.severity))
            .collect();
        self.loaded = true;
    }

    /// An incident event: counts follow it; an opening or escalation flashes.
    pub fn on_change(&mut self, c: IncidentNotice, now: Instant) {
        if c.state.is_open() {
            self.open.insert(c.id, c.severity);
        } else {
            self.open.remove(&c.id);
        }
        let word = match c.change {
            EventKind::Opened => "NEW",
            EventKind::Escalated => "ESCALATED",
            _ => return,
        };
        if !c.state.is_open() {
            return;
        }
        let mut text = format!("{word} {} #{} {}", c.severity, c.id, c.env);
        if let Some(workflow) = c.workflow {
            text.push_str(&format!(" '{}'", shorten(workflow, WORKFLOW_CHARS)));
        }
        self.arrival = Some(Arrival {
            id: c.id,
            severity: c.severity,
            text,
            until: now + ARRIVAL_FOR,
        });
    }

    /// Drops the flash once its time is up.
    pub fn expire(&mut self, now: Instant) {
        if self.arrival.as_ref().is_some_and(|a| a.until <= now) {
            self.arrival = None;
        }
    }

    pub fn open_count(&self) -> usize {
        self.open.len()
    }

    pub fn worst(&self) -> Option<Severity> {
        self.open.values().copied().max()
    }

    #[cfg(test)]
    pub fn arrival(&self) -> Option<&Arrival> {
        self.arrival.as_ref()
    }

    /// What the header shows: the flash of an arrival, then `3 incidents` and the worst
    /// severity; nothing while none is open.
    pub fn spans(&self, theme: &Theme) -> Vec<Span<'static>> {
        let mut spans = Vec::new();
        if let Some(a) = &self.arrival {
            let style = severity_style(a.severity, theme).add_modifier(Modifier::BOLD);
            let style = if a.severity == Severity::Critical {
                style
            } else {
                style.add_modifier(Modifier::REVERSED)
            };
            spans.push(Span::styled(format!(" {} ", a.text), style));
            spans.push(Span::raw(" "));
        }
        if let Some(worst) = self.worst() {
            let n = self.open_count();
            let s = if n == 1 { "" } else { "s" };
            spans.push(Span::styled(format!("▲ {n} incident{s} "), theme.header));
            spans.push(Span::styled(
                format!(" {} ", worst.as_str().to_uppercase()),
                severity_style(worst, theme),
            ));
        }
        spans
    }

    /// Whether the service's list came at least once.
    #[cfg(test)]
    pub fn loaded(&self) -> bool {
        self.loaded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(
        id: i64,
        severity: Severity,
        state: IncidentState,
        kind: EventKind,
    ) -> IncidentNotice<'static> {
        IncidentNotice {
            id,
            env: "production",
            workflow: Some("Order sync"),
            severity,
            state,
            change: kind,
        }
    }

    fn text(spans: &[Span]) -> String {
        spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn events_count_open_incidents_and_keep_the_worst() {
        let theme = Theme::default();
        let now = Instant::now();
        let mut ind = IncidentIndicator::default();
        assert_eq!(text(&ind.spans(&theme)), "", "nothing while none is open");
        ind.on_change(
            change(1, Severity::Medium, IncidentState::Open, EventKind::Opened),
            now,
        );
        ind.on_change(
            change(2, Severity::High, IncidentState::Open, EventKind::Opened),
            now,
        );
        assert_eq!((ind.open_count(), ind.worst()), (2, Some(Severity::High)));
        ind.on_change(
            change(
                2,
                Severity::High,
                IncidentState::Acknowledged,
                EventKind::Acknowledged,
            ),
            now,
        );
        assert_eq!(ind.open_count(), 2, "acknowledged is still open");
        ind.on_change(
            change(
                2,
                Severity::High,
                IncidentState::Resolved,
                EventKind::Resolved,
            ),
            now,
        );
        assert_eq!((ind.open_count(), ind.worst()), (1, Some(Severity::Medium)));
        ind.expire(now + ARRIVAL_FOR);
        assert_eq!(text(&ind.spans(&theme)), "▲ 1 incident  MEDIUM ");
    }

    #[test]
    fn an_opening_or_escalation_flashes_until_its_time_is_up() {
        let theme = Theme::default();
        let now = Instant::now();
        let mut ind = IncidentIndicator::default();
        ind.on_change(
            change(
                4,
                Severity::Critical,
                IncidentState::Open,
                EventKind::Opened,
            ),
            now,
        );
        let arrival = ind.arrival().expect("a flash");
        assert_eq!(arrival.text, "NEW critical #4 production 'Order sync'");
        assert_eq!(
            text(&ind.spans(&theme)),
            " NEW critical #4 production 'Order sync'  ▲ 1 incident  CRITICAL "
        );
        assert_eq!(
            ind.spans(&theme)[0].style,
            theme.class_production.add_modifier(Modifier::BOLD)
        );
        ind.expire(now + ARRIVAL_FOR - Duration::from_secs(1));
        assert!(ind.arrival().is_some());
        ind.expire(now + ARRIVAL_FOR);
        assert!(ind.arrival().is_none());
        // A note changes nothing that flashes.
        ind.on_change(
            change(4, Severity::Critical, IncidentState::Open, EventKind::Note),
            now,
        );
        assert!(ind.arrival().is_none());
        ind.on_change(
            change(5, Severity::High, IncidentState::Open, EventKind::Escalated),
            now,
        );
        assert_eq!(
            ind.arrival().unwrap().text,
            "ESCALATED high #5 production 'Order sync'"
        );
    }
}
