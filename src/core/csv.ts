/**
 * Streaming readers for the seed's CSV files (constant memory, csv-parse): quotes, commas inside quotes, empty
 * cells, a UTF-8 BOM and CRLF line ends are all handled. A wrong header is an error naming the file; a bad row
 * is yielded as `{ ok: false, line, reason, raw }` so the caller can report it and lose nothing.
 */
import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { validateOrderFields } from './message';
import {
  CUSTOMER_COLUMNS,
  type Customer,
  ORDER_COLUMNS,
  type Order,
  PRODUCT_COLUMNS,
  type Product,
} from './types';

export class CsvFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvFormatError';
  }
}

export type RowResult<T> = ({ ok: true } & T) | { ok: false; line: number; reason: string; raw: string };

type Source = string | Readable;

interface RawRow {
  line: number;
  cells: string[];
  raw: string;
}

async function* rows(source: Source, columns: string[], what: string): AsyncGenerator<RawRow> {
  const name = typeof source === 'string' ? source : what;
  const input = typeof source === 'string' ? fs.createReadStream(source) : source;
  const parser = input.pipe(
    parse({
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
      raw: true,
      relax_quotes: false,
    }),
  );
  let header = true;
  try {
    for await (const rec of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
      raw: string;
    }>) {
      if (header) {
        header = false;
        const got = rec.record.map((c) => c.trim());
        if (got.join(',') !== columns.join(',')) {
          throw new CsvFormatError(
            `${name}: line 1: expected the header ${columns.join(',')} but found ${got.join(',')}`,
          );
        }
        continue;
      }
      yield { line: rec.info.lines, cells: rec.record, raw: rec.raw.replace(/\r?\n$/, '') };
    }
  } catch (e) {
    if (e instanceof CsvFormatError) throw e;
    throw new CsvFormatError(`${name}: ${(e as Error).message}`);
  } finally {
    if (typeof source === 'string') (input as fs.ReadStream).destroy();
  }
  if (header)
    throw new CsvFormatError(`${name}: the file is empty (expected the header ${columns.join(',')})`);
}

/** A CSV cell as JSON would carry it: '' → null, a number → number, anything else stays text. */
function cellValue(cell: string): string | number | null {
  const t = cell.trim();
  if (t === '') return null;
  const n = Number(t);
  return Number.isFinite(n) && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? n : t;
}

function columnCount(row: RawRow, columns: string[]): string | null {
  return row.cells.length === columns.length
    ? null
    : `expected ${columns.length} columns, found ${row.cells.length}`;
}

export async function* readOrdersCsv(
  source: Source,
): AsyncGenerator<RowResult<{ line: number; order: Order }>> {
  for await (const row of rows(source, ORDER_COLUMNS, 'orders CSV')) {
    const bad = columnCount(row, ORDER_COLUMNS);
    if (bad) {
      yield { ok: false, line: row.line, reason: bad, raw: row.raw };
      continue;
    }
    const obj: Record<string, unknown> = {};
    ORDER_COLUMNS.forEach((c, i) => {
      obj[c] = c === 'Created At' ? row.cells[i].trim() : cellValue(row.cells[i]);
    });
    const decoded = validateOrderFields(obj);
    if (decoded.ok) yield { ok: true, line: row.line, order: decoded.order };
    else yield { ok: false, line: row.line, reason: `${decoded.reason}: ${decoded.detail}`, raw: row.raw };
  }
}

function optionalNumber(cell: string): number | null | undefined {
  const v = cellValue(cell);
  return v === null ? null : typeof v === 'number' ? v : undefined;
}

export async function* readCustomersCsv(
  source: Source,
): AsyncGenerator<RowResult<{ line: number; customer: Customer }>> {
  for await (const row of rows(source, CUSTOMER_COLUMNS, 'customers CSV')) {
    const bad = columnCount(row, CUSTOMER_COLUMNS);
    if (bad) {
      yield { ok: false, line: row.line, reason: bad, raw: row.raw };
      continue;
    }
    const [id, name, address, birthDate, city, createdAt, email, lat, lon, password, source_, state, zip] =
      row.cells;
    const idNum = cellValue(id);
    const latitude = optionalNumber(lat);
    const longitude = optionalNumber(lon);
    let reason: string | null = null;
    if (typeof idNum !== 'number' || !Number.isSafeInteger(idNum) || idNum < 0)
      reason = `ID must be an integer, got '${id}'`;
    else if (!source_.trim()) reason = 'Source is empty';
    else if (!state.trim()) reason = 'State is empty';
    else if (latitude === undefined || longitude === undefined)
      reason = `Latitude/Longitude must be numbers, got '${lat}', '${lon}'`;
    if (reason) {
      yield { ok: false, line: row.line, reason, raw: row.raw };
      continue;
    }
    yield {
      ok: true,
      line: row.line,
      customer: {
        id: idNum as number,
        name,
        address,
        birthDate,
        city,
        createdAt,
        email,
        latitude: latitude ?? null,
        longitude: longitude ?? null,
        password,
        source: source_.trim(),
        state: state.trim(),
        zip,
      },
    };
  }
}

export async function* readProductsCsv(
  source: Source,
): AsyncGenerator<RowResult<{ line: number; product: Product }>> {
  for await (const row of rows(source, PRODUCT_COLUMNS, 'products CSV')) {
    const bad = columnCount(row, PRODUCT_COLUMNS);
    const [id, category, createdAt, ean, price, rating, title, vendor] = row.cells;
    const nums = [cellValue(id), cellValue(price), cellValue(rating)];
    if (bad || nums.some((n) => typeof n !== 'number')) {
      yield {
        ok: false,
        line: row.line,
        reason: bad ?? 'ID, Price and Rating must be numbers',
        raw: row.raw,
      };
      continue;
    }
    yield {
      ok: true,
      line: row.line,
      product: {
        id: nums[0] as number,
        category,
        createdAt,
        ean,
        price: nums[1] as number,
        rating: nums[2] as number,
        title,
        vendor,
      },
    };
  }
}

/** One CSV line, quoting only the cells that need it (as the seed's files do). */
export function formatCsvRow(cells: Array<string | number | null>): string {
  return cells
    .map((c) => {
      if (c === null) return '';
      const s = String(c);
      return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
    })
    .join(',');
}

export function formatOrderRow(o: Order): string {
  return formatCsvRow([
    o.id,
    o.createdAt,
    o.discount,
    o.productId,
    o.quantity,
    o.subtotal,
    o.tax,
    o.total,
    o.userId,
  ]);
}

export function formatCustomerRow(c: Customer): string {
  return formatCsvRow([
    c.id,
    c.name,
    c.address,
    c.birthDate,
    c.city,
    c.createdAt,
    c.email,
    c.latitude,
    c.longitude,
    c.password,
    c.source,
    c.state,
    c.zip,
  ]);
}

export function formatProductRow(p: Product): string {
  return formatCsvRow([p.id, p.category, p.createdAt, p.ean, p.price, p.rating, p.title, p.vendor]);
}
