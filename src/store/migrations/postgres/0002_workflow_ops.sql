-- Workflow operations: the trash that soft deletes fill, and the approvals the policy
-- holds. Both name their environment rather than reference its row: removing an
-- environment keeps its trash, restorable again once an environment of that name exists.

-- A soft-deleted workflow: its JSON exactly as n8n returned it before the delete.
CREATE TABLE trash (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id TEXT NOT NULL DEFAULT 'default' REFERENCES tenants(id),
    env TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    name TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    body TEXT NOT NULL,
    deleted_at BIGINT NOT NULL,
    deleted_by TEXT NOT NULL
);
CREATE INDEX trash_env ON trash (env, id);

-- An operation waiting for someone to grant it; `request` is the exact request (JSON)
-- that runs when granted, `result` what running it did.
CREATE TABLE approvals (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id TEXT NOT NULL DEFAULT 'default' REFERENCES tenants(id),
    env TEXT NOT NULL,
    request TEXT NOT NULL,
    summary TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    decided_by TEXT,
    decided_at BIGINT,
    note TEXT,
    result TEXT
);
CREATE INDEX approvals_state ON approvals (state, id);
