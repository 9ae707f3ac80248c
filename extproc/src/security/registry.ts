// Every request detector ClawShield runs, and the one way a ParsedRequest becomes their input. Segment positions
// follow the ParsedRequest (and so body-slots.ts): message i, text part j is `messageIndex: i, partIndex: j`; the
// k-th tool call of message i is `messageIndex: i, partIndex: k`; the n-th tool definition is `partIndex: n`.
import type { ParsedRequest, ToolDefinition } from '../providers/types.js';
import { exfiltrationDetector } from './detectors/exfiltration.js';
import { maliciousCodeDetector } from './detectors/malicious-code.js';
import { promptInjectionDetector } from './detectors/prompt-injection.js';
import { secretsDetector } from './detectors/secrets.js';
import { createToolAbuseDetector, EMPTY_TOOL_POLICY } from './detectors/tool-abuse.js';
import type { Detector, ScanInput, ScanSegment } from './types.js';

/** Tool abuse runs with the empty policy here (it finds nothing); policies build their own with their lists. */
export const ALL_DETECTORS: readonly Detector[] = Object.freeze([
  promptInjectionDetector,
  secretsDetector,
  exfiltrationDetector,
  maliciousCodeDetector,
  createToolAbuseDetector(EMPTY_TOOL_POLICY),
]);

/**
 * The text scanned for a tool definition: name, description and parameter schema (as JSON) on their own lines, so
 * the description starts at `name.length + 1`.
 */
export function toolDefinitionText(tool: ToolDefinition): string {
  const parameters = tool.parameters === undefined ? '' : JSON.stringify(tool.parameters);
  return `${tool.name}\n${tool.description ?? ''}\n${parameters ?? ''}`;
}

export function buildScanInput(request: ParsedRequest): ScanInput {
  const segments: ScanSegment[] = [];
  request.system.forEach((text, partIndex) => {
    segments.push({ kind: 'system', messageIndex: -1, role: 'system', partIndex, text });
  });
  request.messages.forEach((message, messageIndex) => {
    const kind = message.role === 'tool' ? 'tool_result' : 'message';
    message.texts.forEach((text, partIndex) => {
      segments.push({ kind, messageIndex, role: message.role, partIndex, text });
    });
    message.toolCalls.forEach((call, partIndex) => {
      segments.push({
        kind: 'tool_call_arguments',
        messageIndex,
        role: message.role,
        partIndex,
        text: call.arguments,
        toolName: call.name,
      });
    });
  });
  request.tools.forEach((tool, partIndex) => {
    segments.push({
      kind: 'tool_definition',
      messageIndex: -1,
      role: 'tool',
      partIndex,
      text: toolDefinitionText(tool),
      toolName: tool.name,
    });
  });
  return { segments, toolNames: request.tools.map((tool) => tool.name) };
}
