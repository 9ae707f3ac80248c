// Holds the policy in force and swaps it atomically: a request reads `store.policy` once when it starts and keeps that
// object, so in-flight requests finish on the version they began with. A snapshot that fails to compile is refused
// whole and the last good one keeps serving.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../log.js';
import { type CompiledPolicy, compilePolicy, defaultPolicy, type PolicyDefaults } from './compiled-policy.js';
import type { MasterKey } from './sealed-secret.js';
import { type PolicySnapshot, SNAPSHOT_SCHEMA } from './snapshot.js';

export class PolicyStore {
  private current: CompiledPolicy;
  private appliedAt = Date.now();
  private readonly lastWarned = new Map<string, number>();
  private readonly versionGauge: Gauge;
  private readonly errors: Counter<'reason'>;
  private readonly appliedListeners: ((policy: CompiledPolicy, snapshot: PolicySnapshot) => void)[] = [];

  constructor(
    private readonly defaults: PolicyDefaults,
    private readonly masterKeys: MasterKey[],
    private readonly log: Logger,
    registry: Registry,
  ) {
    this.current = defaultPolicy(defaults);
    this.versionGauge = new Gauge({
      name: 'acc_extproc_policy_version',
      help: 'Version of the policy snapshot in force (0 = none loaded: bootstrap keys only)',
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'acc_extproc_policy_errors_total',
      help: 'Snapshots refused or not fetched, by reason; the last good snapshot stays in force',
      labelNames: ['reason'] as const,
      registers: [registry],
    });
    const secondsSinceApplied = () => this.secondsSinceApplied();
    new Gauge({
      name: 'acc_extproc_policy_age_seconds',
      help: 'Seconds since the policy in force was applied',
      registers: [registry],
      collect() {
        this.set(secondsSinceApplied());
      },
    });
  }

  get policy(): CompiledPolicy {
    return this.current;
  }

  get version(): number {
    return this.current.version;
  }

  secondsSinceApplied(): number {
    return (Date.now() - this.appliedAt) / 1000;
  }

  /** Counts a failure to fetch snapshots (the source keeps retrying). */
  sourceFailed(reason: string, error: unknown): void {
    this.errors.inc({ reason });
    // A down Redis reports every reconnect attempt: one log line per reason every 10 s is enough.
    const now = Date.now();
    if (now - (this.lastWarned.get(reason) ?? 0) < 10_000) return;
    this.lastWarned.set(reason, now);
    this.log.warn(
      { err: error, reason, version: this.current.version },
      'policy source unavailable; serving last good snapshot',
    );
  }

  /** Called after each snapshot swapped in (e.g. to write Envoy's deployment clusters); must not throw. */
  onApplied(listener: (policy: CompiledPolicy, snapshot: PolicySnapshot) => void): void {
    this.appliedListeners.push(listener);
  }

  /** Applies a snapshot if it is newer; returns whether it is now in force. */
  apply(snapshot: unknown): boolean {
    if (!isSnapshot(snapshot)) {
      this.errors.inc({ reason: 'malformed' });
      this.log.error('refused a malformed policy snapshot');
      return false;
    }
    if (snapshot.version <= this.current.version) return false;
    let compiled: CompiledPolicy;
    try {
      compiled = compilePolicy(snapshot, this.defaults, this.masterKeys);
    } catch (error) {
      this.errors.inc({ reason: 'compile' });
      this.log.error(
        { err: error, version: snapshot.version },
        'refused a policy snapshot that does not compile',
      );
      return false;
    }
    const previous = this.current.version;
    this.current = compiled;
    this.appliedAt = Date.now();
    this.versionGauge.set(compiled.version);
    this.log.info(
      { version: compiled.version, previous, keys: snapshot.keys.length },
      'policy snapshot applied',
    );
    for (const listener of this.appliedListeners) listener(compiled, snapshot);
    return true;
  }
}

function isSnapshot(value: unknown): value is PolicySnapshot {
  if (!value || typeof value !== 'object') return false;
  const snapshot = value as Partial<PolicySnapshot>;
  return (
    snapshot.schema === SNAPSHOT_SCHEMA &&
    Number.isSafeInteger(snapshot.version) &&
    Array.isArray(snapshot.keys) &&
    Array.isArray(snapshot.providerCredentials) &&
    Array.isArray(snapshot.pricing)
  );
}
