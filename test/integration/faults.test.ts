/**
 * Crash tests on the real stack: the worker is a separate process, SIGKILLed mid-flush (raw orders written to
 * Cassandra, MySQL not committed) while a paced replay is mid-way, then SIGKILLed again mid-replay. Restarted
 * workers finish the job; every order counts exactly once. Where to kill is read from Temporal: the worker runs
 * with SALESFLOW_FAULT_PAUSE_BEFORE_COMMIT_MS, which holds each part before its commit, and the flush heartbeats
 * phase `before-commit` there (FlushUnitProgress in the workflow's pending activities).
 */
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCustomers } from '../../app/ops/data';
import { replayInput, replayProgress, startReplay } from '../../app/ops/replay';
import { startStreamWorkflow, waitCounted } from '../../app/ops/stream';
import { connectClient } from '../../app/ops/temporal';
import { REPO_ROOT } from '../../src/config';
import { statusQuery } from '../../src/contract';
import { streamWorkflowId } from '../../src/ids';
import { createPool } from '../../src/io/mysql';
import { createTestEnv, headCsv, type TestEnv } from '../helpers/env';
import { expectExactlyOnce } from '../helpers/exactly-once';
import { pendingFlushes } from '../helpers/flush-progress';
import { kill9, startWorkerProcess } from '../helpers/worker-process';

const ORDERS = 3000;
const CUSTOMERS_CSV = path.join(REPO_ROOT, 'data/customers.csv');

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * An isolated pipeline whose workers are separate processes (started by the test, SIGKILLed at will), with the
 * default customers loaded; everything it started is stopped after the tests.
 */
function crashRig(prefix: string, env: Record<string, string>) {
  const rig = {
    t: undefined as unknown as TestEnv,
    client: undefined as unknown as Client,
    workers: [] as ChildProcess[],
  };
  let closeClient: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    rig.t = await createTestEnv(prefix, env);
    ({ client: rig.client, close: closeClient } = await connectClient(rig.t.config));
    await loadCustomers(rig.t.config, CUSTOMERS_CSV);
  });
  afterAll(async () => {
    await rig.client?.workflow
      .getHandle(streamWorkflowId(rig.t.config))
      .terminate('test done')
      .catch(() => undefined);
    for (const w of rig.workers) await kill9(w);
    await closeClient?.();
    await rig.t?.cleanup();
  });
  return rig;
}

describe('exactly once through worker crashes', () => {
  // Parts of 500 records: the kill mid-flush lands after some parts of a window have committed.
  const rig = crashRig('faults', { FLUSH_PART_RECORDS: '500' });

  it('counts every order once after SIGKILL mid-flush and mid-replay', async () => {
    const { t, client, workers } = rig;
    const ordersCsv = headCsv(
      path.join(REPO_ROOT, 'data/orders.csv'),
      path.join(t.tmpDir, 'orders.csv'),
      ORDERS,
    );

    // Worker A holds each part between its Cassandra writes and the MySQL commit: kill it right there.
    const a = startWorkerProcess({ ...t.env, SALESFLOW_FAULT_PAUSE_BEFORE_COMMIT_MS: '5000' });
    workers.push(a.child);
    await startStreamWorkflow(client, t.config);
    const stream = client.workflow.getHandle(streamWorkflowId(t.config));
    const input = await replayInput(t.config, { file: ordersCsv, rate: 300 });
    const replay = await startReplay(client, t.config, input);
    await until('a flush to hold before its commit', async () =>
      (await pendingFlushes(stream)).some((f) => f.progress?.phase === 'before-commit'),
    );
    await kill9(a.child);
    const progressAtFirstKill = (await replayProgress(replay.handle))?.rows ?? 0;
    expect(progressAtFirstKill).toBeLessThan(ORDERS); // the replay was mid-way too

    // Worker B resumes both activities after their heartbeat timeouts; kill it again mid-replay.
    const b = startWorkerProcess(t.env);
    workers.push(b.child);
    await until(
      'the replay to resume and progress',
      async () =>
        ((await replayProgress(replay.handle).catch(() => null))?.rows ?? 0) > progressAtFirstKill + 300,
    );
    await kill9(b.child);

    // Worker C finishes.
    const c = startWorkerProcess(t.env);
    workers.push(c.child);
    const result = await replay.handle.result();
    expect(result.resumedFrom).toBeGreaterThan(0);
    await waitCounted(t.config, { timeoutMs: 120_000 });

    await expectExactlyOnce(t, ordersCsv, ORDERS);

    // The workflow adds a window's stats when the window closes (MySQL has them live, as parts commit).
    await until(
      'the last window to close',
      async () => (await stream.query(statusQuery)).totals.orders === ORDERS,
    );
    await kill9(c.child);
  }, 300_000);
});

