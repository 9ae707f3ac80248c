// The spend record as the control plane accepts it, from the Redis stream or the internal endpoint: extproc's
// RequestRecord, checked field by field before it can reach the database, so a bad record is refused on its own
// instead of failing the batch it came in.
import {
  LEDGER_MAX_CHAIN,
  LEDGER_MAX_ID_LENGTH,
  LEDGER_MAX_TAGS,
  LEDGER_MAX_TEXT_LENGTH,
  type RequestRecord,
} from '@acc/extproc/ledger';
import { type Static, type TSchema, Type } from 'typebox';
import { Compile } from 'typebox/compile';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Uuid = Type.String({ format: 'uuid' });
const Text = Type.String({ maxLength: LEDGER_MAX_TEXT_LENGTH });
const Tokens = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
// numeric(20, 9) holds less than 1e11.
const Usd = Type.Number({ minimum: 0, maximum: 99_999_999_999 });

export const LedgerUsage = Type.Object({
  inputTokens: Tokens,
  cacheReadTokens: Tokens,
  cacheWriteTokens: Tokens,
  outputTokens: Tokens,
  reasoningTokens: Tokens,
});

/** Fields added to the record over time are optional, so a spool written by an older extproc still replays. */
export const LedgerRecord = Type.Object({
  requestId: Type.String({ minLength: 1, maxLength: LEDGER_MAX_ID_LENGTH }),
  startedAt: Type.Number({ minimum: 0, maximum: 253_402_300_799_999 }),
  keyId: Nullable(Type.String({ maxLength: LEDGER_MAX_ID_LENGTH })),
  orgId: Nullable(Uuid),
  teamId: Nullable(Uuid),
  userId: Nullable(Uuid),
  agent: Type.Optional(Nullable(Text)),
  tags: Type.Optional(Type.Array(Text, { maxItems: LEDGER_MAX_TAGS })),
  policyVersion: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  provider: Type.String({ minLength: 1, maxLength: 64 }),
  endpoint: Text,
  requestedModel: Nullable(Text),
  model: Nullable(Text),
  stream: Type.Boolean(),
  status: Type.Integer({ minimum: 0, maximum: 999 }),
  decision: Type.String({ minLength: 1, maxLength: 64 }),
  outcome: Text,
  usage: Nullable(LedgerUsage),
  costUsd: Nullable(Usd),
  reservedCostUsd: Type.Optional(Nullable(Usd)),
  route: Type.Optional(Nullable(Text)),
  counterfactualCostUsd: Type.Optional(Nullable(Usd)),
  securityStatus: Type.Optional(Nullable(Text)),
  durationMs: Type.Number({ minimum: 0, maximum: 1e12 }),
  deploymentChain: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: LEDGER_MAX_ID_LENGTH }), {
      maxItems: LEDGER_MAX_CHAIN,
    }),
  ),
  upstreamDeployment: Type.Optional(Nullable(Type.String({ maxLength: LEDGER_MAX_ID_LENGTH }))),
  upstreamAttempts: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 1000 }))),
});
export type LedgerRecord = Static<typeof LedgerRecord>;

// The stored record is exactly what extproc sends: a change to RequestRecord that breaks this fails the build.
const _sameShape: LedgerRecord = {} as RequestRecord;

const checker = Compile(LedgerRecord);

/** The record, or why it is not one (the first failing field). */
export function checkLedgerRecord(value: unknown): { record: LedgerRecord } | { error: string } {
  if (checker.Check(value)) return { record: value };
  const first = checker.Errors(value)[0];
  return { error: first ? `${first.instancePath || '/'} ${first.message}` : 'not a spend record' };
}

/** A stream entry's text: JSON first, then the shape. */
export function parseLedgerEntry(text: string): { record: LedgerRecord } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `unparsable JSON: ${(error as Error).message}` };
  }
  return checkLedgerRecord(value);
}
