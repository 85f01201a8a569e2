import { describe, expect, it } from 'vitest';
import { addDays, daysBetween, eachDay, isDate, monthChunks } from '../../src/core/days';

describe('calendar days', () => {
  it('validates real dates only', () => {
    expect(isDate('2018-02-28')).toBe(true);
    expect(isDate('2020-02-29')).toBe(true);
    expect(isDate('2019-02-29')).toBe(false);
    expect(isDate('2018-13-01')).toBe(false);
    expect(isDate('2018-1-01')).toBe(false);
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
