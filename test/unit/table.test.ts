/**
 * Table descriptors: the statements they build list each column once, and a row's values follow the column
 * list whatever order the row object was written in. The statements are captured, not run (the integration tests
 * run them on MariaDB).
 */
import { describe, expect, it } from 'vitest';
import { ADDED_COLUMNS, MYSQL_SCHEMA } from '../../src/io/mysql';
import type { Db } from '../../src/io/store/sql';
import {
  COUNTED_ORDERS,
  DLQ_COUNTS,
  SALES_WINDOWS,
  STREAM_OFFSETS,
  STREAM_WINDOW_UNITS,
  STREAM_WINDOWS,
} from '../../src/io/store/stream-tables';
import { insertInto, table, updateWhere, valuesOf } from '../../src/io/store/table';

interface Row {
  id: number;
  name: string;
  total: number;
}
const ROWS = table<Row>('things', { id: true, name: true, total: true });

/** A Db that records each statement and its parameters. */
function recordingDb() {
  const statements: Array<{ sql: string; params: unknown[] }> = [];
  const db = {
    query: async (sql: string, params: unknown[]) => {
      statements.push({ sql, params });
      return [[], []];
    },
  } as unknown as Db;
  return { db, statements };
}

describe('table descriptors', () => {
  it('gives a row values in column order, however the object was written', () => {
    expect(ROWS.columns).toEqual(['id', 'name', 'total']);
    expect(valuesOf(ROWS, { total: 3, name: 'b', id: 7 })).toEqual([7, 'b', 3]);
  });

  it('builds one multi-row upsert from typed rows', async () => {
    const { db, statements } = recordingDb();
    await insertInto(
      db,
      ROWS,
      [
        { id: 1, name: 'a', total: 2 },
        { name: 'b', total: 5, id: 2 },
      ],
      { add: ['total'], replace: ['name'] },
    );
    expect(statements).toEqual([
      {
        sql: 'INSERT INTO things (id, name, total) VALUES (?,?,?),(?,?,?) ON DUPLICATE KEY UPDATE total = total + VALUES(total), name = VALUES(name)',
        params: [1, 'a', 2, 2, 'b', 5],
      },
    ]);
  });

  it('INSERT IGNORE, and no statement for no rows', async () => {
    const { db, statements } = recordingDb();
    await insertInto(db, ROWS, [{ id: 1, name: 'a', total: 2 }], { ignore: true });
    await insertInto(db, ROWS, []);
    expect(statements.map((s) => s.sql)).toEqual([
      'INSERT IGNORE INTO things (id, name, total) VALUES (?,?,?)',
    ]);
  });

  it('updates by key, adding to some columns and setting others', async () => {
    const { db, statements } = recordingDb();
    await updateWhere(db, ROWS, { id: 4 }, { add: { total: 10 }, set: { name: 'c' } });
    expect(statements).toEqual([
      { sql: 'UPDATE things SET total = total + ?, name = ? WHERE id = ?', params: [10, 'c', 4] },
    ]);
  });

  it('refuses a column the table does not have (names go into the statement as they are)', async () => {
    const { db, statements } = recordingDb();
    const sneaky = { id: 4, 'id = id; DROP TABLE things; --': 1 } as unknown as Partial<Row>;
    await expect(updateWhere(db, ROWS, sneaky, { set: { name: 'x' } })).rejects.toThrow(/no column/);
    expect(statements).toEqual([]);
  });

  it('describes each stream table with exactly the columns of its DDL (MYSQL_SCHEMA and the columns added since)', () => {
    for (const t of [
      COUNTED_ORDERS,
      DLQ_COUNTS,
      STREAM_OFFSETS,
      SALES_WINDOWS,
      STREAM_WINDOWS,
      STREAM_WINDOW_UNITS,
    ]) {
      const ddl = MYSQL_SCHEMA.find((s) => s.includes(`CREATE TABLE IF NOT EXISTS ${t.name} (`));
      const declared = [...(ddl ?? '').matchAll(/^\s+([a-z_]+) [A-Z]/gm)].map((m) => m[1]);
      const added = ADDED_COLUMNS.filter(([table]) => table === t.name).map(([, column]) => column);
      const expected = new Set([...declared, ...added]);
      expect([...t.columns].sort(), t.name).toEqual([...expected].sort());
    }
  });
});
