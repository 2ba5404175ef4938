-- Pipelines and deployments (issue 6). Deployments name their environments and pipeline
-- rather than reference their rows: removing either keeps the deployment history.

-- Pipelines edited in the TUI (pipelines from the config are not stored). `definition`
-- is the pipeline as JSON, kept opaque.
CREATE TABLE pipelines (
    tenant_id TEXT NOT NULL DEFAULT 'default' REFERENCES tenants(id),
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

-- One promotion from `source_env` to `target_env`. `state` is a DeploymentState
-- (PENDING, RUNNING, ...); `plan` is JSON and `plan_hash` what approvals are bound to;
-- `snapshot` the id of the target's automatic snapshot; `rollback_of` the deployment
-- this one rolls back.
CREATE TABLE deployments (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL DEFAULT 'default' REFERENCES tenants(id),
    pipeline TEXT,
    stage BIGINT,
    source_env TEXT NOT NULL,
    target_env TEXT NOT NULL,
    state TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    scheduled_for BIGINT,
    plan TEXT NOT NULL,
    plan_hash TEXT NOT NULL,
    snapshot TEXT,
    job_id TEXT,
    started_at BIGINT,
    finished_at BIGINT,
    error TEXT,
    rollback_of TEXT
);
CREATE INDEX deployments_state ON deployments (state, scheduled_for);
CREATE INDEX deployments_target ON deployments (target_env, requested_at);
CREATE INDEX deployments_requested ON deployments (requested_at);

-- The workflows of a deployment in plan order (`pos`). `result` is what happened to it
-- (ok, failed, rolled_back, ...); `diff` the diff that was applied, as JSON.
CREATE TABLE deployment_items (
    deployment_id TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
    pos BIGINT NOT NULL,
    name TEXT NOT NULL,
    canonical_id TEXT,
    source_id TEXT,
    target_id TEXT,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    result TEXT,
    error TEXT,
    diff TEXT,
    PRIMARY KEY (deployment_id, pos)
);

-- Decisions on a deployment, each bound to the plan hash it was made on: an approval of
-- an older plan stays recorded but no longer counts.
CREATE TABLE deployment_approvals (
    deployment_id TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    plan_hash TEXT NOT NULL,
    decided_at BIGINT NOT NULL,
    note TEXT,
    PRIMARY KEY (deployment_id, actor, plan_hash)
);
