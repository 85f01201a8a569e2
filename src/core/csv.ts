/**
 * Streaming readers for the seed's CSV files (constant memory) and writers in the same format.
 *
 * The reader is line-based with a small quote-aware tokenizer (RFC 4180): a quote opens a quoted cell only at the
 * start of a cell, `""` inside quotes is a quote, a stray quote inside an unquoted cell (ab"c) stays text. Commas
 * and line breaks inside quotes, apostrophes, empty cells, a UTF-8 BOM, CRLF line ends and blank lines are
 * handled. A wrong header throws a CsvFormatError naming the file, line and column. A bad row never throws: it
 * is yielded as `{ ok: false, line, reason, raw }` with its original text, so a replay can dead-letter it and lose
 * nothing.
 *
 * A malformed row costs only itself. Following lines are joined only while a quoted cell is open, and at most
 * MAX_RECORD_LINES lines / MAX_RECORD_CHARS characters; a record that spans lines but is not a valid row (its quote
 * never closes, its columns or values are wrong) is reported once, at its first line with that line's text, and
 * reading resumes at the next physical line. (A general-purpose parser would read an unclosed quote to the end of
 * the file and silently take every later row with it.)
 */
import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { SalesflowError } from '../errors';
import { customerProblem } from './customers';
import { validateOrderFields } from './message';
import {
  CUSTOMER_COLUMNS,
  type Customer,
  ORDER_COLUMNS,
  type Order,
  PRODUCT_COLUMNS,
  type Product,
} from './types';

/** A file that is not the CSV it should be (its header): reading it again cannot help. */
export class CsvFormatError extends SalesflowError {}

/** A file path, or a stream of its bytes. */
export type CsvSource = string | Readable;

/** One data row: parsed, or rejected with the 1-based line it starts on and its original text. */
export type RowResult<T> =
  | ({ ok: true; line: number } & T)
  | { ok: false; line: number; reason: string; raw: string };

/** The most physical lines one record may span (a quoted cell with line breaks in it). */
export const MAX_RECORD_LINES = 64;
/** The most characters a record spanning lines may hold before its open quote is taken as unclosed. */
export const MAX_RECORD_CHARS = 1 << 20;
/** Reasons quote the offending value; a row with a 2 MB cell must not make a 2 MB reason. */
const MAX_REASON_CHARS = 300;

const QUOTE = 34;
const COMMA = 44;

/**
 * The physical lines of a stream, buffered so a record can look ahead and give lines back. Lines keep a trailing
 * \r (CRLF files) so a quoted cell spanning lines keeps its own line ends.
 */
class LineBuffer {
  private lines: string[] = [];
  private head = 0;
  /** The file line number of lines[head]. */
  lineNo = 1;
  eof = false;
  /** The pieces of a line not yet ended. */
  private carry: string[] = [];
  private first = true;
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly chunks: AsyncIterator<Buffer | string>) {}

  get available(): number {
    return this.lines.length - this.head;
  }

  /** The i-th buffered line after the head. */
  at(i: number): string {
    return this.lines[this.head + i];
  }

  drop(n: number): void {
    this.head += n;
    this.lineNo += n;
  }

  /** Reads at least one more line (or reaches the end of the stream). */
  async fill(): Promise<void> {
    if (this.head > 0) {
      this.lines = this.lines.slice(this.head);
      this.head = 0;
    }
    const before = this.lines.length;
    while (!this.eof && this.lines.length === before) {
      const next = await this.chunks.next();
      let text: string;
      if (next.done) {
        this.eof = true;
        text = this.carry.join('') + this.decoder.end();
        this.carry = [];
        if (text !== '') this.lines.push(text);
        break;
      }
      const chunk = next.value;
      text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
      if (this.first && text.length) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        this.first = false;
      }
      // Only the new text is searched, and a long line's pieces are joined once: a multi-megabyte line costs
      // its length, not its length times its chunks.
      let nl = text.indexOf('\n');
      if (nl === -1) {
        if (text !== '') this.carry.push(text);
        continue;
      }
      this.lines.push(this.carry.length ? this.carry.join('') + text.slice(0, nl) : text.slice(0, nl));
      let from = nl + 1;
      for (nl = text.indexOf('\n', from); nl !== -1; nl = text.indexOf('\n', from)) {
        this.lines.push(text.slice(from, nl));
        from = nl + 1;
      }
      this.carry = from < text.length ? [text.slice(from)] : [];
    }
  }
}

const stripCr = (line: string) => (line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line);

/** A record's cells and the lines it took, or why the record starting here cannot be read. */
type Tokens = { cells: string[]; lines: number } | { error: string } | { more: true };

/**
 * Splits the record that starts at the buffer's head into cells. Asks for `more` when a quoted cell is still open
 * at the last buffered line and the stream has more.
 */
