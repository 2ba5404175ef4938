//! Running a stage's custom validation: a command (no shell) or an HTTP check, bounded
//! by its timeout. The domain judges the outcome (`validation_gate`).

use crate::domain::pipeline::{Validation, ValidationOutcome};

/// Runs `validation` once and says how it went; never fails as a whole.
pub(super) async fn run_validation(validation: &Validation) -> ValidationOutcome {
    ValidationOutcome::Error {
        message: format!("{} cannot run yet", validation.describe()),
    }
}
