import { describe, expect, it } from 'vitest';
import type { ParsedRequest } from '../../src/providers/types.js';
import { ALL_DETECTORS, buildScanInput, toolDefinitionText } from '../../src/security/registry.js';

const request: ParsedRequest = {
  provider: 'openai',
  model: 'gpt-test',
  stream: false,
  maxTokens: null,
  system: ['Anthropic-style system prompt'],
  messages: [
    { role: 'system', texts: ['OpenAI system message'], toolCalls: [], imageCount: 0 },
    { role: 'user', texts: ['first part', 'second part'], toolCalls: [], imageCount: 1 },
    {
      role: 'assistant',
      texts: [],
      toolCalls: [
        { id: 'c1', name: 'search', arguments: '{"q":"a"}' },
        { id: 'c2', name: 'read_file', arguments: '{"path":"b"}' },
      ],
      imageCount: 0,
    },
    { role: 'tool', texts: ['result text'], toolCalls: [], toolCallId: 'c1', imageCount: 0 },
  ],
  tools: [
    {
      name: 'search',
      description: 'Search the web',
      parameters: { type: 'object', properties: { q: { type: 'string' } } },
    },
    { name: 'read_file' },
  ],
  body: {},
};

describe('registry', () => {
  it('lists one detector per request detector id, tool abuse inert by default', () => {
    expect(ALL_DETECTORS.map((d) => d.id)).toEqual([
      'prompt_injection',
      'secrets',
      'exfiltration',
      'malicious_code',
      'tool_abuse',
    ]);
    const toolAbuse = ALL_DETECTORS.find((d) => d.id === 'tool_abuse');
    expect(toolAbuse?.scan(buildScanInput(request))).toEqual([]);
  });

  it('turns a ParsedRequest into segments that line up with its messages, parts, calls and tools', () => {
    const input = buildScanInput(request);
    expect(input.toolNames).toEqual(['search', 'read_file']);
    expect(
      input.segments.map((s) => [s.kind, s.messageIndex, s.role, s.partIndex, s.toolName ?? null]),
    ).toEqual([
      ['system', -1, 'system', 0, null],
      ['message', 0, 'system', 0, null],
      ['message', 1, 'user', 0, null],
      ['message', 1, 'user', 1, null],
      ['tool_call_arguments', 2, 'assistant', 0, 'search'],
      ['tool_call_arguments', 2, 'assistant', 1, 'read_file'],
      ['tool_result', 3, 'tool', 0, null],
      ['tool_definition', -1, 'tool', 0, 'search'],
      ['tool_definition', -1, 'tool', 1, 'read_file'],
    ]);
    expect(input.segments[3]?.text).toBe('second part');
    expect(input.segments[5]?.text).toBe('{"path":"b"}');
  });

  it('writes a tool definition as name, description and parameter JSON, one per line', () => {
    const text = toolDefinitionText(request.tools[0] as ParsedRequest['tools'][number]);
    expect(text).toBe('search\nSearch the web\n{"type":"object","properties":{"q":{"type":"string"}}}');
    expect(text.slice('search'.length + 1).startsWith('Search the web')).toBe(true);
    expect(toolDefinitionText({ name: 'bare' })).toBe('bare\n\n');
  });
});
