/**
 * The reader's recovery from malformed rows: an unclosed or badly closed quote costs only its own line, a quoted
 * cell may span lines but only within bounds, and chunk boundaries (even inside a UTF-8 character or a CRLF) change
 * nothing.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  formatCustomersCsvRow,
  MAX_RECORD_CHARS,
  MAX_RECORD_LINES,
  type RowResult,
  readCustomersCsv,
  readOrdersCsv,
} from '../../src/core/csv';
import type { Customer } from '../../src/core/types';

const ORDERS_HEADER = 'ID,Created At,Discount,Product ID,Quantity,Subtotal,Tax,Total,User ID';
const CUSTOMERS_HEADER =
  'ID,Name,Address,Birth Date,City,Created At,Email,Latitude,Longitude,Password,Source,State,Zip';
const order = (id: number) => `${id},2019-02-11T21:40:27.892+05:30,,14,2,37.6,2.07,39.7,${id}`;
const customer = (over: Partial<Customer> = {}): Customer => ({
  id: 1,
  name: 'Hudson Borer',
  address: '9611 West Rosedale Road',
  birthDate: '1986-12-12',
  city: 'Wood River',
  createdAt: '2017-10-07T01:34:35.462+05:30',
  email: 'borer-hudson@yahoo.com',
  latitude: 40.7,
  longitude: -98.5,
  password: 'p',
  source: 'Twitter',
  state: 'NE',
  zip: '68883',
  ...over,
});

/** The text in chunks of `size` bytes, so boundaries fall everywhere. */
const chunked = (text: string, size: number) => {
  const bytes = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
};
const stream = (text: string) => chunked(text, 1 << 16);

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
const summary = <T>(rows: RowResult<T>[]) => rows.map((r) => (r.ok ? r.line : -r.line));

