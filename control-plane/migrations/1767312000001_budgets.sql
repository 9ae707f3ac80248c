-- Up Migration

-- Agent attribution is fixed per key; a key may let its client name the agent instead (x-acc-agent). The pattern is
-- the one extproc accepts in that header, so a budget on an agent can always be reached.
ALTER TABLE gateway_keys
  ADD COLUMN agent text NULL CHECK (agent ~ '^[A-Za-z0-9._:=-]{1,64}$'),
  ADD COLUMN allow_agent_header boolean NOT NULL DEFAULT false;

CREATE TABLE budgets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs (id),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  scope text NOT NULL CHECK (scope IN ('org', 'team', 'user', 'key', 'agent', 'tag')),
  -- Team, user/service-account or key id as text, or an agent name or tag. Ids are not foreign keys: a budget
  -- outlives what it names (it then matches nothing), and one column serves every scope.
  subject text NULL CHECK (length(subject) BETWEEN 1 AND 200),
  window_kind text NOT NULL CHECK (window_kind IN ('calendar', 'rolling')),
  period text NULL CHECK (period IN ('day', 'week', 'month')),
  time_zone text NULL CHECK (length(time_zone) BETWEEN 1 AND 100),
  rolling_seconds integer NULL CHECK (rolling_seconds > 0),
  limit_usd numeric NOT NULL CHECK (limit_usd > 0),
  enforcement text NOT NULL CHECK (enforcement IN ('hard', 'soft')),
  models text[] NULL CHECK (cardinality(models) > 0),
  alert_thresholds int[] NOT NULL DEFAULT '{50,80,100}'
    CHECK (cardinality(alert_thresholds) <= 20 AND 1 <= ALL (alert_thresholds) AND 1000 >= ALL (alert_thresholds)),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name),
  UNIQUE (id, org_id),
  CHECK ((scope = 'org') = (subject IS NULL)),
  CHECK (
    (window_kind = 'calendar' AND period IS NOT NULL AND time_zone IS NOT NULL AND rolling_seconds IS NULL)
    OR (window_kind = 'rolling' AND period IS NULL AND time_zone IS NULL AND rolling_seconds IS NOT NULL)
  )
);
CREATE INDEX budgets_org_idx ON budgets (org_id, created_at);

CREATE TABLE rate_limits (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs (id),
  scope text NOT NULL CHECK (scope IN ('key', 'team')),
  subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
  requests_per_minute integer NULL CHECK (requests_per_minute > 0),
  tokens_per_minute integer NULL CHECK (tokens_per_minute > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, scope, subject),
  CHECK (requests_per_minute IS NOT NULL OR tokens_per_minute IS NOT NULL)
);

CREATE TABLE alert_channels (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs (id),
  kind text NOT NULL CHECK (kind IN ('webhook', 'slack')),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  url text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
  -- The HMAC key of webhook signatures, sealed under ACC_MASTER_KEY like provider credentials: it has to be
  -- recovered to sign, so a digest would not do. Slack incoming webhooks carry their secret in the URL: null.
  signing_secret_sealed jsonb NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name),
  UNIQUE (id, org_id),
  CHECK ((kind = 'webhook') = (signing_secret_sealed IS NOT NULL))
);

CREATE TABLE budget_alerts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs (id),
  budget_id uuid NOT NULL,
  window_id text NOT NULL,
  threshold integer NOT NULL CHECK (threshold BETWEEN 1 AND 1000),
  spent_usd numeric NOT NULL,
  limit_usd numeric NOT NULL,
  fired_at timestamptz NOT NULL DEFAULT now(),
  -- What makes an alert fire once per window, however many evaluators race to insert it.
  UNIQUE (budget_id, window_id, threshold),
  UNIQUE (id, org_id),
  FOREIGN KEY (budget_id, org_id) REFERENCES budgets (id, org_id) ON DELETE CASCADE
);
CREATE INDEX budget_alerts_budget_idx ON budget_alerts (budget_id, fired_at DESC);

CREATE TABLE alert_deliveries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs (id),
  alert_id uuid NOT NULL,
  channel_id uuid NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error text NULL,
  delivered_at timestamptz NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (alert_id, channel_id),
  FOREIGN KEY (alert_id, org_id) REFERENCES budget_alerts (id, org_id) ON DELETE CASCADE,
  FOREIGN KEY (channel_id, org_id) REFERENCES alert_channels (id, org_id) ON DELETE CASCADE
);
-- The delivery worker's scan: only what is still to be sent.
CREATE INDEX alert_deliveries_due_idx ON alert_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX alert_deliveries_channel_idx ON alert_deliveries (channel_id);

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['budgets', 'rate_limits', 'alert_channels', 'budget_alerts', 'alert_deliveries']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (org_id = acc_current_org()) WITH CHECK (org_id = acc_current_org())',
      t);
  END LOOP;
END
$$;

-- Alerts and deliveries are written by the evaluator and delivery worker as the owner role; tenants only read them.
GRANT SELECT, INSERT, UPDATE, DELETE ON budgets, rate_limits, alert_channels TO acc_app;
GRANT SELECT ON budget_alerts, alert_deliveries TO acc_app;

-- Down Migration

REVOKE ALL ON budgets, rate_limits, alert_channels, budget_alerts, alert_deliveries FROM acc_app;
DROP TABLE alert_deliveries;
DROP TABLE budget_alerts;
DROP TABLE alert_channels;
DROP TABLE rate_limits;
DROP TABLE budgets;
ALTER TABLE gateway_keys DROP COLUMN allow_agent_header, DROP COLUMN agent;
