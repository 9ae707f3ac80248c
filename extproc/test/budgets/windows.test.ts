import { describe, expect, it } from 'vitest';
import {
  calendarWindowById,
  currentWindow,
  isValidTimeZone,
  ROLLING_BUCKETS,
  rollingBuckets,
} from '../../src/budgets/windows.js';

const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;
const day = (timeZone: string) => ({ kind: 'calendar', period: 'day', timeZone }) as const;
const week = (timeZone: string) => ({ kind: 'calendar', period: 'week', timeZone }) as const;
const month = (timeZone: string) => ({ kind: 'calendar', period: 'month', timeZone }) as const;

describe('calendar days', () => {
  it('are UTC midnight to midnight', () => {
    expect(currentWindow(day('UTC'), at('2025-03-15T12:34:56Z'))).toEqual({
      id: 'day:2025-03-15',
      startMs: at('2025-03-15T00:00:00Z'),
      resetsAtMs: at('2025-03-16T00:00:00Z'),
    });
  });

  it('follow local midnight in the time zone', () => {
    // 23:30 UTC on the 15th is already the 16th in Tokyo (+09:00).
    expect(currentWindow(day('Asia/Tokyo'), at('2025-03-15T23:30:00Z'))).toEqual({
      id: 'day:2025-03-16',
      startMs: at('2025-03-15T15:00:00Z'),
      resetsAtMs: at('2025-03-16T15:00:00Z'),
    });
  });

  it('last 23 hours when clocks spring forward and 25 when they fall back', () => {
    const spring = currentWindow(day('Europe/Berlin'), at('2025-03-30T12:00:00Z'));
    expect(spring.startMs).toBe(at('2025-03-29T23:00:00Z'));
    expect(spring.resetsAtMs).toBe(at('2025-03-30T22:00:00Z'));
    expect(spring.resetsAtMs - spring.startMs).toBe(23 * HOUR);

    const autumn = currentWindow(day('Europe/Berlin'), at('2025-10-26T12:00:00Z'));
    expect(autumn.startMs).toBe(at('2025-10-25T22:00:00Z'));
    expect(autumn.resetsAtMs - autumn.startMs).toBe(25 * HOUR);

    const newYork = currentWindow(day('America/New_York'), at('2025-03-09T12:00:00Z'));
    expect(newYork).toMatchObject({
      startMs: at('2025-03-09T05:00:00Z'),
      resetsAtMs: at('2025-03-10T04:00:00Z'),
    });
  });

  it('start at the first instant of the date when the transition skips midnight', () => {
    // Chile moved clocks from 00:00 to 01:00 on 2024-09-08: that day began at 01:00 local (04:00 UTC).
    const w = currentWindow(day('America/Santiago'), at('2024-09-08T12:00:00Z'));
    expect(w.id).toBe('day:2024-09-08');
    expect(w.startMs).toBe(at('2024-09-08T04:00:00Z'));
    expect(w.resetsAtMs).toBe(at('2024-09-09T03:00:00Z'));
    const before = currentWindow(day('America/Santiago'), at('2024-09-08T03:59:59Z'));
    expect(before).toMatchObject({ id: 'day:2024-09-07', resetsAtMs: w.startMs });
  });

  it('switch exactly at the boundary', () => {
    const w = currentWindow(day('Europe/Berlin'), at('2025-06-01T10:00:00Z'));
    expect(currentWindow(day('Europe/Berlin'), w.resetsAtMs - 1).id).toBe('day:2025-06-01');
    expect(currentWindow(day('Europe/Berlin'), w.resetsAtMs)).toMatchObject({
      id: 'day:2025-06-02',
      startMs: w.resetsAtMs,
    });
  });
});

describe('calendar weeks', () => {
  it('start on Monday', () => {
    // 2025-03-16 is a Sunday: still the week of Monday the 10th.
    expect(currentWindow(week('UTC'), at('2025-03-16T23:59:59Z'))).toEqual({
      id: 'week:2025-03-10',
      startMs: at('2025-03-10T00:00:00Z'),
      resetsAtMs: at('2025-03-17T00:00:00Z'),
    });
    expect(currentWindow(week('UTC'), at('2025-03-17T00:00:00Z')).id).toBe('week:2025-03-17');
  });

  it('turn over at local Monday midnight', () => {
    // Sunday 20:00 UTC is Monday 05:00 in Tokyo.
    const w = currentWindow(week('Asia/Tokyo'), at('2025-03-16T20:00:00Z'));
    expect(w).toEqual({
      id: 'week:2025-03-17',
      startMs: at('2025-03-16T15:00:00Z'),
      resetsAtMs: at('2025-03-23T15:00:00Z'),
    });
  });

  it('span a DST change with its real length', () => {
    const w = currentWindow(week('Europe/Berlin'), at('2025-03-27T00:00:00Z'));
    expect(w.id).toBe('week:2025-03-24');
    expect(w.resetsAtMs - w.startMs).toBe(7 * 24 * HOUR - HOUR);
  });

  it('cross year ends', () => {
    expect(currentWindow(week('UTC'), at('2025-01-01T12:00:00Z'))).toMatchObject({
      id: 'week:2024-12-30',
      resetsAtMs: at('2025-01-06T00:00:00Z'),
    });
  });
});

