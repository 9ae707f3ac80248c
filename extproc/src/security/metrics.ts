// ClawShield's Prometheus series, registered on extproc's registry. Labels are bounded: detector, severity, action,
// phase and status come from fixed lists; rules, keys and agents never become labels.
import { Counter, type Registry } from 'prom-client';
import { PhaseHistogram } from '../metrics.js';

export type ScanPhase = 'request' | 'response';

export class SecurityMetrics {
  readonly findings: Counter<'detector' | 'severity' | 'action' | 'phase'>;
  /** Observed per request and per stream chunk: resolves its series once per phase, unlike prom-client's. */
  readonly scanSeconds: PhaseHistogram;
  readonly failures: Counter<'phase'>;
  readonly outcomes: Counter<'phase' | 'status'>;

  constructor(registry: Registry) {
    this.findings = new Counter({
      name: 'acc_security_findings_total',
      help: 'Security findings by detector, severity, the action applied (flag, redact, block) and phase',
      labelNames: ['detector', 'severity', 'action', 'phase'] as const,
      registers: [registry],
    });
    this.scanSeconds = new PhaseHistogram(
      {
        name: 'acc_security_scan_seconds',
        help: 'Time spent scanning one request body, or one response body or stream chunk',
        buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      },
      registry,
    );
    this.failures = new Counter({
      name: 'acc_security_scan_failures_total',
      help: 'Scanner errors; the policy fail mode decided whether the exchange went on unscanned or was refused',
      labelNames: ['phase'] as const,
      registers: [registry],
    });
    this.outcomes = new Counter({
      name: 'acc_security_outcomes_total',
      help: 'Scanned requests and responses by resulting status (clean, flagged, redacted, blocked, error, unscanned)',
      labelNames: ['phase', 'status'] as const,
      registers: [registry],
    });
  }
}
