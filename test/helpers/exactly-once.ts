/** The exactly-once check of the crash and scale-out tests: totals, the ledger and the raw store, each once. */
import { expect } from 'vitest';
import { readRunningTotals } from '../../app/ops/data';
import { connectCassandra, countOrders } from '../../src/io/cassandra';
import { createPool } from '../../src/io/mysql';
import { countedOrderCount } from '../../src/io/store/stream';
import type { TestEnv } from './env';
import { CUSTOMERS_CSV } from './pipeline';
import { referenceTotals, relErr } from './reference';

/** Totals equal the independent reference, and each store holds every order once. */
export async function expectExactlyOnce(
  t: TestEnv,
  ordersCsv: string,
  orders: number,
  customersCsv = CUSTOMERS_CSV,
) {
  const expected = referenceTotals(ordersCsv, customersCsv);
  const totals = await readRunningTotals(t.config);
  expect(totals.reduce((n, r) => n + r.orders, 0)).toBe(orders);
  for (const row of totals) {
    const ref = expected.get(`${row.source}|${row.state}`)!;
    expect(row.orders).toBe(ref.orders);
    expect(relErr(row.amount, ref.amount)).toBeLessThanOrEqual(1e-9);
  }
  const pool = createPool(t.config, { connectionLimit: 1 });
  expect(await countedOrderCount(pool)).toBe(orders);
  await pool.end();
  const cassandra = await connectCassandra(t.config);
  expect(await countOrders(cassandra, t.config.cassandraKeyspace)).toBe(orders);
  await cassandra.shutdown();
}
