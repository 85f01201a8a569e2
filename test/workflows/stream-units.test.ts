/**
 * salesStream over a topic of several partitions, with fake activities on the time-skipping test server: a window
 * is consumed by one unit per partition at once (at most maxUnits), their results add up, a topic that grows gets
 * more units from the next window on, and a unit that keeps failing holds its window (degraded) without the other
 * units' work being counted twice.
 */
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import {
  type FlushUnitInput,
  type FlushUnitResult,
  type SalesStreamInput,
  type StreamState,
  statusQuery,
  stopSignal,
} from '../../src/contract';
import { salesStream } from '../../workflows/stream';
import { until } from '../helpers/until';
import { useFakeWorker } from '../helpers/workflow-env';

const RECORDS_PER_PARTITION = 10;

describe('salesStream with several units per window', () => {
  const flushes: FlushUnitInput[] = [];
  let partitions = 4;
  let failingUnit: number | null = null;
  let firstWindowStartMs = 0;
  /** Orders the fake's successful flushes returned: what the stream's totals must add up to. */
  let counted = 0;
  /** Windows flushed so far per partition: its offsets advance by RECORDS_PER_PARTITION a window. */
  const windowsOf = new Map<number, number>();

  const fake = useFakeWorker({
    async startStream() {
      return {
        firstWindowStartMs,
        offsets: Object.fromEntries(Array.from({ length: partitions }, (_, p) => [p, '0'])),
        partitions,
      };
    },
    async flushUnit(input): Promise<FlushUnitResult> {
      const unit = input.unit ?? 0;
      const units = input.units ?? 1;
      if (unit === failingUnit)
        throw ApplicationFailure.nonRetryable('MySQL at 127.0.0.1:3306 (MYSQL_URL) refused the connection');
      flushes.push(input);
      const mine = Array.from({ length: partitions }, (_, p) => p).filter((p) => p % units === unit);
      const before: Record<string, string> = {};
      const after: Record<string, string> = {};
      for (const p of mine) {
        const n = windowsOf.get(p) ?? 0;
        before[p] = String(n * RECORDS_PER_PARTITION);
        after[p] = String((n + 1) * RECORDS_PER_PARTITION);
        windowsOf.set(p, n + 1);
      }
      counted += RECORDS_PER_PARTITION * mine.length;
      return {
        windowStartMs: input.windowStartMs,
        windowEndMs: input.windowEndMs,
        batchId: input.windowStartMs / 1000,
        records: RECORDS_PER_PARTITION * mine.length,
        orders: RECORDS_PER_PARTITION * mine.length,
        duplicates: 0,
        invalid: 0,
        amount: 2.5 * RECORDS_PER_PARTITION * mine.length,
        groups: 3,
        offsetsBefore: before,
        offsetsAfter: after,
        lagRecords: unit,
        nextRecordMs: null,
        emptyUntilMs: input.windowEndMs,
        flushMs: 5,
        alreadyCommitted: false,
        partitions,
      };
    },
    async logEnd() {
      return Object.fromEntries(Array.from({ length: partitions }, (_, p) => [p, '100000']));
    },
  });

  const start = async (id: string, extra: Partial<SalesStreamInput> = {}) => {
    firstWindowStartMs = Math.floor((await fake.env.currentTimeMs()) / 15_000) * 15_000 - 45_000;
    flushes.length = 0;
    windowsOf.clear();
    counted = 0;
    return fake.env.client.workflow.start(salesStream, {
      taskQueue: fake.taskQueue,
      workflowId: id,
      args: [{ streamId: id, topic: 'orders', windowSeconds: 15, ...extra }],
    });
  };

  /** The units each window was flushed by, in window order. */
  const unitsByWindow = () => {
    const byWindow = new Map<number, FlushUnitInput[]>();
    for (const f of flushes) byWindow.set(f.windowStartMs, [...(byWindow.get(f.windowStartMs) ?? []), f]);
    return [...byWindow.values()];
  };

  it('consumes a window of 4 partitions with 4 units, adds them up, and grows with the topic', async () => {
    partitions = 4;
    const handle = await start('units-basic', { windowsPerRun: 4 });
    const firstRun = (await handle.describe()).runId;
    const status = () => handle.query(statusQuery);
    await fake.env.sleep('1 minute');
    const four = await until('windows', status, (s) => s.windowsDone >= 5);
    for (const window of unitsByWindow().slice(0, 5)) {
      expect(window.map((f) => [f.unit, f.units]).sort()).toEqual([
        [0, 4],
        [1, 4],
        [2, 4],
        [3, 4],
      ]);
    }
    // The status adds the units' shares: each window is 4 partitions × 10 records.
    expect(four.totals.orders).toBe(4 * RECORDS_PER_PARTITION * four.windowsDone);
    expect(Object.keys(four.offsets).sort()).toEqual(['0', '1', '2', '3']);

    // Two partitions added: the next windows have 6 units, and the new partitions' offsets are followed.
    partitions = 6;
    await fake.env.sleep('1 minute');
    await until('six units', status, () => unitsByWindow().some((w) => w.length === 6));
    await handle.signal(stopSignal);
    const final = (await handle.result()) as StreamState;
    const windows = unitsByWindow();
    expect(windows.every((w) => w.length === 4 || w.length === 6)).toBe(true);
    // Grown once, never shrunk back; every window flushed once per unit, none skipped.
    const firstSix = windows.findIndex((w) => w.length === 6);
    expect(windows.slice(firstSix).every((w) => w.length === 6)).toBe(true);
    for (let i = 1; i < windows.length; i++)
      expect(windows[i][0].windowStartMs).toBe(windows[i - 1][0].windowEndMs);
    expect(final.partitions).toBe(6);
    // Continued as new (every 4 windows) with the partitions and units in its state.
    expect((await handle.describe()).runId).not.toBe(firstRun);
    expect(Number(final.offsets['5'])).toBeGreaterThan(0);
    expect(final.totals.orders).toBe(counted);
  }, 60_000);

  it('caps the units at maxUnits, each unit reading every maxUnits-th partition', async () => {
    partitions = 4;
    const handle = await start('units-capped', { maxUnits: 2 });
    await fake.env.sleep('30 seconds');
    const s = await until(
      'windows',
      () => handle.query(statusQuery),
      (st) => st.windowsDone >= 2,
    );
    expect(unitsByWindow()[0].map((f) => f.units)).toEqual([2, 2]);
    expect(s.totals.orders).toBe(4 * RECORDS_PER_PARTITION * s.windowsDone);
    await handle.signal(stopSignal);
    await handle.result();
  }, 60_000);

  it('holds a window while one unit fails (degraded) and counts the others once when it recovers', async () => {
    partitions = 4;
    const handle = await start('units-degraded');
    const status = () => handle.query(statusQuery);
    await until('started', status, (s) => s.windowsDone >= 3);
    failingUnit = 2;
    await fake.env.sleep('1 minute');
    const degraded = await until('degraded', status, (s) => s.phase === 'degraded');
    expect(degraded.degraded?.error).toMatch(/MYSQL_URL/);
    const held = degraded.windowsDone;
    await fake.env.sleep('30 seconds');
    expect((await status()).windowsDone).toBe(held); // no window passes a failing unit
    failingUnit = null;
    await fake.env.sleep('1 minute');
    const healthy = await until('recovered', status, (s) => !s.degraded && s.windowsDone >= held + 3);
    // Units 0, 1 and 3 of the held window ran once; unit 2 once it recovered: every (window, unit) once.
    const seen = flushes.map((f) => `${f.windowStartMs}/${f.unit}`);
    expect(new Set(seen).size).toBe(seen.length);
    expect(healthy.totals.orders).toBe(4 * RECORDS_PER_PARTITION * healthy.windowsDone);
    await handle.signal(stopSignal);
    await handle.result();
  }, 60_000);
});
