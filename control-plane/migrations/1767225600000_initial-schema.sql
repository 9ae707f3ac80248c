-- Up Migration

-- The application works through this role inside withTenant(): it is not the table owner and not a superuser, so
-- row-level security applies to it. Roles are cluster-wide, so another database may already have created it.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'acc_app') THEN
    CREATE ROLE acc_app NOLOGIN;
  END IF;
END
$$;
GRANT acc_app TO CURRENT_USER;

CREATE FUNCTION acc_current_org() RETURNS uuid
  LANGUAGE sql STABLE
  -- An unset or reset setting reads as '' rather than NULL; NULL matches no row, which is the safe answer.
  AS $$ SELECT NULLIF(current_setting('acc.org_id', true), '')::uuid $$;

CREATE TABLE orgs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE teams (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs (id),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name),
  -- Target of the composite foreign keys below, so a row can only point at a team of its own org.
  UNIQUE (id, org_id)
);

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs (id),
  email text NOT NULL UNIQUE CHECK (email = lower(email) AND position('@' in email) > 1),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
  team_id uuid NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz NULL,
  UNIQUE (id, org_id),
  -- Foreign-key checks bypass row-level security, hence the org in the key.
  FOREIGN KEY (team_id, org_id) REFERENCES teams (id, org_id) ON DELETE SET NULL (team_id)
);

CREATE TABLE service_accounts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs (id),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  role text NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
  team_id uuid NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz NULL,
  UNIQUE (org_id, name),
  UNIQUE (id, org_id),
  FOREIGN KEY (team_id, org_id) REFERENCES teams (id, org_id) ON DELETE SET NULL (team_id)
);

CREATE TABLE api_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs (id),
  user_id uuid NULL,
  service_account_id uuid NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  token_digest text NOT NULL UNIQUE,
  prefix text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz NULL,
  expires_at timestamptz NULL,
  revoked_at timestamptz NULL,
  CHECK ((user_id IS NULL) <> (service_account_id IS NULL)),
  FOREIGN KEY (user_id, org_id) REFERENCES users (id, org_id) ON DELETE CASCADE,
  FOREIGN KEY (service_account_id, org_id) REFERENCES service_accounts (id, org_id) ON DELETE CASCADE
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);
CREATE INDEX api_tokens_service_account_idx ON api_tokens (service_account_id);

CREATE TABLE sessions (
  id_digest text PRIMARY KEY,
  user_id uuid NOT NULL,
  org_id uuid NOT NULL REFERENCES orgs (id),
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  FOREIGN KEY (user_id, org_id) REFERENCES users (id, org_id) ON DELETE CASCADE
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE gateway_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs (id),
  team_id uuid NULL,
  owner_user_id uuid NULL,
  owner_service_account_id uuid NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  prefix text NOT NULL,
  key_digest text NOT NULL UNIQUE,
  allowed_models text[] NULL,
  expires_at timestamptz NULL,
  revoked_at timestamptz NULL,
  last_used_at timestamptz NULL,
  -- A user or a service account id (see the audit log for which): no foreign key, the creator may be gone.
  created_by uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (owner_user_id IS NULL OR owner_service_account_id IS NULL),
  FOREIGN KEY (team_id, org_id) REFERENCES teams (id, org_id) ON DELETE SET NULL (team_id),
  FOREIGN KEY (owner_user_id, org_id) REFERENCES users (id, org_id) ON DELETE SET NULL (owner_user_id),
  FOREIGN KEY (owner_service_account_id, org_id) REFERENCES service_accounts (id, org_id)
    ON DELETE SET NULL (owner_service_account_id)
);
CREATE INDEX gateway_keys_org_idx ON gateway_keys (org_id, created_at);

CREATE TABLE provider_credentials (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs (id),
  provider text NOT NULL CHECK (provider IN ('openai', 'anthropic')),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  sealed jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, provider)
);

CREATE TABLE pricing_overrides (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs (id),
  provider text NOT NULL CHECK (provider IN ('openai', 'anthropic')),
  model text NOT NULL CHECK (length(model) BETWEEN 1 AND 200),
  input_mtok numeric NOT NULL CHECK (input_mtok >= 0),
  output_mtok numeric NOT NULL CHECK (output_mtok >= 0),
  cache_read_mtok numeric NULL CHECK (cache_read_mtok >= 0),
  cache_write_mtok numeric NULL CHECK (cache_write_mtok >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, provider, model)
);

CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  org_id uuid NOT NULL REFERENCES orgs (id),
  actor_kind text NOT NULL CHECK (actor_kind IN ('user', 'service_account', 'system')),
  actor_id uuid NULL,
  action text NOT NULL,
  resource_type text NOT NULL,
  resource_id text NULL,
  before jsonb NULL,
  after jsonb NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_org_idx ON audit_log (org_id, id DESC);

-- Append-only even for the owner role, which has every privilege on its own table.
CREATE FUNCTION audit_log_append_only() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE policy_versions (
  version bigserial PRIMARY KEY,
  published_at timestamptz NOT NULL DEFAULT now(),
  snapshot jsonb NOT NULL
);

-- Row-level security: every org-scoped table only shows and accepts rows of the org set by withTenant().
ALTER TABLE orgs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON orgs USING (id = acc_current_org()) WITH CHECK (id = acc_current_org());
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['teams', 'users', 'service_accounts', 'api_tokens', 'sessions', 'gateway_keys',
                           'provider_credentials', 'pricing_overrides', 'audit_log']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (org_id = acc_current_org()) WITH CHECK (org_id = acc_current_org())',
      t);
  END LOOP;
END
$$;

-- Least privilege for the application role. No grant on policy_versions: snapshots are compiled and published as
-- the owner. No UPDATE/DELETE on audit_log, and orgs are created only by bootstrap/CLI.
GRANT USAGE ON SCHEMA public TO acc_app;
GRANT EXECUTE ON FUNCTION acc_current_org() TO acc_app;
GRANT SELECT, UPDATE ON orgs TO acc_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON teams, users, service_accounts, api_tokens, sessions, gateway_keys,
  provider_credentials, pricing_overrides TO acc_app;
GRANT SELECT, INSERT ON audit_log TO acc_app;
GRANT USAGE ON SEQUENCE audit_log_id_seq TO acc_app;

-- Down Migration

-- The acc_app role is left in place: roles are cluster-wide and other databases of the cluster may use it.
REVOKE ALL ON SCHEMA public FROM acc_app;
DROP TABLE policy_versions;
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE pricing_overrides;
DROP TABLE provider_credentials;
DROP TABLE gateway_keys;
DROP TABLE sessions;
DROP TABLE api_tokens;
DROP TABLE service_accounts;
DROP TABLE users;
DROP TABLE teams;
DROP TABLE orgs;
DROP FUNCTION acc_current_org();
