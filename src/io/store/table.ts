/**
 * A table as the statements that write it see it: its name and its columns, listed once. Rows are objects keyed
 * by column name, so the INSERT's column list and each row's values come from the same place and a value can
 * never land in its neighbour's column (as it can with a tuple written against a list elsewhere).
 */
import { type Db, type InsertOptions, insertRows } from './sql';

export interface Table<R extends object> {
  readonly name: string;
  /** Every column of R, in the order the INSERT lists them. */
  readonly columns: readonly Column<R>[];
}

export type Column<R> = keyof R & string;

/**
 * A table's descriptor. `columns` names every key of the row type once (TypeScript refuses a missing or unknown
 * one); its key order is the INSERT's column order.
 */
export function table<R extends object>(
  name: string,
  columns: { readonly [C in Column<R>]: true },
): Table<R> {
  return { name, columns: Object.keys(columns) as Column<R>[] };
}

/** The row's values in the table's column order. */
export const valuesOf = <R extends object>(t: Table<R>, row: R): unknown[] => t.columns.map((c) => row[c]);

export interface RowInsertOptions<R> extends Omit<InsertOptions, 'add' | 'replace'> {
  /** On a duplicate key, add these columns' new values to the stored ones (running sums). */
  add?: readonly Column<R>[];
  /** On a duplicate key, overwrite these columns with the new values. */
  replace?: readonly Column<R>[];
}

/** INSERT (or upsert, with `add`/`replace`) of typed rows, many per statement. */
export function insertInto<R extends object>(
  db: Db,
  t: Table<R>,
  rows: readonly R[],
  opts: RowInsertOptions<R> = {},
): Promise<void> {
  return insertRows(
    db,
    t.name,
    t.columns,
    rows.map((r) => valuesOf(t, r)),
    opts,
  );
}

/**
 * UPDATE of the rows `where` names (its columns ANDed): each `add` column grows by its value, each `set` column
 * takes its value.
 */
export async function updateWhere<R extends object>(
  db: Db,
  t: Table<R>,
  where: Partial<R>,
  change: { add?: Partial<R>; set?: Partial<R> },
): Promise<void> {
  const pairs = (o: Partial<R> | undefined) => {
    const entries = Object.entries(o ?? {}) as Array<[Column<R>, unknown]>;
    // Column names go into the statement as they are: only the table's own.
    for (const [c] of entries) if (!t.columns.includes(c)) throw new Error(`${t.name} has no column ${c}`);
    return entries;
  };
  const add = pairs(change.add);
  const set = pairs(change.set);
  const keys = pairs(where);
  const assignments = [...add.map(([c]) => `${c} = ${c} + ?`), ...set.map(([c]) => `${c} = ?`)];
  await db.query(
    `UPDATE ${t.name} SET ${assignments.join(', ')} WHERE ${keys.map(([c]) => `${c} = ?`).join(' AND ')}`,
    [...add, ...set, ...keys].map(([, v]) => v),
  );
}