function tokenize(buf: LineBuffer): Tokens {
  const firstLine = stripCr(buf.at(0));
  // Fast path: no quote, no quoted cells (every orders row of the seed).
  if (firstLine.indexOf('"') === -1) return { cells: firstLine.split(','), lines: 1 };
  const cells: string[] = [];
  let cell = '';
  let inQuote = false;
  let chars = 0;
  for (let k = 0; ; k++) {
    if (k > 0) {
      if (k >= MAX_RECORD_LINES || chars > MAX_RECORD_CHARS)
        return {
          error: `Quote Not Closed: the quoted cell opened on this line is still open after ${k} lines (${chars} characters)`,
        };
      if (k >= buf.available) {
        if (!buf.eof) return { more: true };
        return {
          error: 'Quote Not Closed: the quoted cell opened on this line is still open at the end of the file',
        };
      }
    }
    const raw = buf.at(k);
    const s = stripCr(raw);
    chars += raw.length + 1;
    let p = 0;
    for (;;) {
      if (!inQuote) {
        if (s.charCodeAt(p) === QUOTE) {
          inQuote = true;
          p++;
        } else {
          const c = s.indexOf(',', p);
          if (c === -1) {
            cells.push(s.slice(p));
            return { cells, lines: k + 1 };
          }
          cells.push(s.slice(p, c));
          p = c + 1;
          continue;
        }
      }
      const q = s.indexOf('"', p);
      if (q === -1) {
        // The line ends inside quotes: the cell goes on, with this line's own line end.
        cell += `${s.slice(p)}${raw.length === s.length ? '\n' : '\r\n'}`;
        break;
      }
      cell += s.slice(p, q);
      if (s.charCodeAt(q + 1) === QUOTE) {
        cell += '"';
        p = q + 2;
        continue;
      }
      inQuote = false;
      p = q + 1;
      cells.push(cell);
      cell = '';
      if (p === s.length) return { cells, lines: k + 1 };
      if (s.charCodeAt(p) !== COMMA)
        return {
          error: `Invalid Closing Quote: a quoted cell ends at a comma or the line end, found ${JSON.stringify(s[p])}`,
        };
      p++;
      // A comma right before the line end leaves one more (empty) cell: the unquoted branch pushes it.
    }
  }
}

type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

const clip = (s: string) => (s.length > MAX_REASON_CHARS ? `${s.slice(0, MAX_REASON_CHARS)}…` : s);

/**
 * Each data row after a header that must equal `columns` exactly, converted by `convert`, or the reason it could
 * not be.
 */
async function* readRows<K extends string, T>(
  source: CsvSource,
  columns: readonly string[],
  name: string,
  key: K,
  convert: (cells: string[]) => Checked<T>,
): AsyncGenerator<RowResult<Record<K, T>>> {
  const input = typeof source === 'string' ? fs.createReadStream(source) : source;
  const chunks = (input as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const buf = new LineBuffer(chunks);
  let sawHeader = false;
  try {
    for (;;) {
      if (buf.available === 0) {
        await buf.fill();
        if (buf.available === 0) break;
      }
      if (stripCr(buf.at(0)) === '') {
        buf.drop(1); // blank lines between records are skipped
        continue;
      }
      let t = tokenize(buf);
      while ('more' in t) {
        await buf.fill();
        t = tokenize(buf);
      }
      const line = buf.lineNo;
      if (!sawHeader) {
        if ('error' in t) throw headerError(name, columns, t.error);
        checkHeader(name, columns, t.cells);
        sawHeader = true;
        buf.drop(t.lines);
        continue;
      }
      const firstRaw = stripCr(buf.at(0));
      let reason: string;
      if ('error' in t) reason = t.error;
      else {
        const r =
          t.cells.length === columns.length
            ? convert(t.cells)
            : { ok: false as const, reason: `expected ${columns.length} columns, found ${t.cells.length}` };
        if (r.ok) {
          buf.drop(t.lines);
          yield { ok: true, line, [key]: r.value } as RowResult<Record<K, T>>;
          continue;
        }
        if (t.lines === 1) {
          buf.drop(1);
          yield { ok: false, line, reason: clip(r.reason), raw: firstRaw };
          continue;
        }
        // The lines it joined may be rows of their own (a stray quote that happened to close further down).
        reason = `a quoted cell joins lines ${line}-${line + t.lines - 1} into no valid row (${r.reason})`;
      }
      buf.drop(1);
      yield { ok: false, line, reason: clip(reason), raw: firstRaw };
    }
  } finally {
    if (typeof source === 'string') (input as fs.ReadStream).destroy();
  }
  if (!sawHeader) throw headerError(name, columns, 'the file is empty');
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
    const problem = customerProblem(customer);
    return problem ? { ok: false, reason: problem } : { ok: true, value: customer };
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
