/**
 * Streaming readers for the seed's CSV files (constant memory, csv-parse) and writers in the same format.
 *
 * Quotes, commas and newlines inside quotes, apostrophes, empty cells, a UTF-8 BOM and CRLF line ends are all
 * handled. A wrong header throws a CsvFormatError naming the file, line and column. A bad row never throws:
 * it is yielded as `{ ok: false, line, reason, raw }` with its original text, so a replay can dead-letter it
 * and lose nothing.
 */
import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import { type CsvError, parse } from 'csv-parse';
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

/** A file path, or a stream of its bytes. */
export type CsvSource = string | Readable;

/** One data row: parsed, or rejected with the 1-based line it starts on and its original text. */
export type RowResult<T> =
  | ({ ok: true; line: number } & T)
  | { ok: false; line: number; reason: string; raw: string };

/** What csv-parse yields with `info` and `raw` on. */
type ParsedRecord = { record: string[]; info: { lines: number }; raw: string };
type Skipped = { line: number; raw: string; error: string };
type RawRecord = { line: number; raw: string; cells: string[] } | Skipped;

/** The line a record starts on, from the line it ends on and its raw text (quoted cells may span lines). */
function startLine(endLine: number, raw: string): number {
  let newlines = 0;
  for (let i = raw.indexOf('\n'); i !== -1; i = raw.indexOf('\n', i + 1)) newlines++;
  return endLine - newlines;
}

const stripEol = (raw: string) => raw.replace(/\r?\n?$/, '');

/**
 * Records after a header that must equal `columns` exactly. Malformed records (say an unclosed quote) come back
 * as errors in line order instead of stopping the file.
 */
async function* csvRecords(
  source: CsvSource,
  columns: readonly string[],
  name: string,
): AsyncGenerator<RawRecord> {
  const input = typeof source === 'string' ? fs.createReadStream(source) : source;
  const skipped: Skipped[] = [];
  const parser = input.pipe(
    parse({
      bom: true,
      info: true,
      raw: true,
      skip_empty_lines: true,
      // An unclosed quote still reads to the end of the file (its text is kept for the report): csv-parse's
      // max_record_size would bound that, but it silently drops everything after the oversized record.
      // Column counts are checked per row below, so one short row is reported rather than fatal.
      relax_column_count: true,
      // A stray quote inside an unquoted cell (ab"c) is kept as text, as pandas does, not a parse error.
      relax_quotes: true,
      skip_records_with_error: true,
      on_skip: (err: CsvError | undefined, raw: string | undefined) => {
        const text = stripEol(raw ?? '');
        const line = startLine(Number(err?.lines ?? 0), text);
        skipped.push({ line, raw: text, error: err?.message ?? 'unreadable CSV record' });
      },
    }),
  );
  let sawHeader = false;
  try {
    for await (const rec of parser as AsyncIterable<ParsedRecord>) {
      const raw = stripEol(rec.raw);
      const line = startLine(rec.info.lines, raw);
      if (!sawHeader) {
        // A record that failed before the first good one was the header itself.
        if (skipped.length && skipped[0].line < line) throw headerError(name, columns, skipped[0].error);
        checkHeader(name, columns, rec.record);
        sawHeader = true;
        continue;
      }
      while (skipped.length && skipped[0].line < line) yield skipped.shift()!;
      yield { line, raw, cells: rec.record };
    }
  } catch (e) {
    if ((e as CsvError).code?.startsWith?.('CSV_'))
      throw new CsvFormatError(`${name}: ${(e as Error).message}`);
    throw e;
  } finally {
    if (typeof source === 'string') (input as fs.ReadStream).destroy();
  }
  if (!sawHeader) throw headerError(name, columns, skipped[0]?.error ?? 'the file is empty');
  yield* skipped;
}

function headerError(name: string, columns: readonly string[], problem: string): CsvFormatError {
  return new CsvFormatError(`${name}: line 1: ${problem}; expected the header ${columns.join(',')}`);
}

function checkHeader(name: string, columns: readonly string[], got: string[]): void {
  const n = Math.max(columns.length, got.length);
  for (let i = 0; i < n; i++) {
    if (got[i] === columns[i]) continue;
    const found = got[i] === undefined ? 'nothing' : JSON.stringify(got[i]);
    const wanted = columns[i] === undefined ? 'no more columns' : JSON.stringify(columns[i]);
    throw headerError(name, columns, `column ${i + 1}: expected ${wanted} but found ${found}`);
  }
}

/** A CSV cell as JSON would carry it: '' → null, a decimal number → number, anything else stays text. */
function cellValue(cell: string): string | number | null {
  const t = cell.trim();
  if (t === '') return null;
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : t;
}

