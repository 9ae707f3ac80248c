// Budget windows: which period a moment belongs to, when it started and when it resets.
//
// Calendar windows follow the wall clock of an IANA time zone, so a "day" is 23 or 25 hours across a DST change
// and starts at the first instant of the local date (where midnight itself is skipped, e.g. a 00:00→01:00 jump, the
// day starts at 01:00). Only the built-in Intl API is used; results are cached until the window ends because
// Intl formatting costs microseconds and this runs per request.
//
// Rolling windows are summed from fixed time buckets (at most ROLLING_BUCKETS + 1 of them). The oldest, partly
// elapsed bucket is counted whole, so a rolling window counts up to one bucket (1/60 of the window) more than its
// length: enforcement errs towards denying, never towards overshooting.
import type { BudgetWindow } from './types.js';

export interface WindowInstance {
  /**
   * Stable name of the window: `day:2025-03-30`, `week:2025-03-24` (its Monday), `month:2025-03`, or for rolling
   * windows `rolling:<seconds>:<n>` where n counts periods of `seconds` since the epoch (alerts fire once per id).
   */
  id: string;
  /** First instant counted, epoch ms. */
  startMs: number;
  /** Calendar: when the next window starts. Rolling: when the oldest counted bucket stops counting. */
  resetsAtMs: number;
}

export interface RollingBuckets {
  bucketMs: number;
  /** Index (epoch ms / bucketMs) of the oldest bucket still counted. */
  oldest: number;
  /** Index of the bucket `nowMs` falls in: where spend lands. */
  current: number;
}

export const ROLLING_BUCKETS = 60;

const MAX_CACHED = 1000;
const formatters = new Map<string, Intl.DateTimeFormat>();
const calendarCache = new Map<string, WindowInstance>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      hourCycle: 'h23',
    });
    if (formatters.size >= MAX_CACHED) formatters.clear();
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  if (typeof timeZone !== 'string' || timeZone === '') return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

interface LocalTime {
  y: number;
  m: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

function localTime(ms: number, timeZone: string): LocalTime {
  const t: LocalTime = { y: 0, m: 0, d: 0, h: 0, mi: 0, s: 0 };
  for (const part of formatter(timeZone).formatToParts(ms)) {
    const v = Number(part.value);
    if (part.type === 'year') t.y = v;
    else if (part.type === 'month') t.m = v;
    else if (part.type === 'day') t.d = v;
    else if (part.type === 'hour') t.h = v;
    else if (part.type === 'minute') t.mi = v;
    else if (part.type === 'second') t.s = v;
  }
  return t;
}

const dateKey = (y: number, m: number, d: number) => y * 10_000 + m * 100 + d;
const localDateKey = (ms: number, timeZone: string) => {
  const t = localTime(ms, timeZone);
  return dateKey(t.y, t.m, t.d);
};

/** Local wall-clock time minus UTC at `ms`, in ms (whole seconds). */
function offsetAt(ms: number, timeZone: string): number {
  const t = localTime(ms, timeZone);
  return Date.UTC(t.y, t.m - 1, t.d, t.h, t.mi, t.s) - Math.floor(ms / 1000) * 1000;
}

/** The first instant whose local date is (y, m, d) or later. */
function startOfLocalDate(y: number, m: number, d: number, timeZone: string): number {
  const target = dateKey(y, m, d);
  const base = Date.UTC(y, m - 1, d);
  const guess = base - offsetAt(base - offsetAt(base, timeZone), timeZone);
  if (localDateKey(guess, timeZone) >= target && localDateKey(guess - 1, timeZone) < target) return guess;
  // Midnight skipped or repeated by a transition: search the instant the date begins (UTC offsets stay within
  // ±16 h of the naive time, and transitions fall on whole seconds).
  let lo = Math.floor((base - 16 * 3_600_000) / 1000);
  let hi = Math.ceil((base + 16 * 3_600_000) / 1000);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDateKey(mid * 1000, timeZone) >= target) hi = mid;
    else lo = mid;
  }
  return hi * 1000;
}

