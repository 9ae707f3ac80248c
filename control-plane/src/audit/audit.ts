// The audit trail: written in the same transaction as the change it records, so a change and its audit row commit
// or roll back together. The table is append-only (trigger + no UPDATE/DELETE grant).
import type { Principal } from '../auth/principal.js';
import type { Tx } from '../db/database.js';

/** The system actor is bootstrap and the CLI; everything else is a principal. */
export type AuditActor = Principal | { kind: 'system'; id: null };

export const SYSTEM_ACTOR: AuditActor = { kind: 'system', id: null };

export interface AuditEntry {
  orgId: string;
  actor: AuditActor;
  /** `<resource>.<verb>`, e.g. `team.create`, `user.update`, `auth.login`. */
  action: string;
  resourceType: string;
  resourceId: string | null;
  before?: object | null;
  after?: object | null;
}

// Secrets and their digests must never be copied into the log. Keys match snake_case rows and camelCase API shapes;
// "tokens" (maxTokens, tokens_per_minute) are counts, not credentials, so they stay.
const SECRET_FIELD = /(password|secret|digest|token(?!s)|sealed|ciphertext|^key$|^iv$|^tag$)/i;

/** Deep copy without secret-bearing fields. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      if (!SECRET_FIELD.test(key)) out[key] = redact(field);
    }
    return out;
  }
  return value;
}

export async function recordAudit(tx: Tx, entry: AuditEntry): Promise<void> {
  await tx.query(
    `INSERT INTO audit_log (org_id, actor_kind, actor_id, action, resource_type, resource_id, before, after)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      entry.orgId,
      entry.actor.kind,
      entry.actor.id,
      entry.action,
      entry.resourceType,
      entry.resourceId,
      entry.before == null ? null : JSON.stringify(redact(entry.before)),
      entry.after == null ? null : JSON.stringify(redact(entry.after)),
    ],
  );
}
