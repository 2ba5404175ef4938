-- Incidents (issue 7), their timelines, the notification outbox and the stored policy.
-- Incidents name their environment rather than reference its row: removing an
-- environment keeps its incident history. Enum columns hold the domain's `as_str()`
-- text: severity lowercase (critical, high, medium, low), state upper (OPEN,
-- ACKNOWLEDGED, RESOLVED), kind and event kinds snake_case.

-- One incident. `key` is what makes it unique among the environment's open incidents of
-- its kind (a canonical id, `n8n:<id>`, or `*` for a whole environment). `version` is
-- bumped by every update (compare-and-set). `summary` is JSON.
CREATE TABLE incidents (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id TEXT NOT NULL DEFAULT 'default' REFERENCES tenants(id),
    env TEXT NOT NULL,
    kind TEXT NOT NULL,
    incident_key TEXT NOT NULL,
    canonical_id TEXT,
    n8n_id TEXT,
    workflow TEXT,
    severity TEXT NOT NULL,
    severity_manual BOOLEAN NOT NULL,
    state TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    opened_by TEXT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by TEXT,
    first_acknowledged_at BIGINT,
    resolved_at BIGINT,
    resolved_by TEXT,
    resolution TEXT,
    assignee TEXT,
    sla_started_at BIGINT NOT NULL,
    breached_at BIGINT,
    escalations BIGINT NOT NULL,
    last_activity_at BIGINT NOT NULL,
    drift_status TEXT,
    risk TEXT,
    fingerprint TEXT,
    summary TEXT,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
-- At most one open incident per environment, kind and key.
CREATE UNIQUE INDEX incidents_open_key ON incidents (tenant_id, env, kind, incident_key)
    WHERE state <> 'RESOLVED';
CREATE INDEX incidents_list ON incidents (state, severity, opened_at);
CREATE INDEX incidents_opened ON incidents (opened_at);
CREATE INDEX incidents_env ON incidents (env, state);

-- The timeline of an incident, oldest first (by id). `detail` is JSON.
CREATE TABLE incident_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT,
    detail TEXT
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, at);

-- The webhook outbox: one row per notification and webhook. `status` is pending,
-- delivered or failed; a pending row is (re)tried from `next_attempt_at`.
CREATE TABLE incident_deliveries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    target TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX incident_deliveries_due ON incident_deliveries (status, next_attempt_at);
CREATE INDEX incident_deliveries_incident ON incident_deliveries (incident_id);

-- The incident policy edited in the TUI (TOML), replacing the config's while it exists:
-- one row per tenant.
CREATE TABLE incident_policy (
    tenant_id TEXT NOT NULL DEFAULT 'default' REFERENCES tenants(id),
    body TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id)
);
