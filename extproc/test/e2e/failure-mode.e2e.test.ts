// Envoy losing extproc: fail-closed (default) answers 503 in the caller's shape; fail-open forwards unchecked.
import { afterEach, describe, expect, it } from 'vitest';
import { GATEWAY_KEY, type Gateway, startGateway } from './gateway-harness.js';

const chat = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
const openaiHeaders = { authorization: `Bearer ${GATEWAY_KEY}`, 'content-type': 'application/json' };
const anthropicHeaders = {
  'x-api-key': GATEWAY_KEY,
  'anthropic-version': '2023-06-01',
  'content-type': 'application/json',
};

let gateway: Gateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

describe('when extproc is gone', () => {
  it('fails closed by default: 503 in the OpenAI or Anthropic shape, nothing reaches the provider', async () => {
    gateway = await startGateway();
    const healthy = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: openaiHeaders,
      body: chat,
    });
    expect(healthy.status).toBe(200);
    await healthy.arrayBuffer();
    gateway.upstream.reset();

    await gateway.stopExtproc();
    const openai = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: openaiHeaders,
      body: chat,
    });
    expect(openai.status).toBe(503);
    expect(openai.headers.get('content-type')).toContain('application/json');
    expect(openai.headers.get('x-acc-request-id')).toBeTruthy();
    expect(((await openai.json()) as { error: { message: string } }).error.message).toMatch(
      /AgentCostControl/,
    );

    const anthropic = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: anthropicHeaders,
      body: chat,
    });
    expect(anthropic.status).toBe(503);
    expect(await anthropic.json()).toMatchObject({ type: 'error', error: { type: expect.any(String) } });
    expect(gateway.upstream.interactions).toHaveLength(0);
  }, 60_000);

  it('fails open when configured: the request reaches the provider unchecked', async () => {
    gateway = await startGateway({ failOpen: true });
    await gateway.stopExtproc();
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: openaiHeaders,
      body: chat,
    });
    await response.arrayBuffer();
    expect(gateway.upstream.interactions).toHaveLength(1);
    // Nobody swapped the credential: the provider saw the gateway key (and, here, refused it).
    expect(gateway.upstream.interactions[0]?.headers.authorization).toBe(`Bearer ${GATEWAY_KEY}`);
    expect(response.status).toBe(401);
  }, 60_000);
});
