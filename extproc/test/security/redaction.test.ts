// Masking lands in the exact body field that produced each span, for both providers' body shapes.
import { describe, expect, it } from 'vitest';
import { anthropicAdapter, openaiAdapter } from '../../src/providers/index.js';
import type { ParsedRequest } from '../../src/providers/types.js';
import { maskSpans, redactRequestBody } from '../../src/security/redaction.js';
import { buildScanInput } from '../../src/security/registry.js';
import { markerDetector } from './support.js';

function redact(request: ParsedRequest, detector = markerDetector()) {
  const input = buildScanInput(request);
  const findings = detector.scan(input);
  return { findings, ...redactRequestBody(request, input, findings) };
}

describe('maskSpans', () => {
  it('replaces spans, merging overlaps, and leaves the rest intact', () => {
    const text = 'abc MARK-0001 def MARK-0002';
    expect(
      maskSpans(text, [
        { start: 4, end: 13, rule: 'one' },
        { start: 8, end: 17, rule: 'two' },
        { start: 18, end: 27, rule: 'three' },
      ]),
    ).toBe('abc [REDACTED:one] [REDACTED:three]');
  });
});

describe('redacting an OpenAI body', () => {
  it('masks string content, text parts and tool-call arguments where they are', () => {
    const request = openaiAdapter.parseRequest({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You are careful.' },
        { role: 'user', content: 'my token is MARK-1111, keep it' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'first part' },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
            { type: 'text', text: 'second part MARK-2222' },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'noop', arguments: '{}' } },
            {
              id: 'c2',
              type: 'function',
              function: { name: 'shell', arguments: JSON.stringify({ cmd: 'login MARK-3333' }) },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'c2', content: 'done MARK-4444' },
      ],
    });
    const { findings, masked, unmasked } = redact(request);
    expect(findings).toHaveLength(4);
    expect(masked).toHaveLength(4);
    expect(unmasked).toEqual([]);
    const messages = request.body.messages as Array<Record<string, unknown>>;
    expect(messages[1]?.content).toBe('my token is [REDACTED:test_marker], keep it');
    expect(messages[2]?.content).toEqual([
      { type: 'text', text: 'first part' },
      { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
      { type: 'text', text: 'second part [REDACTED:test_marker]' },
    ]);
    const calls = messages[3]?.tool_calls as Array<{ function: { arguments: string } }>;
    expect(calls[0]?.function.arguments).toBe('{}');
    expect(JSON.parse(calls[1]?.function.arguments as string)).toEqual({
      cmd: 'login [REDACTED:test_marker]',
    });
    expect(messages[4]?.content).toBe('done [REDACTED:test_marker]');
    expect(JSON.stringify(request.body)).not.toContain('MARK-');
  });

  it('reports a span as unmasked when the field no longer holds the scanned text', () => {
    const request = openaiAdapter.parseRequest({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'value MARK-5555' }],
    });
    const input = buildScanInput(request);
    const findings = markerDetector().scan(input);
    (request.body.messages as Array<Record<string, unknown>>)[0] = {
      role: 'user',
      content: 'changed MARK-5555',
    };
    const result = redactRequestBody(request, input, findings);
    expect(result.masked).toEqual([]);
    expect(result.unmasked).toEqual(findings);
  });

  it('does not mask findings that are not redactable', () => {
    const request = openaiAdapter.parseRequest({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'MARK-6666' }],
    });
    const { unmasked } = redact(request, markerDetector('prompt_injection', 'high', false));
    expect(unmasked).toHaveLength(1);
    expect((request.body.messages as Array<{ content: string }>)[0]?.content).toBe('MARK-6666');
  });
});

