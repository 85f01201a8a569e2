/** The flush's exactly-once bookkeeping, record by record, without any service. */
import { describe, expect, it } from 'vitest';
import type { CustomerDim } from '../../src/core/aggregate';
import {
  decodeRecords,
  orderDigest,
  planPart,
  positionOf,
  type SourceRecord,
} from '../../src/core/flush-plan';
import { encodeOrderMessage } from '../../src/core/message';
import type { Order } from '../../src/core/types';

const customers = new Map<number, CustomerDim>([
  [1, { source: 'Facebook', state: 'NE' }],
  [2, { source: 'Google', state: 'TX' }],
]);

const order = (id: number, over: Partial<Order> = {}): Order => ({
  id,
  createdAt: '2019-02-11T21:40:27.892+05:30',
  discount: null,
  productId: 14,
  quantity: 2,
  subtotal: 37.5,
  tax: 2.5,
  total: 40,
  userId: 1,
  ...over,
});

let offset = 0;
const rec = (value: string | null, partition = 0): SourceRecord => ({
  partition,
  offset: String(offset++),
  timestampMs: 1_700_000_000_000 + offset,
  value: value === null ? null : Buffer.from(value),
});
const msg = (o: Order) => rec(encodeOrderMessage(o));

const plan = (
  records: SourceRecord[],
  countedBefore = new Map<number, string | null>(),
  refused = new Map<string, string>(),
) => planPart(decodeRecords(records).decoded, countedBefore, customers, refused);

describe('planPart', () => {
  it('counts valid orders once per (source, state) and keeps offset order', () => {
    const p = plan([msg(order(1)), msg(order(2, { userId: 2, total: 10 })), msg(order(3, { total: 5 }))]);
    expect(p.counted.map((c) => c.order.id)).toEqual([1, 2, 3]);
    expect(p.duplicates).toBe(0);
    expect(p.deadLetters).toEqual([]);
    expect(p.groups.map((g) => [g.source, g.state, g.orders, g.amount])).toEqual([
      ['Facebook', 'NE', 2, 45],
      ['Google', 'TX', 1, 10],
    ]);
  });

  it('treats a second copy inside the part as a duplicate, and one counted before too', () => {
    const p = plan([msg(order(1)), msg(order(1)), msg(order(7))], new Map([[7, orderDigest(order(7))]]));
    expect(p.counted.map((c) => c.order.id)).toEqual([1]);
    expect(p.duplicates).toBe(2);
    expect(p.groups[0].orders).toBe(1);
  });

  it('sees the same order written differently (NaN discount, 2.0, other key order) as the same content', () => {
    const seed = `{"ID": 5, "Created At": "2019-02-11T21:40:27.892+05:30", "Discount": NaN, "Product ID": 14, "Quantity": 2.0, "Subtotal": 37.5, "Tax": 2.5, "Total": 40, "User ID": 1}`;
    const p = plan([msg(order(5)), rec(seed)]);
    expect(p.counted).toHaveLength(1);
    expect(p.duplicates).toBe(1);
    expect(p.deadLetters).toEqual([]);
  });

  it('dead-letters a re-sent order with other content as a conflict, here and across parts', () => {
    const inPart = plan([msg(order(1)), msg(order(1, { total: 41 }))]);
    expect(inPart.counted).toHaveLength(1);
    expect(inPart.deadLetters.map((d) => d.reason)).toEqual(['duplicate_conflict']);
    expect(inPart.dlqReasons.get('duplicate_conflict')).toBe(1);
    const across = plan([msg(order(9, { quantity: 3 }))], new Map([[9, orderDigest(order(9))]]));
    expect(across.counted).toHaveLength(0);
    expect(across.deadLetters[0]).toMatchObject({ reason: 'duplicate_conflict' });
    expect(across.deadLetters[0].detail).toMatch(/order 9 was counted before/);
  });

  it('counts any copy of an order counted before digests were kept as a duplicate', () => {
    const p = plan([msg(order(4, { total: 99 }))], new Map([[4, null]]));
    expect(p.duplicates).toBe(1);
    expect(p.deadLetters).toEqual([]);
  });

  it('does not let a dead-lettered copy make a later valid copy a duplicate', () => {
    const p = plan([msg(order(3, { userId: 99 })), msg(order(3, { userId: 2 })), rec('{"ID": 3')]);
    expect(p.deadLetters.map((d) => d.reason)).toEqual(['unknown_customer', 'malformed_json']);
    expect(p.counted.map((c) => [c.order.id, c.source])).toEqual([[3, 'Google']]);
    expect(p.duplicates).toBe(0);
  });

  it('dead-letters a record a sink refused before, with the sink error, and counts the rest', () => {
    const bad = msg(order(11));
    const p = plan(
      [bad, msg(order(12))],
      new Map(),
      new Map([[positionOf(bad), 'cassandra: value out of range']]),
    );
    expect(p.deadLetters).toEqual([
      { record: bad, reason: 'sink_rejected', detail: 'cassandra: value out of range', order: order(11) },
    ]);
    expect(p.counted.map((c) => c.order.id)).toEqual([12]);
  });

  it('gives every decoder reason, and a NaN discount counts as none', () => {
    const p = plan([
      rec(null),
      rec('not json'),
      rec('{"ID": 1}'),
      msg(order(20, { total: -1 })),
      rec(encodeOrderMessage(order(21)).replace('"Product ID":14', '"Product ID":"14"')),
      rec(encodeOrderMessage(order(22)).replace('2019-02-11T21:40:27.892+05:30', 'yesterday')),
      msg(order(23, { productId: 2 ** 31 })),
      rec(encodeOrderMessage(order(24)).replace('"Discount":null', '"Discount":NaN')),
    ]);
    expect(p.deadLetters.map((d) => d.reason)).toEqual([
      'empty_message',
      'malformed_json',
      'missing_field',
      'invalid_amount',
      'wrong_type',
      'invalid_timestamp',
      'out_of_range',
    ]);
    expect(Object.fromEntries(p.dlqReasons)).toEqual({
      empty_message: 1,
      malformed_json: 1,
      missing_field: 1,
      invalid_amount: 1,
      wrong_type: 1,
      invalid_timestamp: 1,
      out_of_range: 1,
    });
    expect(p.counted.map((c) => [c.order.id, c.order.discount])).toEqual([[24, null]]);
  });

  it('decodes each record once and lists the IDs to look up', () => {
    const { decoded, orderIds } = decodeRecords([msg(order(30)), rec('x'), msg(order(31))]);
    expect(decoded).toHaveLength(3);
    expect(orderIds).toEqual([30, 31]);
  });
});
