/**
 * salesStream with fake activities on Temporal's time-skipping test server: the orchestration alone (windows in
 * order, status, pause/resume/stop, continue-as-new keeping state, degraded and recovered), with real 15-second
 * windows that take no wall-clock time (`fake.env.sleep`), no stack.
 */
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import {
  type FlushUnitInput,
  type FlushUnitResult,
  pauseSignal,
  resumeSignal,
  type SalesStreamInput,
  type StreamState,
  type StreamStatus,
  statusQuery,
  stopSignal,
} from '../../src/contract';
import { salesStream } from '../../workflows/stream';
import { until } from '../helpers/until';
import { useFakeWorker } from '../helpers/workflow-env';

/** A fake flush: 10 records a window, 8 counted worth 12.5 each, 1 duplicate, 1 dead letter. */
function flushed(input: FlushUnitInput, n: number): FlushUnitResult {
  return {
    windowStartMs: input.windowStartMs,
    windowEndMs: input.windowEndMs,
    batchId: input.windowStartMs / 1000,
    records: 10,
    orders: 8,
    duplicates: 1,
    invalid: 1,
    amount: 100,
    groups: 2,
    offsetsBefore: { 0: String((n - 1) * 10) },
    offsetsAfter: { 0: String(n * 10) },
    lagRecords: 0,
    nextRecordMs: null,
    emptyUntilMs: input.windowEndMs,
    flushMs: 3,
    alreadyCommitted: false,
  };
}

describe('salesStream with fake activities', () => {
  const flushes: FlushUnitInput[] = [];
  let failures = 0;
  /** Where the fake stream's data begins: set by each test from the server's clock. */
  let firstWindowStartMs = 0;

  const fake = useFakeWorker({
    async startStream() {
      return { firstWindowStartMs, offsets: { 0: '0' }, partitions: 1 };
    },
    async flushUnit(input) {
      if (failures > 0) {
        failures -= 1;
        throw ApplicationFailure.nonRetryable(
          'Cassandra at 127.0.0.1:9042: All host(s) tried for query failed',
        );
      }
      flushes.push(input);
      return flushed(input, flushes.length);
    },
    async logEnd() {
      return { 0: '1000' };
    },
  });

  /** A stream whose data began 3 windows (45 s) before the server's now. */
  const start = async (id: string, extra: Partial<SalesStreamInput> = {}) => {
    firstWindowStartMs = Math.floor((await fake.env.currentTimeMs()) / 15_000) * 15_000 - 45_000;
    flushes.length = 0;
    return fake.env.client.workflow.start(salesStream, {
      taskQueue: fake.taskQueue,
      workflowId: id,
      args: [{ streamId: id, topic: 'orders', windowSeconds: 15, ...extra }],
    });
  };
  /** Each window starts where the one before ended: none skipped, none twice. */
  const expectContiguous = () => {
    expect(flushes[0].windowStartMs).toBe(firstWindowStartMs);
    for (let i = 1; i < flushes.length; i++)
      expect(flushes[i].windowStartMs).toBe(flushes[i - 1].windowEndMs);
  };

  it('flushes windows in order, adds them up, continues as new with its state, pauses, resumes, stops', async () => {
    const handle = await start('stream-basic', { windowsPerRun: 3 });
    const firstRun = (await handle.describe()).runId;
    const status = () => handle.query(statusQuery);
    await fake.env.sleep('2 minutes');
    const after = await until('windows of two minutes', status, (s) => s.windowsDone >= 3 + 8);
    expect((await handle.describe()).runId).not.toBe(firstRun);
    expect(after.runWindows).toBeLessThanOrEqual(3);
    expect(after.totals).toEqual({
      records: 10 * after.windowsDone,
      orders: 8 * after.windowsDone,
      duplicates: after.windowsDone,
      invalid: after.windowsDone,
      amount: 100 * after.windowsDone,
    });
    expect(after.offsets).toEqual({ 0: String(10 * after.windowsDone) });
    expectContiguous();

    await handle.signal(pauseSignal);
    const paused = await until('paused', status, (s) => s.phase === 'paused');
    await fake.env.sleep('1 minute');
    expect((await status()).windowsDone).toBe(paused.windowsDone);
    await handle.signal(resumeSignal);
    await fake.env.sleep('1 minute');
    // The paused minute's windows are flushed too, in order, once resumed.
    await until('caught up after the pause', status, (s) => s.windowsDone >= paused.windowsDone + 8);

    await handle.signal(stopSignal);
    const final = (await handle.result()) as StreamState;
    expect(final.totals.orders).toBe(8 * final.windowsDone);
    expect(final.windowsDone).toBe(flushes.length);
    expectContiguous();
  }, 60_000);

  it('shows a window that keeps failing as degraded, with the error and the lag, then recovers', async () => {
    const handle = await start('stream-degraded');
    const status = () => handle.query(statusQuery);
    await until('caught up', status, (s) => s.windowsDone >= 3);
    failures = 1_000_000;
    await fake.env.sleep('1 minute');
    const degraded = await until('degraded', status, (s: StreamStatus) => s.phase === 'degraded');
    expect(degraded.degraded).toMatchObject({
      error: expect.stringMatching(/Cassandra at 127\.0\.0\.1:9042/),
    });
    expect(degraded.degraded?.failures).toBeGreaterThan(1);
    // Measured against the log end (the fake's 1000), not the last window's "lag 0".
    expect(degraded.lagRecords).toBe(1000 - Number(degraded.offsets['0']));
    expect((await handle.describe()).memo).toMatchObject({ health: 'degraded' });
    failures = 0;
    await fake.env.sleep('1 minute');
    const healthy = await until(
      'recovered',
      status,
      (s) => !s.degraded && s.windowsDone > degraded.windowsDone + 3,
    );
    expect(healthy.degraded).toBeNull();
    expect((await handle.describe()).memo).toMatchObject({ health: 'ok' });
    expectContiguous(); // the failing window was retried, never skipped
    await handle.signal(stopSignal);
    await handle.result();
  }, 60_000);

  it('stops while degraded instead of waiting for a fix', async () => {
    const handle = await start('stream-stop-degraded');
    failures = 1_000_000;
    await fake.env.sleep('30 seconds');
    await until(
      'degraded',
      () => handle.query(statusQuery),
      (s) => s.phase === 'degraded',
    );
    await handle.signal(stopSignal);
    const final = (await handle.result()) as StreamState;
    expect(final.degraded?.failures).toBeGreaterThanOrEqual(1);
    failures = 0;
  }, 60_000);
});
