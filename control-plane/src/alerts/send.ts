// Sends one event to one channel with Node's fetch, bounded by a timeout. Redirects are not followed: a channel
// is exactly the URL an admin configured, and a redirect could point the control plane somewhere else.
import { type BudgetAlertEvent, slackMessage } from './events.js';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signWebhook } from './signature.js';

export interface ChannelTarget {
  kind: 'webhook' | 'slack';
  url: string;
  /** Webhooks only: the opened signing secret. */
  signingSecret: string | null;
}

export interface SendResult {
  ok: boolean;
  /** HTTP status, null when no response came (timeout, connection refused). */
  status: number | null;
  error: string | null;
}

const USER_AGENT = 'AgentCostControl-Alerts/1';

export function requestFor(
  target: ChannelTarget,
  event: BudgetAlertEvent,
  nowMs: number,
): { body: string; headers: Record<string, string> } {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': USER_AGENT };
  if (target.kind === 'slack') return { body: JSON.stringify(slackMessage(event)), headers };
  const body = JSON.stringify(event);
  headers[EVENT_ID_HEADER] = event.id;
  if (target.signingSecret !== null)
    headers[SIGNATURE_HEADER] = signWebhook(target.signingSecret, body, Math.floor(nowMs / 1000));
  return { body, headers };
}

export async function sendEvent(
  target: ChannelTarget,
  event: BudgetAlertEvent,
  options: { timeoutMs: number; nowMs?: number },
): Promise<SendResult> {
  const { body, headers } = requestFor(target, event, options.nowMs ?? Date.now());
  try {
    const response = await fetch(target.url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    // Read (a bounded part of) the answer so the connection can be reused, and keep it for the error.
    const text = (await response.text()).slice(0, 200);
    if (response.status >= 200 && response.status < 300)
      return { ok: true, status: response.status, error: null };
    return { ok: false, status: response.status, error: `HTTP ${response.status}${text ? `: ${text}` : ''}` };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const name = (error as Error).name;
    const message =
      name === 'TimeoutError'
        ? `no answer within ${options.timeoutMs} ms`
        : `${(error as Error).message}${cause ? ` (${cause})` : ''}`;
    return { ok: false, status: null, error: message };
  }
}
