/** The customers dimension: `customers`, loaded whole by `customers load`, read by every flush. */
import type { RowDataPacket } from 'mysql2/promise';
import type { CustomerDim } from '../../core/aggregate';
import type { Customer } from '../../core/types';
import type { Pool } from '../mysql';
import { insertRows, inTransaction } from './sql';

const COLUMNS = [
  'id',
  'name',
  'address',
  'birth_date',
  'city',
  'created_at',
  'email',
  'latitude',
  'longitude',
  'source',
  'state',
  'zip',
  'loaded_at',
] as const;

/**
 * Upserts customers in multi-row statements inside ONE transaction: a file loads whole or not at all (the caller
 * validates every row first; anything MySQL still refuses rolls the lot back). Passwords are never stored.
 */
export async function upsertCustomers(pool: Pool, customers: Customer[]): Promise<void> {
  if (customers.length === 0) return;
  const loadedAt = new Date();
  await inTransaction(pool, (conn) =>
    insertRows(
      conn,
      'customers',
      COLUMNS,
      customers.map((c) => [
        c.id,
        c.name,
        c.address,
        c.birthDate,
        c.city,
        c.createdAt,
        c.email,
        c.latitude,
        c.longitude,
        c.source,
        c.state,
        c.zip,
        loadedAt,
      ]),
      { replace: COLUMNS.slice(1), chunk: 500 },
    ),
  );
}

/** A version stamp that changes whenever customers are (re)loaded: cheap to poll before every flush. */
export async function customersVersion(db: Pool): Promise<string> {
  const [rows] = await db.query<RowDataPacket[]>('SELECT COUNT(*) AS n, MAX(loaded_at) AS t FROM customers');
  return `${rows[0].n}@${rows[0].t ? (rows[0].t as Date).getTime() : 0}`;
}

export async function loadCustomerDims(db: Pool): Promise<Map<number, CustomerDim>> {
  const [rows] = await db.query<RowDataPacket[]>('SELECT id, source, state FROM customers');
  return new Map(rows.map((r) => [Number(r.id), { source: r.source, state: r.state }]));
}
