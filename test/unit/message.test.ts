import { describe, expect, it } from 'vitest';
import { DEFAULT_GENERATE_OPTIONS, generateOrders } from '../../src/core/generate';
import { decodeOrderMessage, encodeOrderMessage, replaceNonFiniteTokens } from '../../src/core/message';
import type { Order } from '../../src/core/types';

/** Exactly what the seed's Python producer sends for order 1 (json.dumps of a pandas row). */
const SEED_MESSAGE =
  '{"ID": 1, "Created At": "2019-02-11T21:40:27.892+05:30", "Discount": NaN, "Product ID": 14, "Quantity": 2, ' +
  '"Subtotal": 37.448145389078345, "Tax": 2.07, "Total": 39.718145389078346, "User ID": 1}';

const order: Order = {
  id: 3,
  createdAt: '2019-12-06T22:22:48.544+05:30',
  discount: 6.416679208849759,
  productId: 105,
  quantity: 2,
  subtotal: 52.723521442619514,
  tax: 2.9,
  total: 55.62208681964182,
  userId: 1,
};

/** A valid message with some fields replaced (undefined removes the key). */
function message(overrides: Record<string, unknown> = {}): string {
  const obj: Record<string, unknown> = { ...JSON.parse(encodeOrderMessage(order)), ...overrides };
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete obj[k];
  return JSON.stringify(obj);
}

function rejection(input: Buffer | string | null) {
  const d = decodeOrderMessage(input);
  if (d.ok) throw new Error(`expected a rejection, got ${JSON.stringify(d.order)}`);
  return d;
}

describe('decodeOrderMessage accepts what the seed producer writes', () => {
  it('decodes the literal seed message, NaN discount as null', () => {
    expect(decodeOrderMessage(SEED_MESSAGE)).toEqual({
      ok: true,
      order: {
        id: 1,
        createdAt: '2019-02-11T21:40:27.892+05:30',
        discount: null,
        productId: 14,
        quantity: 2,
        // The seed prints 17 significant digits (37.448145389078345); the double is the same.
        subtotal: 37.44814538907835,
        tax: 2.07,
        total: 39.718145389078344,
        userId: 1,
      },
    });
  });

  it('takes Buffers, a null discount (the seed consumer output), an absent discount and a BOM', () => {
    const withNull = SEED_MESSAGE.replace('NaN', 'null');
    for (const m of [
      Buffer.from(SEED_MESSAGE),
      withNull,
      `\ufeff${withNull}`,
      message({ Discount: undefined }),
    ]) {
      const d = decodeOrderMessage(m);
      expect(d.ok && d.order.discount).toBe(null);
    }
  });

  it('accepts integers written as floats (2.0) and ignores extra keys', () => {
    const text = SEED_MESSAGE.replace('"Quantity": 2', '"Quantity": 2.0').replace('"ID": 1', '"ID": 1.0');
    const d = decodeOrderMessage(text.replace('}', ', "Comment": "extra", "Nested": {"a": [1]}}'));
    expect(d.ok && [d.order.id, d.order.quantity]).toEqual([1, 2]);
  });

  it('keeps strings that contain NaN or Infinity intact while rewriting bare tokens', () => {
    const text = SEED_MESSAGE.replace('"ID": 1,', '"Note": "NaN, Infinity and \\"NaN\\"", "ID": 1,');
    expect(decodeOrderMessage(text).ok).toBe(true);
    expect(JSON.parse(replaceNonFiniteTokens('{"a": "NaN \\" NaN", "b": NaN, "c": -Infinity}'))).toEqual({
      a: 'NaN " NaN',
      b: '\u0000nonfinite:NaN',
      c: '\u0000nonfinite:-Infinity',
    });
    expect(replaceNonFiniteTokens('{"a": 1}')).toBe('{"a": 1}');
  });

  it('does not treat a sender string that looks like a marker as NaN in plain JSON', () => {
    expect(rejection(message({ Discount: '\u0000nonfinite:NaN' })).reason).toBe('wrong_type');
  });

  it('accepts every value at the limits the sinks can store', () => {
    const d = decodeOrderMessage(
      message({
        ID: Number.MAX_SAFE_INTEGER,
        'Product ID': 2 ** 31 - 1,
        Quantity: 2 ** 31 - 1,
        'User ID': 2 ** 31 - 1,
        Total: 1e12,
        Subtotal: 1e12,
        Tax: 0,
        Discount: 1e12,
      }),
    );
    expect(d.ok).toBe(true);
    for (const createdAt of ['1000-01-01T00:00:00Z', '9999-12-31T23:59:59.999-12:00'])
      expect(decodeOrderMessage(message({ 'Created At': createdAt })).ok, createdAt).toBe(true);
  });

  it('accepts Z and other offsets, with or without fractions', () => {
    for (const t of [
      '2019-02-11T16:10:27Z',
      '2019-02-11T16:10:27.8-08:00',
      '2019-02-11T16:10:27.123456+0530',
    ]) {
      expect(decodeOrderMessage(message({ 'Created At': t })).ok).toBe(true);
    }
  });
});

