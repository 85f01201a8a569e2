/**
 * The ledger's retention on the real stack: `stream start` writes the hourly schedule (and a second start updates
 * it), a triggered run deletes exactly the ledger rows (and the unit rows) of windows before the horizon, 5,000 per
 * statement, reconcile still counts the orders purged from the ledger, and `reset` and an isolated environment's
 * cleanup delete the schedule.
 */
import * as path from 'node:path';
import { type Client, ScheduleNotFoundError } from '@temporalio/client';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStreamWorkflow } from '../../app/ops/stream';
import type { Config } from '../../src/config';
import { PURGE_CHUNK_ROWS, type PurgeCountedResult } from '../../src/contract';
import { retentionScheduleId, streamWorkflowId } from '../../src/ids';
import { connectCassandra } from '../../src/io/cassandra';
import { createPool, type Pool } from '../../src/io/mysql';
import { purgedBefore } from '../../src/io/store/retention';
import { COUNTED_ORDERS, STREAM_WINDOW_UNITS } from '../../src/io/store/stream-tables';
import { insertInto } from '../../src/io/store/table';
import { salesflow as runSalesflow } from '../helpers/cli';
import { createTestEnv, headCsv, type TestEnv } from '../helpers/env';
import { ORDERS_CSV, type Pipeline, startPipeline } from '../helpers/pipeline';
import { until } from '../helpers/until';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const ORDERS = 60;

