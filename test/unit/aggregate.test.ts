import { describe, expect, it } from 'vitest';
import {
  aggregateByDaySourceState,
  aggregateBySourceState,
  type CustomerDim,
  compareByAmountDesc,
  compensatedSum,
  type JoinedOrder,
  joinOrders,
  mergeTotals,
  SalesBySourceState,
  type SalesRow,
  Sum,
} from '../../src/core/aggregate';
import { Rng } from '../../src/core/generate';
import { compareTotals } from '../../src/core/reconcile';
import type { Order } from '../../src/core/types';

function order(id: number, userId: number, total: number, extra: Partial<Order> = {}): Order {
  return {
    id,
    createdAt: '2019-02-11T21:40:27.892+05:30',
    discount: null,
    productId: 1,
    quantity: 1,
    subtotal: total,
    tax: 0,
    total,
    userId,
    ...extra,
  };
}

const customers = new Map<number, CustomerDim>([
  [1, { source: 'Twitter', state: 'NE' }],
  [2, { source: 'Organic', state: 'CA' }],
  [3, { source: 'Twitter', state: 'CA' }],
]);

/** The exact sum of doubles, rounded once: every double is m × 2^e, so scale all to the smallest e in BigInt. */
function exactSum(values: number[]): number {
  const parts = values.map(decompose);
  const minE = parts.reduce((min, [, e]) => Math.min(min, e), 0);
  const acc = parts.reduce((sum, [m, e]) => sum + BigInt(m) * 2n ** BigInt(e - minE), 0n);
  return Number(acc) * 2 ** minE;
}

/** v = m × 2^e with m an integer (|m| < 2^53). */
function decompose(v: number): [number, number] {
  let e = 0;
  let m = v;
  while (!Number.isInteger(m)) {
    m *= 2;
    e--;
  }
  return [m, e];
}

/** A straightforward reference: group with plain objects, sum exactly. */
function reference(orders: Order[]) {
  const groups = new Map<string, Order[]>();
  for (const o of orders) {
    const c = customers.get(o.userId);
    if (!c) continue;
    const key = `${c.source}|${c.state}`;
    const group = groups.get(key) ?? [];
    group.push(o);
    groups.set(key, group);
  }
  return [...groups.entries()]
    .map(([key, os]) => {
      const [source, state] = key.split('|');
      return {
        source,
        state,
        orders: os.length,
        amount: exactSum(os.map((o) => o.total)),
        subtotal: exactSum(os.map((o) => o.subtotal)),
        tax: exactSum(os.map((o) => o.tax)),
        discount: exactSum(os.map((o) => o.discount ?? 0)),
        quantity: os.reduce((n, o) => n + o.quantity, 0),
      };
    })
    .sort((a, b) => (a.source + a.state < b.source + b.state ? -1 : 1));
}

function randomOrders(n: number, seed: number): Order[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const subtotal = 15 + rng.next() * 300;
    const discount = rng.next() < 0.1 ? rng.next() * 20 : null;
    const tax = Math.round(subtotal * 6) / 100;
    return order(i + 1, rng.int(1, 4), subtotal - (discount ?? 0) + tax, {
      subtotal,
      discount,
      tax,
      quantity: rng.int(1, 9),
      createdAt: `2019-0${rng.int(1, 3)}-1${rng.int(0, 9)}T12:00:00.000+05:30`,
    });
  });
}

const row = (source: string, state: string, orders: number, amount: number): SalesRow => ({
  source,
  state,
  orders,
  amount,
  subtotal: amount,
  tax: 0,
  discount: 0,
  quantity: orders,
});

describe('compensated sums', () => {
  it('recover what naive addition loses', () => {
    const values = [1e16, 1, -1e16, 1];
    expect(values.reduce((a, b) => a + b, 0)).toBe(1); // naive: the first 1 vanishes
    expect(compensatedSum(values)).toBe(2);
    expect(compensatedSum(Array(10).fill(0.1))).toBe(1);
    expect(new Sum().value).toBe(0);
    expect(exactSum([1e16, 1, -1e16, 1, 2 ** -40])).toBe(2 + 2 ** -40);
  });

  it('match an exact sum of 200k amounts far inside 1e-9 relative', () => {
    const amounts = randomOrders(200_000, 7).map((o) => o.total);
    const exact = exactSum(amounts);
    expect(Math.abs(compensatedSum(amounts) - exact) / exact).toBeLessThan(1e-15);
    expect(compensatedSum([...amounts].reverse())).toBe(compensatedSum(amounts));
  });
});