describe('encodeOrderMessage', () => {
  it('writes the seed producer keys in order, null for no discount', () => {
    const text = encodeOrderMessage({ ...order, discount: null });
    expect(Object.keys(JSON.parse(text))).toEqual([
      'ID',
      'Created At',
      'Discount',
      'Product ID',
      'Quantity',
      'Subtotal',
      'Tax',
      'Total',
      'User ID',
    ]);
    expect(text).toContain('"Discount":null');
  });

  it('writes exactly what JSON.stringify of the same object writes, for generated orders and edge values', () => {
    const reference = (o: Order) =>
      JSON.stringify({
        ID: o.id,
        'Created At': o.createdAt,
        Discount: o.discount,
        'Product ID': o.productId,
        Quantity: o.quantity,
        Subtotal: o.subtotal,
        Tax: o.tax,
        Total: o.total,
        'User ID': o.userId,
      });
    const edges: Order[] = [
      { ...order, discount: null, subtotal: -0, tax: 1e-7, total: 1e21 },
      { ...order, id: Number.MAX_SAFE_INTEGER, subtotal: 5e-324, total: 123456789.12345679 },
      { ...order, createdAt: 'quote " and \\ backslash', discount: 0.1 + 0.2 },
    ];
    const generated = [...generateOrders({ ...DEFAULT_GENERATE_OPTIONS, orders: 2000, seed: 11 })];
    for (const o of [...edges, ...generated]) expect(encodeOrderMessage(o)).toBe(reference(o));
  });

  it('round-trips through decode exactly, floats included', () => {
    for (const o of [order, { ...order, discount: null }, { ...order, subtotal: 0.1 + 0.2, total: 1e-7 }]) {
      expect(decodeOrderMessage(encodeOrderMessage(o))).toEqual({ ok: true, order: o });
    }
  });
});

