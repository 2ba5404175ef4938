//! Executions: simulated runs, their ends, retries, deletions and pages.

use super::Store;
use crate::sim::error::ApiError;
use crate::sim::executions::{self, ExecFilter, Execution, Mode, Snapshot, Status};
use crate::sim::json::Ts;
use crate::sim::runs;

impl Store {
    /// Ends running and waiting executions that are due.
    pub fn settle_executions(&mut self, now: Ts) {
        let ended = self.executions.settle(now);
        self.executions.link_retries(&ended);
    }

    /// Records a run of workflow `id` starting at `at`.
    pub fn run_workflow(
        &mut self,
        id: &str,
        at: Ts,
        status: Option<Status>,
    ) -> Result<u64, ApiError> {
        let snapshot = Snapshot::of(self.workflow(id).ok_or_else(ApiError::not_found)?);
        let exec_id = self.executions.next_id();
        let mut e = executions::plan(exec_id, snapshot, &mut self.exec_rng, at, None, status);
        // A run that started long ago has ended by now.
        e.settle(Ts::now());
        self.executions.push(e);
        Ok(exec_id)
    }

    /// Records a run of workflow `id` starting now that stays running until
    /// [`Store::finish_execution`] ends it (a long run, for tests).
    pub fn hold_running(&mut self, id: &str) -> Result<u64, ApiError> {
        let snapshot = Snapshot::of(self.workflow(id).ok_or_else(ApiError::not_found)?);
        let exec_id = self.executions.next_id();
        let mut e = executions::plan(
            exec_id,
            snapshot,
            &mut self.exec_rng,
            Ts::now(),
            None,
            Some(Status::Running),
        );
        e.pending = None;
        self.executions.push(e);
        Ok(exec_id)
    }

    /// Ends running or waiting execution `id` now with `status`; a failed one gets
    /// a failing node and error like any other. 404 when it does not exist, 409
    /// when it has already ended.
    pub fn finish_execution(&mut self, id: u64, status: Status) -> Result<(), ApiError> {
        let e = self.executions.get(id).ok_or_else(ApiError::not_found)?;
        let failure = match status {
            Status::Error | Status::Crashed => {
                let profile = e.snapshot.profile.clone();
                runs::choose_failure(&profile, &mut self.exec_rng)
            }
            _ => None,
        };
        let ended = self
            .executions
            .finish(id, Ts::now(), status, failure)
            .ok_or_else(|| ApiError::conflict(format!("Execution {id} has already ended")))?;
        self.executions.link_retries(&[ended]);
        Ok(())
    }

    /// Picks a workflow for the next simulated run: mostly active ones, now and
    /// then an inactive one run by hand.
    pub fn pick_workflow_to_run(&mut self) -> Option<String> {
        if self.workflows.is_empty() {
            return None;
        }
        let active: Vec<usize> = (0..self.workflows.len())
            .filter(|&i| self.workflows[i].active)
            .collect();
        let i = if !active.is_empty() && self.exec_rng.chance(0.9) {
            active[self.exec_rng.index(active.len())]
        } else {
            self.exec_rng.index(self.workflows.len())
        };
        self.workflows.get(i).map(|w| w.id.clone())
    }

    /// `DELETE /executions/{id}`.
    pub fn delete_execution(&mut self, id: u64) -> Result<Execution, ApiError> {
        let e = self.executions.get(id).ok_or_else(ApiError::not_found)?;
        if e.status == Status::Running {
            return Err(ApiError::bad_request("Cannot delete a running execution"));
        }
        self.executions.remove(id).ok_or_else(ApiError::not_found)
    }

    /// `POST /executions/{id}/retry`: a new execution in `retry` mode of the same
    /// workflow version, running at first.
    pub fn retry_execution(&mut self, id: u64) -> Result<&Execution, ApiError> {
        let original = self.executions.get(id).ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                format!("The execution with the ID \"{id}\" does not exist."),
            )
        })?;
        match original.status {
            Status::Success => {
                return Err(ApiError::bad_request(
                    "The execution succeeded, so it cannot be retried.",
                ));
            }
            Status::Running | Status::Waiting | Status::New => {
                return Err(ApiError::conflict(
                    "Execution is queued to run (not yet started) so it cannot be retried",
                ));
            }
            _ => {}
        }
        let snapshot = original.snapshot.clone();
        let new_id = self.executions.next_id();
        let mut e = executions::plan(
            new_id,
            snapshot,
            &mut self.exec_rng,
            Ts::now(),
            Some(Mode::Retry),
            Some(Status::Running),
        );
        e.retry_of = Some(id);
        self.executions.push(e);
        self.executions.get(new_id).ok_or_else(ApiError::not_found)
    }

    /// The page of `GET /executions` (newest first) and the id to continue from.
    pub fn execution_page(
        &self,
        filter: &ExecFilter,
        before: Option<u64>,
        limit: usize,
    ) -> (Vec<&Execution>, bool) {
        self.executions.page(filter, before, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::store::tests::create;

    #[test]
    fn retry_rules() {
        let mut s = Store::new(1, &[], 100);
        let id = create(&mut s, "a");
        let ok = s
            .run_workflow(&id, Ts::now(), Some(Status::Success))
            .unwrap();
        let failed = s.run_workflow(&id, Ts::now(), Some(Status::Error)).unwrap();
        let running = s
            .run_workflow(&id, Ts::now(), Some(Status::Running))
            .unwrap();
        assert_eq!(s.retry_execution(ok).unwrap_err().status, 400);
        assert_eq!(s.retry_execution(running).unwrap_err().status, 409);
        assert_eq!(s.retry_execution(999).unwrap_err().status, 404);
        let retry = s.retry_execution(failed).unwrap();
        assert_eq!(
            (retry.retry_of, retry.mode, retry.status),
            (Some(failed), Mode::Retry, Status::Running)
        );
        assert_eq!(
            s.delete_execution(running).unwrap_err().message,
            "Cannot delete a running execution"
        );
        assert!(s.delete_execution(ok).is_ok());
    }
}
