/**
 * Poison pills on the real stack: each case publishes a bad record between two batches of valid orders, on one
 * shared stream. The batch after it must be counted, the bad record must be in the DLQ with a reason naming the
 * column, and the totals must equal an independent reference over the valid orders only.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { WorkflowHandle } from '@temporalio/client';
import { parse } from 'csv-parse/sync';
import type { Producer } from 'kafkajs';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamProbe } from '../../app/dashboard/stream-health';
import { readRunningTotals } from '../../app/ops/data';
import { waitCounted } from '../../app/ops/stream';
import { statusQuery } from '../../src/contract';
import { encodeOrderMessage } from '../../src/core/message';
import type { Order } from '../../src/core/types';
import { streamWorkflowId } from '../../src/ids';
import { connectCassandra, getOrder } from '../../src/io/cassandra';
import {
  connectProducer,
  createKafka,
  ensureTopics,
  type OutMessage,
  produceBatch,
  readRange,
} from '../../src/io/kafka';
import { createPool, type Pool } from '../../src/io/mysql';
import { salesflow } from '../helpers/cli';
import { CUSTOMERS_CSV, type Pipeline, startPipeline } from '../helpers/pipeline';
import { until } from '../helpers/until';

/** Customer ID → (source, state), read straight from the CSV: independent of the pipeline's loader. */
const customers = new Map(
  (parse(fs.readFileSync(CUSTOMERS_CSV), { columns: true, bom: true }) as Record<string, string>[]).map(
    (c) => [Number(c.ID), { source: c.Source, state: c.State }],
  ),
);

