import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  CsvFormatError,
  formatCsvRow,
  formatCustomersCsvRow,
  formatOrdersCsvRow,
  formatProductsCsvRow,
  readCustomersCsv,
  readOrdersCsv,
  readProductsCsv,
} from '../../src/core/csv';
import type { Customer, Order, Product } from '../../src/core/types';
import { SEED_CUSTOMER as SEED_CUSTOMER_ROW, SEED_ORDER } from '../helpers/fixtures';

const ORDERS_HEADER = 'ID,Created At,Discount,Product ID,Quantity,Subtotal,Tax,Total,User ID';
const CUSTOMERS_HEADER =
  'ID,Name,Address,Birth Date,City,Created At,Email,Latitude,Longitude,Password,Source,State,Zip';
const PRODUCTS_HEADER = 'ID,Category,Created At,Ean,Price,Rating,Title,Vendor';

/** The seed's own sample rows (DESIGN.md). */
const SEED_ORDERS = [
  '1,2019-02-11T21:40:27.892+05:30,,14,2,37.648145389078365,2.07,39.718145389078366,1',
  '3,2019-12-06T22:22:48.544+05:30,6.416679208849759,105,2,52.723521442619514,2.9,55.62208681964182,1',
];
const SEED_CUSTOMER =
  '1,Hudson Borer,9611-9809 West Rosedale Road,1986-12-12,Wood River,2017-10-07T01:34:35.462+05:30,' +
  'borer-hudson@yahoo.com,40.71314890000001,-98.5259864,ccca881f-3e4b-4e5c-8336-354103604af6,Twitter,NE,68883';
const SEED_PRODUCT =
  '1,Gizmo,2017-07-19T19:44:56.582+05:30,1018947080336,29.463261130679875,4.6,Rustic Paper Wallet,' +
  '"Swaniawski, Casper and Hilll"';

