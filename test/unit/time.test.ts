import { describe, expect, it } from 'vitest';
import { eventDay, eventTimeMs, isIsoTimestamp, windowBounds, windowStartFor } from '../../src/core/time';

describe('eventDay', () => {
  it.each([
    ['2019-02-11T21:40:27.892+05:30', '2019-02-11'], // 16:10 UTC, same day
    ['2019-02-11T02:00:00.000+05:30', '2019-02-11'], // the 10th in UTC: the written day wins
    ['2019-02-11T23:30:00.000-08:00', '2019-02-11'], // the 12th in UTC
    ['2019-12-31T23:59:59.999-05:00', '2019-12-31'], // next year in UTC
    ['2020-02-29T00:00:00Z', '2020-02-29'],
    ['2018-07-01T00:00:00+1400', '2018-07-01'],
  ])('%s → %s', (createdAt, day) => {
    expect(eventDay(createdAt)).toBe(day);
  });

  it('refuses text that is not a date-time', () => {
    expect(() => eventDay('11/02/2019 21:40')).toThrow(RangeError);
    expect(() => eventDay('')).toThrow(RangeError);
  });
});

describe('isIsoTimestamp and eventTimeMs', () => {
  it('reads the offset', () => {
    expect(eventTimeMs('2019-02-11T21:40:27.892+05:30')).toBe(Date.UTC(2019, 1, 11, 16, 10, 27, 892));
    expect(eventTimeMs('2019-02-11T21:40:27.892+0530')).toBe(Date.UTC(2019, 1, 11, 16, 10, 27, 892));
    expect(eventTimeMs('2019-02-11T23:30:00-08:00')).toBe(Date.UTC(2019, 1, 12, 7, 30));
    expect(() => eventTimeMs('not a time')).toThrow(RangeError);
  });

  it('accepts leap days only in leap years', () => {
    expect(isIsoTimestamp('2020-02-29T00:00:00Z')).toBe(true);
    expect(isIsoTimestamp('2019-02-29T00:00:00Z')).toBe(false);
    expect(isIsoTimestamp('2019-04-31T00:00:00Z')).toBe(false);
    expect(isIsoTimestamp('2019-00-10T00:00:00Z')).toBe(false);
    // Centuries are leap years only every 400 years; every month's last day, and the day after it.
    expect(isIsoTimestamp('2000-02-29T00:00:00Z')).toBe(true);
    expect(isIsoTimestamp('1900-02-29T00:00:00Z')).toBe(false);
    expect(isIsoTimestamp('2100-02-29T00:00:00Z')).toBe(false);
    const last = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    last.forEach((days, i) => {
      const month = String(i + 1).padStart(2, '0');
      expect(isIsoTimestamp(`2019-${month}-${days}T23:59:59+14:00`)).toBe(true);
      expect(isIsoTimestamp(`2019-${month}-${days + 1}T00:00:00Z`)).toBe(false);
    });
  });

  it('requires seconds and an offset, allows 1–9 fraction digits', () => {
    expect(isIsoTimestamp('2019-02-11T21:40+05:30')).toBe(false);
    expect(isIsoTimestamp('2019-02-11 21:40:27+05:30')).toBe(false);
    expect(isIsoTimestamp('2019-02-11T21:40:27.123456789Z')).toBe(true);
    expect(isIsoTimestamp('2019-02-11T21:40:27.Z')).toBe(false);
    expect(isIsoTimestamp('2019-02-11T21:40:60Z')).toBe(false);
  });
});

describe('tumbling windows', () => {
  const W = 15;

  it('align to the epoch', () => {
    expect(windowStartFor(0, W)).toBe(0);
    expect(windowStartFor(14_999, W)).toBe(0);
    expect(windowStartFor(15_000, W)).toBe(15_000);
    expect(windowStartFor(1_549_901_427_892, W)).toBe(1_549_901_415_000);
  });

  it('put a timestamp on a boundary in the window it opens: [start, end)', () => {
    const boundary = 1_700_000_010_000; // a multiple of 15 s
    expect(windowBounds(boundary, W)).toEqual({ start: boundary, end: boundary + 15_000 });
    expect(windowBounds(boundary - 1, W)).toEqual({ start: boundary - 15_000, end: boundary });
  });

  it('handle times before the epoch and other sizes', () => {
    expect(windowStartFor(-1, W)).toBe(-15_000);
    expect(windowBounds(61_000, 60)).toEqual({ start: 60_000, end: 120_000 });
    expect(windowBounds(1_250, 0.5)).toEqual({ start: 1_000, end: 1_500 });
  });

  it('every timestamp falls in exactly the window whose bounds hold it', () => {
    for (let ts = 1_600_000_000_000 - 40_000; ts < 1_600_000_000_000 + 40_000; ts += 997) {
      const { start, end } = windowBounds(ts, W);
      expect(start <= ts && ts < end && start % 15_000 === 0).toBe(true);
    }
  });

  it('refuse a window that is not a positive size', () => {
    expect(() => windowStartFor(1, 0)).toThrow(RangeError);
    expect(() => windowStartFor(1, -15)).toThrow(RangeError);
    expect(() => windowBounds(1, Number.NaN)).toThrow(RangeError);
  });
});
