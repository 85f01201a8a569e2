/** MySQL (MariaDB) for real: the migration is idempotent, rows round-trip exactly, the read-only user only reads. */
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Customer } from '../../src/core/types';
import { createPool, migrateMysql } from '../../src/io/mysql';
import { loadCustomerDims, upsertCustomers } from '../../src/io/store/customers';
import { createTestEnv, type TestEnv } from '../helpers/env';

const tricky: Customer = {
  id: 42,
  name: `O'Brien, "Jr" \\ Zoë 🛒`,
  address: `1 Quote's Lane; DROP TABLE customers; --`,
  birthDate: '1980-02-29',
  city: 'Coeur d’Alene',
  createdAt: '2017-03-04T05:06:07.000Z',
  email: 'o.brien+test@example.com',
  latitude: null,
  longitude: -116.78,
  password: `p'a"s\\s`,
  source: 'Facebook',
  state: 'ID',
  zip: '02134',
};

/** Every table's full definition (SHOW CREATE TABLE), and the rows of the customers table. */
async function schemaAndData(pool: Pool) {
  const [names] = await pool.query<RowDataPacket[]>('SHOW FULL TABLES');
  const tables: Record<string, string> = {};
  for (const row of names) {
    const name = String(Object.values(row)[0]);
    const [created] = await pool.query<RowDataPacket[]>(`SHOW CREATE TABLE \`${name}\``);
    tables[name] = String(created[0]['Create Table'] ?? created[0]['Create View']);
  }
  const [customers] = await pool.query<RowDataPacket[]>('SELECT * FROM customers ORDER BY id');
  return { tables, customers };
}

describe('mysql', () => {
  let t: TestEnv;
  beforeAll(async () => {
    t = await createTestEnv('mysql');
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('runs the migration again without error or change', async () => {
    const pool = createPool(t.config, { connectionLimit: 1 });
    try {
      await upsertCustomers(pool, [{ ...tricky, id: 7 }]);
      const before = await schemaAndData(pool);
      expect(Object.keys(before.tables)).toEqual(
        expect.arrayContaining([
          'customers',
          'counted_orders',
          'sales_daily',
          'sales_totals',
          'sales_windows',
        ]),
      );
      expect(before.customers).toHaveLength(1);
      await migrateMysql(t.config);
      expect(await schemaAndData(pool)).toEqual(before);
    } finally {
      await pool.end();
    }
  });

  it('writes and reads back a row with quotes, backslashes, unicode and a leading-zero zip', async () => {
    const pool = createPool(t.config, { connectionLimit: 1 });
    await upsertCustomers(pool, [tricky]);
    await upsertCustomers(pool, [tricky]); // an upsert, not a second row
    const [rows] = await pool.query<RowDataPacket[]>('SELECT * FROM customers WHERE id = ?', [42]);
    await pool.end();
    expect(rows).toHaveLength(1);
    const r = rows[0];
    expect(r.name).toBe(tricky.name);
    expect(r.address).toBe(tricky.address);
    expect(r.city).toBe(tricky.city);
    expect(r).not.toHaveProperty('password'); // read from the CSV, never stored
    expect(r.zip).toBe('02134');
    expect(r.latitude).toBeNull();
    expect(Number(r.longitude)).toBeCloseTo(-116.78, 6);
  });

  it('lets the read-only user read the dashboard tables, not customers, and write nothing', async () => {
    const ro = createPool(t.config, { readonly: true, connectionLimit: 1 });
    try {
      await ro.query('SELECT COUNT(*) FROM sales_totals');
      await expect(loadCustomerDims(ro)).rejects.toThrow(/SELECT command denied/i);
      await expect(ro.query('DELETE FROM customers')).rejects.toThrow(/command denied/i);
    } finally {
      await ro.end();
    }
  });
});
