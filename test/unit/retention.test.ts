import { describe, expect, it } from 'vitest';
import { countedPerLedger, retentionHorizonMs } from '../../src/core/retention';

const at = (iso: string) => Date.parse(iso);

describe('retentionHorizonMs', () => {
  it('is `days` before now when now is on a window boundary', () => {
    expect(retentionHorizonMs(at('2026-11-26T05:00:00Z'), 7, 15)).toBe(at('2026-11-19T05:00:00Z'));
  });

  it('rounds down to the start of the window that holds now minus the retention', () => {
    expect(retentionHorizonMs(at('2026-11-26T05:00:14.999Z'), 7, 15)).toBe(at('2026-11-19T05:00:00Z'));
    expect(retentionHorizonMs(at('2026-11-26T05:00:15Z'), 7, 15)).toBe(at('2026-11-19T05:00:15Z'));
    expect(retentionHorizonMs(at('2026-11-26T05:59:59Z'), 1, 3600)).toBe(at('2026-11-25T05:00:00Z'));
  });

  it('never keeps less than the retention', () => {
    const now = at('2026-11-26T05:07:41.123Z');
    for (const w of [1, 2, 7, 15, 60, 3600]) {
      const h = retentionHorizonMs(now, 7, w);
      expect(now - h).toBeGreaterThanOrEqual(7 * 86_400_000);
      expect(now - h).toBeLessThan(7 * 86_400_000 + w * 1000);
      expect(h % (w * 1000)).toBe(0);
    }
  });

  it('refuses a retention or window it cannot use', () => {
    expect(() => retentionHorizonMs(0, 0, 15)).toThrow(RangeError);
    expect(() => retentionHorizonMs(0, 1.5, 15)).toThrow(RangeError);
    expect(() => retentionHorizonMs(0, 7, 0)).toThrow(RangeError);
  });
});

describe('countedPerLedger', () => {
  const horizon = at('2026-11-19T05:00:00Z');
  it('counts an order the ledger holds, whatever its time', () => {
    expect(countedPerLedger(true, at('2026-11-26T05:00:00Z'), horizon)).toBe(true);
    expect(countedPerLedger(true, at('2026-11-26T05:00:00Z'), null)).toBe(true);
  });
  it('counts an absent order only when it is older than the purged horizon', () => {
    expect(countedPerLedger(false, horizon - 1, horizon)).toBe(true);
    expect(countedPerLedger(false, horizon, horizon)).toBe(false);
    expect(countedPerLedger(false, horizon - 1, null)).toBe(false);
  });
});
