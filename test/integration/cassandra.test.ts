/** The raw-orders store on the real Cassandra 5: schema, idempotent upserts, day scans. */
import { randomBytes } from 'node:crypto';
import type { Client } from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import {
  connectCassandra,
  countOrders,
  getOrder,
  migrateCassandra,
  type RawOrderRow,
  rawOrderRow,
  scanAllOrders,
  scanDay,
  upsertRawOrders,
} from '../../src/io/cassandra';
import { SEED_ORDER } from '../helpers/fixtures';

const keyspace = `ct_${randomBytes(4).toString('hex')}`;
const config = loadConfig({ ...process.env, CASSANDRA_KEYSPACE: keyspace });

/** The seed's first order under another ID and day, as the stream writes it. */
const row = (id: number, day = '2019-02-11', extra: Partial<RawOrderRow> = {}): RawOrderRow => ({
  ...rawOrderRow(
    { ...SEED_ORDER, id, createdAt: `${day}T21:40:27.892+05:30`, discount: id % 2 ? null : 1.25 },
    { partition: 0, offset: String(id), timestampMs: 1_700_000_000_000 + id, value: null },
  ),
  raw: `{"ID": ${id}}`,
  ...extra,
});

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('cassandra (real server)', () => {
  let client: Client;

  beforeAll(async () => {
    await migrateCassandra(config);
    await migrateCassandra(config); // idempotent
    client = await connectCassandra(config);
  });

  afterAll(async () => {
    await client?.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await client?.shutdown();
  });

  it('stores and reads back a raw order exactly, quotes, unicode and a missing discount included', async () => {
    const odd = row(1, '2019-02-11', {
      raw: `{"ID": 1, "Name": "O'Brien, \\"Jr\\"", "note": "✓ émoji 🛒", "Discount": NaN}`,
      discount: null,
    });
    await upsertRawOrders(client, keyspace, [odd]);
    expect(await getOrder(client, keyspace, 1)).toEqual(odd);
  });

  it('upserts are idempotent and scanDay returns exactly that day', async () => {
    const rows = [row(2, '2019-02-11'), row(3, '2019-02-12'), row(4, '2019-02-11'), row(5, '2020-01-01')];
    await upsertRawOrders(client, keyspace, rows);
    await upsertRawOrders(client, keyspace, rows);
    expect(await countOrders(client, keyspace)).toBe(5);
    const day = await all(scanDay(client, keyspace, '2019-02-11'));
    expect(day.map((r) => r.orderId).sort()).toEqual([1, 2, 4]);
    expect(await all(scanDay(client, keyspace, '2018-01-01'))).toEqual([]);
    expect((await all(scanAllOrders(client, keyspace))).length).toBe(5);
  });

  it('upserts many rows with bounded concurrency (prints rows/s)', async () => {
    const n = 20_000;
    const rows = Array.from({ length: n }, (_, i) => row(100_000 + i, `2018-0${1 + (i % 9)}-1${i % 10}`));
    const t = performance.now();
    await upsertRawOrders(client, keyspace, rows);
    const ms = performance.now() - t;
    console.log(
      `cassandra: ${n} raw orders (2 tables) in ${ms.toFixed(0)} ms (${Math.round((n / ms) * 1000)} orders/s)`,
    );
    expect(await countOrders(client, keyspace)).toBe(5 + n);
  });
});