describe('poison pills never stop or shrink the stream', () => {
  let pipeline: Pipeline;
  let producer: Producer;
  let pool: Pool;
  let nextId = 1_000_000;
  /** The reference: valid orders sent, per "source|state". */
  const expected = new Map<string, { orders: number; amount: number }>();

  const order = (over: Partial<Order> = {}): Order => {
    const id = nextId++;
    return {
      id,
      createdAt: '2020-03-01T10:00:00.000+05:30',
      discount: null,
      productId: 7,
      quantity: 1 + (id % 3),
      subtotal: 10 + (id % 97),
      tax: 1.5,
      total: 11.5 + (id % 97),
      userId: 1 + (id % 2000),
      ...over,
    };
  };
  const expect_ = (o: Order) => {
    const c = customers.get(o.userId)!;
    const k = `${c.source}|${c.state}`;
    const e = expected.get(k) ?? { orders: 0, amount: 0 };
    e.orders += 1;
    e.amount += o.total;
    expected.set(k, e);
  };
  const valid = (n: number, over: (o: Order) => Partial<Order> = () => ({})) =>
    Array.from({ length: n }, () => {
      const o = order();
      Object.assign(o, over(o));
      expect_(o);
      return { key: String(o.id), value: encodeOrderMessage(o) } as OutMessage;
    });
  const publish = (messages: OutMessage[]) => produceBatch(producer, pipeline.t.config.ordersTopic, messages);

  /** Publishes valid, bad, valid; waits until all is counted; checks totals against the reference. */
  async function around(bad: OutMessage[]) {
    await publish([...valid(20), ...bad, ...valid(20)]);
    await waitCounted(pipeline.t.config, { timeoutMs: 90_000 });
    await expectTotalsExact();
  }

  async function expectTotalsExact() {
    const rows = await readRunningTotals(pipeline.t.config);
    const got = new Map(rows.filter((r) => r.orders > 0).map((r) => [`${r.source}|${r.state}`, r]));
    expect(new Set(got.keys())).toEqual(new Set(expected.keys()));
    for (const [k, e] of expected) {
      if (!got.has(k)) throw new Error(`no running total for ${k}`);
      expect(got.get(k)!.orders, k).toBe(e.orders);
      expect(Math.abs(got.get(k)!.amount - e.amount), k).toBeLessThan(1e-6 * Math.max(1, e.amount));
    }
  }

  /** The dead letters so far, with the headers that say why. */
  async function deadLetters() {
    const dlq = await readRange(createKafka(pipeline.t.config), pipeline.t.config.dlqTopic, 0, '0', {
      untilTimestampMs: Number.MAX_SAFE_INTEGER,
    });
    return dlq.records.map((r) => ({ headers: r.headers, value: r.value ?? Buffer.alloc(0) }));
  }
  const deadWithId = async (id: number) =>
    (await deadLetters()).filter((d) => d.value.toString('utf8').includes(`"ID":${id},`));

  beforeAll(async () => {
    pipeline = await startPipeline('poison');
    const kafka = createKafka(pipeline.t.config);
    // A dead-letter topic smaller than the orders topic (an operator's choice): letters must be cut to fit it.
    await ensureTopics(kafka, pipeline.t.config);
    const admin = kafka.admin();
    await admin.connect();
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: 2, // topic
          name: pipeline.t.config.dlqTopic,
          configEntries: [{ name: 'max.message.bytes', value: '300000' }],
        },
      ],
    });
    await admin.disconnect();
    producer = await connectProducer(kafka);
    pool = createPool(pipeline.t.config, { connectionLimit: 2 });
  });

  afterAll(async () => {
    await producer?.disconnect();
    await pool?.end();
    await pipeline?.close();
  });

  it('dead-letters every integer and amount beyond what the sinks hold, naming the column, and keeps counting', async () => {
    const cases: Array<[string, Partial<Order>, RegExp]> = [
      ['Product ID', { productId: 2 ** 31 }, /Product ID 2147483648 is above 2147483647/],
      ['Quantity', { quantity: 2 ** 31 }, /Quantity 2147483648 is above/],
      ['User ID', { userId: 2 ** 31 + 5 }, /User ID 2147483653 is above/],
      ['Total', { total: 1e308 }, /Total 1e\+308 is above/],
      ['Subtotal', { subtotal: 1.7e308 }, /Subtotal 1\.7e\+308 is above/],
      ['Tax', { tax: 1e13 }, /Tax 10000000000000 is above/],
      ['Discount', { discount: 1e300 }, /Discount 1e\+300 is above/],
      ['Created At', { createdAt: '0001-01-01T00:00:00Z' }, /Created At year 1 is outside 1000\.\.9999/],
    ];
    const bad = cases.map(([, over]) => order(over));
    // Two orders of 1e308 in one group used to sum to Infinity; and one at every limit is still counted.
    const limits = order({ productId: 2 ** 31 - 1, quantity: 2 ** 31 - 1, total: 1e12, subtotal: 1e12 });
    expect_(limits);
    await around([
      ...bad.map((o) => ({ key: String(o.id), value: encodeOrderMessage(o) })),
      { key: String(limits.id), value: encodeOrderMessage(limits) },
    ]);
    for (const [i, [column, , detail]] of cases.entries()) {
      const dead = await deadWithId(bad[i].id);
      expect(dead, column).toHaveLength(1);
      expect(dead[0].headers.reason, column).toBe('out_of_range');
      expect(dead[0].headers.detail, column).toMatch(detail);
    }
  });

  it('dead-letters oversized garbage in batches that fit the broker, cut and flagged when too large', async () => {
    // The DLQ topic takes at most 300 KB (set in beforeAll), the orders topic the broker's default 1 MiB.
    const big = (fill: string, bytes: number) => `{"ID": ${nextId++}, "junk": "${fill.repeat(bytes)}`; // malformed
    const large = [big('a', 600_000), big('b', 600_000), big('h', 1_040_000)];
    const burst = Array.from({ length: 800 }, (_, i) => `not json ${i} ${'x'.repeat(1500)}`);
    await around([
      ...large.map((v, i) => ({ key: `large${i}`, value: v })),
      ...burst.map((v, i) => ({ key: `burst${i}`, value: v })),
    ]);
    const malformed = (await deadLetters()).filter((d) => d.headers.reason === 'malformed_json');
    for (const v of burst)
      expect(malformed.filter((d) => d.value.toString('utf8') === v && !d.headers.truncated)).toHaveLength(1);
    const cut = malformed.filter((d) => d.headers.truncated === 'true');
    expect(cut).toHaveLength(3);
    for (const [i, v] of large.entries()) {
      expect(cut[i].headers).toMatchObject({
        original_bytes: String(Buffer.byteLength(v)),
        sha256: createHash('sha256').update(v).digest('hex'),
      });
      expect(cut[i].value.length).toBeGreaterThan(250_000);
      expect(v.startsWith(cut[i].value.toString('utf8'))).toBe(true);
    }
  });

  it('counts a valid copy after a dead-lettered one, and dead-letters a changed re-send as a conflict', async () => {
    const first = order({ userId: 99_999_999 }); // unknown customer: dead-lettered
    const second = { ...first, userId: 5 }; // the same ID, now valid: counted
    expect_(second);
    const counted = order();
    expect_(counted);
    const changed = { ...counted, total: counted.total + 1 }; // same ID, other content
    const resent = { ...counted }; // same content: a plain duplicate
    await around(
      [first, second, counted, changed, resent].map((o) => ({
        key: String(o.id),
        value: encodeOrderMessage(o),
      })),
    );
    expect((await deadWithId(first.id)).map((d) => d.headers.reason)).toEqual(['unknown_customer']);
    expect((await deadWithId(counted.id)).map((d) => d.headers.reason)).toEqual(['duplicate_conflict']);
    // Across windows too: the changed copy again, later.
    await around([{ key: String(counted.id), value: encodeOrderMessage(changed) }]);
    expect((await deadWithId(counted.id)).map((d) => d.headers.reason)).toEqual([
      'duplicate_conflict',
      'duplicate_conflict',
    ]);
    const [counts] = await pool.query<RowDataPacket[]>('SELECT reason, count FROM dlq_counts');
    expect(Number(counts.find((r) => r.reason === 'duplicate_conflict')?.count)).toBe(2);
  });

  it('isolates a record MySQL refuses (a running total at BIGINT max) and dead-letters it with the error', async () => {
    // Valid by every rule we check, but its group's running quantity would pass BIGINT's maximum.
    const victim = order({ userId: 1, quantity: 100 });
    const { source, state } = customers.get(1)!;
    const [before] = await pool.query<RowDataPacket[]>(
      'SELECT quantity FROM sales_totals WHERE source = ? AND state = ?',
      [source, state],
    );
    const existed = before.length > 0;
    // Insert the group if the stream has not made it yet; with 0 orders it does not change the totals checked.
    await pool.query(
      `INSERT INTO sales_totals (source, state, orders, amount, subtotal, tax, discount, quantity, updated_at)
       VALUES (?, ?, 0, 0, 0, 0, 0, 9223372036854775800, NOW(3))
       ON DUPLICATE KEY UPDATE quantity = 9223372036854775800`,
      [source, state],
    );
    try {
      // Neither batch around it touches that group.
      const others = (o: Order) => (customers.get(o.userId)!.state === state ? { userId: 2 } : {});
      await publish([
        ...valid(30, others),
        { key: String(victim.id), value: encodeOrderMessage(victim) },
        ...valid(30, others),
      ]);
      await waitCounted(pipeline.t.config, { timeoutMs: 90_000 });
      await expectTotalsExact();
      const dead = await deadWithId(victim.id);
      expect(dead).toHaveLength(1);
      expect(dead[0].headers).toMatchObject({ reason: 'sink_rejected' });
      expect(dead[0].headers.detail).toMatch(/^mysql: .*out of range/i);
      // Cassandra took it on the try that found it; it is gone again, so no backfill counts it.
      const cassandra = await connectCassandra(pipeline.t.config);
      expect(await getOrder(cassandra, pipeline.t.config.cassandraKeyspace, victim.id)).toBeNull();
      await cassandra.shutdown();
    } finally {
      if (existed)
        await pool.query('UPDATE sales_totals SET quantity = ? WHERE source = ? AND state = ?', [
          before[0].quantity,
          source,
          state,
        ]);
      else await pool.query('DELETE FROM sales_totals WHERE source = ? AND state = ?', [source, state]);
    }
  });

  it('shows a stalled window as degraded, with the error and the lag against the log end, then recovers', async () => {
    const handle: WorkflowHandle = pipeline.client.workflow.getHandle(streamWorkflowId(pipeline.t.config));
    const status = () => handle.query(statusQuery);
    await pool.query('RENAME TABLE sales_windows TO sales_windows_away');
    try {
      await publish(valid(50));
      const degraded = await until('degraded', status, (s) => s.phase === 'degraded' && s.lagRecords >= 50);
      expect(degraded.degraded?.error).toMatch(/sales_windows/);
      const cli = await salesflow(['stream', 'status', '--json'], pipeline.t.env);
      expect(cli.code, cli.stderr).toBe(0);
      expect(JSON.parse(cli.stdout)).toMatchObject({
        phase: 'degraded',
        degraded: { failures: expect.any(Number) },
      });
      const probe = streamProbe(pipeline.t.config);
      const health = await probe.read();
      await probe.close();
      expect(health).toMatchObject({ status: 'degraded' });
      expect(health.detail).toMatch(/sales_windows/);
      const memo = (await handle.describe()).memo as Record<string, unknown>;
      expect(memo).toMatchObject({ health: 'degraded' });
    } finally {
      await pool.query('RENAME TABLE sales_windows_away TO sales_windows');
    }
    await waitCounted(pipeline.t.config, { timeoutMs: 90_000 });
    await until('healthy again', status, (s) => !s.degraded && s.phase !== 'degraded');
    await expectTotalsExact();
  });
});
