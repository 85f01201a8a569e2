/**
 * The two shapes every pipeline statement takes: a transaction on one connection, and a multi-row insert (or
 * upsert) in bounded chunks. No per-row round trip anywhere.
 */
import type { PoolConnection } from 'mysql2/promise';
import type { Pool } from '../mysql';

export type Db = Pool | PoolConnection;

/**
 * Runs `fn` in one transaction on one connection: committed when it returns, rolled back when it throws.
 * READ COMMITTED takes no gap locks (writers of neighbouring keys never deadlock); REPEATABLE READ with a
 * consistent snapshot gives a read-only view of one moment.
 */
export async function inTransaction<T>(
  pool: Pool,
  fn: (conn: PoolConnection) => Promise<T>,
  isolation?: 'READ COMMITTED' | 'SNAPSHOT',
): Promise<T> {
  const conn = await pool.getConnection();
  try {
    if (isolation === 'SNAPSHOT') {
      await conn.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    } else {
      if (isolation) await conn.query(`SET TRANSACTION ISOLATION LEVEL ${isolation}`);
      await conn.beginTransaction();
    }
    const result = await fn(conn);
    await conn.commit();
    return result;
  } catch (e) {
    await conn.rollback().catch(() => undefined);
    throw e;
  } finally {
    conn.release();
  }
}

export function chunks<T>(items: readonly T[], size = 1000): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const placeholders = (rows: number, cols: number) =>
  Array.from({ length: rows }, () => `(${Array.from({ length: cols }, () => '?').join(',')})`).join(',');

export interface InsertOptions {
  /** On a duplicate key, add these columns' new values to the stored ones (running sums). */
  add?: readonly string[];
  /** On a duplicate key, overwrite these columns with the new values. */
  replace?: readonly string[];
  /** Rows per statement. */
  chunk?: number;
  /** INSERT IGNORE: a row whose key exists is left as it is. */
  ignore?: boolean;
}

/**
 * INSERT of many rows, `columns` in order, each row given as its values in that order; with `add`/`replace` an
 * upsert (ON DUPLICATE KEY UPDATE). Table and column names are ours, never input.
 */
export async function insertRows(
  db: Db,
  table: string,
  columns: readonly string[],
  rows: ReadonlyArray<readonly unknown[]>,
  opts: InsertOptions = {},
): Promise<void> {
  const updates = [
    ...(opts.add ?? []).map((c) => `${c} = ${c} + VALUES(${c})`),
    ...(opts.replace ?? []).map((c) => `${c} = VALUES(${c})`),
  ];
  const onDuplicate = updates.length ? ` ON DUPLICATE KEY UPDATE ${updates.join(', ')}` : '';
  for (const part of chunks(rows, opts.chunk ?? 1000)) {
    await db.query(
      `INSERT${opts.ignore ? ' IGNORE' : ''} INTO ${table} (${columns.join(', ')}) VALUES ${placeholders(part.length, columns.length)}${onDuplicate}`,
      part.flat(),
    );
  }
}
