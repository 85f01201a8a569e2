/**
 * salesStream with fake activities on an ephemeral Temporal server: the orchestration alone (windows in order,
 * status, pause/resume/stop, continue-as-new keeping state, degraded and recovered), in seconds, no stack.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FlushWindowInput,
  type FlushWindowResult,
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
import { createWorkflowEnv, fakeWorker } from '../helpers/workflow-env';

/** A fake flush: 10 records a window, 8 counted worth 12.5 each, 1 duplicate, 1 dead letter. */
function flushed(input: FlushWindowInput, n: number): FlushWindowResult {
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
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let taskQueue: string;
  let running: Promise<void>;
  const flushes: FlushWindowInput[] = [];
  let failures = 0;

  beforeAll(async () => {
    env = await createWorkflowEnv();
    ({ worker, taskQueue } = await fakeWorker(env, {
      async startStream() {
        // The stream's first record was 3 windows ago: it catches up, then follows the clock.
        return { firstWindowStartMs: Math.floor(Date.now() / 1000) * 1000 - 3000, offsets: { 0: '0' } };
      },
      async flushWindow(input) {
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
    }));
    running = worker.run();
  }, 120_000);

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  const start = (id: string, extra: Partial<SalesStreamInput> = {}) =>
    env.client.workflow.start(salesStream, {
      taskQueue,
      workflowId: id,
      args: [{ streamId: id, topic: 'orders', windowSeconds: 1, graceMs: 100, ...extra }],
    });

  it('flushes windows in order, adds them up, continues as new with its state, pauses, resumes, stops', async () => {
    flushes.length = 0;
    const handle = await start('stream-basic', { windowsPerRun: 3 });
    const firstRun = (await handle.describe()).runId;
    const status = () => handle.query(statusQuery);
    const after = await until(
      'a continue-as-new',
      async () => ({ s: await status(), d: await handle.describe() }),
      ({ s, d }) => d.runId !== firstRun && s.windowsDone >= 5,
    );
    expect(after.s.runWindows).toBeLessThanOrEqual(3);
    expect(after.s.totals.orders).toBe(8 * after.s.windowsDone);
    expect(after.s.totals.amount).toBe(100 * after.s.windowsDone);
    expect(after.s.offsets).toEqual({ 0: String(10 * after.s.windowsDone) });
    // Each window starts where the one before ended: none skipped, none twice.
    for (let i = 1; i < flushes.length; i++)
      expect(flushes[i].windowStartMs).toBe(flushes[i - 1].windowEndMs);

    await handle.signal(pauseSignal);
    const paused = await until('paused', status, (s) => s.phase === 'paused');
    await new Promise((r) => setTimeout(r, 2000));
    expect((await status()).windowsDone).toBe(paused.windowsDone);
    await handle.signal(resumeSignal);
    await until('flushing again', status, (s) => s.windowsDone > paused.windowsDone + 1);

    await handle.signal(stopSignal);
    const final = (await handle.result()) as StreamState;
    expect(final.totals.orders).toBe(8 * final.windowsDone);
    expect(final.windowsDone).toBe(flushes.length);
  }, 60_000);

  it('shows a window that keeps failing as degraded, with the error and the lag, then recovers', async () => {
    flushes.length = 0;
    const handle = await start('stream-degraded', { retryDelayMs: 300 });
    const status = () => handle.query(statusQuery);
    await until('flushing', status, (s) => s.windowsDone >= 2);
    failures = 3;
    // The lag is measured against the log end (the fake's 1000) as soon as the failure is known.
    const degraded = await until(
      'degraded, with its lag',
      status,
      (s: StreamStatus) => s.phase === 'degraded' && s.lagRecords > 0,
    );
    expect(degraded.degraded).toMatchObject({
      error: expect.stringMatching(/Cassandra at 127\.0\.0\.1:9042/),
    });
    expect(degraded.lagRecords).toBe(1000 - Number(degraded.offsets['0']));
    expect((await handle.describe()).memo).toMatchObject({ health: 'degraded' });
    const healthy = await until(
      'recovered',
      status,
      (s) => !s.degraded && s.windowsDone > degraded.windowsDone,
    );
    expect(healthy.degraded).toBeNull();
    expect((await handle.describe()).memo).toMatchObject({ health: 'ok' });
    // The failing window was retried, not skipped.
    for (let i = 1; i < flushes.length; i++)
      expect(flushes[i].windowStartMs).toBe(flushes[i - 1].windowEndMs);
    await handle.signal(stopSignal);
    await handle.result();
  }, 60_000);

  it('stops while degraded instead of waiting for a fix', async () => {
    const handle = await start('stream-stop-degraded', { retryDelayMs: 60_000 });
    failures = 1_000_000;
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