type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Each data row converted by `convert`, or the reason it could not be. */
async function* readRows<K extends string, T>(
  source: CsvSource,
  columns: readonly string[],
  name: string,
  key: K,
  convert: (cells: string[]) => Checked<T>,
): AsyncGenerator<RowResult<Record<K, T>>> {
  for await (const rec of csvRecords(source, columns, name)) {
    const { line, raw } = rec;
    if ('error' in rec) {
      yield { ok: false, line, reason: rec.error, raw };
      continue;
    }
    if (rec.cells.length !== columns.length) {
      yield { ok: false, line, reason: `expected ${columns.length} columns, found ${rec.cells.length}`, raw };
      continue;
    }
    const r = convert(rec.cells);
    yield r.ok
      ? ({ ok: true, line, [key]: r.value } as RowResult<Record<K, T>>)
      : { ok: false, line, reason: r.reason, raw };
  }
}

const labelOf = (source: CsvSource, fallback: string) => (typeof source === 'string' ? source : fallback);

/** Orders, validated exactly as a wire message is (an empty Discount is no discount). */
export function readOrdersCsv(source: CsvSource, name = labelOf(source, 'orders CSV')) {
  return readRows(source, ORDER_COLUMNS, name, 'order', (cells): Checked<Order> => {
    const fields: Record<string, unknown> = {};
    ORDER_COLUMNS.forEach((column, i) => {
      fields[column] = column === 'Created At' ? cells[i].trim() : cellValue(cells[i]);
    });
    const decoded = validateOrderFields(fields);
    return decoded.ok
      ? { ok: true, value: decoded.order }
      : { ok: false, reason: `${decoded.reason}: ${decoded.detail}` };
  });
}

/** A number cell, or null when empty; undefined when it holds anything else. */
function optionalNumber(cell: string): number | null | undefined {
  const v = cellValue(cell);
  return v === null || typeof v === 'number' ? v : undefined;
}

function positiveInteger(cell: string): number | undefined {
  const v = cellValue(cell);
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 ? v : undefined;
}

export function readCustomersCsv(source: CsvSource, name = labelOf(source, 'customers CSV')) {
  return readRows(source, CUSTOMER_COLUMNS, name, 'customer', (cells): Checked<Customer> => {
    const [id, name_, address, birthDate, city, createdAt, email, lat, lon, password, source_, state, zip] =
      cells;
    const idNum = positiveInteger(id);
    const latitude = optionalNumber(lat);
    const longitude = optionalNumber(lon);
    if (idNum === undefined)
      return { ok: false, reason: `ID must be a positive integer, got ${JSON.stringify(id)}` };
    if (!source_.trim()) return { ok: false, reason: 'Source is empty' };
    if (!state.trim()) return { ok: false, reason: 'State is empty' };
    if (latitude === undefined)
      return { ok: false, reason: `Latitude must be a number, got ${JSON.stringify(lat)}` };
    if (longitude === undefined)
      return { ok: false, reason: `Longitude must be a number, got ${JSON.stringify(lon)}` };
    const customer: Customer = {
      id: idNum,
      name: name_,
      address,
      birthDate,
      city,
      createdAt,
      email,
      latitude,
      longitude,
      password,
      source: source_.trim(),
      state: state.trim(),
      zip: zip.trim(),
    };
    return { ok: true, value: customer };
  });
}

export function readProductsCsv(source: CsvSource, name = labelOf(source, 'products CSV')) {
  return readRows(source, PRODUCT_COLUMNS, name, 'product', (cells): Checked<Product> => {
    const [id, category, createdAt, ean, price, rating, title, vendor] = cells;
    const idNum = positiveInteger(id);
    const priceNum = cellValue(price);
    const ratingNum = cellValue(rating);
    if (idNum === undefined)
      return { ok: false, reason: `ID must be a positive integer, got ${JSON.stringify(id)}` };
    if (typeof priceNum !== 'number')
      return { ok: false, reason: `Price must be a number, got ${JSON.stringify(price)}` };
    if (typeof ratingNum !== 'number')
      return { ok: false, reason: `Rating must be a number, got ${JSON.stringify(rating)}` };
    const product: Product = {
      id: idNum,
      category,
      createdAt,
      ean: ean.trim(),
      price: priceNum,
      rating: ratingNum,
      title,
      vendor,
    };
    return { ok: true, value: product };
  });
}

/**
 * One CSV line without its line end, as the seed's files are written: numbers in JavaScript's shortest
 * round-trip form, null as an empty cell, and quotes only around cells that hold a quote, comma or line break.
 */
export function formatCsvRow(cells: ReadonlyArray<string | number | null>): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i];
    if (i > 0) line += ',';
    if (c === null) continue;
    if (typeof c === 'number') {
      if (!Number.isFinite(c)) throw new RangeError(`cannot write ${c} to a CSV cell`);
      line += String(c);
    } else line += /[",\r\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c;
  }
  return line;
}

export const csvHeader = (columns: readonly string[]) => formatCsvRow(columns);

export function formatOrdersCsvRow(o: Order): string {
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

export function formatCustomersCsvRow(c: Customer): string {
  // biome-ignore format: the columns in file order
  return formatCsvRow([c.id, c.name, c.address, c.birthDate, c.city, c.createdAt, c.email, c.latitude, c.longitude,
    c.password, c.source, c.state, c.zip]);
}

export function formatProductsCsvRow(p: Product): string {
  return formatCsvRow([p.id, p.category, p.createdAt, p.ean, p.price, p.rating, p.title, p.vendor]);
}
