-- Canonical state (issue 5). Git holds the canonical workflows; the store keeps only the
-- drift checks with their results, and named secrets (the git token). Checks name their
-- environment rather than reference its row: removing an environment keeps its history.

-- One drift check of one environment: its counts per status, and the canonical commit
-- (`head`) it compared against. `error` says why the environment was UNKNOWN.
CREATE TABLE drift_checks (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id TEXT NOT NULL DEFAULT 'default' REFERENCES tenants(id),
    env TEXT NOT NULL,
    checked_at BIGINT NOT NULL,
    head TEXT,
    error TEXT,
    in_sync BIGINT NOT NULL,
    drifted BIGINT NOT NULL,
    missing BIGINT NOT NULL,
    untracked BIGINT NOT NULL,
    unknown BIGINT NOT NULL
);
CREATE INDEX drift_checks_env ON drift_checks (env, id);

-- The per-workflow results of a check, kept for each environment's latest check only.
-- `pos` keeps the order they were recorded in; `summary` is JSON; `expected` and `live`
-- are fingerprints.
CREATE TABLE drift_results (
    check_id BIGINT NOT NULL REFERENCES drift_checks(id) ON DELETE CASCADE,
    pos BIGINT NOT NULL,
    status TEXT NOT NULL,
    canonical_id TEXT,
    n8n_id TEXT,
    name TEXT NOT NULL,
    expected TEXT,
    live TEXT,
    summary TEXT,
    PRIMARY KEY (check_id, pos)
);

-- Named secrets (e.g. the git token), sealed with the store's master key.
CREATE TABLE secrets (
    tenant_id TEXT NOT NULL DEFAULT 'default' REFERENCES tenants(id),
    name TEXT NOT NULL,
    value_enc BYTEA NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
