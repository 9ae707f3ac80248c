// Small numeric helpers shared by the load generator and the report.

export interface Dist {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export const EMPTY_DIST: Dist = {
  n: 0,
  p50: Number.NaN,
  p90: Number.NaN,
  p99: Number.NaN,
  max: Number.NaN,
  mean: Number.NaN,
};

/** Nearest-rank percentiles (no interpolation: every reported value is a latency that was really observed). */
export function distribution(samples: number[]): Dist {
  if (samples.length === 0) return EMPTY_DIST;
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    n: sorted.length,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted[sorted.length - 1] as number,
    mean: sum / sorted.length,
  };
}

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

/** Median of each field of several distributions (one per round). */
export function medianDist(dists: Dist[]): Dist {
  const pick = (k: keyof Dist) => median(dists.map((d) => d[k]));
  return {
    n: dists.reduce((s, d) => s + d.n, 0),
    p50: pick('p50'),
    p90: pick('p90'),
    p99: pick('p99'),
    max: pick('max'),
    mean: pick('mean'),
  };
}
