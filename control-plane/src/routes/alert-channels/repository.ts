// Alert channels: where budget alerts go. A webhook's signing secret is generated here, returned once, and kept
// sealed under ACC_MASTER_KEY (it must be recovered to sign, so a digest would not do). URLs can carry secrets too
// (Slack's path is its credential, other webhooks take tokens in the path or query), so the API shows only the
// scheme and host; names tell channels apart.
import { type MasterKey, openSecret, type SealedSecret, sealSecret } from '@acc/extproc/policy';
import type { Static } from 'typebox';
import type { ChannelTarget } from '../../alerts/send.js';
import { newSigningSecret } from '../../alerts/signature.js';
import { type AuditActor, recordAudit, SYSTEM_ACTOR } from '../../audit/audit.js';
import type { Tx } from '../../db/database.js';
import { fail } from '../../errors.js';
import { CREATED_US_SQL, listOrgPage } from '../common.js';
import type {
  AlertChannel,
  AlertChannelListQuery,
  CreateAlertChannelBody,
  UpdateAlertChannelBody,
} from './schemas.js';

export type AlertChannelView = Static<typeof AlertChannel>;

interface ChannelRow {
  id: string;
  org_id: string;
  kind: AlertChannelView['kind'];
  name: string;
  url: string;
  created_at: Date;
  updated_at: Date;
  created_us: string;
}

const COLUMNS = `id, org_id, kind, name, url, created_at, updated_at, ${CREATED_US_SQL}`;

/** Scheme and host only: paths and queries of webhook URLs are where their tokens live. */
export function maskUrl(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname === '/' && !parsed.search ? parsed.origin : `${parsed.origin}/…`;
}

function toView(row: ChannelRow): AlertChannelView {
  return {
    id: row.id,
    orgId: row.org_id,
    kind: row.kind,
    name: row.name,
    url: maskUrl(row.url),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function checkUrl(kind: AlertChannelView['kind'], url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw fail.validation('url', 'body.url is not a valid URL');
  }
  if (parsed.username || parsed.password)
    throw fail.validation('url', 'body.url must not contain credentials; put a token in the path or query');
  if (kind === 'slack' && parsed.protocol !== 'https:')
    throw fail.validation('url', 'body.url of a Slack channel must be an https:// incoming-webhook URL');
  return parsed.href;
}

export async function listAlertChannels(tx: Tx, orgId: string, query: Static<typeof AlertChannelListQuery>) {
  return listOrgPage(tx, { table: 'alert_channels', columns: COLUMNS }, orgId, query, toView, {
    kind: query.kind,
  });
}

export async function getAlertChannel(
  tx: Tx,
  orgId: string,
  id: string,
  lock = false,
): Promise<AlertChannelView> {
  const { rows } = await tx.query<ChannelRow>(
    `SELECT ${COLUMNS} FROM alert_channels WHERE id = $1 AND org_id = $2${lock ? ' FOR UPDATE' : ''}`,
    [id, orgId],
  );
  if (!rows[0]) throw fail.notFound('Alert channel');
  return toView(rows[0]);
}

/** What a sender needs: the real URL and the opened secret. Never leaves the server. */
export async function channelTarget(
  tx: Tx,
  orgId: string,
  id: string,
  master: MasterKey,
): Promise<ChannelTarget> {
  const { rows } = await tx.query<{
    kind: ChannelTarget['kind'];
    url: string;
    signing_secret_sealed: SealedSecret | null;
  }>('SELECT kind, url, signing_secret_sealed FROM alert_channels WHERE id = $1 AND org_id = $2', [
    id,
    orgId,
  ]);
  const row = rows[0];
  if (!row) throw fail.notFound('Alert channel');
  const sealed = row.signing_secret_sealed;
  return { kind: row.kind, url: row.url, signingSecret: sealed ? openSecret(sealed, [master]) : null };
}

export async function createAlertChannel(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  master: MasterKey,
  input: Static<typeof CreateAlertChannelBody>,
): Promise<{ channel: AlertChannelView; signingSecret: string | null }> {
  const url = checkUrl(input.kind, input.url);
  const signingSecret = input.kind === 'webhook' ? newSigningSecret() : null;
  const { rows } = await tx.query<ChannelRow>(
    `INSERT INTO alert_channels (org_id, kind, name, url, signing_secret_sealed)
     VALUES ($1, $2, $3, $4, $5::jsonb) RETURNING ${COLUMNS}`,
    [
      orgId,
      input.kind,
      input.name.trim(),
      url,
      signingSecret === null ? null : JSON.stringify(sealSecret(signingSecret, master)),
    ],
  );
  const channel = toView(rows[0] as ChannelRow);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'alert_channel.create',
    resourceType: 'alert_channel',
    resourceId: channel.id,
    after: channel,
  });
  return { channel, signingSecret };
}

export async function updateAlertChannel(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  id: string,
  changes: Static<typeof UpdateAlertChannelBody>,
): Promise<AlertChannelView> {
  const before = await getAlertChannel(tx, orgId, id, true);
  const url = changes.url === undefined ? null : checkUrl(before.kind, changes.url);
  const { rows } = await tx.query<ChannelRow>(
    `UPDATE alert_channels SET name = COALESCE($3, name), url = COALESCE($4, url), updated_at = now()
     WHERE id = $1 AND org_id = $2 RETURNING ${COLUMNS}`,
    [id, orgId, changes.name?.trim() ?? null, url],
  );
  const after = toView(rows[0] as ChannelRow);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'alert_channel.update',
    resourceType: 'alert_channel',
    resourceId: id,
    before,
    after,
  });
  return after;
}

/** Pending deliveries to the channel go with it. */
export async function deleteAlertChannel(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  id: string,
): Promise<void> {
  const before = await getAlertChannel(tx, orgId, id, true);
  await tx.query('DELETE FROM alert_channels WHERE id = $1 AND org_id = $2', [id, orgId]);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'alert_channel.delete',
    resourceType: 'alert_channel',
    resourceId: id,
    before,
  });
}

/** Part of a master-key rotation (run in its transaction): signing secrets follow provider credentials. */
export async function resealAlertChannelSecrets(
  tx: Tx,
  current: MasterKey,
  next: MasterKey,
): Promise<number> {
  const { rows } = await tx.query<{ id: string; org_id: string; signing_secret_sealed: SealedSecret }>(
    'SELECT id, org_id, signing_secret_sealed FROM alert_channels WHERE signing_secret_sealed IS NOT NULL ORDER BY id FOR UPDATE',
  );
  let count = 0;
  for (const row of rows) {
    if (row.signing_secret_sealed.keyId === next.id) continue;
    const resealed = sealSecret(openSecret(row.signing_secret_sealed, [current]), next);
    await tx.query(
      'UPDATE alert_channels SET signing_secret_sealed = $2::jsonb, updated_at = now() WHERE id = $1',
      [row.id, JSON.stringify(resealed)],
    );
    await recordAudit(tx, {
      orgId: row.org_id,
      actor: SYSTEM_ACTOR,
      action: 'alert_channel.reseal',
      resourceType: 'alert_channel',
      resourceId: row.id,
      after: { masterKeyRotated: true },
    });
    count += 1;
  }
  return count;
}