describe('unclosed quotes', () => {
  it('row 10 of 20,000 with an unclosed quote: every other row is read', async () => {
    const lines = [ORDERS_HEADER];
    for (let i = 1; i <= 20_000; i++) lines.push(i === 10 ? order(i).replace(',2019', ',"2019') : order(i));
    const rows = await collect(readOrdersCsv(stream(`${lines.join('\n')}\n`)));
    expect(rows.length).toBe(20_000);
    const bad = rows.filter((r) => !r.ok);
    expect(bad.map((r) => r.line)).toEqual([11]);
    expect(!bad[0].ok && bad[0].reason).toMatch(/^Quote Not Closed: .* after 64 lines/);
    expect(rows.filter((r) => r.ok).length).toBe(19_999);
    // Every good row keeps its own line number.
    for (const r of rows) if (r.ok) expect(r.line).toBe(r.order.id + 1);
  });

  it('a quote that closes lines later into no valid row costs only its first line', async () => {
    // Line 3 opens a quote; line 5 closes it, making one record of lines 3-5 with the wrong column count.
    const text = [
      ORDERS_HEADER,
      order(1),
      '2,"x,,14,2,37.6,2.07,39.7,2',
      order(3),
      '4,y",5,6',
      order(5),
    ].join('\n');
    const rows = await collect(readOrdersCsv(stream(text)));
    expect(summary(rows)).toEqual([2, -3, 4, -5, 6]);
    expect(!rows[1].ok && rows[1].reason).toBe(
      'a quoted cell joins lines 3-5 into no valid row (expected 9 columns, found 4)',
    );
  });

  it('text after a closing quote is a bad row of its own', async () => {
    const text = [ORDERS_HEADER, '1,"2019-02-11T21:40:27.892+05:30"x,,14,2,37.6,2.07,39.7,1', order(2)].join(
      '\n',
    );
    const rows = await collect(readOrdersCsv(stream(text)));
    expect(summary(rows)).toEqual([-2, 3]);
    expect(!rows[0].ok && rows[0].reason).toBe(
      'Invalid Closing Quote: a quoted cell ends at a comma or the line end, found "x"',
    );
  });

  it('a quoted cell closed as the last cell, or followed by a trailing comma', async () => {
    const text = [ORDERS_HEADER, `${order(1).slice(0, -2)},"1"`, `${order(2)},`].join('\n');
    const rows = await collect(readOrdersCsv(stream(text)));
    expect(rows.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(['ok', 'expected 9 columns, found 10']);
  });

  it('a 2 MB cell on one line is one bad row, its reason kept short', async () => {
    const big = 'x'.repeat(2_000_000);
    const line = `2,${big},,14,2,37.6,2.07,39.7,2`;
    const text = [ORDERS_HEADER, order(1), line, order(3)].join('\n');
    const rows = await collect(readOrdersCsv(stream(text)));
    expect(summary(rows)).toEqual([2, -3, 4]);
    const bad = rows[1];
    expect(!bad.ok && bad.raw === line).toBe(true);
    expect(!bad.ok && bad.reason.length).toBeLessThan(400);
  });
});

describe('quoted cells spanning lines', () => {
  it('are read whole, keeping each line end (LF or CRLF) inside the cell', async () => {
    const c = customer({ address: 'Line 1,\r\nLine 2\n"Line" 3\n\nLine 5' });
    const text = `${CUSTOMERS_HEADER}\r\n${formatCustomersCsvRow(c)}\r\n${formatCustomersCsvRow(customer({ id: 2 }))}\r\n`;
    const rows = await collect(readCustomersCsv(stream(text)));
    expect(summary(rows)).toEqual([2, 7]);
    expect(rows[0].ok && rows[0].customer.address).toBe(c.address);
  });

  it(`are refused past ${MAX_RECORD_LINES} lines, and reading resumes at the next line`, async () => {
    const within = 'a\n'.repeat(MAX_RECORD_LINES - 2);
    const beyond = 'a\n'.repeat(MAX_RECORD_LINES);
    const text = [
      CUSTOMERS_HEADER,
      formatCustomersCsvRow(customer({ id: 1, address: within })),
      formatCustomersCsvRow(customer({ id: 2, address: beyond })),
    ].join('\n');
    const rows = await collect(readCustomersCsv(stream(text)));
    // Customer 1 spans 63 lines (2-64) and reads whole; customer 2 starts on line 65: one bad row, then each of its
    // continuation lines is tried as a row on its own (and is not one).
    expect(rows[0].ok && rows[0].customer.id).toBe(1);
    expect(rows[0].line).toBe(2);
    expect(rows.slice(1).every((r) => !r.ok)).toBe(true);
    expect(rows[1].line).toBe(65);
    expect(!rows[1].ok && rows[1].reason).toMatch(/^Quote Not Closed: .* after 64 lines/);
  });

  it(`are refused past ${MAX_RECORD_CHARS} characters`, async () => {
    const line = 'b'.repeat(100_000);
    const text = [ORDERS_HEADER, `1,"${line}`, ...Array(15).fill(line), `${line}",x`, order(2)].join('\n');
    const rows = await collect(readOrdersCsv(stream(text)));
    expect(rows[0].ok).toBe(false);
    expect(!rows[0].ok && rows[0].reason).toMatch(/^Quote Not Closed: .* after 11 lines \(\d+ characters\)/);
    expect(rows.at(-1)?.ok && rows.at(-1)?.line).toBe(19);
  });
});

describe('chunk boundaries', () => {
  it('give the same rows at any chunk size, through a BOM, CRLFs and multi-byte characters', async () => {
    const text =
      `\ufeff${CUSTOMERS_HEADER}\r\n` +
      [
        formatCustomersCsvRow(customer({ id: 1, name: 'Zoë Ünal 😀', address: 'Straße 1,\r\nEtage 2' })),
        formatCustomersCsvRow(customer({ id: 2, city: 'São Paulo' })),
        '3,"unclosed',
        formatCustomersCsvRow(customer({ id: 4 })),
      ].join('\r\n');
    const expected = await collect(readCustomersCsv(stream(text)));
    expect(summary(expected)).toEqual([2, 4, -5, 6]);
    for (const size of [1, 2, 3, 7, 64]) {
      expect(await collect(readCustomersCsv(chunked(text, size))), `chunks of ${size}`).toEqual(expected);
    }
  });
});
