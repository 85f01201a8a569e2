/**
 * Scale-out on the real stack: a 4-partition topic consumed by two worker processes, one unit per partition per
 * window. 100,000 generated orders; both workers run flush units (seen in the workflow history and in the units'
 * commits); one worker is SIGKILLed mid-window and the other takes its units over through the heartbeat timeout;
 * then two partitions are added to the running topic and orders sent only to them are counted. Every order once,
 * totals equal to an independent reference.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCustomers } from '../../app/ops/data';
import { writeDataSet } from '../../app/ops/generate';
import { replayInput, startReplay } from '../../app/ops/replay';
import { startStreamWorkflow, waitCounted } from '../../app/ops/stream';
import { connectClient } from '../../app/ops/temporal';
import { statusQuery } from '../../src/contract';
import { DEFAULT_GENERATE_OPTIONS, generateOrders } from '../../src/core/generate';
import { encodeOrderMessage } from '../../src/core/message';
import { streamWorkflowId } from '../../src/ids';
import { connectProducer, createKafka, highWatermarks } from '../../src/io/kafka';
import { createPool } from '../../src/io/mysql';
import { workByWorker } from '../../src/io/store/stream';
import { createTestEnv, headCsv, type TestEnv } from '../helpers/env';
import { expectExactlyOnce } from '../helpers/exactly-once';
import { pendingFlushes } from '../helpers/flush-progress';
import { until } from '../helpers/until';
import { kill9, startWorkerProcess } from '../helpers/worker-process';

const ORDERS = 100_000;

/** Per worker, the units it completed that counted records (a completed unit's row is never committed again). */
async function completedUnitsByWorker(pool: Pool, streamId: string): Promise<Map<string, number>> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT worker, COUNT(*) AS n FROM stream_window_units
      WHERE stream_id = ? AND complete = 1 AND records > 0 GROUP BY worker`,
    [streamId],
  );
  return new Map(rows.map((r) => [String(r.worker), Number(r.n)]));
}
/** The last orders are held back and sent to the partitions added while the stream runs. */
const LATE_ORDERS = 1_000;

describe('a 4-partition topic on two worker processes', () => {
  let t: TestEnv;
  let client: Client;
  let closeClient: () => Promise<void>;
  const workers: ReturnType<typeof startWorkerProcess>[] = [];
  let ordersCsv: string;
  let customersCsv: string;

  beforeAll(async () => {
    // 5-second windows and parts of 2,000 records: many units and many commits per unit in the run.
    t = await createTestEnv('scale', {
      KAFKA_PARTITIONS: '4',
      WINDOW_SECONDS: '5',
      FLUSH_PART_RECORDS: '2000',
    });
    ({ client, close: closeClient } = await connectClient(t.config));
    const files = await writeDataSet(
      { ...DEFAULT_GENERATE_OPTIONS, orders: ORDERS, seed: 12 },
      path.join(t.tmpDir, 'data'),
    );
    ordersCsv = files.find((f) => f.file.endsWith('orders.csv'))!.file;
    customersCsv = files.find((f) => f.file.endsWith('customers.csv'))!.file;
    const loaded = await loadCustomers(t.config, customersCsv);
    expect(loaded.bad).toEqual([]);
  }, 120_000);

  afterAll(async () => {
    await client?.workflow
      .getHandle(streamWorkflowId(t.config))
      .terminate('test done')
      .catch(() => undefined);
    for (const w of workers) await kill9(w.child);
    await closeClient?.();
    await t?.cleanup();
  });

  it('spreads the units over both workers, survives a SIGKILL mid-window, and follows added partitions', async () => {
    const identity = (w: ReturnType<typeof startWorkerProcess>) => `${w.child.pid}@${os.hostname()}`;
    const a = startWorkerProcess(t.env);
    const b = startWorkerProcess(t.env);
    workers.push(a, b);
    const handle = await startStreamWorkflow(client, t.config).then(() =>
      client.workflow.getHandle(streamWorkflowId(t.config)),
    );
    const head = headCsv(ordersCsv, path.join(t.tmpDir, 'head.csv'), ORDERS - LATE_ORDERS);
    // Paced over several windows, so units run on both workers while the data arrives.
    const replay = await startReplay(
      client,
      t.config,
      await replayInput(t.config, { file: head, rate: 4000 }),
    );

    // Both workers started flush units (the history names the worker of each started activity).
    const flushWorkers = async () => {
      const seen = new Set<string>();
      for (const e of (await handle.fetchHistory()).events ?? [])
        if (e.activityTaskStartedEventAttributes?.identity)
          seen.add(e.activityTaskStartedEventAttributes.identity);
      return seen;
    };
    await until(
      'flush units on both workers',
      flushWorkers,
      (s) => s.has(identity(a)) && s.has(identity(b)),
      120_000,
    );

    // Each worker has completed a unit that counted records (its commit names it) before A is killed: a unit
    // still open when A dies is finished by B, whose commit then names B, so only a completed unit of A's is sure
    // to stay A's work. Then kill A while another unit of its is consuming a window.
    const pool = createPool(t.config, { connectionLimit: 1 });
    const share = () => workByWorker(pool, streamWorkflowId(t.config));
    await until(
      'both workers to complete a unit with records',
      () => completedUnitsByWorker(pool, streamWorkflowId(t.config)),
      (m) => (m.get(identity(a)) ?? 0) > 0 && (m.get(identity(b)) ?? 0) > 0,
      120_000,
    );
    await until(
      'a unit running on worker A',
      () => pendingFlushes(handle),
      (flushes) => flushes.some((f) => f.worker === identity(a)),
      60_000,
    );
    await kill9(a.child);
    await replay.handle.result();
    await waitCounted(t.config, { timeoutMs: 180_000 });

    // Two partitions added to the running topic; the held-back orders go only to them.
    const kafka = createKafka(t.config);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createPartitions({ topicPartitions: [{ topic: t.config.ordersTopic, count: 6 }] });
    await admin.disconnect();
    const producer = await connectProducer(kafka);
    const late = [...generateOrders({ ...DEFAULT_GENERATE_OPTIONS, orders: ORDERS, seed: 12 })].slice(
      -LATE_ORDERS,
    );
    await producer.send({
      topic: t.config.ordersTopic,
      messages: late.map((o, i) => ({
        key: String(o.id),
        value: encodeOrderMessage(o),
        partition: 4 + (i % 2),
      })),
    });
    await producer.disconnect();
    await waitCounted(t.config, { timeoutMs: 120_000 });

    // Exactly once: totals equal the reference over the whole file, each store holds every order once.
    await expectExactlyOnce(t, ordersCsv, ORDERS, customersCsv);
    try {
      // Both workers committed units' work, and the units' records add up to the topic's (the replay resumed
      // after the kill re-sends some orders: duplicates, read once each and not counted).
      const shares = await share();
      expect(shares.get(identity(a)) ?? 0).toBeGreaterThan(0);
      expect(shares.get(identity(b)) ?? 0).toBeGreaterThan(0);
      const inTopic = [...(await highWatermarks(kafka, t.config.ordersTopic)).values()];
      expect([...shares.values()].reduce((n, r) => n + r, 0)).toBe(
        inTopic.reduce((n, o) => n + Number(o), 0),
      );
    } finally {
      await pool.end();
    }
    const status = await until(
      'the stream to report the new partitions read',
      () => handle.query(statusQuery),
      // Its state moves when a window completes: the window that read the late orders may still be open when
      // MySQL's checkpoint already has them.
      (s) => Number(s.offsets['4'] ?? 0) > 0 && Number(s.offsets['5'] ?? 0) > 0,
      60_000,
    );
    expect(status.partitions).toBe(6);
    expect(status.units).toBe(6);
  }, 600_000);
});
