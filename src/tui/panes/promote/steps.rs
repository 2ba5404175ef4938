//! The wizard's steps, in order.

/// One screen of the wizard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Step {
    #[default]
    Stage,
    Workflows,
    Review,
    Credentials,
    Gates,
    Confirm,
    Progress,
    Result,
}

impl Step {
    pub const ALL: [Step; 8] = [
        Step::Stage,
        Step::Workflows,
        Step::Review,
        Step::Credentials,
        Step::Gates,
        Step::Confirm,
        Step::Progress,
        Step::Result,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Step::Stage => "Stage",
            Step::Workflows => "Workflows",
            Step::Review => "Review",
            Step::Credentials => "Credentials",
            Step::Gates => "Gates",
            Step::Confirm => "Confirm",
            Step::Progress => "Progress",
            Step::Result => "Result",
        }
    }

    /// 1-based, as the step bar shows it.
    pub fn number(self) -> usize {
        Step::ALL.iter().position(|s| *s == self).unwrap_or(0) + 1
    }

    /// The step `p` moves on to, up to the question (what follows it happens by itself).
    pub fn next(self) -> Option<Step> {
        match self {
            Step::Stage => Some(Step::Workflows),
            Step::Workflows => Some(Step::Review),
            Step::Review => Some(Step::Credentials),
            Step::Credentials => Some(Step::Gates),
            Step::Gates => Some(Step::Confirm),
            Step::Confirm | Step::Progress | Step::Result => None,
        }
    }

    /// The step `esc` goes back to; None from the first step and once a promotion is
    /// under way (it cannot be taken back by stepping back).
    pub fn previous(self) -> Option<Step> {
        match self {
            Step::Workflows => Some(Step::Stage),
            Step::Review => Some(Step::Workflows),
            Step::Credentials => Some(Step::Review),
            Step::Gates => Some(Step::Credentials),
            Step::Confirm => Some(Step::Gates),
            Step::Stage | Step::Progress | Step::Result => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_and_previous_walk_the_steps_before_the_promotion() {
        let mut step = Step::Stage;
        let mut walked = vec![step];
        while let Some(next) = step.next() {
            assert_eq!(next.previous(), Some(step));
            step = next;
            walked.push(step);
        }
        assert_eq!(walked, Step::ALL[..6]);
        assert_eq!(Step::Progress.previous(), None);
        assert_eq!(Step::Result.number(), 8);
    }
}