const stream = (text: string | Buffer) => Readable.from([Buffer.from(text)]);

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function rejectionOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('readOrdersCsv', () => {
  it('reads the seed rows, an empty Discount as null', async () => {
    const rows = await collect(readOrdersCsv(stream([ORDERS_HEADER, ...SEED_ORDERS, ''].join('\n'))));
    expect(rows).toEqual([
      {
        ok: true,
        line: 2,
        order: SEED_ORDER,
      },
      expect.objectContaining({
        ok: true,
        line: 3,
        order: expect.objectContaining({ discount: 6.416679208849759 }),
      }),
    ]);
  });

  it('handles a UTF-8 BOM, CRLF line ends, a missing final newline and blank lines', async () => {
    const text = `\ufeff${ORDERS_HEADER}\r\n${SEED_ORDERS[0]}\r\n\r\n${SEED_ORDERS[1]}`;
    const rows = await collect(readOrdersCsv(stream(text)));
    expect(rows.map((r) => r.ok && [r.line, r.order.id])).toEqual([
      [2, 1],
      [4, 3],
    ]);
  });

  it('yields bad rows with their line, reason and original text, and keeps going', async () => {
    const text = [
      ORDERS_HEADER,
      SEED_ORDERS[0],
      '2,2019-02-14T07:28:51:10+05:30,,136,1,160.2,7.25,112.5,1', // the seed's bad timestamp
      '3,2019-02-11T21:40:27.892+05:30,,14,2,37.6,2.07', // short row
      '4,2019-02-11T21:40:27.892+05:30,,14,-2,37.6,2.07,39.7,1', // negative quantity
      '5,2019-02-11T21:40:27.892+05:30,abc,14,2,37.6,2.07,39.7,1', // text discount
      '6,2019-02-11T21:40:27.892+05:30,,14,2,37.6,2.07,39.7,1,extra', // long row
      SEED_ORDERS[1],
    ].join('\n');
    const rows = await collect(readOrdersCsv(stream(text)));
    expect(rows.map((r) => (r.ok ? `ok ${r.line}` : `bad ${r.line}: ${r.reason}`))).toEqual([
      'ok 2',
      'bad 3: invalid_timestamp: Created At is not an ISO-8601 time with offset: "2019-02-14T07:28:51:10+05:30"',
      'bad 4: expected 9 columns, found 7',
      'bad 5: invalid_amount: Quantity must be >= 0, got -2',
      'bad 6: wrong_type: Discount must be a number, got "abc"',
      'bad 7: expected 9 columns, found 10',
      'ok 8',
    ]);
    const bad = rows[2];
    expect(!bad.ok && bad.raw).toBe('3,2019-02-11T21:40:27.892+05:30,,14,2,37.6,2.07');
  });

  it('keeps a stray quote as text; an unclosed quote costs only its own line', async () => {
    const text = [
      ORDERS_HEADER,
      SEED_ORDERS[0],
      '7,2019-02-11T21:40:27.892+05:30,,1"4,2,37.6,2.07,39.7,1',
      '8,"2019-02-11T21:40:27.892+05:30,,14,2,37.6,2.07,39.7,1',
      SEED_ORDERS[1],
    ].join('\n');
    const rows = await collect(readOrdersCsv(stream(text)));
    expect(rows.map((r) => [r.ok, r.line])).toEqual([
      [true, 2],
      [false, 3],
      [false, 4],
      [true, 5],
    ]);
    const [, stray, unclosed] = rows;
    expect(!stray.ok && stray.reason).toBe('wrong_type: Product ID must be an integer, got "1\\"4"');
    expect(!unclosed.ok && unclosed.reason).toMatch(/^Quote Not Closed: .* end of the file$/);
    // Its own text only: the row after it is read as a row of its own.
    expect(!unclosed.ok && unclosed.raw).toBe('8,"2019-02-11T21:40:27.892+05:30,,14,2,37.6,2.07,39.7,1');
  });

  it('reports a quoted cell spanning lines into no valid row at its first line, then reads the next line', async () => {
    const text = [ORDERS_HEADER, '1,"2019-02-11\nT21:40:27Z",,14,2,37.6,2.07,39.7,1', SEED_ORDERS[1]].join(
      '\n',
    );
    const rows = await collect(readOrdersCsv(stream(text)));
    // Line 3 is tried as a row of its own (it could have been one, had line 2's quote been a typo).
    expect(rows.map((r) => [r.ok, r.line])).toEqual([
      [false, 2],
      [false, 3],
      [true, 4],
    ]);
    expect(!rows[0].ok && rows[0].reason).toMatch(
      /^a quoted cell joins lines 2-3 into no valid row \(invalid_timestamp/,
    );
    expect(!rows[0].ok && rows[0].raw).toBe('1,"2019-02-11');
  });

  it('reads a file by path and names it in header errors', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-csv-'));
    const good = path.join(dir, 'orders.csv');
    fs.writeFileSync(good, `${ORDERS_HEADER}\n${SEED_ORDERS.join('\n')}\n`);
    expect((await collect(readOrdersCsv(good))).every((r) => r.ok)).toBe(true);

    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, `${ORDERS_HEADER.replace('Discount', 'Discout')}\n${SEED_ORDERS[0]}\n`);
    const e = await rejectionOf(collect(readOrdersCsv(bad)));
    expect(e).toBeInstanceOf(CsvFormatError);
    expect(e.message).toBe(
      `${bad}: line 1: column 3: expected "Discount" but found "Discout"; expected the header ${ORDERS_HEADER}`,
    );
    fs.rmSync(dir, { recursive: true });
  });

  it.each([
    [
      'a missing column',
      ORDERS_HEADER.replace(',User ID', ''),
      'column 9: expected "User ID" but found nothing',
    ],
    ['an extra column', `${ORDERS_HEADER},Note`, 'column 10: expected no more columns but found "Note"'],
    ['padded names', ORDERS_HEADER.replace('Tax', ' Tax'), 'column 7: expected "Tax" but found " Tax"'],
    ['the customers header', CUSTOMERS_HEADER, 'column 2: expected "Created At" but found "Name"'],
    ['no header at all', SEED_ORDERS[0], 'column 1: expected "ID" but found "1"'],
  ])('rejects %s', async (_name, header, problem) => {
    const e = await rejectionOf(collect(readOrdersCsv(stream(`${header}\n${SEED_ORDERS[1]}\n`))));
    expect(e).toBeInstanceOf(CsvFormatError);
    expect(e.message).toContain(`orders CSV: line 1: ${problem}`);
  });

  it('rejects an empty file and a broken header', async () => {
    expect((await rejectionOf(collect(readOrdersCsv(stream(''))))).message).toContain('the file is empty');
    const broken = await rejectionOf(collect(readOrdersCsv(stream(`"ID,Created At\n${SEED_ORDERS[0]}\n`))));
    expect(broken).toBeInstanceOf(CsvFormatError);
    expect(broken.message).toContain('Quote Not Closed');
  });

  it('streams: stopping early releases the file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-csv-'));
    const file = path.join(dir, 'orders.csv');
    fs.writeFileSync(file, `${ORDERS_HEADER}\n${`${SEED_ORDERS[1]}\n`.repeat(5000)}`);
    let n = 0;
    for await (const _ of readOrdersCsv(file)) if (++n === 3) break;
    expect(n).toBe(3);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('readCustomersCsv', () => {
  it('reads the seed row', async () => {
    const rows = await collect(readCustomersCsv(stream(`${CUSTOMERS_HEADER}\n${SEED_CUSTOMER}\n`)));
    expect(rows).toEqual([
      {
        ok: true,
        line: 2,
        customer: SEED_CUSTOMER_ROW,
      },
    ]);
  });

  it('keeps apostrophes, quoted commas, escaped quotes and zip leading zeros', async () => {
    const row =
      '2,Liam O\'Brien,"Apt 4, 12 King\'s ""Old"" Highway",1970-01-01,Coeur d\'Alene,2017-10-07T01:34:35.462+05:30,' +
      "o'brien@example.com,,,p,Organic,MA,02134";
    const [r] = await collect(readCustomersCsv(stream(`${CUSTOMERS_HEADER}\r\n${row}\r\n`)));
    expect(r.ok && r.customer).toMatchObject({
      name: "Liam O'Brien",
      address: 'Apt 4, 12 King\'s "Old" Highway',
      city: "Coeur d'Alene",
      latitude: null,
      longitude: null,
      zip: '02134',
    });
  });

  it('rejects rows without an ID, source or state, or with text coordinates', async () => {
    const rows = [
      SEED_CUSTOMER.replace(/^1,/, 'x,'),
      SEED_CUSTOMER.replace('Twitter', ''),
      SEED_CUSTOMER.replace(',NE,', ',,'),
      SEED_CUSTOMER.replace('40.71314890000001', 'north'),
    ];
    const got = await collect(readCustomersCsv(stream([CUSTOMERS_HEADER, ...rows].join('\n'))));
    expect(got.map((r) => !r.ok && r.reason)).toEqual([
      'ID must be a positive integer, got "x"',
      'Source is empty',
      'State is empty',
      'Latitude must be a number, got "north"',
    ]);
  });
  it('checks every row against the customers table, reporting each at its line', async () => {
    const rows = [
      SEED_CUSTOMER.replace('Hudson Borer', 'N'.repeat(256)),
      SEED_CUSTOMER.replace(',NE,', ',NEBRASKA-STATE1,'),
      SEED_CUSTOMER.replace('Twitter', '=cmd|calc'),
      SEED_CUSTOMER.replace(/^1,/, '2147483648,'),
      SEED_CUSTOMER,
    ];
    const got = await collect(readCustomersCsv(stream([CUSTOMERS_HEADER, ...rows].join('\n'))));
    expect(got.map((r) => (r.ok ? `ok ${r.line}` : `bad ${r.line}: ${r.reason.slice(0, 40)}`))).toEqual([
      'bad 2: Name is 256 characters, more than the 25',
      'bad 3: State must be a US state code (AL…), got',
      'bad 4: Source must be one of Organic, Affiliate',
      'bad 5: ID must be an integer from 1 to 21474836',
      'ok 6',
    ]);
  });
});

