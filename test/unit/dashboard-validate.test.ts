import { describe, expect, it } from 'vitest';
import {
  BadRequest,
  MAX_DAILY_DAYS,
  onlyParams,
  parseDateRange,
  parseLimit,
  parseSource,
} from '../../src/dashboard/validate';

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

  it('rejects unknown and repeated parameters', () => {
    expect(() => onlyParams(new URLSearchParams('source=Google'), ['source'])).not.toThrow();
    bad(() => onlyParams(new URLSearchParams('sauce=Google'), ['source']), /unknown parameter 'sauce'/);
    bad(() => onlyParams(new URLSearchParams('x=1'), []), /takes none/);
    bad(() => onlyParams(new URLSearchParams('limit=1&limit=2'), ['limit']), /more than once/);
  });
});