describe('decodeOrderMessage rejects with a precise reason', () => {
  it.each([
    ['null value', null, 'empty_message'],
    ['empty string', '', 'empty_message'],
    ['whitespace', ' \n', 'empty_message'],
    ['empty buffer', Buffer.alloc(0), 'empty_message'],
    ['truncated JSON', '{"ID": 1, "Created At": "2019-02-11T21:40:27.892+05:30"', 'malformed_json'],
    ['Python repr', "{'ID': 1, 'Discount': nan}", 'malformed_json'],
    ['a JSON array', `[${SEED_MESSAGE}]`, 'malformed_json'],
    ['a JSON number', '42', 'malformed_json'],
    ['JSON null', 'null', 'malformed_json'],
    ['lowercase nan', SEED_MESSAGE.replace('NaN', 'nan'), 'malformed_json'],
    ['no Quantity (seed order 280)', message({ Quantity: undefined }), 'missing_field'],
    ['null Total', message({ Total: null }), 'missing_field'],
    ['empty object', '{}', 'missing_field'],
    ['ID as text', message({ ID: '3' }), 'wrong_type'],
    ['fractional ID', message({ ID: 3.5 }), 'wrong_type'],
    ['ID 0', message({ ID: 0 }), 'wrong_type'],
    ['unsafe ID', message({ ID: 2 ** 60 }), 'out_of_range'],
    ['Product ID beyond Cassandra int', message({ 'Product ID': 2 ** 31 }), 'out_of_range'],
    ['Quantity beyond Cassandra int', message({ Quantity: 2 ** 31 }), 'out_of_range'],
    ['User ID beyond Cassandra int', message({ 'User ID': 2 ** 31 }), 'out_of_range'],
    ['Total above the cap', message({ Total: 1e12 + 1 }), 'out_of_range'],
    ['Total 1e308', message({ Total: 1e308 }), 'out_of_range'],
    ['Subtotal 1.7e308', message({ Subtotal: 1.7e308 }), 'out_of_range'],
    ['Tax above the cap', message({ Tax: 2e12 }), 'out_of_range'],
    ['Discount above the cap', message({ Discount: 5e15 }), 'out_of_range'],
    ['year 0001', message({ 'Created At': '0001-06-01T10:00:00Z' }), 'out_of_range'],
    ['year 999', message({ 'Created At': '0999-12-31T23:59:59Z' }), 'out_of_range'],
    ['year 10000', message({ 'Created At': '+10000-01-01T00:00:00Z' }), 'invalid_timestamp'],
    ['Subtotal as text', message({ Subtotal: '52.7' }), 'wrong_type'],
    ['Discount as text', message({ Discount: 'none' }), 'wrong_type'],
    ['Created At as number', message({ 'Created At': 1549901427892 }), 'wrong_type'],
    ['User ID as boolean', message({ 'User ID': true }), 'wrong_type'],
    ['negative Total', message({ Total: -1 }), 'invalid_amount'],
    ['negative Discount', message({ Discount: -0.5 }), 'invalid_amount'],
    ['negative Quantity', message({ Quantity: -2 }), 'invalid_amount'],
    ['NaN Subtotal', SEED_MESSAGE.replace('37.448145389078345', 'NaN'), 'invalid_amount'],
    ['Infinity Total', SEED_MESSAGE.replace('39.718145389078346', 'Infinity'), 'invalid_amount'],
    ['-Infinity Tax', SEED_MESSAGE.replace('2.07', '-Infinity'), 'invalid_amount'],
    ['Infinity Discount', SEED_MESSAGE.replace('NaN', 'Infinity'), 'invalid_amount'],
    ['NaN Quantity', SEED_MESSAGE.replace('"Quantity": 2', '"Quantity": NaN'), 'invalid_amount'],
    [
      'huge Total (1e999 parses as Infinity)',
      message({}).replace('55.62208681964182', '1e999'),
      'invalid_amount',
    ],
    [
      'seed order 19: seconds:frames',
      message({ 'Created At': '2019-02-14T07:28:51:10+05:30' }),
      'invalid_timestamp',
    ],
    ['seed order 7: no day', message({ 'Created At': '2018-11T21:22:02.212+05:30' }), 'invalid_timestamp'],
    ['no offset', message({ 'Created At': '2019-02-11T21:40:27.892' }), 'invalid_timestamp'],
    ['a date only', message({ 'Created At': '2019-02-11' }), 'invalid_timestamp'],
    ['30 February', message({ 'Created At': '2019-02-30T10:00:00Z' }), 'invalid_timestamp'],
    ['hour 24', message({ 'Created At': '2019-02-11T24:00:00Z' }), 'invalid_timestamp'],
    ['offset out of range', message({ 'Created At': '2019-02-11T10:00:00+05:75' }), 'invalid_timestamp'],
    ['free text', message({ 'Created At': 'yesterday' }), 'invalid_timestamp'],
  ])('%s → %s', (_name, input, reason) => {
    const d = rejection(input as string | Buffer | null);
    expect(d.reason).toBe(reason);
    expect(d.detail.length).toBeGreaterThan(0);
  });

  it('names every missing field', () => {
    expect(rejection('{"ID": 1}').detail).toBe(
      'missing Created At, Product ID, Quantity, Subtotal, Tax, Total, User ID',
    );
  });

  it('says which field is wrong', () => {
    expect(rejection(message({ Tax: -1 })).detail).toContain('Tax');
    expect(rejection(SEED_MESSAGE.replace('2.07', 'NaN')).detail).toBe('Tax is NaN');
  });
});
