// The ledger contract between extproc (producer) and the control plane (writer): names both sides must agree on.

/** Redis stream extproc appends one entry per request to; the control plane's writers consume it. */
export const LEDGER_STREAM = 'acc:ledger';
/** Entries the writer cannot parse or store are moved here (with the reason), never retried forever. */
export const LEDGER_DEAD_LETTER_STREAM = 'acc:ledger:dead';
export const LEDGER_CONSUMER_GROUP = 'acc-ledger-writers';
/** The stream entry field holding the record's JSON. */
export const LEDGER_RECORD_FIELD = 'record';

/** Without Redis: extproc posts `{ records: [...] }` here with the internal token. */
export const LEDGER_PATH = '/internal/v1/ledger';
/** Records per POST; the endpoint refuses larger batches. */
export const LEDGER_MAX_BATCH = 500;

/**
 * Longest strings a record may carry. Request ids and model names can come from clients, so extproc shortens longer
 * values before sending and the control plane refuses anything beyond: an oversized field never blocks a batch.
 */
export const LEDGER_MAX_ID_LENGTH = 200;
export const LEDGER_MAX_TEXT_LENGTH = 512;
export const LEDGER_MAX_TAGS = 32;
/** Deployments of a fallback chain a record lists; a longer chain keeps its first ones. */
export const LEDGER_MAX_CHAIN = 64;
