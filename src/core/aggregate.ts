/** Joining orders with customers and aggregating sales per (source, state), pure. */
import type { Order } from './types';

export interface CustomerDim {
  source: string;
  state: string;
}

export interface JoinedOrder {
  order: Order;
  source: string;
  state: string;
}

/** Joins orders on `User ID` = customer `ID`; orders whose customer is unknown come back separately. */
export function joinOrders(
  orders: Order[],
  customers: Map<number, CustomerDim>,
): { joined: JoinedOrder[]; unknown: Order[] } {
  const joined: JoinedOrder[] = [];
  const unknown: Order[] = [];
  for (const order of orders) {
    const c = customers.get(order.userId);
    if (c) joined.push({ order, source: c.source, state: c.state });
    else unknown.push(order);
  }
  return { joined, unknown };
}

/** Neumaier's compensated summation: totals over hundreds of thousands of orders stay exact to ~1e-15. */
export class Sum {
  private sum = 0;
  private c = 0;
  add(x: number): this {
    const t = this.sum + x;
    this.c += Math.abs(this.sum) >= Math.abs(x) ? this.sum - t + x : x - t + this.sum;
    this.sum = t;
    return this;
  }
  get value(): number {
    return this.sum + this.c;
  }
}

export interface SalesRow {
  source: string;
  state: string;
  orders: number;
  /** Sum of Total: the seed's Amount_Paid. */
  amount: number;
  subtotal: number;
  tax: number;
  discount: number;
  quantity: number;
}

interface Acc {
  source: string;
  state: string;
  orders: number;
  amount: Sum;
  subtotal: Sum;
  tax: Sum;
  discount: Sum;
  quantity: number;
}

/** Sales per (source, state), sorted by source then state. */
export function aggregateBySourceState(joined: JoinedOrder[]): SalesRow[] {
  const groups = new Map<string, Acc>();
  for (const { order, source, state } of joined) {
    const key = `${source}\u0000${state}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        source,
        state,
        orders: 0,
        amount: new Sum(),
        subtotal: new Sum(),
        tax: new Sum(),
        discount: new Sum(),
        quantity: 0,
      };
      groups.set(key, g);
    }
    g.orders += 1;
    g.amount.add(order.total);
    g.subtotal.add(order.subtotal);
    g.tax.add(order.tax);
    g.discount.add(order.discount ?? 0);
    g.quantity += order.quantity;
  }
  return [...groups.values()]
    .map((g) => ({
      source: g.source,
      state: g.state,
      orders: g.orders,
      amount: g.amount.value,
      subtotal: g.subtotal.value,
      tax: g.tax.value,
      discount: g.discount.value,
      quantity: g.quantity,
    }))
    .sort((a, b) =>
      a.source === b.source ? a.state.localeCompare(b.state) : a.source.localeCompare(b.source),
    );
}

/**
 * Splits orders (in offset order) into those to count and duplicates: an ID counted before, or seen earlier in
 * the same batch, is a duplicate.
 */
export function splitDuplicates<T extends { order: Order }>(
  items: T[],
  counted: Set<number>,
): { fresh: T[]; duplicates: T[] } {
  const seen = new Set<number>();
  const fresh: T[] = [];
  const duplicates: T[] = [];
  for (const item of items) {
    const id = item.order.id;
    if (counted.has(id) || seen.has(id)) duplicates.push(item);
    else {
      seen.add(id);
      fresh.push(item);
    }
  }
  return { fresh, duplicates };
}