function addDays(y: number, m: number, d: number, days: number): [number, number, number] {
  const date = new Date(Date.UTC(y, m - 1, d + days));
  return [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const isoDate = (y: number, m: number, d: number) => `${pad(y, 4)}-${pad(m)}-${pad(d)}`;

type Period = 'day' | 'week' | 'month';

/** The window of `period` that starts on local date (y, m, d). */
function calendarInstance(period: Period, timeZone: string, y: number, m: number, d: number): WindowInstance {
  const end =
    period === 'day'
      ? addDays(y, m, d, 1)
      : period === 'week'
        ? addDays(y, m, d, 7)
        : ([m === 12 ? y + 1 : y, m === 12 ? 1 : m + 1, 1] as const);
  return {
    id: period === 'month' ? `month:${pad(y, 4)}-${pad(m)}` : `${period}:${isoDate(y, m, d)}`,
    startMs: startOfLocalDate(y, m, d, timeZone),
    resetsAtMs: startOfLocalDate(end[0], end[1], end[2], timeZone),
  };
}

function calendarWindow(period: Period, timeZone: string, nowMs: number): WindowInstance {
  const cacheKey = `${period}|${timeZone}`;
  const cached = calendarCache.get(cacheKey);
  if (cached !== undefined && nowMs >= cached.startMs && nowMs < cached.resetsAtMs) return cached;
  if (!isValidTimeZone(timeZone)) throw new RangeError(`unknown time zone: ${timeZone}`);
  const now = localTime(nowMs, timeZone);
  let start: [number, number, number] = [now.y, now.m, now.d];
  if (period === 'week') {
    const weekday = new Date(Date.UTC(now.y, now.m - 1, now.d)).getUTCDay(); // 0 = Sunday
    start = addDays(now.y, now.m, now.d, -((weekday + 6) % 7));
  } else if (period === 'month') {
    start = [now.y, now.m, 1];
  }
  const window = Object.freeze(calendarInstance(period, timeZone, ...start));
  if (calendarCache.size >= MAX_CACHED) calendarCache.clear();
  calendarCache.set(cacheKey, window);
  return window;
}

function checkRollingSeconds(seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < 1) {
    throw new RangeError(`rolling window seconds must be an integer >= 1, got ${seconds}`);
  }
}

export function rollingBuckets(seconds: number, nowMs: number): RollingBuckets {
  checkRollingSeconds(seconds);
  const bucketMs = Math.ceil(seconds / ROLLING_BUCKETS) * 1000;
  return {
    bucketMs,
    oldest: Math.floor((nowMs - seconds * 1000) / bucketMs),
    current: Math.floor(nowMs / bucketMs),
  };
}

function rollingWindow(seconds: number, nowMs: number): WindowInstance {
  const { bucketMs, oldest } = rollingBuckets(seconds, nowMs);
  return {
    id: `rolling:${seconds}:${Math.floor(nowMs / (seconds * 1000))}`,
    startMs: oldest * bucketMs,
    resetsAtMs: (oldest + 1) * bucketMs + seconds * 1000,
  };
}

export function currentWindow(window: BudgetWindow, nowMs: number): WindowInstance {
  if (!Number.isFinite(nowMs)) throw new RangeError(`nowMs must be finite, got ${nowMs}`);
  if (window.kind === 'rolling') return rollingWindow(window.seconds, nowMs);
  return calendarWindow(window.period, window.timeZone, nowMs);
}

/** The calendar window named `id` (as currentWindow names it), or null when `id` is not one of `window`'s. */
export function calendarWindowById(window: BudgetWindow, id: string): WindowInstance | null {
  if (window.kind !== 'calendar' || !isValidTimeZone(window.timeZone)) return null;
  const match = /^(day|week|month):(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(id);
  if (match === null || match[1] !== window.period) return null;
  const [y, m, d] = [Number(match[2]), Number(match[3]), Number(match[4] ?? 1)];
  if ((window.period === 'month') !== (match[4] === undefined)) return null;
  const [ry, rm, rd] = addDays(y, m, d, 0);
  if (ry !== y || rm !== m || rd !== d) return null;
  if (window.period === 'week' && new Date(Date.UTC(y, m - 1, d)).getUTCDay() !== 1) return null;
  return calendarInstance(window.period, window.timeZone, y, m, d);
}

/** `seconds` of a rolling window id, or null for calendar ids. */
export function rollingSecondsOfId(id: string): number | null {
  const match = /^rolling:(\d+):-?\d+$/.exec(id);
  return match ? Number(match[1]) : null;
}
