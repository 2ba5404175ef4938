//! What the person chose along the way, kept when stepping back, and the requests it
//! makes: the preflight of every differing workflow, and the one of the chosen ones
//! (which is also what `promote` is sent).

use crate::domain::promotion::PlanItem;
use crate::service::PromoteRequest;
use std::collections::{BTreeMap, BTreeSet};

/// Where to promote: a pipeline's stage, or a source and target with the default gates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Route {
    pub pipeline: Option<String>,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Choices {
    pub route: Option<Route>,
    /// Marked workflows (`item_id`); none marked promotes everything that differs.
    pub marks: BTreeSet<String>,
    /// TARGET_HOTFIX workflows the person chose to overwrite (`item_id`).
    pub overrides: BTreeSet<String>,
    /// Workflows whose drift in the target the person acknowledged (`item_id`).
    pub acks: BTreeSet<String>,
    /// This promotion's credential mappings: `"type:name"` -> the target's name.
    pub credentials: BTreeMap<String, String>,
}

/// How the wizard names a plan item in requests: its canonical id, else its name (the
/// preflight takes either for workflows, overrides and acknowledgements).
pub(super) fn item_id(item: &PlanItem) -> String {
    item.canonical_id
        .clone()
        .unwrap_or_else(|| item.name.clone())
}

/// Whether `given` (a name or canonical id, as `Nav::Promote` brings them) names `item`.
pub(super) fn answers_to(item: &PlanItem, given: &str) -> bool {
    item.name == given || item.canonical_id.as_deref() == Some(given)
}

impl Choices {
    /// A new route forgets the choices made for another one.
    pub fn set_route(&mut self, route: Route) {
        if self.route.as_ref() != Some(&route) {
            *self = Choices {
                route: Some(route),
                ..Choices::default()
            };
        }
    }

    /// The preflight of everything that differs on the route (the workflows step).
    pub fn candidates_request(&self) -> Option<PromoteRequest> {
        let route = self.route.as_ref()?;
        Some(PromoteRequest {
            pipeline: route.pipeline.clone(),
            from: route.from.clone(),
            to: route.to.clone(),
            ..PromoteRequest::default()
        })
    }

    /// The promotion as chosen: the marked workflows (none: all that differ), the
    /// overrides, acknowledgements and mappings.
    pub fn request(&self) -> Option<PromoteRequest> {
        let mut req = self.candidates_request()?;
        req.workflows = self.marks.iter().cloned().collect();
        req.hotfix_overrides = self.overrides.iter().cloned().collect();
        req.acknowledged_drift = self.acks.iter().cloned().collect();
        req.credentials = self.credentials.clone();
        Some(req)
    }

    /// Flips `id` in `set`; true when it is in it now.
    pub fn toggle(set: &mut BTreeSet<String>, id: String) -> bool {
        if set.remove(&id) {
            false
        } else {
            set.insert(id);
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(to: &str) -> Route {
        Route {
            pipeline: Some("release".into()),
            from: "staging".into(),
            to: to.into(),
        }
    }

    #[test]
    fn the_request_carries_every_choice_and_a_new_route_forgets_them() {
        let mut c = Choices::default();
        assert_eq!(c.request(), None, "no route, no request");
        c.set_route(route("production"));
        c.marks.insert("billing-export".into());
        c.overrides.insert("order-sync".into());
        c.acks.insert("order-sync".into());
        c.credentials
            .insert("slackApi:Dev Slack".into(), "Prod Slack".into());
        let req = c.request().unwrap();
        assert_eq!(req.pipeline.as_deref(), Some("release"));
        assert_eq!(
            (req.from.as_str(), req.to.as_str()),
            ("staging", "production")
        );
        assert_eq!(req.workflows, ["billing-export"]);
        assert_eq!(req.hotfix_overrides, ["order-sync"]);
        assert_eq!(req.acknowledged_drift, ["order-sync"]);
        assert_eq!(req.credentials["slackApi:Dev Slack"], "Prod Slack");
        let all = c.candidates_request().unwrap();
        assert!(all.workflows.is_empty() && all.hotfix_overrides.is_empty());

        c.set_route(route("production"));
        assert_eq!(c.marks.len(), 1, "the same route keeps the choices");
        c.set_route(route("qa"));
        assert!(c.marks.is_empty() && c.overrides.is_empty() && c.credentials.is_empty());
    }
}
