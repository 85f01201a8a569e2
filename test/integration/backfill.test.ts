/**
 * Backfill and reconcile on the real stack, driven through the CLI the way scripts drive it: daily totals equal
 * the CSV's, a second run gives identical rows, CSV and Cassandra sources agree, a corrected customer is
 * re-attributed, reconcile finds an injected difference and --apply repairs it, a running backfill is reported
 * instead of twinned and cancels cleanly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCustomers, readRunningTotals } from '../../app/ops/data';
import type { DailySalesRow } from '../../src/core/aggregate';
import { backfillWorkflowId } from '../../src/ids';
import { connectCassandra, deleteRawOrders, type RawOrderRow, upsertRawOrders } from '../../src/io/cassandra';
import { createPool } from '../../src/io/mysql';
import { readDaily } from '../../src/io/store/daily';
import { backfill } from '../../workflows/backfill';
import { salesflow as runSalesflow } from '../helpers/cli';
import { headCsv, type TestEnv } from '../helpers/env';
import { CUSTOMERS_CSV, ORDERS_CSV, type Pipeline, startPipeline } from '../helpers/pipeline';
import { referenceDaily, referenceTotals, relErr } from '../helpers/reference';
import { until } from '../helpers/until';

const ORDERS = 3000;
const FROM = '2016-01-01';
const TO = '2020-12-31';

describe('backfill and reconcile', () => {
  let pipeline: Pipeline;
  let t: TestEnv;
  let client: Client;
  let ordersCsv: string;
  const customersCsv = CUSTOMERS_CSV;

  const salesflow = (args: string[]) => runSalesflow(args, t.env);
  /** `backfill` of the test's range from a CSV, waiting for it. */
  const csvBackfill = (file: string) => [
    'backfill',
    '--from',
    FROM,
    '--to',
    TO,
    '--source',
    'csv',
    '--file',
    file,
    '--wait',
  ];
  const daily = async (from = FROM, to = TO): Promise<DailySalesRow[]> => {
    const pool = createPool(t.config, { connectionLimit: 1 });
    try {
      return await readDaily(pool, from, to);
    } finally {
      await pool.end();
    }
  };
  const expectDailyEqualsCsv = (rows: DailySalesRow[], customers: string, from = FROM, to = TO) => {
    const expected = referenceDaily(ordersCsv, customers, from, to);
    expect(rows.length).toBe(expected.size);
    for (const row of rows) {
      const ref = expected.get(`${row.day}|${row.source}|${row.state}`);
      expect(ref, `${row.day} ${row.source} ${row.state}`).toBeDefined();
      expect(row.orders).toBe(ref!.orders);
      expect(relErr(row.amount, ref!.amount)).toBeLessThanOrEqual(1e-9);
    }
  };

  /** computed_at (ms) of each day's rows in sales_daily, for the days from..to that have any. */
  const computedAt = async (from: string, to: string): Promise<Map<string, number>> => {
    const pool = createPool(t.config, { connectionLimit: 1 });
    try {
      const [rows] = await pool.query<RowDataPacket[]>(
        `SELECT DATE_FORMAT(day, '%Y-%m-%d') AS day, MIN(computed_at) AS first, MAX(computed_at) AS last
           FROM sales_daily WHERE day BETWEEN ? AND ? GROUP BY day ORDER BY day`,
        [from, to],
      );
      for (const r of rows) expect(r.first.getTime(), r.day).toBe(r.last.getTime()); // one transaction per day
      return new Map(rows.map((r) => [r.day as string, (r.first as Date).getTime()]));
    } finally {
      await pool.end();
    }
  };

  beforeAll(async () => {
    pipeline = await startPipeline('bf');
    ({ t, client } = pipeline);
    ordersCsv = headCsv(ORDERS_CSV, path.join(t.tmpDir, 'orders.csv'), ORDERS);
    await pipeline.replay(ordersCsv);
  });

  afterAll(async () => {
    await client?.workflow
      .getHandle(backfillWorkflowId(t.config, FROM, TO))
      .terminate('test done')
      .catch(() => undefined);
    await pipeline?.close();
  });

  it('recomputes daily totals equal to the CSV, and a second run gives identical rows', async () => {
    const first = await salesflow(['backfill', '--from', FROM, '--to', TO, '--wait', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const result = JSON.parse(first.stdout);
    expect(result).toMatchObject({
      workflowId: backfillWorkflowId(t.config, FROM, TO),
      phase: 'done',
      orders: ORDERS,
    });
    expect(result.daysDone).toBe(result.daysTotal);
    const rows = await daily();
    expectDailyEqualsCsv(rows, customersCsv);

    const second = await salesflow(['backfill', '--from', FROM, '--to', TO, '--wait', '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect(await daily()).toEqual(rows);

    // Progress of the finished backfill, as scripts read it.
    const status = await salesflow(['backfill', '--from', FROM, '--to', TO, '--status', '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ phase: 'done', daysDone: result.daysTotal });
  }, 300_000);

  it('recomputes the same rows from the CSV when raw data is missing', async () => {
    const before = await daily();
    const r = await salesflow(csvBackfill(ordersCsv));
    expect(r.code, r.stderr).toBe(0);
    const after = await daily();
    expect(after.map((x) => [x.day, x.source, x.state, x.orders])).toEqual(
      before.map((x) => [x.day, x.source, x.state, x.orders]),
    );
    for (const [i, row] of after.entries())
      expect(relErr(row.amount, before[i].amount)).toBeLessThanOrEqual(1e-9);
  }, 300_000);

  it("re-attributes a customer's history after their Source is corrected and reloaded", async () => {
    // The customer with the most orders in this slice moves from their source to another.
    const byUser = new Map<string, number>();
    for (const line of fs.readFileSync(ordersCsv, 'utf8').trim().split('\n').slice(1)) {
      const userId = line.split(',').at(-1)!;
      byUser.set(userId, (byUser.get(userId) ?? 0) + 1);
    }
    const lines = fs.readFileSync(customersCsv, 'utf8').split('\n');
    const header = lines[0].split(',');
    const idCol = header.indexOf('ID');
    const sourceCol = header.indexOf('Source');
    expect(sourceCol).toBeGreaterThan(-1);
    // A busy customer whose row has no quoted cells, so a plain split edits it safely.
    const plain = new Map(
      lines
        .slice(1)
        .filter((l) => l && !l.includes('"'))
        .map((l) => [l.split(',')[idCol], l] as const),
    );
    const [userId] = [...byUser].filter(([id]) => plain.has(id)).sort((a, b) => b[1] - a[1])[0];
    let moved = '';
    const corrected = lines.map((line) => {
      if (line !== plain.get(userId)) return line;
      const cells = line.split(',');
      moved = cells[sourceCol];
      cells[sourceCol] = moved === 'Twitter' ? 'Google' : 'Twitter';
      return cells.join(',');
    });
    expect(moved).not.toBe('');
    const correctedCsv = path.join(t.tmpDir, 'customers-corrected.csv');
    fs.writeFileSync(correctedCsv, corrected.join('\n'));
    await loadCustomers(t.config, correctedCsv);

    const r = await salesflow(['backfill', '--from', FROM, '--to', TO, '--wait']);
    expect(r.code, r.stderr).toBe(0);
    expectDailyEqualsCsv(await daily(), correctedCsv);
    await loadCustomers(t.config, customersCsv); // back to the original for the tests below
  }, 300_000);

  it('reconcile finds an injected difference and --apply repairs it', async () => {
    const clean = await salesflow(['backfill', '--reconcile', '--json']);
    expect(clean.code, clean.stderr).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({
      rawOrders: ORDERS,
      uncounted: 0,
      differences: [],
      applied: false,
    });

    // A window in flight: its raw orders are in Cassandra, its MySQL commit (totals + counted IDs) not yet.
    // Reconcile leaves them out instead of reporting them (and --apply adding them before the commit does).
    const cassandra = await connectCassandra(t.config);
    const inFlight = rawOrder(9_999_002, '2019-06-01T10:00:00.000Z');
    await upsertRawOrders(cassandra, t.config.cassandraKeyspace, [inFlight]);
    const inFlightRun = await salesflow(['backfill', '--reconcile', '--apply', '--json']);
    expect(inFlightRun.code, inFlightRun.stderr).toBe(0);
    expect(JSON.parse(inFlightRun.stdout)).toMatchObject({
      rawOrders: ORDERS + 1,
      uncounted: 1,
      differences: [],
      applied: false,
    });
    await deleteRawOrders(cassandra, t.config.cassandraKeyspace, [inFlight]);
    await cassandra.shutdown();

    const pool = createPool(t.config, { connectionLimit: 1 });
    const [victim] = (await readRunningTotals(t.config)).sort((a, b) => b.amount - a.amount);
    await pool.query(
      'UPDATE sales_totals SET orders = orders + 5, amount = amount + 99.5 WHERE source = ? AND state = ?',
      [victim.source, victim.state],
    );
    await pool.end();

    const found = await salesflow(['backfill', '--reconcile', '--json']);
    expect(found.code).toBe(1);
    const diff = JSON.parse(found.stdout);
    expect(diff.differences).toEqual([
      expect.objectContaining({
        source: victim.source,
        state: victim.state,
        streamOrders: victim.orders + 5,
        rawOrders: victim.orders,
      }),
    ]);
    const human = await salesflow(['backfill', '--reconcile']);
    expect(human.stdout).toContain('1 differ from the streaming totals');
    expect(human.stdout).toContain(victim.state);

    const applied = await salesflow(['backfill', '--reconcile', '--apply', '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(JSON.parse(applied.stdout).applied).toBe(true);
    const expected = referenceTotals(ordersCsv, customersCsv);
    for (const row of await readRunningTotals(t.config)) {
      const ref = expected.get(`${row.source}|${row.state}`)!;
      expect(row.orders).toBe(ref.orders);
      expect(relErr(row.amount, ref.amount)).toBeLessThanOrEqual(1e-9);
    }
    expect((await salesflow(['backfill', '--reconcile'])).code).toBe(0);
  }, 300_000);

  it('reports a running backfill instead of starting a twin, and cancels cleanly', async () => {
    const start = await salesflow(['backfill', '--from', FROM, '--to', TO, '--concurrency', '1', '--json']);
    expect(start.code, start.stderr).toBe(0);
    expect(JSON.parse(start.stdout)).toEqual({
      workflowId: backfillWorkflowId(t.config, FROM, TO),
      started: true,
    });
    const twin = await salesflow(['backfill', '--from', FROM, '--to', TO]);
    expect(twin.code).toBe(4);
    expect(twin.stderr.trim().split('\n')).toHaveLength(1);
    expect(twin.stderr).toMatch(/already running/);

    const cancel = await salesflow(['backfill', '--from', FROM, '--to', TO, '--cancel']);
    expect(cancel.code, cancel.stderr).toBe(0);
    const d = await client.workflow.getHandle(backfillWorkflowId(t.config, FROM, TO)).describe();
    expect(d.status.name).toBe('CANCELLED');
    const again = await salesflow(['backfill', '--from', FROM, '--to', TO, '--cancel']);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/no running backfill .* \(it is cancelled\)/);
    const status = await salesflow(['backfill', '--from', FROM, '--to', TO, '--status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const progress = JSON.parse(status.stdout);
    expect(progress).toMatchObject({ phase: 'cancelled', from: FROM, to: TO });
    expect(progress.daysDone).toBeLessThan(progress.daysTotal);
  }, 300_000);

  it('retries a failing day without redoing the days it had finished', async () => {
    // A raw order whose Total is NaN makes its day's MySQL insert fail on every attempt until it is removed.
    const [from, to, badDay] = ['2018-03-01', '2018-03-31', '2018-03-20'];
    const ks = t.config.cassandraKeyspace;
    const cassandra = await connectCassandra(t.config);
    const workflowId = backfillWorkflowId(t.config, from, to);
    try {
      await upsertRawOrders(cassandra, ks, [
        { ...rawOrder(9_999_001, `${badDay}T12:00:00.000+05:30`), total: Number.NaN, subtotal: Number.NaN },
      ]);
      await cassandra.execute(`DELETE FROM ${ks}.orders_by_id WHERE order_id = ?`, [9_999_001]);
      const start = await salesflow(['backfill', '--from', from, '--to', to, '--json']);
      expect(start.code, start.stderr).toBe(0);
      const handle = client.workflow.getHandle(workflowId);
      const attempt = async () => (await handle.describe()).raw.pendingActivities?.[0]?.attempt ?? 0;
      await until('a second attempt', attempt, (n) => n >= 2);
      const finishedBefore = await computedAt(from, '2018-03-19');
      expect(finishedBefore.size).toBeGreaterThan(10);
      await until('a third attempt', attempt, (n) => n >= 3); // a second attempt failed on the same day
      const pending = (await handle.describe()).raw.pendingActivities?.[0];
      expect(pending?.lastFailure?.message ?? '').toMatch(/NaN/);
      const fixedAt = Date.now();
      await deleteRawOrders(cassandra, ks, [{ orderId: 9_999_001, day: badDay }]);
      const result = await handle.result();
      expect(result).toMatchObject({ phase: 'done', daysDone: 31 });
      // The days before the bad one were written once, by the first attempt; the rest after the fix.
      expect(await computedAt(from, '2018-03-19')).toEqual(finishedBefore);
      for (const [day, at] of await computedAt(badDay, to)) expect(at, day).toBeGreaterThan(fixedAt);
      expectDailyEqualsCsv(await daily(from, to), customersCsv, from, to);
    } finally {
      await deleteRawOrders(cassandra, ks, [{ orderId: 9_999_001, day: badDay }]);
      await cassandra.shutdown();
    }
  }, 120_000);

  it('fails with the reason, leaving sales_daily as it was, when the CSV is not an orders CSV', async () => {
    const before = await daily();
    const r = await salesflow(csvBackfill(customersCsv));
    expect(r.code).toBe(1);
    const reasons = r.stderr.split('\n').filter((l) => l.startsWith('salesflow backfill:'));
    expect(reasons, r.stderr).toHaveLength(1);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(reasons[0]).toMatch(
      /the workflow failed: .*customers\.csv: line 1: .*expected the header ID,Created At/,
    );
    expect(await daily()).toEqual(before);
    const status = await salesflow(['backfill', '--from', FROM, '--to', TO, '--status', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ phase: 'failed', daysDone: 0, source: 'csv' });
    const missing = await salesflow([
      'backfill',
      '--from',
      FROM,
      '--to',
      TO,
      '--file',
      '/no/such/orders.csv',
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/orders file not found: \/no\/such\/orders\.csv/);
  }, 120_000);

  it('rejects bad arguments with usage errors and unknown backfills with not found', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['backfill', '--from', '2018-02-30', '--to', '2018-03-01'], /dates like/],
      [['backfill', '--from', '2018-03-01', '--to', '2018-02-01'], /before --from/],
      [['backfill', '--from', FROM, '--to', TO, '--source', 'parquet'], /cassandra or csv/],
      [['backfill', '--from', FROM, '--to', TO, '--source', 'csv'], /needs --file/],
      [['backfill', '--frm', FROM], /frm/],
      [['backfill', '--from', '0001-01-01', '--to', '0001-01-31'], /years 1000\.\.9999/],
      [['backfill', '--from', '1900-01-01', '--to', '2018-12-31'], /at most 36525 \(100 years\)/],
    ];
    for (const [args, message] of cases) {
      const r = await salesflow(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const missing = await salesflow(['backfill', '--from', '2001-01-01', '--to', '2001-01-02', '--status']);
    expect(missing.code).toBe(3);
  });

  it('runs a range that ends on the last day a date can name, 9999-12-31', async () => {
    const r = await salesflow(['backfill', '--from', '9999-12-01', '--to', '9999-12-31', '--wait', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ phase: 'done', daysTotal: 31, daysDone: 31, orders: 0 });
  });

  it('refuses an unbounded range started behind the CLI, from the workflow itself', async () => {
    const handle = await client.workflow.start(backfill, {
      taskQueue: t.config.taskQueue,
      workflowId: `${backfillWorkflowId(t.config, '0001-01-01', '9999-12-31')}-direct`,
      args: [{ from: '0001-01-01', to: '9999-12-31', source: 'cassandra' }],
    });
    await expect(handle.result()).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/years 1000\.\.9999/) },
    });
  });
});

/** A valid raw order row as the stream writes it (user 1 exists in the default customers). */
function rawOrder(orderId: number, createdAt: string): RawOrderRow {
  return {
    orderId,
    createdAt,
    day: createdAt.slice(0, 10),
    discount: null,
    productId: 1,
    quantity: 1,
    subtotal: 10,
    tax: 1,
    total: 11,
    userId: 1,
    kafkaPartition: 0,
    kafkaOffset: '999999',
    kafkaTs: Date.now(),
    raw: '{}',
  };
}
