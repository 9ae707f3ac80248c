// Runaway agents: one key or agent sending the same request in a loop, or spending far faster than it usually does.
//
// Repeats: each request's newest turn (what arrived since the model last spoke: the user's message, tool results,
// and the calls that produced them) is reduced to a 64-bit SimHash (simhash.ts), so a loop whose iterations differ
// only in timestamps, ids or a counter still lands within a few bits of itself. Per subject, near-identical hashes share a
// cluster whose hits are counted in BUCKETS time buckets spanning the window: a sliding count at window/BUCKETS
// resolution, in fixed memory however large the threshold.
//
// Spend: two exponentially decayed sums of spend per subject, a short one (half-life: the window) and a baseline
// (half-life: hours). Spending faster than `velocityFactor` times the baseline rate (never below a floor rate, so a
// new subject has a baseline too) is a runaway once the short sum itself is material.
//
// Two trackers share this logic: in memory (one gateway, LRU-capped) here, and Redis (shared by a fleet) in
// runaway-redis.ts.
import { fingerprint, maskExcerpt } from './findings.js';
import { simHash } from './simhash.js';
import type { Finding, FindingLocation, ScanInput, ScanSegment, Severity } from './types.js';

export interface RequestShape {
  /** SimHash of the newest turn, high and low 32 bits (unsigned). */
  hi: number;
  lo: number;
  /** The first hashed segment: where a finding points. */
  location: FindingLocation;
  /** Masked excerpt of that segment. */
  excerpt: string;
}

export interface RunawayOptions {
  /** Sliding window for repeats, and the half-life of the short spend sum. */
  windowSeconds: number;
  /** Near-identical requests within the window that make a loop. */
  repeatThreshold: number;
  /** SimHash bits two requests may differ in and still count as the same. */
  maxDistance: number;
  /** Short spend rate this many times the baseline rate is a runaway. */
  velocityFactor: number;
  baselineHalfLifeSeconds: number;
  /** The baseline rate never counts as lower than this. */
  floorUsdPerHour: number;
  /** The short decayed sum must reach this before velocity can fire. */
  minSpendUsd: number;
  /** Distinct request clusters remembered per subject (least recently seen evicted). */
  clustersPerSubject: number;
  /** Subjects the in-memory tracker remembers (least recently seen evicted). */
  maxSubjects: number;
}

export const DEFAULT_RUNAWAY_OPTIONS: Readonly<RunawayOptions> = Object.freeze({
  windowSeconds: 60,
  repeatThreshold: 20,
  maxDistance: 3,
  velocityFactor: 10,
  baselineHalfLifeSeconds: 6 * 3600,
  floorUsdPerHour: 0.5,
  minSpendUsd: 1,
  clustersPerSubject: 16,
  maxSubjects: 10_000,
});

/** Time buckets per window: the sliding count's resolution. */
export const BUCKETS = 12;

export function resolveRunawayOptions(options: Partial<RunawayOptions> = {}): RunawayOptions {
  const resolved = { ...DEFAULT_RUNAWAY_OPTIONS };
  for (const [key, value] of Object.entries(options) as Array<[keyof RunawayOptions, number | undefined]>) {
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value < 0)
      throw new RangeError(`runaway option ${key} must be a finite number >= 0`);
    resolved[key] = value;
  }
  if (resolved.windowSeconds <= 0 || resolved.repeatThreshold < 2 || resolved.clustersPerSubject < 1) {
    throw new RangeError(
      'runaway options need windowSeconds > 0, repeatThreshold >= 2 and clustersPerSubject >= 1',
    );
  }
  return resolved;
}

/** Limits a caller's policy may set per request (policy.ts RunawaySettings fits); the rest stays as constructed. */
export type RunawayLimits = Partial<
  Pick<RunawayOptions, 'windowSeconds' | 'repeatThreshold' | 'velocityFactor'>
>;

export function withLimits(options: RunawayOptions, limits: RunawayLimits | undefined): RunawayOptions {
  if (limits === undefined) return options;
  return {
    ...options,
    windowSeconds: limits.windowSeconds ?? options.windowSeconds,
    repeatThreshold: limits.repeatThreshold ?? options.repeatThreshold,
    velocityFactor: limits.velocityFactor ?? options.velocityFactor,
  };
}

export interface RunawayTracker {
  /** Records one request by `subject` (a key or agent id) and returns the runaway findings it triggers. */
  observe(
    subject: string,
    shape: RequestShape,
    nowMs: number,
    limits?: RunawayLimits,
  ): Finding[] | Promise<Finding[]>;
  /** Records what a finished request by `subject` cost. */
  recordSpend(subject: string, usd: number, nowMs: number): void | Promise<void>;
}

// ---- request shape ----------------------------------------------------------------------------------------------------