describe('readProductsCsv', () => {
  it('reads the seed row, its vendor quoted for the comma', async () => {
    const [r] = await collect(readProductsCsv(stream(`${PRODUCTS_HEADER}\n${SEED_PRODUCT}\n`)));
    expect(r.ok && r.product).toEqual({
      id: 1,
      category: 'Gizmo',
      createdAt: '2017-07-19T19:44:56.582+05:30',
      ean: '1018947080336',
      price: 29.463261130679875,
      rating: 4.6,
      title: 'Rustic Paper Wallet',
      vendor: 'Swaniawski, Casper and Hilll',
    });
  });

  it('rejects a price that is not a number', async () => {
    const [r] = await collect(
      readProductsCsv(stream(`${PRODUCTS_HEADER}\n${SEED_PRODUCT.replace('29.46', 'x29.46')}`)),
    );
    expect(!r.ok && r.reason).toBe('Price must be a number, got "x29.463261130679875"');
  });
});

describe('writers', () => {
  it('quote only when needed, doubling quotes', () => {
    expect(formatCsvRow(['plain', "O'Brien", 'a, b', 'say "hi"', 'two\nlines', '', null, 0, -1.5])).toBe(
      'plain,O\'Brien,"a, b","say ""hi""","two\nlines",,,0,-1.5',
    );
  });

  it('write numbers in shortest round-trip form and refuse non-finite ones', () => {
    expect(formatCsvRow([0.1 + 0.2, 37.648145389078365, 1e21, 2.9])).toBe(
      '0.30000000000000004,37.648145389078365,1e+21,2.9',
    );
    expect(() => formatCsvRow([Number.NaN])).toThrow(RangeError);
    expect(() => formatCsvRow([Number.POSITIVE_INFINITY])).toThrow(RangeError);
  });

  it('reproduce the seed rows byte for byte from what the readers return', async () => {
    const orders = await collect(readOrdersCsv(stream([ORDERS_HEADER, ...SEED_ORDERS].join('\n'))));
    expect(orders.map((r) => r.ok && formatOrdersCsvRow(r.order))).toEqual(SEED_ORDERS);
    const [c] = await collect(readCustomersCsv(stream(`${CUSTOMERS_HEADER}\n${SEED_CUSTOMER}`)));
    expect(c.ok && formatCustomersCsvRow(c.customer)).toBe(SEED_CUSTOMER);
    const [p] = await collect(readProductsCsv(stream(`${PRODUCTS_HEADER}\n${SEED_PRODUCT}`)));
    expect(p.ok && formatProductsCsvRow(p.product)).toBe(SEED_PRODUCT);
  });

  it('round-trip awkward values through the readers', async () => {
    const order: Order = {
      id: 9,
      createdAt: '2020-01-01T00:00:00.000Z',
      discount: 1e-7,
      productId: 1,
      quantity: 0,
      subtotal: 0.1 + 0.2,
      tax: 0,
      total: 123456789.12345679,
      userId: 2,
    };
    const customer: Customer = {
      id: 5,
      name: 'Zoe "Z" D\'Souza',
      address: 'Line 1,\r\nLine 2',
      birthDate: '1990-01-01',
      city: '',
      createdAt: '2017-01-01T00:00:00.000+05:30',
      email: 'z@example.com',
      latitude: -0,
      longitude: 179.99999999999997,
      password: 'x',
      source: 'Google',
      state: 'VT',
      zip: '05401',
    };
    const product: Product = {
      id: 7,
      category: 'Widget',
      createdAt: '2017-01-01T00:00:00.000+05:30',
      ean: '0012345678905',
      price: 15,
      rating: 0,
      title: '12" Ruler',
      vendor: 'Kub, Kuhn and Borer',
    };
    const [o] = await collect(readOrdersCsv(stream(`${ORDERS_HEADER}\n${formatOrdersCsvRow(order)}\n`)));
    expect(o.ok && o.order).toEqual(order);
    const [c] = await collect(
      readCustomersCsv(stream(`${CUSTOMERS_HEADER}\n${formatCustomersCsvRow(customer)}\n`)),
    );
    expect(c.ok && c.customer).toEqual({ ...customer, latitude: 0 });
    const [p] = await collect(
      readProductsCsv(stream(`${PRODUCTS_HEADER}\n${formatProductsCsvRow(product)}\n`)),
    );
    expect(p.ok && p.product).toEqual(product);
  });
});
