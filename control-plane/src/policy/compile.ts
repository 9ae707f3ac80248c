// Compiles the policy snapshot extproc runs on: one JSON document across every org. It is built from plain rows
// (buildSnapshot is pure, so it is tested without a database) and read inside withAdmin, because extproc serves
// all tenants and must see every org's keys.
import {
  type PolicySnapshot,
  type SealedSecret,
  SNAPSHOT_SCHEMA,
  type SnapshotKey,
  type SnapshotPriceOverride,
} from '@acc/extproc/policy';
import { type BudgetRow, loadBudgetRows, toSnapshotBudget } from '../budgets/rows.js';
import { loadRoutingRows, type RoutingRows, toSnapshotRouting } from '../routing/rows.js';
import {
  loadSecurityPolicyRows,
  type SecurityPolicyRow,
  toSnapshotSecurityPolicy,
} from '../security/policy-rows.js';

/** The slice of pg's client API the compiler needs (a PoolClient or anything shaped like it). */
export interface Queryable {
  query<R extends object = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>;
}

type Provider = SnapshotPriceOverride['provider'];

export interface OrgRow {
  id: string;
  slug: string;
  name: string;
}
export interface TeamRow {
  id: string;
  org_id: string;
  name: string;
}
export interface KeyRow {
  id: string;
  org_id: string;
  team_id: string | null;
  owner_user_id: string | null;
  owner_service_account_id: string | null;
  prefix: string;
  key_digest: string;
  allowed_models: string[] | null;
  expires_at: Date | string | null;
  agent: string | null;
  allow_agent_header: boolean;
}
export interface CredentialRow {
  org_id: string;
  provider: Provider;
  sealed: SealedSecret;
}
/** numeric columns arrive from pg as strings. */
export interface PricingRow {
  org_id: string;
  provider: Provider;
  model: string;
  input_mtok: string | number;
  output_mtok: string | number;
  cache_read_mtok: string | number | null;
  cache_write_mtok: string | number | null;
}

export interface RateLimitRow {
  id: string;
  org_id: string;
  scope: 'key' | 'team';
  subject: string;
  requests_per_minute: number | null;
  tokens_per_minute: number | null;
}

export interface SnapshotRows {
  orgs: OrgRow[];
  teams: TeamRow[];
  keys: KeyRow[];
  credentials: CredentialRow[];
  pricing: PricingRow[];
  budgets?: BudgetRow[];
  rateLimits?: RateLimitRow[];
  routing?: RoutingRows;
  security?: SecurityPolicyRow[];
}

function iso(value: Date | string | null): string | null {
  if (value === null) return null;
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

function num(value: string | number): number {
  return typeof value === 'number' ? value : Number(value);
}

function toKey(row: KeyRow): SnapshotKey {
  const ownerKind = row.owner_user_id ? 'user' : row.owner_service_account_id ? 'service_account' : null;
  return {
    digest: row.key_digest,
    id: row.id,
    prefix: row.prefix,
    orgId: row.org_id,
    teamId: row.team_id,
    ownerId: row.owner_user_id ?? row.owner_service_account_id ?? null,
    ownerKind,
    agent: row.agent,
    allowAgentHeader: row.allow_agent_header,
    allowedModels: row.allowed_models,
    expiresAt: iso(row.expires_at),
  };
}

/** Pure: rows in, snapshot out. Unusable keys (revoked, disabled owner) are filtered out by loadSnapshotRows. */
export function buildSnapshot(rows: SnapshotRows, version: number, publishedAt: Date): PolicySnapshot {
  return {
    schema: SNAPSHOT_SCHEMA,
    version,
    publishedAt: publishedAt.toISOString(),
    orgs: rows.orgs.map((o) => ({ id: o.id, slug: o.slug, name: o.name })),
    teams: rows.teams.map((t) => ({ id: t.id, orgId: t.org_id, name: t.name })),
    keys: rows.keys.map(toKey),
    providerCredentials: rows.credentials.map((c) => ({
      orgId: c.org_id,
      provider: c.provider,
      secret: c.sealed,
    })),
    pricing: rows.pricing.map((p) => ({
      orgId: p.org_id,
      provider: p.provider,
      model: p.model,
      inputMtok: num(p.input_mtok),
      outputMtok: num(p.output_mtok),
      cacheReadMtok: p.cache_read_mtok === null ? null : num(p.cache_read_mtok),
      cacheWriteMtok: p.cache_write_mtok === null ? null : num(p.cache_write_mtok),
    })),
    budgets: (rows.budgets ?? []).map(toSnapshotBudget),
    rateLimits: (rows.rateLimits ?? []).map((r) => ({
      id: r.id,
      orgId: r.org_id,
      scope: r.scope,
      subject: r.subject,
      requestsPerMinute: r.requests_per_minute,
      tokensPerMinute: r.tokens_per_minute,
    })),
    routing: toSnapshotRouting(rows.routing),
    security: (rows.security ?? []).map(toSnapshotSecurityPolicy),
  };
}

// Ordered so that two compiles of the same state produce byte-identical JSON (diffable, cache-friendly).
export async function loadSnapshotRows(tx: Queryable): Promise<SnapshotRows> {
  const orgs = await tx.query<OrgRow>('SELECT id, slug, name FROM orgs ORDER BY id');
  const teams = await tx.query<TeamRow>('SELECT id, org_id, name FROM teams ORDER BY id');
  // A disabled owner's keys stop working with it (re-enabling brings them back); revoked keys never return.
  const keys = await tx.query<KeyRow>(
    `SELECT k.id, k.org_id, k.team_id, k.owner_user_id, k.owner_service_account_id, k.prefix, k.key_digest,
            k.allowed_models, k.expires_at, k.agent, k.allow_agent_header
       FROM gateway_keys k
       LEFT JOIN users u ON u.id = k.owner_user_id
       LEFT JOIN service_accounts sa ON sa.id = k.owner_service_account_id
      WHERE k.revoked_at IS NULL AND u.disabled_at IS NULL AND sa.disabled_at IS NULL
      ORDER BY k.id`,
  );
  const credentials = await tx.query<CredentialRow>(
    'SELECT org_id, provider, sealed FROM provider_credentials ORDER BY org_id, provider',
  );
  const pricing = await tx.query<PricingRow>(
    `SELECT org_id, provider, model, input_mtok, output_mtok, cache_read_mtok, cache_write_mtok
       FROM pricing_overrides ORDER BY org_id, provider, model`,
  );
  const budgets = await loadBudgetRows(tx);
  const rateLimits = await tx.query<RateLimitRow>(
    `SELECT id, org_id, scope, subject, requests_per_minute, tokens_per_minute
       FROM rate_limits ORDER BY org_id, id`,
  );
  const routing = await loadRoutingRows(tx);
  const security = await loadSecurityPolicyRows(tx);
  return {
    orgs: orgs.rows,
    teams: teams.rows,
    keys: keys.rows,
    credentials: credentials.rows,
    pricing: pricing.rows,
    budgets,
    rateLimits: rateLimits.rows,
    routing,
    security,
  };
}

export async function compileSnapshot(
  tx: Queryable,
  version: number,
  publishedAt = new Date(),
): Promise<PolicySnapshot> {
  return buildSnapshot(await loadSnapshotRows(tx), version, publishedAt);
}
