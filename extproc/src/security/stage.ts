// ClawShield in the request path: scans every parsed request under its org's / team's policy before it is
// forwarded, then blocks it, masks what can be masked in the forwarded body, or flags it; and arranges for the
// answer to be scanned too. Every parsed request's response carries x-acc-security-status and x-acc-threat-level.
import type { Logger } from '../log.js';
import { renderGatewayError } from '../pipeline/gateway-errors.js';
import type { RequestRecord } from '../pipeline/request-record.js';
import type { Rejection, RequestContext, RequestStage } from '../pipeline/stages.js';
import type { EffectiveSecurityPolicy } from './compiled-security.js';
import {
  type DecidedFinding,
  decide,
  recordFindings,
  statusFor,
  strongest,
  threatLevel,
} from './decision.js';
import type { SecurityMetrics } from './metrics.js';
import { redactRequestBody } from './redaction.js';
import { buildScanInput } from './registry.js';
import {
  blockMessage,
  FINDINGS_HEADER,
  findingIds,
  SecurityResponseInspector,
  securityHeaders,
} from './response-inspector.js';
import type { RunawayCheck } from './runaway-check.js';
import type { Finding, ScanInput } from './types.js';

/** One agent behind one key is the unit that loops: two agents sharing a key do not add up to a runaway. */
function runawaySubject(context: RequestContext): string {
  return `${context.identity.keyId}:${context.agent ?? ''}`;
}

export interface SecurityStageDeps {
  metrics: SecurityMetrics;
  log: Logger;
  /** Loop and velocity detection across requests; null disables it whatever the policy says. */
  runaway: RunawayCheck | null;
}

export class SecurityStage implements RequestStage {
  readonly name = 'security';

  constructor(private readonly deps: SecurityStageDeps) {}

  /** Releases the runaway tracker's connection (Redis), after the last request finished. */
  async close(): Promise<void> {
    await this.deps.runaway?.close();
  }

  onRequest(context: RequestContext): Rejection | null | Promise<Rejection | null> {
    const { identity } = context;
    const policy = context.policy.security.forRequest(identity.orgId, identity.teamId);
    const started = performance.now();
    let input: ScanInput;
    let findings: Finding[];
    try {
      input = buildScanInput(context.request);
      findings = [];
      for (const detector of policy.requestDetectors) findings.push(...detector.scan(input));
    } catch (error) {
      this.observe(started);
      return this.scanFailed(context, policy, error);
    }
    const runaway = this.runaway(context, policy, input);
    if (runaway instanceof Promise) {
      return runaway.then(
        (extra) => this.decideScanned(context, policy, input, [...findings, ...extra], started),
        (error: unknown) => {
          this.observe(started);
          return this.scanFailed(context, policy, error);
        },
      );
    }
    return this.decideScanned(context, policy, input, [...findings, ...runaway], started);
  }

  private decideScanned(
    context: RequestContext,
    policy: EffectiveSecurityPolicy,
    input: ScanInput,
    findings: Finding[],
    started: number,
  ): Rejection | null {
    this.observe(started);
    try {
      return this.conclude(context, policy, input, findings);
    } catch (error) {
      return this.scanFailed(context, policy, error);
    }
  }

  onFinish(context: RequestContext, record: RequestRecord): void {
    const { runaway } = this.deps;
    if (!runaway || record.costUsd === null || record.costUsd <= 0) return;
    const policy = context.policy.security.forRequest(context.identity.orgId, context.identity.teamId);
    if (policy.watchesRunaway)
      runaway.spent(runawaySubject(context), policy.settings.runaway, record.costUsd);
  }

  private runaway(
    context: RequestContext,
    policy: EffectiveSecurityPolicy,
    input: ScanInput,
  ): Finding[] | Promise<Finding[]> {
    const settings = policy.settings.runaway;
    if (!this.deps.runaway || !settings.enabled || !policy.watchesRunaway) return [];
    return this.deps.runaway.check(runawaySubject(context), input, settings);
  }

