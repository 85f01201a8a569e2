/** Running totals per (source, state): `sales_totals`, and the sales sums every sales table shares. */
import type { RowDataPacket } from 'mysql2/promise';
import type { SalesRow } from '../../core/aggregate';
import type { Pool } from '../mysql';
import { purgedBefore } from './retention';
import { type Db, insertRows, inTransaction } from './sql';

/** The sums every sales table keeps per group, in this order. */
export const SUM_COLUMNS = ['orders', 'amount', 'subtotal', 'tax', 'discount', 'quantity'] as const;

/** A group's sums in SUM_COLUMNS order. */
export const sums = (r: SalesRow) => [r.orders, r.amount, r.subtotal, r.tax, r.discount, r.quantity];

/** A sales row read back: counts as numbers (BIGINT comes back as a string when large). */
export const salesRowOf = (r: RowDataPacket): SalesRow => ({
  source: r.source,
  state: r.state,
  orders: Number(r.orders),
  amount: r.amount,
  subtotal: r.subtotal,
  tax: r.tax,
  discount: r.discount,
  quantity: Number(r.quantity),
});

/** Adds groups to the running totals (inside the caller's transaction). */
export function addToTotalsIn(db: Db, groups: readonly SalesRow[], now = new Date()): Promise<void> {
  return insertRows(
    db,
    'sales_totals',
    ['source', 'state', ...SUM_COLUMNS, 'updated_at'],
    groups.map((g) => [g.source, g.state, ...sums(g), now]),
    { add: SUM_COLUMNS, replace: ['updated_at'] },
  );
}

export async function readTotals(db: Db): Promise<SalesRow[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT source, state, ${SUM_COLUMNS.join(', ')} FROM sales_totals ORDER BY source, state`,
  );
  return rows.map(salesRowOf);
}

/**
 * The IDs of every counted order the ledger still holds, the horizon it was purged up to (null: never) and the
 * running totals, read in one consistent snapshot: the totals are exactly the sum over those orders plus the
 * purged ones (a window's commit writes both in one transaction; the purge marks its horizon before deleting).
 */
export function readCountedSnapshot(
  pool: Pool,
): Promise<{ counted: Set<number>; purgedBeforeMs: number | null; totals: SalesRow[] }> {
  return inTransaction(
    pool,
    async (conn) => {
      const [ids] = await conn.query<RowDataPacket[]>('SELECT order_id FROM counted_orders');
      return {
        counted: new Set(ids.map((r) => Number(r.order_id))),
        purgedBeforeMs: await purgedBefore(conn),
        totals: await readTotals(conn),
      };
    },
    'SNAPSHOT',
  );
}

/**
 * Adds corrections to the running totals in one transaction (and drops pairs left with no orders). Adding, not
 * replacing: a window the stream commits meanwhile adds its own orders, and neither loses the other's.
 */
export async function addToTotals(pool: Pool, deltas: SalesRow[]): Promise<void> {
  if (!deltas.length) return;
  await inTransaction(pool, async (conn) => {
    await addToTotalsIn(conn, deltas);
    await conn.query('DELETE FROM sales_totals WHERE orders = 0');
  });
}
