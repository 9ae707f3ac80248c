// ClawShield through the whole product: a security policy saved in the control plane reaches extproc in the next
// snapshot and changes what Envoy lets through, and the findings come back as security events via the ledger.
/// <reference path="./support/provided.d.ts" />
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeOpenAiKey } from '../../extproc/test/security/support.js';
import type { FakeUpstream } from '../../extproc/test/support/fake-upstream.js';
import { type Api, type GatewayStack, startGatewayStack } from './support/gateway-stack.js';

let stack: GatewayStack;
let api: Api;
let upstream: FakeUpstream;
let gatewayUrl: string;

/** Waits for a condition that depends on propagation (snapshot publication, ledger delivery). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  // No Redis: extproc long-polls the control plane and posts its ledger (with the findings) there.
  stack = await startGatewayStack(null);
  ({ api, upstream } = stack);
  gatewayUrl = (await stack.startGateway({ env: { ACC_SECURITY_ENABLED: 'true' } })).url;
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe('security policy from the control plane', () => {
  it('redacts by default, blocks once an admin saves a blocking policy, and records the findings as events', async () => {
    const created = await api('POST', '/keys', { name: 'agent-sec' });
    expect(created.status).toBe(201);
    const client = new OpenAI({
      apiKey: created.json.key as string,
      baseURL: `${gatewayUrl}/v1`,
      maxRetries: 0,
    });
    const leaky = () => ({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user' as const, content: `use this: ${fakeOpenAiKey()}` }],
    });

    // The key works as soon as its snapshot is in force; the default policy masks the secret on the way.
    let redactedRequestId: string | null = null;
    await eventually(async () => {
      const result = await client.chat.completions
        .create(leaky())
        .withResponse()
        .catch(() => null);
      redactedRequestId = result?.response.headers.get('x-acc-request-id') ?? null;
      return result?.response.headers.get('x-acc-security-status') === 'redacted';
    });
    const received = upstream.interactions.at(-1)?.json as { messages: Array<{ content: string }> };
    expect(received.messages[0]?.content).toBe('use this: [REDACTED:openai_api_key]');

    const saved = await api('PUT', '/security/policy', { actions: { secrets: { critical: 'block' } } });
    expect(saved.status).toBe(200);
    const effective = saved.json.effective as { actions: Record<string, Record<string, string>> };
    expect(effective.actions.secrets?.critical).toBe('block');
    const forwardedBefore = upstream.interactions.length;
    let blocked: InstanceType<typeof OpenAI.PermissionDeniedError> | null = null;
    await eventually(async () => {
      const error = await client.chat.completions.create(leaky()).then(
        () => null,
        (e: unknown) => e,
      );
      if (error instanceof OpenAI.PermissionDeniedError) blocked = error;
      return blocked !== null;
    });
    expect((blocked as InstanceType<typeof OpenAI.PermissionDeniedError> | null)?.code).toBe(
      'security_blocked',
    );
    // Requests still redacted while the snapshot propagated were forwarded; the blocked one was not.
    expect(upstream.interactions.length).toBeGreaterThanOrEqual(forwardedBefore);
    expect(upstream.interactions.every((i) => !i.body.toString('utf8').includes('T3BlbkFJ'))).toBe(true);

    await eventually(async () => {
      const events = await api('GET', '/security/events?detector=secrets');
      const items = events.json.items as Array<{ action: string; requestId: string }>;
      return items.some((e) => e.action === 'block') && items.some((e) => e.requestId === redactedRequestId);
    });
    const events = await api('GET', `/security/events?requestId=${redactedRequestId}`);
    expect(events.json.items).toEqual([
      expect.objectContaining({
        detector: 'secrets',
        rule: 'openai_api_key',
        action: 'redact',
        keyId: created.json.id,
        location: expect.objectContaining({ kind: 'message', messageIndex: 0, role: 'user' }),
      }),
    ]);
    expect(JSON.stringify(events.json)).not.toContain('T3BlbkFJ');
  }, 90_000);
});