/** Text hashed per request: a loop repeats near its start, and hashing stays cheap for huge tool results. */
const MAX_HASHED_CHARS = 64 * 1024;

function newestTurn(input: ScanInput): ScanSegment[] {
  let lastAssistant = -1;
  for (const segment of input.segments) {
    if (segment.role === 'assistant' && segment.messageIndex > lastAssistant)
      lastAssistant = segment.messageIndex;
  }
  const turn = input.segments.filter(
    (s) =>
      ((s.kind === 'message' || s.kind === 'tool_result') && s.messageIndex > lastAssistant) ||
      (s.kind === 'tool_call_arguments' && s.messageIndex === lastAssistant),
  );
  if (turn.length > 0) return turn;
  const last = input.segments.findLast((s) => s.kind === 'message' || s.kind === 'tool_result');
  return last === undefined ? [] : [last];
}

/** The shape of a request for repeat detection, or null when it has nothing to compare. */
export function requestShape(input: ScanInput): RequestShape | null {
  const turn = newestTurn(input);
  const first = turn[0];
  if (first === undefined) return null;
  const [hi, lo] = simHash(turn, MAX_HASHED_CHARS);
  return {
    hi,
    lo,
    location: {
      kind: first.kind,
      messageIndex: first.messageIndex,
      role: first.role,
      partIndex: first.partIndex,
      start: 0,
      end: first.text.length,
    },
    excerpt: maskExcerpt(first.text),
  };
}

