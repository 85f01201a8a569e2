import { describe, expect, it } from 'vitest';
import {
  commitLatency,
  endToEnd,
  freshnessOf,
  type SeenCheckpoint,
  windowCompleteSeconds,
  workerShares,
} from '../../tools/bench/results';

describe('a bench run end to end', () => {
  const times = { started: 1_000, published: 3_000, done: 6_000 };

  it('splits the run at the end of publishing and rates it over the whole', () => {
    expect(
      endToEnd(10_000, times, { countedOrders: 10_000, totalsOrders: 10_000, cassandraOrders: 10_000 }),
    ).toEqual({
      publishSeconds: 2,
      catchUpSeconds: 3,
      endToEndSeconds: 5,
      ordersPerSecond: 2000,
      exactlyOnce: true,
    });
  });

  it('is exactly once only when every sink holds every order once', () => {
    const once = (counts: [number, number, number]) =>
      endToEnd(10, times, { countedOrders: counts[0], totalsOrders: counts[1], cassandraOrders: counts[2] })
        .exactlyOnce;
    expect(once([10, 10, 10])).toBe(true);
    expect(once([10, 11, 10])).toBe(false);
    expect(once([10, 10, 9])).toBe(false);
    expect(once([-1, -1, -1])).toBe(false); // the count failed
  });
});

describe("each worker's share", () => {
  const proc = (pid: number) => ({ pid, cpuSeconds: pid / 10, peakRssMb: pid * 10 });

  it('is the records of the units it completed, found by pid@host, over all the units', () => {
    const byWorker = new Map([
      ['11@bench', 300],
      ['12@bench', 100],
      ['11@elsewhere', 0],
    ]);
    expect(workerShares(byWorker, [proc(11), proc(12), proc(13)], 'bench')).toEqual([
      { pid: 11, records: 300, share: 0.75, cpuSeconds: 1.1, peakRssMb: 110 },
      { pid: 12, records: 100, share: 0.25, cpuSeconds: 1.2, peakRssMb: 120 },
      { pid: 13, records: 0, share: 0, cpuSeconds: 1.3, peakRssMb: 130 },
    ]);
  });

  it('is 0 for everyone when no unit completed', () => {
    expect(workerShares(new Map(), [proc(11)], 'bench').map((w) => w.share)).toEqual([0]);
  });
});

describe('freshness', () => {
  it("times each record from its append to the first checkpoint seen past its offset (its partition's)", () => {
    const seen: SeenCheckpoint[] = [
      { at: 1_000, offsets: { '0': '2' } },
      { at: 1_500, offsets: { '0': '5', '1': '1' } },
    ];
    const p0 = commitLatency(seen, 0);
    expect(p0({ offset: '0', timestampMs: 900 })).toBe(0.1);
    expect(p0({ offset: '1', timestampMs: 950 })).toBe(0.05);
    expect(p0({ offset: '2', timestampMs: 1_000 })).toBe(0.5);
    expect(p0({ offset: '5', timestampMs: 1_400 })).toBeUndefined(); // never seen counted
    // Partition 1 is absent from the first checkpoint: nothing of it was counted then.
    expect(commitLatency(seen, 1)({ offset: '0', timestampMs: 1_200 })).toBe(0.3);
  });

  it('measures window completion over the windows wholly inside the traffic', () => {
    const at = (s: number) => new Date(s * 1000);
    const windows = [
      { windowEnd: at(15), flushedAt: at(16) }, // began before the traffic
      { windowEnd: at(30), flushedAt: at(30.5) },
      { windowEnd: at(45), flushedAt: at(45.75) },
      { windowEnd: at(60), flushedAt: at(62) }, // ended after the traffic
    ];
    expect(windowCompleteSeconds(windows, 15, { started: 10_000, published: 50_000 })).toEqual([0.5, 0.75]);
  });

  it('reports the achieved rate and the quantiles (NaN with no window measured)', () => {
    const f = freshnessOf(
      { rate: 100, seconds: 10, messages: 1_000, pollMs: 20 },
      { started: 0, published: 12_500 },
      [0.4, 0.1, 0.3, 0.2],
      [],
    );
    expect(f).toEqual({
      rate: 100,
      seconds: 10,
      achievedRate: 80,
      p50: 0.2,
      p99: 0.4,
      max: 0.4,
      windowCompleteP50: Number.NaN,
      windowCompleteMax: Number.NaN,
      windowsMeasured: 0,
      pollMs: 20,
    });
  });
});
