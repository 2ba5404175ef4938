//! The filters of `GET /workflows`.

use super::Store;
use crate::sim::workflows::Workflow;

/// Filters of `GET /workflows`.
#[derive(Clone, Debug, Default)]
pub struct WorkflowFilter {
    pub active: Option<bool>,
    pub name: Option<String>,
    /// Tag names, all of which a workflow must carry.
    pub tags: Option<Vec<String>>,
    pub project_id: Option<String>,
}

impl Store {
    /// The workflows matching `GET /workflows` filters, in insertion order.
    pub fn filter_workflows(&self, filter: &WorkflowFilter) -> Vec<&Workflow> {
        if filter
            .project_id
            .as_deref()
            .is_some_and(|p| p != self.users.owner.project_id)
        {
            return Vec::new();
        }
        // n8n intersects the workflows of the named tags that exist; unknown
        // names are ignored, and if none exists nothing matches.
        let tag_ids: Option<Vec<&str>> = filter.tags.as_ref().map(|names| {
            names
                .iter()
                .filter_map(|n| self.tags.by_name(n))
                .map(|t| t.id.as_str())
                .collect()
        });
        let needle = filter.name.as_ref().map(|n| n.trim().to_lowercase());
        self.workflows
            .iter()
            .filter(|w| {
                filter
                    .active
                    .is_none_or(|a| w.active_version.is_some() == a)
            })
            .filter(|w| {
                needle
                    .as_deref()
                    .is_none_or(|n| w.name.to_lowercase().contains(n))
            })
            .filter(|w| match &tag_ids {
                None => true,
                Some(ids) => !ids.is_empty() && ids.iter().all(|id| w.tags.iter().any(|t| t == id)),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::Rng;
    use crate::sim::store::tests::create;

    #[test]
    fn filters() {
        let mut s = Store::new(1, &[], 100);
        let a = create(&mut s, "Billing sync");
        let b = create(&mut s, "CRM import");
        let mut rng = Rng::new(5);
        let prod = s.tags.create("prod", &mut rng).unwrap().id.clone();
        let crm = s.tags.create("crm", &mut rng).unwrap().id.clone();
        s.set_workflow_tags(&a, vec![prod.clone()]).unwrap();
        s.set_workflow_tags(&b, vec![prod.clone(), crm.clone()])
            .unwrap();
        s.activate(&b).unwrap();
        let names = |f: WorkflowFilter| {
            s.filter_workflows(&f)
                .iter()
                .map(|w| w.name.clone())
                .collect::<Vec<_>>()
        };
        let tags = |t: &[&str]| Some(t.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            names(WorkflowFilter {
                tags: tags(&["prod"]),
                ..Default::default()
            }),
            ["Billing sync", "CRM import"]
        );
        assert_eq!(
            names(WorkflowFilter {
                tags: tags(&["prod", "crm"]),
                ..Default::default()
            }),
            ["CRM import"]
        );
        assert_eq!(
            names(WorkflowFilter {
                tags: tags(&["crm", "nonexistent"]),
                ..Default::default()
            }),
            ["CRM import"]
        );
        assert!(
            names(WorkflowFilter {
                tags: tags(&["nonexistent"]),
                ..Default::default()
            })
            .is_empty()
        );
        assert_eq!(
            names(WorkflowFilter {
                active: Some(true),
                ..Default::default()
            }),
            ["CRM import"]
        );
        assert_eq!(
            names(WorkflowFilter {
                name: Some(" billing ".into()),
                ..Default::default()
            }),
            ["Billing sync"]
        );
        assert!(
            names(WorkflowFilter {
                project_id: Some("other".into()),
                ..Default::default()
            })
            .is_empty()
        );
        assert_eq!(
            s.set_workflow_tags(&a, vec!["nope".into()])
                .unwrap_err()
                .message,
            "Some tags not found"
        );
    }
}
