// What the detectors work out about one segment object during a scan (its token runs, its normalised readings, its
// entry in the kept-results table), in one record per segment. V8 charges for every WeakMap operation and again at
// each garbage collection (weak keys are ephemerons), so one WeakMap with one lookup per question replaces the three
// the facts used to have; a 16 KB request of thirty-odd segments asked them about twenty times per segment.
import type { Normalised } from './normalise.js';
import type { ScanSegment } from './types.js';

export class SegmentState {
  tokenRuns: readonly number[] | undefined = undefined;
  normalised: Normalised | undefined = undefined;
  /** The kept-results table `memoEntry` was resolved in, and that table's generation then (segment-memo.ts). */
  memoTable: object | undefined = undefined;
  memoGeneration = 0;
  memoEntry: unknown = undefined;

  /** A segment is not expected to change; if its text does, everything known about it is forgotten. */
  constructor(readonly text: string) {}
}

const states = new WeakMap<ScanSegment, SegmentState>();

export function segmentState(segment: ScanSegment): SegmentState {
  let state = states.get(segment);
  if (state === undefined || state.text !== segment.text) {
    state = new SegmentState(segment.text);
    states.set(segment, state);
  }
  return state;
}
