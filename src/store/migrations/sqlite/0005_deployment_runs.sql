-- Running deployments and jobs (issue 6). `runner` names the process running (or rolling back) a
-- deployment, as JSON {pid, host, since}: at startup, only a deployment whose runner is
-- dead (or unknown) is taken over and rolled back. `commit_id` is the canonical-state
-- commit recording what a completed deployment deployed.
ALTER TABLE deployments ADD COLUMN runner TEXT;
ALTER TABLE deployments ADD COLUMN commit_id TEXT;
-- `jobs.runner` is the process running a job, the same JSON: a starting n8nops marks
-- interrupted only the jobs whose process is gone.
ALTER TABLE jobs ADD COLUMN runner TEXT;
