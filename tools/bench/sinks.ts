/** The exactly-once check of a run: the orders in each sink after it (MySQL's ledger and totals, Cassandra). */
import { type Client as CassandraClient, types } from 'cassandra-driver';
import type { RowDataPacket } from 'mysql2/promise';
import type { Config } from '../../src/config';
import { connectCassandra } from '../../src/io/cassandra';
import { createPool } from '../../src/io/mysql';
import { countedOrderCount } from '../../src/io/store/stream';
import type { SinkCounts } from './results';

/** Orders in both sinks and the running totals, for the exactly-once check. */
export async function sinkCounts(config: Config): Promise<SinkCounts> {
  const pool = createPool(config, { connectionLimit: 1 });
  const cassandra = await connectCassandra(config);
  try {
    const [rows] = await pool.query<RowDataPacket[]>(
      'SELECT COALESCE(SUM(orders), 0) AS n FROM sales_totals',
    );
    return {
      countedOrders: await countedOrderCount(pool),
      totalsOrders: Number(rows[0].n),
      cassandraOrders: await countRawOrders(cassandra, config.cassandraKeyspace),
    };
  } finally {
    await pool.end();
    await cassandra.shutdown();
  }
}

/**
 * Rows in orders_by_id, counted in slices of the token ring, a few at a time: one COUNT(*) over a million rows
 * fails on this single node (a server-side read failure), a slice of a sixty-fourth does not.
 */
async function countRawOrders(client: CassandraClient, keyspace: string): Promise<number> {
  const slices = 64;
  const min = -(2n ** 63n);
  const step = (2n ** 64n - 1n) / BigInt(slices);
  const bounds = Array.from({ length: slices + 1 }, (_, i) =>
    i === slices ? 2n ** 63n - 1n : min + step * BigInt(i),
  );
  let total = 0;
  for (let i = 0; i < slices; i += 4) {
    const counts = await Promise.all(
      bounds.slice(i, i + 4).map(async (lo, k) => {
        const hi = bounds[i + k + 1];
        // The first slice includes the ring's minimum (Murmur3 never hands it out, but a slice must not skip it).
        const rs = await client.execute(
          `SELECT COUNT(*) AS n FROM ${keyspace}.orders_by_id WHERE token(order_id) ${i + k === 0 ? '>=' : '>'} ? AND token(order_id) <= ?`,
          [types.Long.fromString(String(lo)), types.Long.fromString(String(hi))],
          { prepare: true, readTimeout: 120_000 },
        );
        return Number(rs.first().get('n'));
      }),
    );
    total += counts.reduce((a, b) => a + b, 0);
  }
  return total;
}
