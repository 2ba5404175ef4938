//! Environment-class policy: what each kind of workflow operation may do in each class.
//! The defaults are the product's; the config can override any cell.

use super::environment::EnvClass;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An operation the policy rules on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyAction {
    /// Changing a workflow's content in place (also tagging).
    DirectEdit,
    Activate,
    Deactivate,
    Delete,
    Upload,
}

impl PolicyAction {
    pub const ALL: [PolicyAction; 5] = [
        PolicyAction::DirectEdit,
        PolicyAction::Activate,
        PolicyAction::Deactivate,
        PolicyAction::Delete,
        PolicyAction::Upload,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PolicyAction::DirectEdit => "direct edit",
            PolicyAction::Activate => "activate",
            PolicyAction::Deactivate => "deactivate",
            PolicyAction::Delete => "delete",
            PolicyAction::Upload => "upload",
        }
    }
}

impl fmt::Display for PolicyAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the policy says about one action in one class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Allowed,
    /// Allowed once the person confirms.
    Warn,
    /// Recorded as a pending approval; runs when someone grants it.
    RequiresApproval,
    /// Refused, with the reason.
    Blocked,
}

/// The rules of one environment class; every field can be set in the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ClassPolicy {
    pub direct_edit: Rule,
    pub activate: Rule,
    pub deactivate: Rule,
    pub delete: Rule,
    pub upload: Rule,
    /// Whether the person who requested an approval may grant it themselves (with `--yes`).
    pub self_approval: bool,
}

impl ClassPolicy {
    pub fn rule(&self, action: PolicyAction) -> Rule {
        match action {
            PolicyAction::DirectEdit => self.direct_edit,
            PolicyAction::Activate => self.activate,
            PolicyAction::Deactivate => self.deactivate,
            PolicyAction::Delete => self.delete,
            PolicyAction::Upload => self.upload,
        }
    }

    /// The product's defaults for a class.
    pub fn default_for(class: EnvClass) -> ClassPolicy {
        use Rule::*;
        match class {
            EnvClass::Development => ClassPolicy {
                direct_edit: Allowed,
                activate: Allowed,
                deactivate: Allowed,
                delete: Allowed,
                upload: Allowed,
                self_approval: true,
            },
            EnvClass::Staging => ClassPolicy {
                direct_edit: Warn,
                activate: Allowed,
                deactivate: Allowed,
                delete: Warn,
                upload: Allowed,
                self_approval: true,
            },
            EnvClass::Production => ClassPolicy {
                direct_edit: Blocked,
                activate: RequiresApproval,
                deactivate: RequiresApproval,
                delete: RequiresApproval,
                upload: Blocked,
                self_approval: false,
            },
        }
    }
}

/// The rules of every class. In the config a class section names only the cells it
/// changes; the others keep that class's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "PolicyOverrides")]
pub struct Policy {
    pub development: ClassPolicy,
    pub staging: ClassPolicy,
    pub production: ClassPolicy,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            development: ClassPolicy::default_for(EnvClass::Development),
            staging: ClassPolicy::default_for(EnvClass::Staging),
            production: ClassPolicy::default_for(EnvClass::Production),
        }
    }
}

/// A class section as written in the config.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ClassOverrides {
    direct_edit: Option<Rule>,
    activate: Option<Rule>,
    deactivate: Option<Rule>,
    delete: Option<Rule>,
    upload: Option<Rule>,
    self_approval: Option<bool>,
}

impl ClassOverrides {
    fn over(self, class: EnvClass) -> ClassPolicy {
        let base = ClassPolicy::default_for(class);
        ClassPolicy {
            direct_edit: self.direct_edit.unwrap_or(base.direct_edit),
            activate: self.activate.unwrap_or(base.activate),
            deactivate: self.deactivate.unwrap_or(base.deactivate),
            delete: self.delete.unwrap_or(base.delete),
            upload: self.upload.unwrap_or(base.upload),
            self_approval: self.self_approval.unwrap_or(base.self_approval),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct PolicyOverrides {
    development: ClassOverrides,
    staging: ClassOverrides,
    production: ClassOverrides,
}

impl From<PolicyOverrides> for Policy {
    fn from(o: PolicyOverrides) -> Self {
        Policy {
            development: o.development.over(EnvClass::Development),
            staging: o.staging.over(EnvClass::Staging),
            production: o.production.over(EnvClass::Production),
        }
    }
}

/// The outcome of asking the policy, with the words to show a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Allowed,
    Warn { reason: String },
    RequiresApproval { reason: String },
    Blocked { reason: String },
}

impl Policy {
    pub fn class(&self, class: EnvClass) -> &ClassPolicy {
        match class {
            EnvClass::Development => &self.development,
            EnvClass::Staging => &self.staging,
            EnvClass::Production => &self.production,
        }
    }

    /// Rules on `action` in environment `env` of class `class`.
    pub fn decide(&self, action: PolicyAction, env: &str, class: EnvClass) -> Decision {
        match self.class(class).rule(action) {
            Rule::Allowed => Decision::Allowed,
            Rule::Warn => Decision::Warn {
                reason: format!("{action} in {env} ({class}) needs confirmation"),
            },
            Rule::RequiresApproval => Decision::RequiresApproval {
                reason: format!("{action} in {env} ({class}) requires an approval"),
            },
            Rule::Blocked => Decision::Blocked {
                reason: format!("{action} is blocked in {env} ({class}) by policy"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EnvClass::*;
    use PolicyAction::*;
    use Rule::*;

    /// The table of the product requirements, cell by cell.
    #[test]
    fn defaults_match_the_product_table() {
        let table = [
            (DirectEdit, [Allowed, Warn, Blocked]),
            (Activate, [Allowed, Allowed, RequiresApproval]),
            (Deactivate, [Allowed, Allowed, RequiresApproval]),
            (Delete, [Allowed, Warn, RequiresApproval]),
            (Upload, [Allowed, Allowed, Blocked]),
        ];
        let policy = Policy::default();
        for (action, rules) in table {
            for (class, rule) in EnvClass::ALL.into_iter().zip(rules) {
                assert_eq!(
                    policy.class(class).rule(action),
                    rule,
                    "{action} in {class}"
                );
            }
        }
        assert_eq!(table.len(), PolicyAction::ALL.len());
    }

    #[test]
    fn every_decision_names_the_action_and_environment() {
        let policy = Policy::default();
        for class in EnvClass::ALL {
            for action in PolicyAction::ALL {
                let decision = policy.decide(action, "env-x", class);
                let reason = match &decision {
                    Decision::Allowed => continue,
                    Decision::Warn { reason }
                    | Decision::RequiresApproval { reason }
                    | Decision::Blocked { reason } => reason,
                };
                assert!(reason.contains("env-x"), "{reason}");
                assert!(reason.contains(action.as_str()), "{reason}");
            }
        }
        assert_eq!(
            policy.decide(Upload, "prod", Production),
            Decision::Blocked {
                reason: "upload is blocked in prod (production) by policy".into()
            }
        );
    }

    #[test]
    fn config_overrides_one_cell_and_keeps_the_rest() {
        let policy: Policy =
            toml::from_str("[staging]\ndelete = \"blocked\"\n[production]\nactivate = \"warn\"\n")
                .expect("policy parses");
        assert_eq!(policy.staging.delete, Blocked);
        assert_eq!(policy.staging.direct_edit, Warn);
        assert_eq!(policy.production.activate, Warn);
        assert_eq!(policy.production.upload, Blocked);
        assert_eq!(policy.development, ClassPolicy::default_for(Development));
    }
}