describe('calendar months', () => {
  it('end on the last day, leap years included', () => {
    expect(currentWindow(month('UTC'), at('2024-02-29T23:59:59Z'))).toEqual({
      id: 'month:2024-02',
      startMs: at('2024-02-01T00:00:00Z'),
      resetsAtMs: at('2024-03-01T00:00:00Z'),
    });
    expect(currentWindow(month('UTC'), at('2025-02-28T12:00:00Z')).resetsAtMs).toBe(
      at('2025-03-01T00:00:00Z'),
    );
  });

  it('roll over into the next year', () => {
    expect(currentWindow(month('America/Los_Angeles'), at('2025-12-31T20:00:00Z'))).toEqual({
      id: 'month:2025-12',
      startMs: at('2025-12-01T08:00:00Z'),
      resetsAtMs: at('2026-01-01T08:00:00Z'),
    });
  });

  it('start and end at local midnight on either side of a DST change', () => {
    expect(currentWindow(month('Europe/Berlin'), at('2025-03-15T00:00:00Z'))).toMatchObject({
      startMs: at('2025-02-28T23:00:00Z'),
      resetsAtMs: at('2025-03-31T22:00:00Z'),
    });
  });
});

describe('rolling windows', () => {
  it('sum a bounded number of buckets covering at least the window', () => {
    const now = at('2025-05-05T10:00:30.500Z');
    for (const seconds of [1, 60, 90, 3600, 86_400, 30 * 86_400]) {
      const w = currentWindow({ kind: 'rolling', seconds }, now);
      const b = rollingBuckets(seconds, now);
      expect(w.startMs).toBeLessThanOrEqual(now - seconds * 1000);
      expect(w.startMs).toBe(b.oldest * b.bucketMs);
      expect(b.current - b.oldest + 1).toBeLessThanOrEqual(ROLLING_BUCKETS + 1);
      expect(w.resetsAtMs).toBeGreaterThan(now);
      expect(w.resetsAtMs - b.bucketMs).toBeLessThanOrEqual(now);
      expect(w.id).toMatch(new RegExp(`^rolling:${seconds}:\\d+$`));
    }
  });

  it('keep one id per period so alerts fire once per period', () => {
    const w = { kind: 'rolling', seconds: 3600 } as const;
    expect(currentWindow(w, at('2025-05-05T10:00:00Z')).id).toBe(
      currentWindow(w, at('2025-05-05T10:59:59Z')).id,
    );
    expect(currentWindow(w, at('2025-05-05T11:00:00Z')).id).not.toBe(
      currentWindow(w, at('2025-05-05T10:59:59Z')).id,
    );
  });

  it('reject non-positive or fractional lengths', () => {
    expect(() => currentWindow({ kind: 'rolling', seconds: 0 }, 0)).toThrow(RangeError);
    expect(() => currentWindow({ kind: 'rolling', seconds: 1.5 }, 0)).toThrow(RangeError);
  });
});

describe('time zones', () => {
  it('are validated', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
    expect(() => currentWindow(day('Mars/Olympus_Mons'), 0)).toThrow(RangeError);
  });
});

describe('calendarWindowById', () => {
  it('finds the window currentWindow named', () => {
    for (const w of [day('Europe/Berlin'), week('Asia/Tokyo'), month('America/New_York')]) {
      const current = currentWindow(w, at('2025-10-26T12:00:00Z'));
      expect(calendarWindowById(w, current.id)).toEqual(current);
    }
  });

  it('rejects ids of another period, non-Monday weeks and impossible dates', () => {
    expect(calendarWindowById(day('UTC'), 'month:2025-03')).toBeNull();
    expect(calendarWindowById(week('UTC'), 'week:2025-03-11')).toBeNull();
    expect(calendarWindowById(day('UTC'), 'day:2025-02-30')).toBeNull();
    expect(calendarWindowById({ kind: 'rolling', seconds: 60 }, 'day:2025-02-03')).toBeNull();
  });
});