describe('counted_orders retention', () => {
  let pipeline: Pipeline;
  let t: TestEnv;
  let client: Client;
  let pool: Pool;

  beforeAll(async () => {
    pipeline = await startPipeline('ret');
    ({ t, client } = pipeline);
    pool = createPool(t.config, { connectionLimit: 2 });
    await pipeline.replay(headCsv(ORDERS_CSV, path.join(t.tmpDir, 'orders.csv'), ORDERS));
  });

  afterAll(async () => {
    await pool?.end();
    await pipeline?.close();
  });

  const schedule = () => client.schedule.getHandle(retentionScheduleId(t.config));

  /** Triggers the schedule now, as its hourly interval would, and waits for the run it starts. */
  async function triggerPurge(): Promise<PurgeCountedResult> {
    const taken = (await schedule().describe()).info.numActionsTaken;
    await schedule().trigger();
    const d = await until(
      'the triggered purge to start',
      () => schedule().describe(),
      (s) => s.info.numActionsTaken > taken && s.info.recentActions.length > 0,
    );
    const latest = [...d.info.recentActions].sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime())[0];
    const { workflowId, firstExecutionRunId } = latest.action.workflow;
    return client.workflow.getHandle(workflowId, firstExecutionRunId).result();
  }

  /** Ledger rows with IDs from `firstId`, in the 2-second windows from `fromMs` on, one window per 100 rows. */
  async function insertLedger(firstId: number, n: number, fromMs: number): Promise<number[]> {
    const start = Math.floor(fromMs / 2000) * 2000;
    const ids = Array.from({ length: n }, (_, i) => firstId + i);
    await insertInto(
      pool,
      COUNTED_ORDERS,
      ids.map((id, i) => ({
        order_id: id,
        stream_id: streamWorkflowId(t.config),
        window_start: new Date(start + Math.floor(i / 100) * 2000),
        source: 'Organic',
        state: 'TX',
        total: 1,
        kafka_partition: 0,
        kafka_offset: String(i),
        digest: null,
      })),
    );
    return ids;
  }

  const ledgerIds = async (from: number, to: number) => {
    const [rows] = await pool.query<RowDataPacket[]>(
      'SELECT order_id FROM counted_orders WHERE order_id BETWEEN ? AND ? ORDER BY order_id',
      [from, to],
    );
    return rows.map((r) => Number(r.order_id));
  };

  it('stream start writes the hourly schedule for the database; a second start updates it', async () => {
    const d = await schedule().describe();
    expect(d.scheduleId).toBe(`salesflow-retention-${t.config.mysqlDatabase}`);
    expect(d.spec.intervals).toEqual([expect.objectContaining({ every: HOUR_MS })]);
    expect(d.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'purgeCounted',
      taskQueue: t.config.taskQueue,
      args: [{ retentionDays: 7, windowSeconds: 2 }],
    });
    expect(d.policies.overlap).toBe('SKIP');

    // The stream is running: the start reports it, and still writes the schedule with the new retention.
    const again = await startStreamWorkflow(client, { ...t.config, countedRetentionDays: 30 });
    expect(again.started).toBe(false);
    expect((await schedule().describe()).action.args).toEqual([{ retentionDays: 30, windowSeconds: 2 }]);
    await startStreamWorkflow(client, t.config);
    expect((await schedule().describe()).action.args).toEqual([{ retentionDays: 7, windowSeconds: 2 }]);
  });

  it('a triggered run deletes only the rows of windows before the horizon, 5,000 per statement', async () => {
    const now = Date.now();
    // 12,300 rows to purge (two full chunks and a partial one), 300 to keep on either side of the horizon's day.
    const old = await insertLedger(90_000_000, 12_000, now - 30 * DAY_MS);
    const justOlder = await insertLedger(90_100_000, 300, now - 7 * DAY_MS - HOUR_MS);
    const justNewer = await insertLedger(90_200_000, 200, now - 7 * DAY_MS + HOUR_MS);
    const recent = await insertLedger(90_300_000, 100, now - DAY_MS);
    // Unit rows of two windows, one on each side of the horizon.
    await insertInto(
      pool,
      STREAM_WINDOW_UNITS,
      [now - 30 * DAY_MS, now - DAY_MS].map((at) => {
        const start = new Date(Math.floor(at / 2000) * 2000);
        return {
          stream_id: 'retention-test',
          window_start: start,
          unit: 0,
          units: 1,
          worker: 'test',
          records: 1,
          orders: 1,
          duplicates: 0,
          invalid: 0,
          amount: 1,
          offsets_before: '{}',
          offsets_after: '{}',
          lag_records: 0,
          flush_ms: 1,
          flushed_at: start,
          complete: 1,
        };
      }),
    );
    const unitRows = async () => {
      const [rows] = await pool.query<RowDataPacket[]>(
        "SELECT window_start FROM stream_window_units WHERE stream_id = 'retention-test'",
      );
      return rows.map((r) => (r.window_start as Date).getTime());
    };
    const [[before]] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM counted_orders');

    const result = await triggerPurge();

    expect(result.deleted).toBe(old.length + justOlder.length);
    expect(result.statements).toBe(Math.ceil(result.deleted / PURGE_CHUNK_ROWS));
    expect(result.statements).toBe(3);
    expect(result.beforeMs).toBeGreaterThan(now - 7 * DAY_MS - HOUR_MS);
    expect(result.beforeMs).toBeLessThan(now - 7 * DAY_MS + HOUR_MS);
    expect(await ledgerIds(90_000_000, 90_199_999)).toEqual([]);
    expect(await ledgerIds(90_200_000, 90_399_999)).toEqual([...justNewer, ...recent]);
    // The stream's own rows (counted just now) stay: only the purged ones are gone.
    const [[after]] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM counted_orders');
    expect(Number(after.n)).toBe(Number(before.n) - result.deleted);
    expect(Number(after.n)).toBe(ORDERS + justNewer.length + recent.length);
    expect(await purgedBefore(pool)).toBe(result.beforeMs);
    // The windows' unit rows go with the same horizon.
    expect(result.unitRows).toBe(1);
    expect(await unitRows()).toEqual([Math.floor((now - DAY_MS) / 2000) * 2000]);
  });

  it('reconcile still counts the orders purged from the ledger', async () => {
    // Age the stream's own orders by 30 days, in the ledger and in the raw orders' Kafka timestamps, as if they
    // had been counted a month ago; then the purge removes them from the ledger.
    const [rows] = await pool.query<RowDataPacket[]>(
      'SELECT order_id FROM counted_orders WHERE stream_id = ?',
      [streamWorkflowId(t.config)],
    );
    const ids = rows.map((r) => Number(r.order_id)).filter((id) => id < 90_000_000);
    expect(ids.length).toBe(ORDERS);
    await pool.query(
      'UPDATE counted_orders SET window_start = window_start - INTERVAL 30 DAY WHERE order_id IN (?)',
      [ids],
    );
    const cassandra = await connectCassandra(t.config);
    try {
      for (const id of ids) {
        const r = await cassandra.execute(
          `SELECT kafka_ts FROM ${t.config.cassandraKeyspace}.orders_by_id WHERE order_id = ?`,
          [id],
          { prepare: true },
        );
        const aged = new Date((r.first().get('kafka_ts') as Date).getTime() - 30 * DAY_MS);
        await cassandra.execute(
          `UPDATE ${t.config.cassandraKeyspace}.orders_by_id SET kafka_ts = ? WHERE order_id = ?`,
          [aged, id],
          { prepare: true },
        );
      }
    } finally {
      await cassandra.shutdown();
    }

    const result = await triggerPurge();
    expect(result.deleted).toBe(ORDERS);
    expect(await ledgerIds(0, 89_999_999)).toEqual([]);

    const r = await runSalesflow(['backfill', '--reconcile', '--json'], t.env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rawOrders: ORDERS, uncounted: 0, differences: [] });
  }, 180_000);

  it('reset deletes the schedule with the ledger it empties; stream start writes it again', async () => {
    const r = await runSalesflow(['reset', '--yes'], t.env);
    expect(r.code, r.stderr).toBe(0);
    await expect(schedule().describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect(await purgedBefore(pool)).toBeNull();
    const start = await runSalesflow(['stream', 'start'], t.env);
    expect(start.code, start.stderr).toBe(0);
    expect((await schedule().describe()).action.args).toEqual([{ retentionDays: 7, windowSeconds: 2 }]);
  });

  it("an isolated environment's cleanup deletes its schedule", async () => {
    const other = await createTestEnv('retgone');
    let cleaned = false;
    try {
      await startStreamWorkflow(client, other.config);
      await client.workflow.getHandle(streamWorkflowId(other.config)).terminate('no worker in this test');
      expect((await scheduleOf(other.config).describe()).action.args).toEqual([
        { retentionDays: 7, windowSeconds: 2 },
      ]);
      await other.cleanup();
      cleaned = true;
      await expect(scheduleOf(other.config).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    } finally {
      if (!cleaned) await other.cleanup();
    }
  });

  const scheduleOf = (config: Config) => client.schedule.getHandle(retentionScheduleId(config));
});
