// Without Redis: ledger batches are posted to the control plane's internal endpoint with the internal token (like
// key usage). The endpoint inserts idempotently and names any record it refuses as invalid; those are logged in
// full and counted, since retrying them could never succeed.
import { LEDGER_PATH } from './constants.js';
import { type SinkOptions, SpoolingLedgerSink } from './sink.js';

interface LedgerResponse {
  rejected?: Array<{ index: number; message: string }>;
}

export interface ControlPlaneSinkOptions extends SinkOptions {
  baseUrl: string;
  token: string;
  timeoutMs?: number;
}

export class ControlPlaneLedgerSink extends SpoolingLedgerSink {
  protected readonly target = 'control_plane';
  private readonly url: string;
  private readonly token: string;
  private readonly timeoutMs: number;

  constructor(options: ControlPlaneSinkOptions) {
    super(options);
    this.url = `${options.baseUrl}${LEDGER_PATH}`;
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  protected async deliver(entries: string[]): Promise<string[]> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      // The entries are JSON texts already: joined, not parsed and serialised again.
      body: `{"records":[${entries.join(',')}]}`,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`control plane answered ${response.status}: ${text.slice(0, 200)}`);
    const rejected = (JSON.parse(text) as LedgerResponse).rejected ?? [];
    for (const { index, message } of rejected) {
      this.options.metrics?.dropped.inc({ reason: 'invalid' });
      this.log.error({ record: entries[index], reason: message }, 'control plane refused a spend record');
    }
    return [];
  }

  protected async disconnect(): Promise<void> {}
}
