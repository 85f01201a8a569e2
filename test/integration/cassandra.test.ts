/**
 * The raw-orders store on the real Cassandra 5: schema, idempotent upserts, day scans over the day's buckets, the
 * stored bucket count, and the migration of a keyspace in the pre-bucket layout.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';
import { dayBucket } from '../../src/core/buckets';
import {
  CASSANDRA_SCHEMA,
  checkDayBuckets,
  connectCassandra,
  copyLegacyDayTable,
  countOrders,
  DAY_TABLE,
  deleteRawOrders,
  getOrder,
  LEGACY_DAY_TABLE,
  migrateCassandra,
  type RawOrderRow,
  rawOrderInsert,
  rawOrderRow,
  rawOrderValues,
  SETTINGS_TABLE,
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

  it("spreads a day's rows over its buckets, and scanDay reads them all back in order ID order", async () => {
    const day = '2017-07-07';
    const rows = Array.from({ length: 800 }, (_, i) => row(500_000 + i, day));
    expect(await upsertRawOrders(client, keyspace, rows)).toEqual(new Map());
    const perBucket: number[] = [];
    for (let b = 0; b < 16; b++) {
      const rs = await client.execute(
        `SELECT order_id FROM ${keyspace}.${DAY_TABLE} WHERE day = ? AND bucket = ?`,
        [day, b],
        { prepare: true, fetchSize: 10_000 },
      );
      for (const r of rs.rows) expect(dayBucket(Number(r.get('order_id')), 16)).toBe(b);
      perBucket.push(rs.rowLength);
    }
    expect(perBucket.reduce((a, b) => a + b, 0)).toBe(800);
    // 50 rows a bucket on average: every bucket is used, none holds the day.
    for (const n of perBucket) expect(n).toBeGreaterThan(20);
    const scanned = await all(scanDay(client, keyspace, day));
    expect(scanned).toEqual(rows);

    await deleteRawOrders(client, keyspace, [rows[0], rows[799]]);
    expect((await all(scanDay(client, keyspace, day))).map((r) => r.orderId)).toEqual(
      rows.slice(1, 799).map((r) => r.orderId),
    );
    expect(await getOrder(client, keyspace, rows[0].orderId)).toBeNull();
  });

  it('refuses exactly the row whose value Cassandra cannot take, in neither table, even inside a batch', async () => {
    const day = '2016-06-06';
    // 64 rows of one day: several per (day, bucket) partition, so the bad row shares a batch with good ones.
    const rows = Array.from({ length: 64 }, (_, i) => row(600_000 + i, day));
    rows[10] = { ...rows[10], productId: 2 ** 40 }; // does not fit the int column
    rows[40] = { ...rows[40], orderId: 1.5 }; // not an order ID at all
    const refused = await upsertRawOrders(client, keyspace, rows);
    expect([...refused.keys()].sort((a, b) => a - b)).toEqual([10, 40]);
    expect(await getOrder(client, keyspace, rows[10].orderId)).toBeNull();
    const scanned = (await all(scanDay(client, keyspace, day))).map((r) => r.orderId);
    expect(scanned).toEqual(rows.filter((_, i) => i !== 10 && i !== 40).map((r) => r.orderId));
  });

  it('refuses a bucket count other than the stored one, at migrate and at connect', async () => {
    const other = loadConfig({ ...process.env, CASSANDRA_KEYSPACE: keyspace, CASSANDRA_DAY_BUCKETS: '8' });
    await expect(migrateCassandra(other)).rejects.toThrow(ConfigError);
    await expect(migrateCassandra(other)).rejects.toThrow(
      /CASSANDRA_DAY_BUCKETS="8" is invalid: expected 16/,
    );
    await expect(checkDayBuckets(client, other)).rejects.toThrow(/written with/);
    await expect(checkDayBuckets(client, config)).resolves.toBeUndefined();
  });
});

describe('cassandra migration from the pre-bucket day table', () => {
  const ks = `ctm_${randomBytes(4).toString('hex')}`;
  const cfg = loadConfig({ ...process.env, CASSANDRA_KEYSPACE: ks });
  let client: Client;
  const days = ['2019-01-01', '2019-01-02', '2019-03-15'];
  const old = Array.from({ length: 450 }, (_, i) => row(700_000 + i, days[i % 3]));

  beforeAll(async () => {
    client = await connectCassandra(cfg, { keyspace: false });
    // The layout before buckets, as an earlier release's migrate made it, holding rows.
    await client.execute(CASSANDRA_SCHEMA(ks)[0]);
    await client.execute(CASSANDRA_SCHEMA(ks)[1]);
    await client.execute(`CREATE TABLE ${ks}.${LEGACY_DAY_TABLE} (order_id bigint, created_at text, day text,
      discount double, product_id int, quantity int, subtotal double, tax double, total double, user_id int,
      kafka_partition int, kafka_offset bigint, kafka_ts timestamp, raw text, PRIMARY KEY ((day), order_id))`);
    for (const r of old)
      await client.execute(rawOrderInsert(ks, LEGACY_DAY_TABLE), rawOrderValues(r), { prepare: true });
  });

  afterAll(async () => {
    await client?.execute(`DROP KEYSPACE IF EXISTS ${ks}`);
    await client?.shutdown();
  });

  const legacyExists = async () =>
    (
      await client.execute(
        'SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?',
        [ks, LEGACY_DAY_TABLE],
      )
    ).rowLength === 1;

  it('an interrupted copy resumes from its recorded page, then migrate finishes and drops the old table', async () => {
    // A migrate that got through its schema step and two pages of the copy before it died.
    for (const cql of CASSANDRA_SCHEMA(ks)) await client.execute(cql);
    await client.execute(`INSERT INTO ${ks}.${SETTINGS_TABLE} (name, value) VALUES ('day_buckets', '16')`);
    expect(await copyLegacyDayTable(client, ks, { pageSize: 100, maxPages: 2 })).toEqual({
      copied: 200,
      done: false,
    });
    expect(await legacyExists()).toBe(true);
    // Removed from the new table after it was copied: a resumed copy does not visit its page again, a restarted
    // one would bring it back.
    const first = (
      await client.execute(`SELECT day, order_id FROM ${ks}.${LEGACY_DAY_TABLE} LIMIT 1`)
    ).first();
    const firstId = Number(first.get('order_id'));
    await client.execute(
      `DELETE FROM ${ks}.${DAY_TABLE} WHERE day = ? AND bucket = ? AND order_id = ?`,
      [first.get('day'), dayBucket(firstId, 16), first.get('order_id')],
      { prepare: true },
    );

    await migrateCassandra(cfg);
    expect(await legacyExists()).toBe(false);
    const progress = await client.execute(`SELECT name FROM ${ks}.${SETTINGS_TABLE}`);
    expect(progress.rows.map((r) => r.get('name'))).toEqual(['day_buckets']);
    const scanned = (await Promise.all(days.map((d) => all(scanDay(client, ks, d))))).flat();
    const expected = old.filter((r) => r.orderId !== firstId);
    expect(scanned.sort((a, b) => a.orderId - b.orderId)).toEqual(expected);

    await migrateCassandra(cfg); // idempotent once done
    expect((await Promise.all(days.map((d) => all(scanDay(client, ks, d))))).flat()).toHaveLength(449);
  });
});
