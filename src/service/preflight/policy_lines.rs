//! What the target class's policy says of a promotion into it, in plain sentences.

use crate::domain::environment::EnvClass;
use crate::domain::pipeline::{Activation, Stage};
use crate::domain::policy::{Policy, PolicyAction, Rule};

fn rule_text(rule: Rule) -> &'static str {
    match rule {
        Rule::Allowed => "allowed",
        Rule::Warn => "allowed after a confirmation",
        Rule::RequiresApproval => "need an approval",
        Rule::Blocked => "blocked by policy",
    }
}

/// The lines for a promotion through `stage` into `env` of class `class`; `deletes`
/// says whether the plan deletes workflows there.
pub(in crate::service) fn policy_lines(
    policy: &Policy,
    stage: &Stage,
    env: &str,
    class: EnvClass,
    deletes: bool,
) -> Vec<String> {
    let rules = policy.class(class);
    let mut lines = Vec::new();
    let edit = rules.rule(PolicyAction::DirectEdit);
    let mut direct = format!("direct edits in {env} ({class}) are {}", rule_text(edit));
    if edit == Rule::Blocked {
        direct.push_str(": promotion is the way to change workflows there");
    }
    lines.push(direct);
    lines.push(match stage.activation {
        Activation::KeepTarget => format!(
            "activation: {env} keeps each workflow's active state (new ones arrive inactive)"
        ),
        Activation::FollowSource => {
            format!(
                "activation: workflows take the active state they have in {}",
                stage.from
            )
        }
    });
    lines.push(format!(
        "activating or deactivating by hand in {env}: activate {}, deactivate {}",
        rule_text(rules.rule(PolicyAction::Activate)),
        rule_text(rules.rule(PolicyAction::Deactivate))
    ));
    if deletes {
        lines.push(format!(
            "deleting in {env}: {}",
            rule_text(rules.rule(PolicyAction::Delete))
        ));
    }
    let approvals = stage.gates.approvals;
    lines.push(if approvals == 0 {
        format!("the stage {} needs no approval", stage.label())
    } else {
        format!(
            "the stage {} needs {approvals} approval(s) from users other than the requester",
            stage.label()
        )
    });
    lines.push(if rules.self_approval {
        format!("in {env} ({class}) a requester may grant their own approval")
    } else {
        format!("in {env} ({class}) a requester may not grant their own approval")
    });
    lines
}
