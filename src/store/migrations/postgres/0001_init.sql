-- n8nops schema, PostgreSQL. Times are unix milliseconds (BIGINT); JSON is TEXT.
CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO tenants (id, name, created_at) VALUES ('default', 'default', 0);

CREATE TABLE environments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id TEXT NOT NULL DEFAULT 'default' REFERENCES tenants(id),
    name TEXT NOT NULL,
    base_url TEXT NOT NULL,
    api_key_enc BYTEA NOT NULL,
    class TEXT NOT NULL,
    git_repo TEXT,
    git_branch TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_sync_at BIGINT,
    UNIQUE (tenant_id, name)
);

CREATE TABLE workflows (
    env_id BIGINT NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
    n8n_id TEXT NOT NULL,
    name TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    tags TEXT NOT NULL,
    node_count BIGINT NOT NULL,
    node_types TEXT NOT NULL,
    credentials TEXT NOT NULL,
    -- The raw JSON as n8n returned it is the body with this hash in workflow_bodies;
    -- the normalized JSON is the body whose hash is the fingerprint.
    raw_hash TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    updated_at TEXT,
    stored_at BIGINT NOT NULL,
    change TEXT NOT NULL,
    PRIMARY KEY (env_id, n8n_id)
);
CREATE INDEX workflows_name ON workflows (name);
CREATE INDEX workflows_raw_hash ON workflows (raw_hash);
CREATE INDEX workflows_fingerprint ON workflows (fingerprint);

-- Workflow JSON bodies by the SHA-256 (hex) of their text: raw bodies by raw_hash,
-- normalized ones by fingerprint. A sync writes them while it fetches; a body no
-- workflow references and no running sync claims is garbage.
CREATE TABLE workflow_bodies (
    hash TEXT PRIMARY KEY,
    body TEXT NOT NULL
);

-- Bodies a running sync (of one environment) wrote and does not reference yet.
CREATE TABLE body_claims (
    job_id TEXT NOT NULL,
    env_id BIGINT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (job_id, env_id, hash)
);
CREATE INDEX body_claims_hash ON body_claims (hash);

CREATE TABLE workflow_changes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    env_id BIGINT NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
    job_id TEXT,
    n8n_id TEXT NOT NULL,
    name TEXT NOT NULL,
    change TEXT NOT NULL,
    fingerprint TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX workflow_changes_env ON workflow_changes (env_id, at);

CREATE TABLE credentials (
    env_id BIGINT NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
    n8n_id TEXT,
    name TEXT NOT NULL,
    cred_type TEXT NOT NULL,
    source TEXT NOT NULL,
    used_by BIGINT NOT NULL
);
CREATE INDEX credentials_env ON credentials (env_id);

CREATE TABLE tags (
    env_id BIGINT NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
    n8n_id TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (env_id, n8n_id)
);

CREATE TABLE users (
    env_id BIGINT NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
    n8n_id TEXT NOT NULL,
    email TEXT,
    first_name TEXT,
    last_name TEXT,
    role TEXT,
    is_pending BOOLEAN NOT NULL,
    PRIMARY KEY (env_id, n8n_id)
);

CREATE TABLE executions (
    env_id BIGINT NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
    n8n_id TEXT NOT NULL,
    workflow_id TEXT,
    status TEXT NOT NULL,
    mode TEXT,
    started_at TEXT,
    stopped_at TEXT,
    finished BOOLEAN NOT NULL,
    retry_of TEXT,
    PRIMARY KEY (env_id, n8n_id)
);

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL DEFAULT 'default' REFERENCES tenants(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    state TEXT NOT NULL,
    actor TEXT NOT NULL,
    request TEXT NOT NULL,
    phase TEXT,
    done BIGINT NOT NULL,
    total BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    result TEXT,
    error TEXT
);
CREATE INDEX jobs_created ON jobs (created_at);

CREATE TABLE job_logs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX job_logs_job ON job_logs (job_id, id);

CREATE TABLE audit_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id TEXT NOT NULL DEFAULT 'default' REFERENCES tenants(id),
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    env TEXT,
    workflow TEXT,
    outcome TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX audit_events_at ON audit_events (at);
