/** Sales per (day, source, state): `sales_daily`, written by the backfill one day at a time. */
import type { RowDataPacket } from 'mysql2/promise';
import type { DailySalesRow, SalesRow } from '../../core/aggregate';
import type { Pool } from '../mysql';
import { insertRows, inTransaction } from './sql';
import { SUM_COLUMNS, salesRowOf, sums } from './totals';

/** Replaces one day of `sales_daily` in one transaction (a day with no orders ends with no rows). */
export async function replaceDailyRows(pool: Pool, day: string, rows: readonly SalesRow[]): Promise<void> {
  // READ COMMITTED: no gap locks, so months replaced concurrently never deadlock on neighbouring days.
  await inTransaction(
    pool,
    async (conn) => {
      await conn.query('DELETE FROM sales_daily WHERE day = ?', [day]);
      const now = new Date();
      await insertRows(
        conn,
        'sales_daily',
        ['day', 'source', 'state', ...SUM_COLUMNS, 'computed_at'],
        rows.map((r) => [day, r.source, r.state, ...sums(r), now]),
      );
    },
    'READ COMMITTED',
  );
}

export async function readDaily(db: Pool, from: string, to: string): Promise<DailySalesRow[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT DATE_FORMAT(day, '%Y-%m-%d') AS day, source, state, ${SUM_COLUMNS.join(', ')}
       FROM sales_daily WHERE day BETWEEN ? AND ? ORDER BY day, source, state`,
    [from, to],
  );
  return rows.map((r) => ({ day: r.day, ...salesRowOf(r) }));
}
