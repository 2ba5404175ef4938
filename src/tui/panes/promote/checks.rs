//! Steps 4 and 5: the credentials (each resolution, a mapping edited in place) and the
//! gates (drift acknowledged per workflow). Each change asks the preflight again.

use super::choices::{Choices, item_id};
use super::{Msg, PromotePane, Step};
use crate::domain::credential_map::{CredentialKey, CredentialResolution, Resolution, mapping_key};
use crate::domain::pipeline::GateKind;
use crate::domain::promotion::{PlanAction, PlanItem};
use crate::service::{DriftCheckRequest, Preflight};
use crate::tui::input_line::InputLine;
use crate::tui::pane::Cx;
use crossterm::event::{KeyCode, KeyEvent};

/// The line editing one credential's mapping (keys come to it raw).
pub(super) struct CredentialEdit {
    /// The request's mapping key: `"type:name"`.
    pub key: String,
    pub source: CredentialKey,
    pub input: InputLine,
}

/// Each workflow's credentials, in the preflight's order: (workflow, resolution).
pub(super) fn cred_rows(preflight: &Preflight) -> Vec<(&str, &CredentialResolution)> {
    preflight
        .credentials
        .iter()
        .flat_map(|(workflow, list)| list.iter().map(move |r| (workflow.as_str(), r)))
        .collect()
}

/// The workflows whose target copy the promotion overwrites or deletes: those the
/// drift gate judges, so those whose drift can be acknowledged.
pub(super) fn ack_rows(preflight: &Preflight) -> Vec<&PlanItem> {
    preflight
        .plan
        .items
        .iter()
        .filter(|i| matches!(i.action, PlanAction::Update | PlanAction::Delete))
        .collect()
}

/// Whether the failing drift gate names `item` among what blocks it. Only a hint for
/// the list: the preflight reports drift per gate, as text.
pub(super) fn blocks_drift(preflight: &Preflight, item: &PlanItem) -> bool {
    preflight.gates.iter().any(|g| {
        g.gate == GateKind::Drift && !g.passed && g.detail.contains(&format!("{} (", item.name))
    })
}

/// The target credential name a resolution points at (what the edit line starts with).
fn current_target(r: &CredentialResolution) -> String {
    match &r.resolution {
        Resolution::Mapped { target } | Resolution::SameName { target } => target.name.clone(),
        Resolution::Missing {
            wanted: Some(wanted),
        } => wanted.clone(),
        Resolution::Missing { wanted: None } => r.source.name.clone(),
    }
}

impl PromotePane {
    /// `e` on a credential: a line to type the target credential it maps to.
    pub(super) fn start_edit(&mut self, cx: &mut Cx) {
        let Some(preflight) = self.chosen.ready() else {
            return;
        };
        let rows = cred_rows(preflight);
        let Some((_, r)) = rows.get(self.cred_cursor.selected) else {
            cx.info("No credential to map: the workflows that write use none.");
            return;
        };
        let key = mapping_key(&r.source.cred_type, &r.source.name);
        let text = self
            .choices
            .credentials
            .get(&key)
            .cloned()
            .unwrap_or_else(|| current_target(r));
        self.edit = Some(CredentialEdit {
            key,
            source: r.source.clone(),
            input: InputLine::new(&text),
        });
    }

    /// Keys while the mapping line is open: `enter` applies it (empty: this
    /// promotion's own mapping is dropped) and rechecks, `esc` leaves it as it was.
    pub(super) fn edit_key(&mut self, key: KeyEvent, cx: &mut Cx) {
        let Some(edit) = &mut self.edit else {
            return;
        };
        match key.code {
            KeyCode::Esc => self.edit = None,
            KeyCode::Enter => {
                let Some(edit) = self.edit.take() else {
                    return;
                };
                let name = edit.input.text().trim().to_owned();
                let before = if name.is_empty() {
                    self.choices.credentials.remove(&edit.key)
                } else {
                    self.choices.credentials.insert(edit.key, name.clone())
                };
                if before.as_deref() != Some(name.as_str()).filter(|n| !n.is_empty()) {
                    self.load_chosen(true, cx);
                }
            }
            _ => {
                edit.input.input(key);
            }
        }
    }

    /// `space` on the gates step: acknowledges (or withdraws) the drift of the selected
    /// workflow in the target, and rechecks the gates.
    pub(super) fn toggle_ack(&mut self, cx: &mut Cx) {
        if self.step != Step::Gates {
            return;
        }
        let Some(preflight) = self.chosen.ready() else {
            return;
        };
        let rows = ack_rows(preflight);
        let Some(item) = rows.get(self.gate_cursor.selected) else {
            cx.info("Nothing to acknowledge: the promotion overwrites no workflow in the target.");
            return;
        };
        Choices::toggle(&mut self.choices.acks, item_id(item));
        self.load_chosen(true, cx);
    }

    /// `c` on the gates step: checks the target for drift now (fetching it); the gates
    /// are judged again when the check ends.
    pub(super) fn check_drift(&mut self, cx: &mut Cx) {
        if cx.readonly {
            cx.error("read-only: a drift check fetches and stores, so it is refused");
            return;
        }
        let Some(route) = self.choices.route.clone() else {
            return;
        };
        if self.drift_job.is_some() {
            cx.info(format!("A drift check of {} is already running.", route.to));
            return;
        }
        cx.info(format!("Checking {} for drift…", route.to));
        let env = route.to.clone();
        cx.spawn(move |ops| async move {
            Msg::DriftStarted {
                result: ops
                    .drift_check(DriftCheckRequest {
                        envs: vec![env],
                        fetch: true,
                    })
                    .await,
            }
        });
    }
}