describe('joinOrders', () => {
  it('joins on User ID and returns unknown customers in order', () => {
    const orders = [order(1, 1, 10), order(2, 9, 20), order(3, 2, 30), order(4, 8, 40)];
    const { joined, unknown } = joinOrders(orders, customers);
    expect(joined).toEqual([
      { order: orders[0], source: 'Twitter', state: 'NE' },
      { order: orders[2], source: 'Organic', state: 'CA' },
    ]);
    expect(unknown.map((o) => o.id)).toEqual([2, 4]);
  });
});

describe('aggregateBySourceState', () => {
  it('sums every measure per (source, state), null discount as 0, sorted', () => {
    const { joined } = joinOrders(
      [
        order(1, 1, 10, { quantity: 2, subtotal: 9, tax: 1, discount: 0.5 }),
        order(2, 3, 20, { quantity: 1 }),
        order(3, 1, 5, { quantity: 3, subtotal: 4, tax: 1 }),
        order(4, 2, 7),
      ],
      customers,
    );
    expect(aggregateBySourceState(joined)).toEqual([
      { source: 'Organic', state: 'CA', orders: 1, amount: 7, subtotal: 7, tax: 0, discount: 0, quantity: 1 },
      {
        source: 'Twitter',
        state: 'CA',
        orders: 1,
        amount: 20,
        subtotal: 20,
        tax: 0,
        discount: 0,
        quantity: 1,
      },
      {
        source: 'Twitter',
        state: 'NE',
        orders: 2,
        amount: 15,
        subtotal: 13,
        tax: 2,
        discount: 0.5,
        quantity: 5,
      },
    ]);
    expect(aggregateBySourceState([])).toEqual([]);
  });

  it('equals the naive reference on 50k random orders', () => {
    const orders = randomOrders(50_000, 3);
    const rows = aggregateBySourceState(joinOrders(orders, customers).joined);
    const ref = reference(orders);
    expect(rows.map((r) => [r.source, r.state, r.orders, r.quantity])).toEqual(
      ref.map((r) => [r.source, r.state, r.orders, r.quantity]),
    );
    rows.forEach((r, i) => {
      for (const k of ['amount', 'subtotal', 'tax', 'discount'] as const) {
        expect(Math.abs(r[k] - ref[i][k]) / ref[i][k]).toBeLessThan(1e-12);
      }
    });
    expect(rows.reduce((n, r) => n + r.orders, 0)).toBe(orders.filter((o) => o.userId !== 4).length);
  });

  it('sorts by code unit, not locale', () => {
    const dims = new Map<number, CustomerDim>([
      [1, { source: 'organic', state: 'CA' }],
      [2, { source: 'Twitter', state: 'CA' }],
    ]);
    const rows = aggregateBySourceState(joinOrders([order(1, 1, 1), order(2, 2, 1)], dims).joined);
    expect(rows.map((r) => r.source)).toEqual(['Twitter', 'organic']);
  });
});

describe('aggregateByDaySourceState', () => {
  it('groups by the day written in Created At, not the UTC day', () => {
    const { joined } = joinOrders(
      [
        order(1, 1, 10, { createdAt: '2019-02-11T02:00:00.000+05:30' }), // 2019-02-10 in UTC
        order(2, 1, 20, { createdAt: '2019-02-11T23:30:00.000-08:00' }), // 2019-02-12 in UTC
        order(3, 1, 30, { createdAt: '2019-02-12T00:00:00.000Z' }),
        order(4, 2, 40, { createdAt: '2019-02-11T12:00:00.000Z' }),
      ],
      customers,
    );
    expect(
      aggregateByDaySourceState(joined).map((r) => [r.day, r.source, r.state, r.orders, r.amount]),
    ).toEqual([
      ['2019-02-11', 'Organic', 'CA', 1, 40],
      ['2019-02-11', 'Twitter', 'NE', 2, 30],
      ['2019-02-12', 'Twitter', 'NE', 1, 30],
    ]);
  });

  it('adds up per day to the per-(source, state) totals', () => {
    const { joined } = joinOrders(randomOrders(20_000, 11), customers);
    const daily = aggregateByDaySourceState(joined);
    const merged = mergeTotals(daily.map(({ day: _day, ...row }) => row));
    const direct = aggregateBySourceState(joined);
    expect(merged.map((r) => [r.source, r.state, r.orders, r.quantity])).toEqual(
      direct.map((r) => [r.source, r.state, r.orders, r.quantity]),
    );
    const relErrors = merged.map((r, i) => Math.abs(r.amount - direct[i].amount) / direct[i].amount);
    expect(Math.max(...relErrors)).toBeLessThan(1e-13);
  });
});