describe('redacting tool definitions', () => {
  it('masks inside the description, the only part of a definition the provider shows the model as prose', () => {
    const request = openaiAdapter.parseRequest({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'deploy',
            description: 'Deploys with token MARK-0909.',
            parameters: { type: 'object', properties: { env: { type: 'string', description: 'MARK-1010' } } },
          },
        },
      ],
    });
    const { masked, unmasked } = redact(request);
    const tool = (request.body.tools as Array<{ function: { description: string; parameters: unknown } }>)[0];
    expect(tool?.function.description).toBe('Deploys with token [REDACTED:test_marker].');
    expect(masked).toHaveLength(1);
    // The schema is structure, not prose: a span there cannot be masked in place and is reported.
    expect(unmasked).toHaveLength(1);
  });
});

describe('redacting an Anthropic body', () => {
  it('masks system blocks, text blocks, tool_use input and tool_result content (string and blocks)', () => {
    const request = anthropicAdapter.parseRequest({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      system: [
        { type: 'text', text: 'system one' },
        { type: 'text', text: 'system MARK-0101' },
      ],
      messages: [
        { role: 'user', content: 'plain MARK-0202' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'calling' },
            {
              type: 'tool_use',
              id: 't1',
              name: 'fetch',
              input: { url: 'https://x.test/?k=MARK-0303', n: 1 },
            },
            { type: 'tool_use', id: 't2', name: 'read', input: { path: '/tmp/a' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 't1', content: 'fetched MARK-0404' },
            {
              type: 'tool_result',
              tool_use_id: 't2',
              content: [
                { type: 'text', text: 'line one' },
                { type: 'text', text: 'line MARK-0505' },
              ],
            },
            { type: 'text', text: 'and MARK-0606 from me' },
          ],
        },
      ],
    });
    // The parser splits the last message into two tool messages and the user's own text, in that order.
    expect(request.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'tool', 'user']);
    const { findings, masked, unmasked } = redact(request);
    expect(findings).toHaveLength(6);
    expect(unmasked).toEqual([]);
    expect(masked).toHaveLength(6);
    const body = request.body as {
      system: Array<{ text: string }>;
      messages: Array<{ content: unknown }>;
    };
    expect(body.system[0]?.text).toBe('system one');
    expect(body.system[1]?.text).toBe('system [REDACTED:test_marker]');
    expect(body.messages[0]?.content).toBe('plain [REDACTED:test_marker]');
    expect(body.messages[1]?.content).toEqual([
      { type: 'text', text: 'calling' },
      {
        type: 'tool_use',
        id: 't1',
        name: 'fetch',
        input: { url: 'https://x.test/?k=[REDACTED:test_marker]', n: 1 },
      },
      { type: 'tool_use', id: 't2', name: 'read', input: { path: '/tmp/a' } },
    ]);
    expect(body.messages[2]?.content).toEqual([
      { type: 'tool_result', tool_use_id: 't1', content: 'fetched [REDACTED:test_marker]' },
      {
        type: 'tool_result',
        tool_use_id: 't2',
        content: [
          { type: 'text', text: 'line one' },
          { type: 'text', text: 'line [REDACTED:test_marker]' },
        ],
      },
      { type: 'text', text: 'and [REDACTED:test_marker] from me' },
    ]);
  });

  it('a system prompt given as a string is masked in place', () => {
    const request = anthropicAdapter.parseRequest({
      model: 'claude-sonnet-4-5',
      max_tokens: 10,
      system: 'use MARK-0707 for the API',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const { unmasked } = redact(request);
    expect(unmasked).toEqual([]);
    expect(request.body.system).toBe('use [REDACTED:test_marker] for the API');
  });

  it('never rewrites signed thinking: such a span is unmasked', () => {
    const request = anthropicAdapter.parseRequest({
      model: 'claude-sonnet-4-5',
      max_tokens: 10,
      messages: [
        { role: 'user', content: 'hi' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'the key is MARK-0808', signature: 'sig' },
            { type: 'text', text: 'ok' },
          ],
        },
      ],
    });
    const { masked, unmasked } = redact(request);
    expect(masked).toEqual([]);
    expect(unmasked).toHaveLength(1);
  });
});
