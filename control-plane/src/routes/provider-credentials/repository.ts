// Provider API keys, sealed with AES-256-GCM under ACC_MASTER_KEY before they reach the database. They leave only
// inside the policy snapshot, still sealed, for extproc to open; the API never returns them in any form.
import { type MasterKey, openSecret, type SealedSecret, sealSecret } from '@acc/extproc/policy';
import type { Static } from 'typebox';
import { type AuditActor, recordAudit, SYSTEM_ACTOR } from '../../audit/audit.js';
import type { Tx } from '../../db/database.js';
import { fail } from '../../errors.js';
import type { PROVIDERS, ProviderCredential } from './schemas.js';

export type ProviderId = (typeof PROVIDERS)[number];
export type ProviderCredentialView = Static<typeof ProviderCredential>;

interface CredentialRow {
  id: string;
  provider: ProviderId;
  name: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, provider, name, created_at, updated_at';
const DEFAULT_NAMES: Record<ProviderId, string> = { openai: 'OpenAI', anthropic: 'Anthropic' };

function toView(row: CredentialRow): ProviderCredentialView {
  return {
    id: row.id,
    provider: row.provider,
    name: row.name,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function listProviderCredentials(tx: Tx, orgId: string): Promise<ProviderCredentialView[]> {
  const { rows } = await tx.query<CredentialRow>(
    `SELECT ${COLUMNS} FROM provider_credentials WHERE org_id = $1 ORDER BY provider`,
    [orgId],
  );
  return rows.map(toView);
}

export async function getProviderCredential(
  tx: Tx,
  orgId: string,
  provider: ProviderId,
  lock = false,
): Promise<ProviderCredentialView | null> {
  const { rows } = await tx.query<CredentialRow>(
    `SELECT ${COLUMNS} FROM provider_credentials WHERE org_id = $1 AND provider = $2${lock ? ' FOR UPDATE' : ''}`,
    [orgId, provider],
  );
  return rows[0] ? toView(rows[0]) : null;
}

/** Creates or replaces the org's key for `provider`. */
export async function putProviderCredential(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  master: MasterKey,
  input: { provider: ProviderId; apiKey: string; name?: string | undefined },
): Promise<{ credential: ProviderCredentialView; created: boolean }> {
  const before = await getProviderCredential(tx, orgId, input.provider, true);
  const sealed = JSON.stringify(sealSecret(input.apiKey, master));
  const name = input.name?.trim() ?? before?.name ?? DEFAULT_NAMES[input.provider];
  const { rows } = await tx.query<CredentialRow>(
    `INSERT INTO provider_credentials (org_id, provider, name, sealed) VALUES ($1, $2, $3, $4::jsonb)
     ON CONFLICT (org_id, provider) DO UPDATE SET name = EXCLUDED.name, sealed = EXCLUDED.sealed, updated_at = now()
     RETURNING ${COLUMNS}`,
    [orgId, input.provider, name, sealed],
  );
  const credential = toView(rows[0] as CredentialRow);
  await recordAudit(tx, {
    orgId,
    actor,
    action: before ? 'provider_credential.update' : 'provider_credential.create',
    resourceType: 'provider_credential',
    resourceId: credential.id,
    before,
    after: credential,
  });
  return { credential, created: before === null };
}

export async function deleteProviderCredential(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  provider: ProviderId,
): Promise<void> {
  const before = await getProviderCredential(tx, orgId, provider, true);
  if (!before) throw fail.notFound('Provider credential');
  await tx.query('DELETE FROM provider_credentials WHERE id = $1', [before.id]);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'provider_credential.delete',
    resourceType: 'provider_credential',
    resourceId: before.id,
    before,
  });
}

/**
 * Re-seals every org's credentials under `next` (run in one withAdmin transaction: all or nothing). Secrets already
 * under `next` are left alone, so an interrupted or repeated rotation is safe to run again. Returns how many changed.
 */
export async function resealAllProviderCredentials(
  tx: Tx,
  current: MasterKey,
  next: MasterKey,
): Promise<number> {
  const { rows } = await tx.query<{ id: string; org_id: string; provider: ProviderId; sealed: SealedSecret }>(
    'SELECT id, org_id, provider, sealed FROM provider_credentials ORDER BY id FOR UPDATE',
  );
  let count = 0;
  for (const row of rows) {
    if (row.sealed.keyId === next.id) continue;
    const resealed = sealSecret(openSecret(row.sealed, [current]), next);
    await tx.query('UPDATE provider_credentials SET sealed = $2::jsonb, updated_at = now() WHERE id = $1', [
      row.id,
      JSON.stringify(resealed),
    ]);
    await recordAudit(tx, {
      orgId: row.org_id,
      actor: SYSTEM_ACTOR,
      action: 'provider_credential.reseal',
      resourceType: 'provider_credential',
      resourceId: row.id,
      after: { provider: row.provider, masterKeyRotated: true },
    });
    count += 1;
  }
  return count;
}
