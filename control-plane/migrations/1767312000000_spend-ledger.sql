-- Up Migration

-- One row per gateway request, written by the ledger writer (control-plane/src/ledger) from what extproc records at
-- the end of each request. The request id is the idempotency key: a record delivered twice (a replayed spool, a
-- redelivered stream entry) lands once. No foreign keys: the ledger is a financial record and must accept a request
-- of a key, team or user deleted since, and bootstrap keys (ids like `bootstrap-1`) have no org at all.
CREATE TABLE spend_ledger (
  request_id text PRIMARY KEY,
  org_id uuid NULL,
  team_id uuid NULL,
  user_id uuid NULL,
  key_id text NULL,
  agent text NULL,
  tags text[] NOT NULL DEFAULT '{}',
  provider text NOT NULL,
  endpoint text NOT NULL,
  model_requested text NULL,
  model text NULL,
  stream boolean NOT NULL,
  status integer NOT NULL,
  decision text NOT NULL,
  outcome text NOT NULL,
  -- NULL when the provider reported no usage (rejected, client gone, unreadable body).
  input_tokens bigint NULL,
  cache_read_tokens bigint NULL,
  cache_write_tokens bigint NULL,
  output_tokens bigint NULL,
  reasoning_tokens bigint NULL,
  -- NULL = unknown: no usage, or a model without a price. Never 0 for "unknown".
  cost_usd numeric(20, 9) NULL,
  reserved_cost_usd numeric(20, 9) NULL,
  counterfactual_cost_usd numeric(20, 9) NULL,
  route text NULL,
  security_status text NULL,
  -- Routed to deployments: their ids in the order Envoy tries them ('{}': the provider's default upstream), the one
  -- that answered and the number of upstream attempts (fallbacks included), as Envoy reported them.
  deployment_chain text[] NOT NULL DEFAULT '{}',
  upstream_deployment text NULL,
  upstream_attempts integer NULL,
  policy_version bigint NOT NULL,
  duration_ms double precision NOT NULL,
  started_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX spend_ledger_org_started_idx ON spend_ledger (org_id, started_at);
CREATE INDEX spend_ledger_key_started_idx ON spend_ledger (key_id, started_at);
CREATE INDEX spend_ledger_team_started_idx ON spend_ledger (team_id, started_at);

-- Tenants read their org's rows only; rows without an org (bootstrap keys) are visible to no tenant. Rows are
-- written by the owner role, so acc_app gets no write privilege at all.
ALTER TABLE spend_ledger ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON spend_ledger
  USING (org_id = acc_current_org()) WITH CHECK (org_id = acc_current_org());
GRANT SELECT ON spend_ledger TO acc_app;

-- Down Migration

REVOKE ALL ON spend_ledger FROM acc_app;
DROP TABLE spend_ledger;
