// The security stage's eyes on the answer: turns response scan results into what the pipeline does (pass, masked
// body, refusal, cut stream), what the client is told (headers) and what is recorded (findings, status, metrics).
import type { Logger } from '../log.js';
import { renderGatewayError } from '../pipeline/gateway-errors.js';
import type {
  JsonResponseVerdict,
  RecordAnnotations,
  Rejection,
  ResponseInspector,
  StreamInspector,
} from '../pipeline/stages.js';
import type { SseEvent } from '../providers/sse.js';
import type { ProviderAdapter } from '../providers/types.js';
import {
  type DecidedFinding,
  recordFindings,
  type SecurityStatus,
  statusFor,
  type ThreatLevel,
  threatLevel,
  worseStatus,
  worseThreat,
} from './decision.js';
import type { SecurityMetrics } from './metrics.js';
import type { FailMode } from './policy.js';
import {
  type ResponseScanSettings,
  StreamTextScanner,
  scanJsonResponse,
  streamErrorEvent,
} from './response-scanner.js';

export const STATUS_HEADER = 'x-acc-security-status';
export const THREAT_HEADER = 'x-acc-threat-level';
export const FINDINGS_HEADER = 'x-acc-security-findings';

export function securityHeaders(
  status: SecurityStatus,
  threat: ThreatLevel | 'unknown',
): Array<[string, string]> {
  return [
    [STATUS_HEADER, status],
    [THREAT_HEADER, threat],
  ];
}

/** The finding ids (fingerprints) a refusal names in its header, bounded so the header stays small. */
export function findingIds(blocking: readonly DecidedFinding[]): string {
  return [...new Set(blocking.map((d) => d.finding.fingerprint))].slice(0, 20).join(',');
}

/** A refusal's message: the detectors' reasons (never the matched text) and the ids to look the events up by. */
export function blockMessage(what: string, blocking: readonly DecidedFinding[]): string {
  const reasons = [...new Set(blocking.map((d) => d.finding.reason))].slice(0, 3).join('; ');
  const ids = [...new Set(blocking.map((d) => d.finding.fingerprint))].slice(0, 10).join(', ');
  return `${what} blocked by the gateway's security policy: ${reasons}. Finding ids: ${ids}.`;
}

export interface ResponseInspectorOptions {
  adapter: ProviderAdapter;
  scan: ResponseScanSettings;
  blockStreaming: boolean;
  failMode: FailMode;
  annotations: RecordAnnotations;
  /** Threat level of the request, so the response headers report the worse of the two. */
  requestThreat: ThreatLevel;
  metrics: SecurityMetrics;
  log: Logger;
  requestId: string;
}

const EMPTY: Buffer = Buffer.alloc(0);

export class SecurityResponseInspector implements ResponseInspector {
  constructor(private readonly options: ResponseInspectorOptions) {}

  inspectJson(answer: unknown): JsonResponseVerdict {
    const { options } = this;
    const started = performance.now();
    let result: ReturnType<typeof scanJsonResponse>;
    try {
      result = scanJsonResponse(options.scan, answer);
    } catch (error) {
      return this.jsonScanFailed(error);
    } finally {
      options.metrics.scanSeconds.observe('response', (performance.now() - started) / 1000);
    }
    const status = this.record(result.decided, statusFor(result.action));
    const threat = worseThreat(options.requestThreat, threatLevel(result.decided));
    const headers = securityHeaders(this.combinedStatus(), threat);
    if (result.action === 'block') {
      const blocking = result.decided.filter((d) => d.action === 'block');
      return { kind: 'reject', rejection: this.rejection(blocking, headers) };
    }
    if (result.action === 'redact' && result.body) return { kind: 'replace', body: result.body, headers };
    return { kind: 'pass', headers: status === 'clean' ? [] : headers };
  }

  unscanned(reason: string): void {
    const { metrics, log, requestId } = this.options;
    metrics.outcomes.inc({ phase: 'response', status: 'unscanned' });
    log.warn({ requestId, reason }, 'model response passed unscanned');
  }

  inspectStream(): StreamInspector {
    return new SecurityStreamInspector(this, new StreamTextScanner(this.options.scan), this.options);
  }

  /** Findings into the record and metrics; returns the response's own status. */
  record(decided: readonly DecidedFinding[], status: SecurityStatus, final = true): SecurityStatus {
    const { annotations, metrics } = this.options;
    recordFindings(annotations.securityFindings, decided);
    for (const entry of decided) {
      metrics.findings.inc({
        detector: entry.finding.detector,
        severity: entry.finding.severity,
        action: entry.action,
        phase: 'response',
      });
    }
    if (final) metrics.outcomes.inc({ phase: 'response', status });
    annotations.securityStatus = worseStatus(annotations.securityStatus as SecurityStatus | null, status);
    return status;
  }

