/**
 * The main job end to end on the real stack: replay → Kafka → windows → MySQL + Cassandra, exactly once; bad
 * input to the DLQ; the stream workflow's signals, status query and continue-as-new.
 */
import * as path from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { readRunningTotals } from '../../app/ops/data';
import { waitCounted } from '../../app/ops/stream';
import { statusQuery } from '../../src/contract';
import { streamWorkflowId } from '../../src/ids';
import { connectCassandra, countOrders } from '../../src/io/cassandra';
import { connectProducer, createKafka, produceBatch, readRange } from '../../src/io/kafka';
import { createPool } from '../../src/io/mysql';
import { dlqCounts } from '../../src/io/store/stream';
import { headCsv } from '../helpers/env';
import { CUSTOMERS_CSV, ORDERS_CSV, usePipeline } from '../helpers/pipeline';
import { referenceTotals, relErr } from '../helpers/reference';
import { until } from '../helpers/until';

const ORDERS = 3000;

/** An order message as the seed writes it, with some fields changed. */
const orderJson = (over: Record<string, unknown>) =>
  JSON.stringify({
    ID: 900000,
    'Created At': '2019-02-11T21:40:27.892+05:30',
    Discount: null,
    'Product ID': 14,
    Quantity: 2,
    Subtotal: 10,
    Tax: 1,
    Total: 11,
    'User ID': 1,
    ...over,
  });

describe('pipeline on the real stack', () => {
  let ordersCsv = '';
  // Flush parts of 700 records: the replay's busy windows commit in several parts each.
  const p = usePipeline('pipe', { env: { FLUSH_PART_RECORDS: '700' } }, async ({ t }) => {
    ordersCsv = headCsv(ORDERS_CSV, path.join(t.tmpDir, 'orders.csv'), ORDERS);
  });

  const replayAndWait = (file: string) => p.pipeline.replay(file);

  it('counts every replayed order exactly once in MySQL and Cassandra', async () => {
    const result = await replayAndWait(ordersCsv);
    expect(result.published).toBe(ORDERS);

    const expected = referenceTotals(ordersCsv, CUSTOMERS_CSV);
    const totals = await readRunningTotals(p.t.config);
    expect(totals.length).toBe(expected.size);
    for (const row of totals) {
      const ref = expected.get(`${row.source}|${row.state}`)!;
      expect(ref, `${row.source}/${row.state}`).toBeDefined();
      expect(row.orders).toBe(ref.orders);
      expect(relErr(row.amount, ref.amount)).toBeLessThanOrEqual(1e-9);
    }

    const cassandra = await connectCassandra(p.t.config);
    expect(await countOrders(cassandra, p.t.config.cassandraKeyspace)).toBe(ORDERS);
    await cassandra.shutdown();

    const pool = createPool(p.t.config, { connectionLimit: 1 });
    const [w] = await pool.query<RowDataPacket[]>(
      'SELECT source, state, SUM(orders) AS orders, SUM(amount_paid) AS amount FROM sales_windows GROUP BY source, state',
    );
    for (const row of w) {
      const ref = expected.get(`${row.source}|${row.state}`)!;
      expect(Number(row.orders)).toBe(ref.orders);
      expect(relErr(row.amount, ref.amount)).toBeLessThanOrEqual(1e-9);
    }
    // Every window completes once it has closed, and its counters add up over its parts (counted live, while
    // the window was open, and in bounded parts).
    const sw = await until(
      'every window to close',
      async () =>
        (
          await pool.query<RowDataPacket[]>(
            'SELECT COUNT(*) AS n, SUM(complete) AS complete, SUM(orders) AS orders, MAX(orders) AS biggest FROM stream_windows',
          )
        )[0],
      (rows) => Number(rows[0].complete) === Number(rows[0].n),
    );
    expect(Number(sw[0].orders)).toBe(ORDERS);
    expect(Number(sw[0].biggest)).toBeGreaterThan(700);
    await pool.end();
  });

  it('replaying the same file again changes nothing', async () => {
    const before = await readRunningTotals(p.t.config);
    await replayAndWait(ordersCsv);
    expect(await readRunningTotals(p.t.config)).toEqual(before.map((r) => ({ ...r })));
    // The workflow adds a window's stats when the window closes (MySQL has them live, as parts commit).
    const handle = p.client.workflow.getHandle(streamWorkflowId(p.t.config));
    const status = await until(
      'the window to close',
      () => handle.query(statusQuery),
      (s) => s.totals.duplicates >= ORDERS,
    );
    expect(status.totals.orders).toBe(ORDERS);
  });

  it('sends each kind of bad input to the DLQ with its reason and bytes, and counts seed-producer messages', async () => {
    const kafka = createKafka(p.t.config);
    const producer = await connectProducer(kafka);
    const bad: Record<string, string> = {
      malformed_json: '{"ID": 900001, "Created At": ',
      wrong_type: orderJson({ ID: 900002, Quantity: 'two', Subtotal: 1, Tax: 1, Total: 2 }),
      missing_field:
        '{"ID": 900003, "Created At": "2019-02-11T21:40:27.892+05:30", "Discount": null, "Product ID": 8, "Subtotal": 98.8, "Tax": 5.93, "Total": 105.6, "User ID": 40}',
      invalid_amount: orderJson({ ID: 900004, Total: -11 }),
      unknown_customer: orderJson({ ID: 900005, 'User ID': 99_999_999 }),
    };
    // Exactly what the seed's Python producer writes for a pandas row with a missing Discount.
    const seed =
      '{"ID": 900006, "Created At": "2019-02-11T21:40:27.892+05:30", "Discount": NaN, "Product ID": 14, "Quantity": 2, "Subtotal": 37.448145389078345, "Tax": 2.07, "Total": 39.718145389078346, "User ID": 1}';
    const nonFinite =
      '{"ID": 900007, "Created At": "2019-02-11T21:40:27.892+05:30", "Discount": NaN, "Product ID": 14, "Quantity": 2, "Subtotal": 37.4, "Tax": 2.07, "Total": Infinity, "User ID": 1}';
    const before = await readRunningTotals(p.t.config);
    await produceBatch(producer, p.t.config.ordersTopic, [
      ...Object.entries(bad).map(([k, v]) => ({ key: k, value: v })),
      { key: '900006', value: seed },
      { key: '900007', value: nonFinite },
    ]);
    await producer.disconnect();
    await waitCounted(p.t.config, { timeoutMs: 60_000 });

    const pool = createPool(p.t.config, { connectionLimit: 1 });
    const counts = await dlqCounts(pool);
    await pool.end();
    expect(counts).toEqual({
      invalid_amount: 2,
      malformed_json: 1,
      missing_field: 1,
      unknown_customer: 1,
      wrong_type: 1,
    });

    const dlq = await readRange(kafka, p.t.config.dlqTopic, 0, '0', {
      untilTimestampMs: Number.MAX_SAFE_INTEGER,
    });
    const dead = dlq.records.map((r) => ({ reason: r.headers.reason, bytes: r.value?.toString('utf8') }));
    for (const [reason, bytes] of Object.entries(bad)) expect(dead).toContainEqual({ reason, bytes });
    expect(dead).toContainEqual({ reason: 'invalid_amount', bytes: nonFinite });

    const after = await readRunningTotals(p.t.config);
    const orders = (rows: typeof after) => rows.reduce((n, r) => n + r.orders, 0);
    expect(orders(after)).toBe(orders(before) + 1);
  });
});
