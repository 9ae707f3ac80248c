// The policy snapshot: everything extproc needs to decide a request, compiled by the control plane on every change
// and published as one JSON document. extproc never queries the database: it swaps whole snapshots.
//
// Secrets stay sealed in transit and at rest in Redis: provider credentials travel as AES-256-GCM ciphertext under
// ACC_MASTER_KEY, and gateway keys only as SHA-256 digests.
import type { SnapshotBudget, SnapshotRateLimit } from '../budgets/types.js';
import type { ProviderId } from '../providers/types.js';
import type { SnapshotRouting } from '../routing/types.js';
import type { SnapshotSecurityPolicy } from '../security/policy.js';

export const SNAPSHOT_SCHEMA = 1;

/** Where snapshots are published when Redis is used. */
export const REDIS_SNAPSHOT_KEY = 'acc:policy:snapshot';
export const REDIS_SNAPSHOT_CHANNEL = 'acc:policy:published';

export interface SnapshotOrg {
  id: string;
  slug: string;
  name: string;
}

export interface SnapshotTeam {
  id: string;
  orgId: string;
  name: string;
}

/** One usable gateway key: revoked keys are left out; expired ones are kept so they can be refused with a reason. */
export interface SnapshotKey {
  /** SHA-256 hex digest of the full key (see extproc/src/pipeline/auth.ts digestKey). */
  digest: string;
  id: string;
  /** Visible prefix, e.g. `acc-AbCd`, for logs and support. */
  prefix: string;
  orgId: string;
  teamId: string | null;
  /** The user or service account that owns the key. */
  ownerId: string | null;
  ownerKind: 'user' | 'service_account' | null;
  /** Agent name fixed on the key (requests are attributed to it). */
  agent?: string | null;
  /** The client may name its agent with the x-acc-agent header (otherwise the header is refused). */
  allowAgentHeader?: boolean;
  /** null = every model allowed. Exact model names as clients send them. */
  allowedModels: string[] | null;
  /** ISO 8601, or null for no expiry. */
  expiresAt: string | null;
}

/** AES-256-GCM sealed secret: base64 parts; `keyId` names the master key generation (for rotation). */
export interface SealedSecret {
  keyId: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

export interface SnapshotProviderCredential {
  orgId: string;
  provider: ProviderId;
  secret: SealedSecret;
}

/** USD per million tokens, like ACC_PRICE_OVERRIDES; org-scoped. */
export interface SnapshotPriceOverride {
  orgId: string;
  provider: ProviderId;
  model: string;
  inputMtok: number;
  outputMtok: number;
  cacheReadMtok: number | null;
  cacheWriteMtok: number | null;
}

export interface PolicySnapshot {
  schema: typeof SNAPSHOT_SCHEMA;
  /** Strictly increasing; extproc ignores anything not newer than what it runs. */
  version: number;
  /** ISO 8601. */
  publishedAt: string;
  orgs: SnapshotOrg[];
  teams: SnapshotTeam[];
  keys: SnapshotKey[];
  providerCredentials: SnapshotProviderCredential[];
  pricing: SnapshotPriceOverride[];
  /** Spend limits of every org; absent in snapshots from control planes that predate budgets. */
  budgets?: SnapshotBudget[];
  /** Request and token rate limits per key or team; absent like budgets. */
  rateLimits?: SnapshotRateLimit[];
  /** Routing rules, deployments and model catalogue overrides of every org; absent like budgets. */
  routing?: SnapshotRouting;
  /** ClawShield overrides per org (teamId null) and team; absent like budgets (the built-in policy applies). */
  security?: SnapshotSecurityPolicy[];
}

/** Redis hash where extproc replicas record when each gateway key was last used (field: key id, value: ISO time). */
export const REDIS_KEY_LAST_USED = 'acc:keys:last-used';
/** Control-plane endpoint for the same report when there is no Redis (body: `{ lastUsed: { [keyId]: iso } }`). */
export const KEY_LAST_USED_PATH = '/internal/v1/keys/last-used';

/** Without Redis: each budget's spend in its current window from the ledger, to seed extproc's counters at start. */
export const BUDGET_SPEND_PATH = '/internal/v1/budgets/spend';
export interface BudgetSpendReport {
  budgets: { budgetId: string; windowId: string; spentNanos: number }[];
}
