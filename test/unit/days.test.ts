import { describe, expect, it } from 'vitest';
import {
  addDays,
  backfillRangeProblem,
  daysBetween,
  eachDay,
  isDate,
  monthChunks,
} from '../../src/core/days';

describe('calendar days', () => {
  it('validates real dates only', () => {
    expect(isDate('2018-02-28')).toBe(true);
    expect(isDate('2020-02-29')).toBe(true);
    expect(isDate('2019-02-29')).toBe(false);
    expect(isDate('2018-13-01')).toBe(false);
    expect(isDate('2018-1-01')).toBe(false);
    expect(isDate('9999-99-99')).toBe(false);
    expect(isDate('9999-12-32')).toBe(false);
    expect(isDate('2018-00-10')).toBe(false);
  });

  it('adds days across months and years', () => {
    expect(addDays('2018-12-31', 1)).toBe('2019-01-01');
    expect(addDays('2020-03-01', -1)).toBe('2020-02-29');
    expect(daysBetween('2018-01-01', '2018-12-31')).toBe(365);
    expect(daysBetween('2018-01-02', '2018-01-01')).toBe(0);
    expect([...eachDay('2018-01-30', '2018-02-02')]).toEqual([
      '2018-01-30',
      '2018-01-31',
      '2018-02-01',
      '2018-02-02',
    ]);
  });

  it('splits a range into calendar months', () => {
    expect(monthChunks('2018-01-15', '2018-03-10')).toEqual([
      { from: '2018-01-15', to: '2018-01-31', days: 17 },
      { from: '2018-02-01', to: '2018-02-28', days: 28 },
      { from: '2018-03-01', to: '2018-03-10', days: 10 },
    ]);
    expect(monthChunks('2018-01-01', '2018-12-31').reduce((n, c) => n + c.days, 0)).toBe(365);
    expect(monthChunks('2018-05-05', '2018-05-05')).toEqual([
      { from: '2018-05-05', to: '2018-05-05', days: 1 },
    ]);
  });
});

describe('the edges of the calendar', () => {
  it('reads years 0000-0999 as written (Date.UTC would map 0001 to 1901)', () => {
    expect(isDate('0001-01-01')).toBe(true);
    expect(isDate('0099-02-29')).toBe(false);
    expect(addDays('0001-12-31', 1)).toBe('0002-01-01');
  });

  it('ends loops at 9999-12-31 instead of running past it', () => {
    expect([...eachDay('9999-12-30', '9999-12-31')]).toEqual(['9999-12-30', '9999-12-31']);
    expect(monthChunks('9999-12-31', '9999-12-31')).toEqual([
      { from: '9999-12-31', to: '9999-12-31', days: 1 },
    ]);
    expect(() => addDays('9999-12-31', 1)).toThrow(/no YYYY-MM-DD form/);
  });

  it('bounds a backfill range to real dates within the years an order may carry, at most 100 years', () => {
    expect(backfillRangeProblem('2018-01-01', '2018-12-31')).toBeNull();
    expect(backfillRangeProblem('9999-12-31', '9999-12-31')).toBeNull();
    expect(backfillRangeProblem('1000-01-01', '1000-01-31')).toBeNull();
    expect(backfillRangeProblem('0001-01-01', '0001-01-02')).toMatch(/years 1000\.\.9999/);
    expect(backfillRangeProblem('2018-02-30', '2018-03-01')).toMatch(/dates like/);
    expect(backfillRangeProblem('2018-03-01', '2018-02-01')).toMatch(/before --from/);
    expect(backfillRangeProblem('1900-01-01', '2018-12-31')).toMatch(/at most 36525/);
    expect(backfillRangeProblem('1919-01-01', '2018-12-31')).toBeNull();
  });
});
