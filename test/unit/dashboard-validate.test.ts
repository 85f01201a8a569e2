import { describe, expect, it } from 'vitest';
import {
  BadRequest,
  MAX_DAILY_DAYS,
  onlyParams,
  parseDateRange,
  parseGranularity,
  parseLimit,
  parseSource,
} from '../../app/dashboard/validate';

const bad = (fn: () => unknown, message: RegExp) => {
  expect(fn).toThrow(BadRequest);
  expect(fn).toThrow(message);
};

describe('dashboard query validation', () => {
  it('accepts the five sources exactly', () => {
    expect(parseSource('Facebook')).toBe('Facebook');
    bad(() => parseSource('facebook'), /source must be one of Organic, Affiliate, Facebook, Google, Twitter/);
    bad(() => parseSource(null), /missing parameter 'source'/);
    bad(() => parseSource(''), /missing parameter 'source'/);
  });

  it('parses limits within bounds', () => {
    expect(parseLimit(null, 120, 1000)).toBe(120);
    expect(parseLimit('1', 120, 1000)).toBe(1);
    expect(parseLimit('1000', 120, 1000)).toBe(1000);
    for (const v of ['0', '1001', '-1', '1.5', 'ten', '', ' 5'])
      bad(() => parseLimit(v, 120, 1000), /limit must be/);
  });

  it('parses date ranges, open ends included', () => {
    expect(parseDateRange('2018-01-01', '2018-12-31')).toEqual({ from: '2018-01-01', to: '2018-12-31' });
    expect(parseDateRange(null, null)).toEqual({ from: null, to: null });
    expect(parseDateRange('2020-02-29', '')).toEqual({ from: '2020-02-29', to: null });
    bad(() => parseDateRange('2019-02-29', null), /from must be a date YYYY-MM-DD/);
    bad(() => parseDateRange(null, '2018/01/01'), /to must be a date/);
    bad(() => parseDateRange('2018-02-01', '2018-01-01'), /must not be after/);
    bad(() => parseDateRange('1990-01-01', '2020-01-01'), new RegExp(`at most ${MAX_DAILY_DAYS} days`));
  });

  it('checks real calendar dates, leap days included', () => {
    expect(parseDateRange('2016-02-29', '2016-02-29')).toEqual({ from: '2016-02-29', to: '2016-02-29' });
    for (const v of ['2018-04-31', '2018-00-10', '18-01-01', '2018-1-1', '2018-01-01T00:00:00Z', 'today'])
      bad(() => parseDateRange(v, null), /from must be a date YYYY-MM-DD/);
    // The longest range allowed passes, one day more does not.
    expect(() => parseDateRange('2010-01-01', '2020-02-17')).not.toThrow();
    bad(() => parseDateRange('2010-01-01', '2020-02-18'), /at most/);
  });

  it('parses the daily grouping', () => {
    expect(parseGranularity(null)).toBe('day');
    expect(parseGranularity('')).toBe('day');
    expect(parseGranularity('week')).toBe('week');
    expect(parseGranularity('month')).toBe('month');
    bad(() => parseGranularity('year'), /by must be one of day, week, month, got "year"/);
    bad(() => parseGranularity('Month'), /by must be one of/);
  });

  it('rejects unknown and repeated parameters', () => {
    expect(() => onlyParams(new URLSearchParams('source=Google'), ['source'])).not.toThrow();
    bad(() => onlyParams(new URLSearchParams('sauce=Google'), ['source']), /unknown parameter 'sauce'/);
    bad(() => onlyParams(new URLSearchParams('x=1'), []), /takes none/);
    bad(() => onlyParams(new URLSearchParams('limit=1&limit=2'), ['limit']), /more than once/);
  });
});
