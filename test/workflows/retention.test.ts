import { describe, expect, it } from 'vitest';
import { retentionSchedule } from '../../app/ops/retention';
import { loadConfig } from '../../src/config';
import { PURGE_CHUNK_ROWS, type PurgeCountedOrdersInput, type PurgeCountedResult } from '../../src/contract';
import { retentionHorizonMs } from '../../src/core/retention';
import { purgeCounted } from '../../workflows/retention';
import { useFakeWorker } from '../helpers/workflow-env';

const DAY_MS = 86_400_000;

describe('purgeCounted with a fake purge', () => {
  const calls: PurgeCountedOrdersInput[] = [];

  const fake = useFakeWorker({
    async purgeCountedOrders(input) {
      calls.push(input);
      return { beforeMs: input.beforeMs, deleted: 12_345, statements: 3 };
    },
  });

  /** Runs the schedule's action for `env` as the schedule would; returns the result and the run's clock. */
  async function runScheduled(id: string, vars: Record<string, string>) {
    const { action } = retentionSchedule(loadConfig({ ...process.env, ...vars }));
    expect(action.workflowType).toBe(purgeCounted);
    const handle = await fake.env.client.workflow.start(purgeCounted, {
      taskQueue: fake.taskQueue,
      workflowId: id,
      args: action.args,
    });
    const result = (await handle.result()) as PurgeCountedResult;
    // The workflow's Date.now() is the time its first workflow task started.
    const history = await handle.fetchHistory();
    const started = history.events?.find((e) => e.workflowTaskStartedEventAttributes)?.eventTime;
    const clockMs = Number(started?.seconds) * 1000 + Math.floor((started?.nanos ?? 0) / 1e6);
    return { result, clockMs, handle };
  }

  it('purges before the default 7-day horizon, window-aligned, in chunks of PURGE_CHUNK_ROWS', async () => {
    calls.length = 0;
    const { result, clockMs, handle } = await runScheduled('purge-default', {});
    expect(calls).toEqual([{ beforeMs: retentionHorizonMs(clockMs, 7, 15), chunkRows: PURGE_CHUNK_ROWS }]);
    expect(clockMs - calls[0].beforeMs).toBeGreaterThanOrEqual(7 * DAY_MS);
    expect(clockMs - calls[0].beforeMs).toBeLessThan(7 * DAY_MS + 15_000);
    expect(calls[0].beforeMs % 15_000).toBe(0);
    expect(result).toEqual({ beforeMs: calls[0].beforeMs, deleted: 12_345, statements: 3 });
    expect((await handle.describe()).memo).toMatchObject({ deleted: 12_345, statements: 3 });
  }, 60_000);

  it('follows COUNTED_RETENTION_DAYS and WINDOW_SECONDS, and the clock from one run to the next', async () => {
    calls.length = 0;
    const first = await runScheduled('purge-30d-a', { COUNTED_RETENTION_DAYS: '30', WINDOW_SECONDS: '60' });
    await fake.env.sleep('3 days');
    const second = await runScheduled('purge-30d-b', { COUNTED_RETENTION_DAYS: '30', WINDOW_SECONDS: '60' });
    expect(calls.map((c) => c.beforeMs)).toEqual([
      retentionHorizonMs(first.clockMs, 30, 60),
      retentionHorizonMs(second.clockMs, 30, 60),
    ]);
    // Three days of the test server's clock passed between the runs (no wall-clock wait).
    expect(second.clockMs - first.clockMs).toBeGreaterThanOrEqual(3 * DAY_MS);
    expect(calls[1].beforeMs - calls[0].beforeMs).toBeGreaterThanOrEqual(3 * DAY_MS - 60_000);
    expect(first.result.beforeMs).toBe(calls[0].beforeMs);
  }, 60_000);
});