describe('mergeTotals', () => {
  it('adds running totals and a window per (source, state)', () => {
    const running = [row('Google', 'TX', 2, 10), row('Twitter', 'CA', 1, 5)];
    const window = [row('Twitter', 'CA', 3, 7.5), row('Affiliate', 'NY', 1, 1)];
    expect(mergeTotals(running, window)).toEqual([
      row('Affiliate', 'NY', 1, 1),
      row('Google', 'TX', 2, 10),
      row('Twitter', 'CA', 4, 12.5),
    ]);
    expect(mergeTotals()).toEqual([]);
  });

  it('merging window by window equals aggregating everything at once', () => {
    const { joined } = joinOrders(randomOrders(10_000, 5), customers);
    const windows: JoinedOrder[][] = [];
    for (let i = 0; i < joined.length; i += 750) windows.push(joined.slice(i, i + 750));
    const merged = windows.reduce<SalesRow[]>((acc, w) => mergeTotals(acc, aggregateBySourceState(w)), []);
    const all = aggregateBySourceState(joined);
    expect(merged.map((r) => r.orders)).toEqual(all.map((r) => r.orders));
    const relErrors = merged.map((r, i) => Math.abs(r.amount - all[i].amount) / all[i].amount);
    expect(Math.max(...relErrors)).toBeLessThan(1e-13);
  });

  it('sorts by amount descending with a total order', () => {
    const rows = [row('A', 'X', 1, 5), row('B', 'X', 1, 9), row('A', 'Y', 1, 5)];
    expect(rows.sort(compareByAmountDesc).map((r) => `${r.source}${r.state}`)).toEqual(['BX', 'AX', 'AY']);
  });
});

describe('SalesBySourceState', () => {
  it('adds up as orders arrive and equals the batch aggregation', () => {
    const joined = [1, 2, 3, 4, 5].map((id) => ({
      order: order(id, id, 0.1 * id),
      source: id % 2 ? 'Google' : 'Twitter',
      state: 'TX',
    }));
    const sales = new SalesBySourceState();
    for (const j of joined) sales.add(j);
    expect(sales.size).toBe(2);
    expect(sales.rows()).toEqual(aggregateBySourceState(joined));
  });
});

describe('compareTotals', () => {
  it('lists the pairs that differ, sorted, with the deltas that repair the streaming totals', () => {
    const stream = [row('Google', 'TX', 3, 30), row('Twitter', 'NE', 1, 10), row('Affiliate', 'CA', 2, 5)];
    const rebuilt = [
      row('Google', 'TX', 3, 30 + 1e-12),
      row('Twitter', 'NE', 2, 25),
      row('Organic', 'AK', 1, 7),
    ];
    const { differences, deltas } = compareTotals(stream, rebuilt);
    expect(differences.map((d) => [d.source, d.state, d.streamOrders, d.rawOrders])).toEqual([
      ['Affiliate', 'CA', 2, 0],
      ['Organic', 'AK', 0, 1],
      ['Twitter', 'NE', 1, 2],
    ]);
    expect(deltas.map((d) => [d.source, d.state, d.orders, d.amount])).toEqual([
      ['Affiliate', 'CA', -2, -5],
      ['Organic', 'AK', 1, 7],
      ['Twitter', 'NE', 1, 15],
    ]);
    expect(compareTotals(stream, stream)).toEqual({ differences: [], deltas: [] });
  });
});
