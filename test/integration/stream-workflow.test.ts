import * as path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { replayInput, startReplay } from '../../app/ops/replay';
import { streamInput } from '../../app/ops/stream';
import { pauseSignal, resumeSignal, type StreamState, statusQuery, stopSignal } from '../../src/contract';
import { salesStream } from '../../workflows/stream';
import { sliceCsv } from '../helpers/env';
import { ORDERS_CSV, usePipeline } from '../helpers/pipeline';
import { until } from '../helpers/until';

describe('salesStream workflow', () => {
  // The test starts salesStream itself, with a short run between continue-as-new.
  const p = usePipeline('wf', { env: { WINDOW_SECONDS: '1' }, stream: false });
  let handle: WorkflowHandle;

  const status = () => handle.query(statusQuery);
  async function replay(from: number, to: number) {
    const file = sliceCsv(ORDERS_CSV, path.join(p.t.tmpDir, `orders-${from}.csv`), from, to);
    const { handle: h } = await startReplay(
      p.client,
      p.t.config,
      await replayInput(p.t.config, { file, max: true }),
    );
    await h.result();
  }

  it('answers status, continues as new with its state, pauses, resumes and stops after flushing', async () => {
    handle = await p.client.workflow.start(salesStream, {
      taskQueue: p.t.config.taskQueue,
      workflowId: streamInput(p.t.config).streamId,
      args: [{ ...streamInput(p.t.config), windowsPerRun: 3 }],
    });
    const firstRunId = (await handle.describe()).runId;

    await replay(0, 200);
    const counted = await until('200 orders counted', status, (s) => s.totals.orders === 200);
    expect(counted.streamId).toBe(handle.workflowId);
    expect(counted.windowSeconds).toBe(1);
    expect(['waiting', 'flushing']).toContain(counted.phase);
    expect(Number(counted.offsets['0'])).toBeGreaterThanOrEqual(200);
    expect(counted.last).not.toBeNull();

    // Empty windows keep coming every second: after 3 per run the workflow continues as new, state intact.
    const next = await until(
      'a continue-as-new',
      async () => ({ s: await status(), d: await handle.describe() }),
      ({ d, s }) => d.runId !== firstRunId && s.windowsDone > counted.windowsDone,
    );
    expect(next.s.totals.orders).toBe(200);
    expect(next.s.totals.amount).toBeCloseTo(counted.totals.amount, 6);
    expect(next.s.runWindows).toBeLessThanOrEqual(3);
    expect(next.d.historyLength).toBeLessThan(200);

    await handle.signal(pauseSignal);
    const paused = await until('paused', status, (s) => s.phase === 'paused');
    expect(paused.paused).toBe(true);
    await replay(200, 300);
    await new Promise((r) => setTimeout(r, 3000)); // three windows' worth: nothing flushes while paused
    expect((await status()).totals.orders).toBe(200);

    await handle.signal(resumeSignal);
    await until('resumed and caught up', status, (s) => !s.paused && s.totals.orders === 300);

    await handle.signal(stopSignal);
    const final = (await handle.result()) as StreamState;
    expect(final.totals.orders).toBe(300);
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  }, 180_000);
});
