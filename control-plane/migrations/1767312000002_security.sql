-- Up Migration

-- ClawShield policy overrides: one row per org (team_id NULL, the org default) and at most one per team. The settings
-- are the overrides object the API validated (every field optional, absent = inherit), stored as given so that
-- "inherit" and "explicitly unrestricted" (allowedTools: null) stay distinct.
CREATE TABLE security_policies (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs (id),
  team_id uuid NULL,
  settings jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, team_id),
  -- A team's policy goes with the team.
  FOREIGN KEY (team_id, org_id) REFERENCES teams (id, org_id) ON DELETE CASCADE
);
-- UNIQUE above treats NULL team ids as distinct: the org default needs its own guard.
CREATE UNIQUE INDEX security_policies_org_default_idx ON security_policies (org_id) WHERE team_id IS NULL;

-- One row per finding the scanner reported on a request or its response, written by the spend-ledger writer in the
-- same transaction as the request's ledger row. No matched text is ever stored: a masked excerpt, the span's place
-- and length, and a fingerprint (truncated SHA-256 of detector, rule and text) that correlates repeats. Like the
-- ledger, no foreign keys: events outlive the keys and teams they name, and bootstrap keys have no org.
CREATE TABLE security_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  request_id text NOT NULL CHECK (length(request_id) BETWEEN 1 AND 200),
  org_id uuid NULL,
  team_id uuid NULL,
  key_id text NULL CHECK (length(key_id) <= 200),
  agent text NULL CHECK (length(agent) <= 200),
  detector text NOT NULL CHECK (length(detector) BETWEEN 1 AND 64),
  rule text NOT NULL CHECK (length(rule) BETWEEN 1 AND 128),
  severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  confidence real NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
  action text NOT NULL CHECK (action IN ('flag', 'redact', 'block')),
  fingerprint text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{8,64}$'),
  location_kind text NOT NULL CHECK (length(location_kind) BETWEEN 1 AND 32),
  message_index integer NOT NULL CHECK (message_index >= -1),
  role text NOT NULL CHECK (length(role) <= 64),
  part_index integer NOT NULL CHECK (part_index >= 0),
  span_start integer NOT NULL CHECK (span_start >= 0),
  span_length integer NOT NULL CHECK (span_length >= 0),
  masked_excerpt text NOT NULL CHECK (length(masked_excerpt) <= 200),
  -- When the request started (the record's startedAt), so events sort with the request they belong to.
  created_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  -- A redelivered ledger batch inserts nothing twice.
  UNIQUE (request_id, fingerprint, location_kind, message_index, part_index, span_start)
);
CREATE INDEX security_events_org_created_idx ON security_events (org_id, created_at DESC, id DESC);
CREATE INDEX security_events_org_key_idx ON security_events (org_id, key_id, created_at DESC);
CREATE INDEX security_events_org_detector_idx ON security_events (org_id, detector, created_at DESC);
CREATE INDEX security_events_request_idx ON security_events (request_id);

ALTER TABLE security_policies ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON security_policies
  USING (org_id = acc_current_org()) WITH CHECK (org_id = acc_current_org());
ALTER TABLE security_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON security_events
  USING (org_id = acc_current_org()) WITH CHECK (org_id = acc_current_org());

-- Events are written by the ledger writer as the owner role; tenants only read them.
GRANT SELECT, INSERT, UPDATE, DELETE ON security_policies TO acc_app;
GRANT SELECT ON security_events TO acc_app;

-- Down Migration

REVOKE ALL ON security_policies, security_events FROM acc_app;
DROP TABLE security_events;
DROP TABLE security_policies;