  private observe(started: number): void {
    this.deps.metrics.scanSeconds.observe('request', (performance.now() - started) / 1000);
  }

  private conclude(
    context: RequestContext,
    policy: EffectiveSecurityPolicy,
    input: ScanInput,
    findings: Finding[],
  ): Rejection | null {
    const decided = decide(findings, policy.settings.actions);
    let action = strongest(decided);
    if (action === 'redact') {
      const toMask = decided.filter((d) => d.action === 'redact');
      const { unmasked } = redactRequestBody(
        context.request,
        input,
        toMask.map((d) => d.finding),
      );
      if (unmasked.length > 0) {
        // What the policy says to remove and the gateway cannot remove must not be forwarded.
        const stuck = new Set(unmasked);
        for (const entry of toMask) if (stuck.has(entry.finding)) entry.action = 'block';
        action = 'block';
      } else {
        context.plan.bodyMutated = true;
      }
    }
    const status = statusFor(action);
    const threat = threatLevel(decided);
    this.record(context, decided, status);
    const headers = securityHeaders(status, threat);
    if (action === 'block') return this.block(context, decided, headers);
    context.plan.responseHeaders.push(...headers);
    this.watchResponse(context, policy, threat);
    return null;
  }

  private record(context: RequestContext, decided: readonly DecidedFinding[], status: string): void {
    const { metrics } = this.deps;
    recordFindings(context.annotations.securityFindings, decided);
    for (const entry of decided) {
      metrics.findings.inc({
        detector: entry.finding.detector,
        severity: entry.finding.severity,
        action: entry.action,
        phase: 'request',
      });
    }
    metrics.outcomes.inc({ phase: 'request', status });
    context.annotations.securityStatus = status;
  }

  private block(
    context: RequestContext,
    decided: readonly DecidedFinding[],
    headers: Array<[string, string]>,
  ): Rejection {
    const blocking = decided.filter((d) => d.action === 'block');
    const rendered = renderGatewayError(
      context.adapter,
      'security_blocked',
      blockMessage('Request', blocking),
    );
    const ids = findingIds(blocking);
    return { ...rendered, headers: [...headers, [FINDINGS_HEADER, ids]] };
  }

  private watchResponse(
    context: RequestContext,
    policy: EffectiveSecurityPolicy,
    requestThreat: ReturnType<typeof threatLevel>,
  ): void {
    if (!policy.settings.scanResponses || policy.responseDetectors.length === 0) return;
    context.plan.responseInspector = new SecurityResponseInspector({
      adapter: context.adapter,
      scan: {
        provider: context.provider,
        detectors: policy.responseDetectors,
        actions: policy.settings.actions,
      },
      blockStreaming: policy.settings.blockStreamingResponses,
      failMode: policy.settings.failMode,
      annotations: context.annotations,
      requestThreat,
      metrics: this.deps.metrics,
      log: this.deps.log,
      requestId: context.requestId,
    });
  }

  private scanFailed(
    context: RequestContext,
    policy: EffectiveSecurityPolicy,
    error: unknown,
  ): Rejection | null {
    this.deps.metrics.failures.inc({ phase: 'request' });
    this.deps.metrics.outcomes.inc({ phase: 'request', status: 'error' });
    this.deps.log.error({ err: error, requestId: context.requestId }, 'request security scan failed');
    context.annotations.securityStatus = 'error';
    // A failed scan says nothing about the threat: `unknown`, never `none`.
    const headers = securityHeaders('error', 'unknown');
    if (policy.settings.failMode === 'closed') {
      const rendered = renderGatewayError(
        context.adapter,
        'security_scan_failed',
        'The gateway could not scan this request and its security policy does not allow unscanned requests.',
      );
      return { ...rendered, headers };
    }
    context.plan.responseHeaders.push(...headers);
    this.watchResponse(context, policy, 'none');
    return null;
  }
}