  combinedStatus(): SecurityStatus {
    return (this.options.annotations.securityStatus as SecurityStatus | null) ?? 'clean';
  }

  rejection(blocking: readonly DecidedFinding[], headers: Array<[string, string]>): Rejection {
    const rendered = renderGatewayError(
      this.options.adapter,
      'security_response_blocked',
      blockMessage("The model's response was", blocking),
    );
    const ids = findingIds(blocking);
    return { ...rendered, headers: [...headers, [FINDINGS_HEADER, ids]] };
  }

  failed(error: unknown): void {
    const { metrics, log, requestId } = this.options;
    metrics.failures.inc({ phase: 'response' });
    log.error({ err: error, requestId }, 'response security scan failed');
    this.record([], 'error');
  }

  private jsonScanFailed(error: unknown): JsonResponseVerdict {
    this.failed(error);
    const headers = securityHeaders('error', 'unknown');
    if (this.options.failMode === 'open') return { kind: 'pass', headers };
    const rendered = renderGatewayError(
      this.options.adapter,
      'security_scan_failed',
      'The gateway could not scan the model response and its security policy does not allow unscanned responses.',
    );
    return { kind: 'reject', rejection: { ...rendered, headers } };
  }
}

/**
 * Releases whole events only, so that a cut always falls between events and the client's SSE parser sees a
 * well-formed error event. Events usually arrive whole within a chunk, so nothing is held back in practice. The
 * stream observer frames the stream; this sees its events (a block's `raw` may hold bytes of earlier chunks).
 */
class SecurityStreamInspector implements StreamInspector {
  private held = 0;
  private scanning = true;
  private cut = false;
  /** The stream's own status so far (flagged once anything was found), counted once when it ends. */
  private status: SecurityStatus = 'clean';

  constructor(
    private readonly parent: SecurityResponseInspector,
    private readonly scanner: StreamTextScanner,
    private readonly options: ResponseInspectorOptions,
  ) {}

  push(chunk: Buffer, events: readonly SseEvent[]): Buffer {
    if (this.cut) return EMPTY;
    const cut = this.inspect(events);
    if (cut) return cut;
    const released = events.reduce((n, event) => n + event.raw.length, 0);
    const heldBefore = this.held;
    this.held += chunk.length - released;
    // The common case, every byte of the chunk in complete events: hand the same buffer back, no body mutation.
    if (heldBefore === 0 && released === chunk.length) return chunk;
    return join(events);
  }

  end(): Buffer {
    if (this.cut) return EMPTY;
    if (this.scanning) this.options.metrics.outcomes.inc({ phase: 'response', status: this.status });
    return EMPTY;
  }

  /** Scans the events' text; returns the stream's last bytes when it must be cut here. */
  private inspect(events: readonly SseEvent[]): Buffer | null {
    if (!this.scanning || events.length === 0) return null;
    const { metrics } = this.options;
    const started = performance.now();
    let decided: DecidedFinding[];
    try {
      decided = this.scanner.scan(events).decided;
    } catch (error) {
      this.parent.failed(error);
      this.scanning = false;
      if (this.options.failMode === 'open') return null;
      return this.terminate(
        renderGatewayError(
          this.options.adapter,
          'security_scan_failed',
          'The gateway could not scan the model response and its security policy does not allow unscanned responses.',
        ).body,
      );
    } finally {
      metrics.scanSeconds.observe('response', (performance.now() - started) / 1000);
    }
    if (decided.length === 0) return null;
    const severe = decided.filter((d) => d.action === 'block' || d.action === 'redact');
    const cut = this.options.blockStreaming && severe.length > 0;
    // What was done is what gets recorded: a stream is either cut (block) or let through (flag).
    for (const entry of decided) entry.action = cut && entry.action !== 'flag' ? 'block' : 'flag';
    this.status = cut ? 'blocked' : 'flagged';
    this.parent.record(decided, this.status, cut);
    if (!cut) return null;
    return this.terminate(this.parent.rejection(severe, []).body);
  }

  private terminate(errorBody: string): Buffer {
    this.cut = true;
    return streamErrorEvent(this.options.adapter.provider, errorBody);
  }
}

function join(events: readonly SseEvent[]): Buffer {
  if (events.length === 0) return EMPTY;
  if (events.length === 1) return (events[0] as SseEvent).raw;
  return Buffer.concat(events.map((event) => event.raw));
}
