// What a budget or rate limit is for must exist in the caller's org (ids) or be a name extproc can attribute
// (agents, tags): otherwise the limit silently applies to nothing. A foreign id reads like a missing one (404).
import type { Tx } from '../db/database.js';
import { fail } from '../errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** What extproc accepts in x-acc-agent and x-acc-tags. */
const ATTRIBUTE = /^[A-Za-z0-9._:=-]{1,64}$/;

export type SubjectScope = 'org' | 'team' | 'user' | 'key' | 'agent' | 'tag';

const LOOKUPS = {
  team: { sql: 'SELECT 1 FROM teams WHERE id = $1 AND org_id = $2', label: 'Team', what: 'a team id' },
  user: {
    sql: `SELECT 1 FROM users WHERE id = $1 AND org_id = $2
          UNION ALL SELECT 1 FROM service_accounts WHERE id = $1 AND org_id = $2`,
    label: 'User or service account',
    what: 'a user or service account id',
  },
  key: {
    sql: 'SELECT 1 FROM gateway_keys WHERE id = $1 AND org_id = $2',
    label: 'Gateway key',
    what: 'a key id',
  },
} as const;

/** Returns the subject to store: null for org, the id lower-cased (as the ledger writes it), or the name. */
export async function checkSubject(
  tx: Tx,
  orgId: string,
  scope: SubjectScope,
  subject: string | null | undefined,
): Promise<string | null> {
  if (scope === 'org') {
    if (subject !== null && subject !== undefined)
      throw fail.validation('subject', 'body.subject must be null or absent for scope org');
    return null;
  }
  if (subject === null || subject === undefined)
    throw fail.validation('subject', `body.subject is required for scope ${scope}`);
  if (scope === 'agent' || scope === 'tag') {
    if (!ATTRIBUTE.test(subject))
      throw fail.validation(
        'subject',
        `body.subject must be 1-64 letters, digits or . _ : = - for scope ${scope}`,
      );
    return subject;
  }
  const lookup = LOOKUPS[scope];
  if (!UUID.test(subject))
    throw fail.validation('subject', `body.subject must be ${lookup.what} for scope ${scope}`);
  const id = subject.toLowerCase();
  const { rows } = await tx.query(lookup.sql, [id, orgId]);
  if (rows.length === 0) throw fail.notFound(lookup.label);
  return id;
}
