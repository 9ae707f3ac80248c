// What the secrets detector's scan passes report before they become findings, and the spans already taken: a key
// inside an assignment or a URL is reported once, by the pass that knows it best (passes run most specific first).
import type { Severity } from '../types.js';

/** ASCII letters and digits, indexed by UTF-16 unit. */
export const ALNUM = new Uint8Array(65536);
for (let c = 48; c <= 57; c++) ALNUM[c] = 1;
for (let c = 65; c <= 90; c++) ALNUM[c] = 1;
for (let c = 97; c <= 122; c++) ALNUM[c] = 1;

export interface Hit {
  start: number;
  end: number;
  rule: string;
  severity: Severity;
  confidence: number;
  reason: string;
}

/**
 * Accepted spans, non-overlapping. Each scan pass finds spans left to right; a pass's spans are checked against its
 * own last span and, by binary search, against the earlier passes' (kept merged and sorted), so a text with
 * thousands of secrets costs n log n, not n².
 */
export class Hits {
  private merged: Hit[] = [];
  private pass: Hit[] = [];

  overlaps(start: number, end: number): boolean {
    const last = this.pass[this.pass.length - 1];
    if (last !== undefined && start < last.end && last.start < end) return true;
    let lo = 0;
    let hi = this.merged.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.merged[mid] as Hit).end <= start) lo = mid + 1;
      else hi = mid;
    }
    const next = this.merged[lo];
    return next !== undefined && next.start < end;
  }

  add(hit: Hit): void {
    this.pass.push(hit);
  }

  endPass(): void {
    if (this.pass.length === 0) return;
    const out: Hit[] = [];
    let i = 0;
    let j = 0;
    while (i < this.merged.length || j < this.pass.length) {
      const a = this.merged[i];
      const b = this.pass[j];
      if (b === undefined || (a !== undefined && a.start <= b.start)) {
        out.push(a as Hit);
        i++;
      } else {
        out.push(b);
        j++;
      }
    }
    this.merged = out;
    this.pass = [];
  }

  all(): readonly Hit[] {
    this.endPass();
    return this.merged;
  }
}