export function popcount32(value: number): number {
  let v = value - ((value >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

export function hammingDistance(aHi: number, aLo: number, bHi: number, bLo: number): number {
  return popcount32((aHi ^ bHi) >>> 0) + popcount32((aLo ^ bLo) >>> 0);
}

// ---- decisions shared by both trackers ----------------------------------------------------------------------------

export function bucketMs(options: RunawayOptions): number {
  return Math.max(1, Math.floor((options.windowSeconds * 1000) / BUCKETS));
}

/** Fingerprints of recent loops: a runaway subject reports the same one on every request until it stops. */
const recentFingerprints = new Map<string, string>();
const MAX_RECENT_FINGERPRINTS = 1024;

function runawayFingerprint(rule: string, subject: string, shape: RequestShape): string {
  const key = `${rule}\0${subject}\0${shape.hi}:${shape.lo}`;
  let id = recentFingerprints.get(key);
  if (id === undefined) {
    id = fingerprint('runaway_agent', rule, `${subject}\0${shape.hi}:${shape.lo}`);
    if (recentFingerprints.size >= MAX_RECENT_FINGERPRINTS) recentFingerprints.clear();
    recentFingerprints.set(key, id);
  }
  return id;
}

function runawayFinding(
  subject: string,
  shape: RequestShape,
  rule: string,
  severity: Severity,
  confidence: number,
  reason: string,
): Finding {
  return {
    detector: 'runaway_agent',
    rule,
    severity,
    confidence,
    location: { ...shape.location },
    fingerprint: runawayFingerprint(rule, subject, shape),
    reason,
    maskedExcerpt: shape.excerpt,
    redactable: false,
  };
}

/** A finding when `count` near-identical requests in the window reach the threshold. */
export function repeatFinding(
  options: RunawayOptions,
  subject: string,
  shape: RequestShape,
  count: number,
): Finding | null {
  if (count < options.repeatThreshold) return null;
  const severity: Severity = count >= options.repeatThreshold * 2 ? 'critical' : 'high';
  return runawayFinding(
    subject,
    shape,
    'repeated_request',
    severity,
    Math.min(0.99, 0.7 + (0.1 * count) / options.repeatThreshold),
    `${count} near-identical requests within ${options.windowSeconds}s (threshold ${options.repeatThreshold})`,
  );
}

/** Decayed spend sums as stored: values at `atMs`. */
export interface SpendState {
  fast: number;
  base: number;
  atMs: number;
}

export function decaySpend(state: SpendState, options: RunawayOptions, nowMs: number): SpendState {
  const elapsed = Math.max(0, nowMs - state.atMs) / 1000;
  return {
    fast: state.fast * 2 ** (-elapsed / options.windowSeconds),
    base: state.base * 2 ** (-elapsed / options.baselineHalfLifeSeconds),
    atMs: Math.max(nowMs, state.atMs),
  };
}

export function addSpend(state: SpendState, options: RunawayOptions, usd: number, nowMs: number): SpendState {
  const decayed = decaySpend(state, options, nowMs);
  return { fast: decayed.fast + usd, base: decayed.base + usd, atMs: decayed.atMs };
}

/** A finding when the short spend rate runs `velocityFactor` times above the baseline rate. */
export function velocityFinding(
  options: RunawayOptions,
  subject: string,
  shape: RequestShape,
  stored: SpendState,
  nowMs: number,
): Finding | null {
  const { fast, base } = decaySpend(stored, options, nowMs);
  if (fast < options.minSpendUsd) return null;
  // A decayed sum S with half-life H is a rate of S·ln2/H per second.
  const fastPerHour = ((fast * Math.LN2) / options.windowSeconds) * 3600;
  const basePerHour = Math.max(
    ((base * Math.LN2) / options.baselineHalfLifeSeconds) * 3600,
    options.floorUsdPerHour,
  );
  const ratio = fastPerHour / basePerHour;
  if (ratio < options.velocityFactor) return null;
  return runawayFinding(
    subject,
    shape,
    'spend_velocity',
    ratio >= options.velocityFactor * 3 ? 'critical' : 'high',
    Math.min(0.95, 0.6 + (0.1 * ratio) / options.velocityFactor),
    `spending $${fastPerHour.toFixed(2)}/h, ${ratio.toFixed(1)}x the usual $${basePerHour.toFixed(2)}/h`,
  );
}

// ---- in-memory tracker --------------------------------------------------------------------------------------------

interface Cluster {
  hi: number;
  lo: number;
  lastSeenMs: number;
  /** Hits per bucket; slot = bucket index mod BUCKETS, valid while `bucketOf[slot]` is that index. */
  counts: Int32Array;
  bucketOf: Float64Array;
}

interface SubjectState {
  clusters: Cluster[];
  spend: SpendState;
}

/** One gateway's view. Memory: maxSubjects × clustersPerSubject × BUCKETS counters, whatever the traffic. */
export class MemoryRunawayTracker implements RunawayTracker {
  readonly options: RunawayOptions;
  private readonly subjects = new Map<string, SubjectState>();

  constructor(options: Partial<RunawayOptions> = {}) {
    this.options = resolveRunawayOptions(options);
  }

  get size(): number {
    return this.subjects.size;
  }

  private state(subject: string): SubjectState {
    let state = this.subjects.get(subject);
    if (state !== undefined) {
      // Re-inserting moves the subject to the back of the Map's order: the front is the least recently seen.
      this.subjects.delete(subject);
    } else {
      state = { clusters: [], spend: { fast: 0, base: 0, atMs: 0 } };
      if (this.subjects.size >= this.options.maxSubjects) {
        const oldest = this.subjects.keys().next();
        if (!oldest.done) this.subjects.delete(oldest.value);
      }
    }
    this.subjects.set(subject, state);
    return state;
  }

  private cluster(state: SubjectState, shape: RequestShape, nowMs: number): Cluster {
    let best: Cluster | undefined;
    let bestDistance = this.options.maxDistance + 1;
    for (const cluster of state.clusters) {
      const distance = hammingDistance(cluster.hi, cluster.lo, shape.hi, shape.lo);
      if (distance < bestDistance) {
        best = cluster;
        bestDistance = distance;
      }
    }
    if (best !== undefined) return best;
    if (state.clusters.length >= this.options.clustersPerSubject) {
      let oldest = 0;
      state.clusters.forEach((c, i) => {
        if (c.lastSeenMs < (state.clusters[oldest] as Cluster).lastSeenMs) oldest = i;
      });
      state.clusters.splice(oldest, 1);
    }
    const created: Cluster = {
      hi: shape.hi,
      lo: shape.lo,
      lastSeenMs: nowMs,
      counts: new Int32Array(BUCKETS),
      bucketOf: new Float64Array(BUCKETS).fill(-1),
    };
    state.clusters.push(created);
    return created;
  }

  observe(subject: string, shape: RequestShape, nowMs: number, limits?: RunawayLimits): Finding[] {
    const options = withLimits(this.options, limits);
    const state = this.state(subject);
    const cluster = this.cluster(state, shape, nowMs);
    cluster.lastSeenMs = nowMs;
    const bucket = Math.floor(nowMs / bucketMs(options));
    const slot = bucket % BUCKETS;
    if (cluster.bucketOf[slot] !== bucket) {
      cluster.bucketOf[slot] = bucket;
      cluster.counts[slot] = 0;
    }
    cluster.counts[slot] = (cluster.counts[slot] as number) + 1;
    let count = 0;
    for (let i = 0; i < BUCKETS; i++) {
      if ((cluster.bucketOf[i] as number) > bucket - BUCKETS) count += cluster.counts[i] as number;
    }
    const findings: Finding[] = [];
    const repeat = repeatFinding(options, subject, shape, count);
    if (repeat !== null) findings.push(repeat);
    const velocity = velocityFinding(options, subject, shape, state.spend, nowMs);
    if (velocity !== null) findings.push(velocity);
    return findings;
  }

  recordSpend(subject: string, usd: number, nowMs: number): void {
    if (!(usd > 0)) return;
    const state = this.state(subject);
    state.spend = addSpend(state.spend, this.options, usd, nowMs);
  }
}