describe('continuous commits in an open window', () => {
  const LIVE_ORDERS = 1200;

  // 30-second windows: everything below happens while one window is open.
  const rig = crashRig('live', { WINDOW_SECONDS: '30', COMMIT_INTERVAL_MS: '300' });

  it('counts orders before their window closes, and a kill during a live commit loses and doubles nothing', async () => {
    const { t, client, workers } = rig;
    const ordersCsv = headCsv(
      path.join(REPO_ROOT, 'data/orders.csv'),
      path.join(t.tmpDir, 'live.csv'),
      LIVE_ORDERS,
    );
    const pool = createPool(t.config, { connectionLimit: 1 });
    /**
     * The earliest window that has not closed yet (by the database's clock) and already holds counted orders:
     * its row's count, the ledger's rows for it and the running totals, read in one statement (one snapshot).
     */
    const liveWindow = async () => {
      const [rows] = await pool.query<RowDataPacket[]>(
        `SELECT w.window_start, w.orders, w.complete, w.window_end > NOW(3) AS open,
                (SELECT COUNT(*) FROM counted_orders c
                  WHERE c.stream_id = w.stream_id AND c.window_start = w.window_start) AS ledger,
                (SELECT COALESCE(SUM(orders), 0) FROM sales_totals) AS totals
           FROM stream_windows w
          WHERE w.complete = 0 AND w.orders > 0 AND w.window_end > NOW(3)
          ORDER BY w.window_start LIMIT 1`,
      );
      return rows[0];
    };
    try {
      // Worker A counts live, holding each part 3 s before its commit (raw orders written, MySQL not yet), and
      // is killed in such a hold. 3 s, longer than the worker's 2 s heartbeat throttle: the heartbeat that says
      // so reaches Temporal while the part is still held.
      const a = startWorkerProcess({ ...t.env, SALESFLOW_FAULT_PAUSE_BEFORE_COMMIT_MS: '3000' });
      workers.push(a.child);
      await startStreamWorkflow(client, t.config);
      const stream = client.workflow.getHandle(streamWorkflowId(t.config));
      const replay = await startReplay(
        client,
        t.config,
        await replayInput(t.config, { file: ordersCsv, rate: 150 }),
      );
      // Polled: the first commit may land just past a window's end; a later one lands inside the next window.
      let live: RowDataPacket | undefined;
      await until('orders counted while their window is open', async () => {
        live = await liveWindow();
        return live !== undefined;
      });
      // Counted means committed: in the window's row, in the ledger and in the running totals, window still open.
      expect(live).toMatchObject({ complete: 0, open: 1 });
      expect(live?.orders).toBeGreaterThan(0);
      expect(Number(live?.ledger)).toBe(live?.orders);
      expect(Number(live?.totals)).toBeGreaterThanOrEqual(live?.orders);
      await until('a live commit after a committed one to be held before its commit', async () =>
        (await pendingFlushes(stream)).some(
          (f) => f.progress?.phase === 'before-commit' && f.progress.parts >= 1,
        ),
      );
      await kill9(a.child);

      const b = startWorkerProcess(t.env);
      workers.push(b.child);
      await replay.handle.result();
      await waitCounted(t.config, { timeoutMs: 120_000 });

      await expectExactlyOnce(t, ordersCsv, LIVE_ORDERS);
      // The window seen open completes once it has closed (all orders may be counted before that), keeping what
      // it had counted live.
      let closed: RowDataPacket | undefined;
      await until('the window seen open to complete', async () => {
        const [rows] = await pool.query<RowDataPacket[]>(
          'SELECT orders, complete FROM stream_windows WHERE window_start = ?',
          [live?.window_start],
        );
        closed = rows[0];
        return closed?.complete === 1;
      });
      expect(closed?.orders).toBeGreaterThanOrEqual(live?.orders);
    } finally {
      await pool.end();
    }
  }, 240_000);
});
