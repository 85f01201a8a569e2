/**
 * Backfill and reconcile on the real stack, driven through the CLI the way scripts drive it: daily totals equal
 * the CSV's, a second run gives identical rows, CSV and Cassandra sources agree, a corrected customer is
 * re-attributed, reconcile finds an injected difference and --apply repairs it, a running backfill is reported
 * instead of twinned and cancels cleanly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCustomers, queryTotals } from '../../src/cli/data';
import { backfillWorkflowId } from '../../src/ids';
import { createPool } from '../../src/io/mysql';
import { type DailyRow, readDaily } from '../../src/io/sales-store';
import { salesflow as runSalesflow } from '../helpers/cli';
import { headCsv, type TestEnv } from '../helpers/env';
import { CUSTOMERS_CSV, ORDERS_CSV, type Pipeline, startPipeline } from '../helpers/pipeline';
import { referenceDaily, referenceTotals, relErr } from '../helpers/reference';

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
  const daily = async (): Promise<DailyRow[]> => {
    const pool = createPool(t.config, { connectionLimit: 1 });
    try {
      return await readDaily(pool, FROM, TO);
    } finally {
      await pool.end();
    }
  };
  const expectDailyEqualsCsv = (rows: DailyRow[], customers: string) => {
    const expected = referenceDaily(ordersCsv, customers, FROM, TO);
    expect(rows.length).toBe(expected.size);
    for (const row of rows) {
      const ref = expected.get(`${row.day}|${row.source}|${row.state}`);
      expect(ref, `${row.day} ${row.source} ${row.state}`).toBeDefined();
      expect(row.orders).toBe(ref!.orders);
      expect(relErr(row.amount, ref!.amount)).toBeLessThanOrEqual(1e-9);
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
      .getHandle(backfillWorkflowId(FROM, TO))
      .terminate('test done')
      .catch(() => undefined);
    await pipeline?.close();
  });

  it('recomputes daily totals equal to the CSV, and a second run gives identical rows', async () => {
    const first = await salesflow(['backfill', '--from', FROM, '--to', TO, '--wait', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const result = JSON.parse(first.stdout);
    expect(result).toMatchObject({ workflowId: backfillWorkflowId(FROM, TO), phase: 'done', orders: ORDERS });
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
    const r = await salesflow([
      'backfill',
      '--from',
      FROM,
      '--to',
      TO,
      '--source',
      'csv',
      '--file',
      ordersCsv,
      '--wait',
    ]);
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
    expect(JSON.parse(clean.stdout)).toMatchObject({ rawOrders: ORDERS, differences: [], applied: false });

    const pool = createPool(t.config, { connectionLimit: 1 });
    const [victim] = (await queryTotals(t.config)).sort((a, b) => b.amount - a.amount);
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
    for (const row of await queryTotals(t.config)) {
      const ref = expected.get(`${row.source}|${row.state}`)!;
      expect(row.orders).toBe(ref.orders);
      expect(relErr(row.amount, ref.amount)).toBeLessThanOrEqual(1e-9);
    }
    expect((await salesflow(['backfill', '--reconcile'])).code).toBe(0);
  }, 300_000);

  it('reports a running backfill instead of starting a twin, and cancels cleanly', async () => {
    const start = await salesflow(['backfill', '--from', FROM, '--to', TO, '--concurrency', '1', '--json']);
    expect(start.code, start.stderr).toBe(0);
    expect(JSON.parse(start.stdout)).toEqual({ workflowId: backfillWorkflowId(FROM, TO), started: true });
    const twin = await salesflow(['backfill', '--from', FROM, '--to', TO]);
    expect(twin.code).toBe(4);
    expect(twin.stderr.trim().split('\n')).toHaveLength(1);
    expect(twin.stderr).toMatch(/already running/);

    const cancel = await salesflow(['backfill', '--from', FROM, '--to', TO, '--cancel']);
    expect(cancel.code, cancel.stderr).toBe(0);
    const d = await client.workflow.getHandle(backfillWorkflowId(FROM, TO)).describe();
    expect(d.status.name).toBe('CANCELLED');
    expect((await salesflow(['backfill', '--from', FROM, '--to', TO, '--cancel'])).code).not.toBe(0);
  }, 300_000);

  it('rejects bad arguments with usage errors and unknown backfills with not found', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['backfill', '--from', '2018-02-30', '--to', '2018-03-01'], /dates like/],
      [['backfill', '--from', '2018-03-01', '--to', '2018-02-01'], /before --from/],
      [['backfill', '--from', FROM, '--to', TO, '--source', 'parquet'], /cassandra or csv/],
      [['backfill', '--from', FROM, '--to', TO, '--source', 'csv'], /needs --file/],
      [['backfill', '--frm', FROM], /frm/],
    ];
    for (const [args, message] of cases) {
      const r = await salesflow(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const missing = await salesflow(['backfill', '--from', '2001-01-01', '--to', '2001-01-02', '--status']);
    expect(missing.code).toBe(3);
  });
});
