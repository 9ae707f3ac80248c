// ClawShield's shared vocabulary: what a detector sees, what it reports, and how a finding is located.
// Detectors are pure functions over a ScanInput; nothing here knows about Envoy, gRPC or the control plane.

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export type DetectorId =
  | 'prompt_injection'
  | 'secrets'
  | 'exfiltration'
  | 'malicious_code'
  | 'tool_abuse'
  | 'runaway_agent';

/** Where the scanned text came from inside the request (or response). */
export type SegmentKind =
  | 'system'
  | 'message'
  | 'tool_result'
  | 'tool_call_arguments'
  | 'tool_definition'
  | 'response';

/**
 * One piece of text to scan. `text` is exactly as it appears in the decoded JSON string, so a span
 * [start, end) inside it can be masked in the forwarded body.
 */
export interface ScanSegment {
  kind: SegmentKind;
  /** Index into ParsedRequest.messages, -1 for system prompts / tool definitions / responses. */
  messageIndex: number;
  /** Role of the message (system, user, assistant, tool, …), or `tool` for definitions. */
  role: string;
  /** Index of the text part inside the message (or of the system prompt / tool definition). */
  partIndex: number;
  text: string;
  /** The tool a `tool_call_arguments` or `tool_definition` segment belongs to. */
  toolName?: string;
}

export interface ScanInput {
  segments: ScanSegment[];
  /** Tool names the request defines (for tool-abuse checks). */
  toolNames: string[];
}

export interface FindingLocation {
  kind: SegmentKind;
  messageIndex: number;
  role: string;
  partIndex: number;
  /** Span in the segment's original text (UTF-16 code units), end exclusive. */
  start: number;
  end: number;
}

export interface Finding {
  detector: DetectorId;
  /** Stable rule name inside the detector, e.g. `openai_api_key`, `ignore_previous_instructions`. */
  rule: string;
  severity: Severity;
  /** 0..1 */
  confidence: number;
  location: FindingLocation;
  /** SHA-256 (hex, first 16 chars) of detector + rule + matched text: correlates repeats without storing the text. */
  fingerprint: string;
  /** Short human reason, never containing the matched secret itself. */
  reason: string;
  /** A masked excerpt safe to store and show (e.g. `sk-p…[redacted 48 chars]`). */
  maskedExcerpt: string;
  /** True when masking the span removes the risk (secrets, PII, exfiltration URLs); false for intent findings. */
  redactable: boolean;
}

export interface Detector {
  readonly id: DetectorId;
  scan(input: ScanInput): Finding[];
}

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { low: 1, medium: 2, high: 3, critical: 4 };
