/**
 * The exactly-once ledger's retention: `counted_orders` rows purged by window start, in chunks, and
 * `counted_orders_purged`, the horizon the ledger has been purged up to (what reconcile needs to know).
 */
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Pool } from '../mysql';
import { type Db, inTransaction } from './sql';

/**
 * Records that the ledger is (about to be) purged up to `beforeMs`, never moving the mark back: rows older than
 * an earlier mark are gone whatever the retention is now. Written BEFORE the rows are deleted, so at every moment
 * an order absent from the ledger and older than the mark was purged, not missed.
 */
export async function markPurgedBefore(db: Db, beforeMs: number): Promise<void> {
  await db.query(
    `INSERT INTO counted_orders_purged (id, purged_before, updated_at) VALUES (1, ?, NOW(3))
       ON DUPLICATE KEY UPDATE purged_before = GREATEST(purged_before, VALUES(purged_before)), updated_at = NOW(3)`,
    [new Date(beforeMs)],
  );
}

/** The horizon the ledger has been purged up to (epoch ms), or null if it never was. */
export async function purgedBefore(db: Db): Promise<number | null> {
  const [rows] = await db.query<RowDataPacket[]>(
    'SELECT purged_before FROM counted_orders_purged WHERE id = 1',
  );
  return rows[0] ? (rows[0].purged_before as Date).getTime() : null;
}

/**
 * Deletes at most `limit` rows of `stream_window_units` whose window started before `beforeMs`; returns how many.
 * A unit's row is what a retried unit returns (minutes after its window) and the work's share per worker; rows as
 * old as the ledger's horizon serve neither, and there are one per partition per window.
 */
export async function deleteUnitRowsBefore(pool: Pool, beforeMs: number, limit: number): Promise<number> {
  const [r] = await pool.query<ResultSetHeader>(
    'DELETE FROM stream_window_units WHERE window_start < ? ORDER BY window_start LIMIT ?',
    [new Date(beforeMs), limit],
  );
  return r.affectedRows;
}

/**
 * Deletes at most `limit` ledger rows whose window started before `beforeMs`, oldest first, in a transaction of
 * its own; returns how many. READ COMMITTED takes no gap locks, and the index range holds only windows long
 * closed, so the row locks it holds for those few milliseconds are on rows no commit of the stream writes.
 */
export async function deleteCountedBefore(pool: Pool, beforeMs: number, limit: number): Promise<number> {
  return inTransaction(
    pool,
    async (conn) => {
      const [r] = await conn.query<ResultSetHeader>(
        'DELETE FROM counted_orders WHERE window_start < ? ORDER BY window_start, order_id LIMIT ?',
        [new Date(beforeMs), limit],
      );
      return r.affectedRows;
    },
    'READ COMMITTED',
  );
}
