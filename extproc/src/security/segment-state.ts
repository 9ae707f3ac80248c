// What the detectors work out about one segment object during a scan (its token runs, its normalised readings, its
// entry in the kept-results table), in one record per segment, so each question is one property read.
//
// The record hangs off the segment itself, under a non-enumerable symbol (a `{ ...segment }` copy starts afresh),
// rather than in a WeakMap: a WeakMap's table lives long and reaches the old generation, and V8's young collections
// then keep an entry's value alive (copying, then promoting it) whether or not its key is still in use. With the
// WeakMap every scan's normalised texts and signals, about 19 KB per 16 KB request, survived young collections:
// each one promoted megabytes and paused for 5-10 ms. On the segment, the record dies young with it.
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

const STATE: unique symbol = Symbol('segment state');

type WithState = ScanSegment & { [STATE]?: SegmentState };

/** For the rare segment that cannot take a property (frozen by its caller). */
const frozenSegments = new WeakMap<ScanSegment, SegmentState>();

export function segmentState(segment: ScanSegment): SegmentState {
  const holder = segment as WithState;
  let state = holder[STATE] ?? frozenSegments.get(segment);
  if (state !== undefined && state.text === segment.text) return state;
  state = new SegmentState(segment.text);
  if (holder[STATE] !== undefined) holder[STATE] = state;
  else if (Object.isExtensible(holder))
    Object.defineProperty(holder, STATE, { value: state, writable: true, enumerable: false });
  else frozenSegments.set(segment, state);
  return state;
}
