-- Up Migration

-- Routing rules: a CEL condition and the actions taken when it matches. Conditions and actions are validated by the
-- same compiler extproc runs (the API refuses what it would refuse), so the columns only bound their size.
CREATE TABLE routing_rules (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs (id),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- Lower runs first; ties are broken by name, then id.
  priority integer NOT NULL CHECK (priority BETWEEN 0 AND 1000000),
  condition text NOT NULL CHECK (length(condition) BETWEEN 1 AND 4000),
  actions jsonb NOT NULL CHECK (jsonb_typeof(actions) = 'array' AND jsonb_array_length(actions) BETWEEN 1 AND 7),
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name)
);
CREATE INDEX routing_rules_org_idx ON routing_rules (org_id, priority);

-- Named upstreams rules route to. Rules name them inside their actions, so there is no foreign key: the API refuses
-- to delete or rename a deployment a rule still names.
CREATE TABLE routing_deployments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs (id),
  name text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'),
  provider text NOT NULL CHECK (provider IN ('openai', 'anthropic')),
  model text NOT NULL CHECK (length(model) BETWEEN 1 AND 200),
  base_url_cluster text NULL CHECK (base_url_cluster ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'),
  weight integer NOT NULL DEFAULT 1 CHECK (weight BETWEEN 0 AND 1000),
  credential_ref text NULL CHECK (length(credential_ref) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name)
);

-- Corrections and additions to the model catalogue cheapest_capable chooses from; NULL keeps the built-in value.
CREATE TABLE model_overrides (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs (id),
  provider text NOT NULL CHECK (provider IN ('openai', 'anthropic')),
  model text NOT NULL CHECK (length(model) BETWEEN 1 AND 200),
  context_window integer NULL CHECK (context_window > 0),
  max_output_tokens integer NULL CHECK (max_output_tokens > 0),
  supports_tools boolean NULL,
  supports_vision boolean NULL,
  supports_json_mode boolean NULL,
  supports_reasoning boolean NULL,
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, provider, model)
);

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['routing_rules', 'routing_deployments', 'model_overrides']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (org_id = acc_current_org()) WITH CHECK (org_id = acc_current_org())',
      t);
  END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON routing_rules, routing_deployments, model_overrides TO acc_app;

-- Down Migration

REVOKE ALL ON routing_rules, routing_deployments, model_overrides FROM acc_app;
DROP TABLE model_overrides;
DROP TABLE routing_deployments;
DROP TABLE routing_rules;
