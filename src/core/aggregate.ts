/** Joining orders with customers, de-duplicating, and aggregating sales per (source, state) and per day, pure. */
import { eventDay } from './time';
import type { Order } from './types';

/** What the aggregation needs of a customer. */
export interface CustomerDim {
  source: string;
  state: string;
}

export interface JoinedOrder {
  order: Order;
  source: string;
  state: string;
}

/** Joins orders on `User ID` = customer `ID`; orders whose customer is unknown come back separately, in order. */
export function joinOrders(
  orders: Iterable<Order>,
  customers: ReadonlyMap<number, CustomerDim>,
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

/**
 * Neumaier's compensated summation: the rounding error of each addition is carried separately, so a sum of
 * hundreds of thousands of amounts is within an ulp or two of the exact sum, whatever the order of addition.
 */
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

export function compensatedSum(values: Iterable<number>): number {
  const s = new Sum();
  for (const v of values) s.add(v);
  return s.value;
}

export interface SalesRow {
  source: string;
  state: string;
  orders: number;
  /** Sum of Total: the seed's Amount_Paid. */
  amount: number;
  subtotal: number;
  tax: number;
  /** Sum of Discount, no discount counting as 0. */
  discount: number;
  quantity: number;
}

export interface DailySalesRow extends SalesRow {
  /** The date Created At names, in its own offset (see eventDay). */
  day: string;
}

/** Running sums for one group; sums of money are compensated, counts are exact integers. */
class Totals {
  orders = 0;
  quantity = 0;
  readonly amount = new Sum();
  readonly subtotal = new Sum();
  readonly tax = new Sum();
  readonly discount = new Sum();

  addOrder(o: Order): void {
    this.orders += 1;
    this.quantity += o.quantity;
    this.amount.add(o.total);
    this.subtotal.add(o.subtotal);
    this.tax.add(o.tax);
    this.discount.add(o.discount ?? 0);
  }

  addRow(r: SalesRow): void {
    this.orders += r.orders;
    this.quantity += r.quantity;
    this.amount.add(r.amount);
    this.subtotal.add(r.subtotal);
    this.tax.add(r.tax);
    this.discount.add(r.discount);
  }

  row(source: string, state: string): SalesRow {
    return {
      source,
      state,
      orders: this.orders,
      amount: this.amount.value,
      subtotal: this.subtotal.value,
      tax: this.tax.value,
      discount: this.discount.value,
      quantity: this.quantity,
    };
  }
}

/** Groups keyed by their parts, joined with NUL (which no source, state or day holds). */
class Groups<P extends string[]> {
  private readonly map = new Map<string, { parts: P; totals: Totals }>();
  get(...parts: P): Totals {
    const key = parts.join('\u0000');
    let g = this.map.get(key);
    if (!g) {
      g = { parts, totals: new Totals() };
      this.map.set(key, g);
    }
    return g.totals;
  }
  entries() {
    return this.map.values();
  }
  get size(): number {
    return this.map.size;
  }
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export const compareBySourceState = (a: CustomerDim, b: CustomerDim) =>
  cmp(a.source, b.source) || cmp(a.state, b.state);
export const compareByDaySourceState = (a: DailySalesRow, b: DailySalesRow) =>
  cmp(a.day, b.day) || compareBySourceState(a, b);
/** Biggest amount first; ties by source then state, so the order is total. */
export const compareByAmountDesc = (a: SalesRow, b: SalesRow) =>
  b.amount - a.amount || compareBySourceState(a, b);

/** Sales per (source, state) added up as orders arrive: memory grows with the groups, never the orders. */
export class SalesBySourceState {
  private readonly groups = new Groups<[string, string]>();
  add({ order, source, state }: JoinedOrder): void {
    this.groups.get(source, state).addOrder(order);
  }
  get size(): number {
    return this.groups.size;
  }
  /** The groups so far, sorted by source then state. */
  rows(): SalesRow[] {
    return [...this.groups.entries()]
      .map(({ parts, totals }) => totals.row(...parts))
      .sort(compareBySourceState);
  }
}

/** Sales per (source, state), sorted by source then state. */
export function aggregateBySourceState(joined: Iterable<JoinedOrder>): SalesRow[] {
  const sales = new SalesBySourceState();
  for (const j of joined) sales.add(j);
  return sales.rows();
}

/** Sales per (event day, source, state) for the backfill, sorted by day, source, state. */
export function aggregateByDaySourceState(joined: Iterable<JoinedOrder>): DailySalesRow[] {
  const groups = new Groups<[string, string, string]>();
  for (const { order, source, state } of joined)
    groups.get(eventDay(order.createdAt), source, state).addOrder(order);
  return [...groups.entries()]
    .map(({ parts: [day, source, state], totals }) => ({ day, ...totals.row(source, state) }))
    .sort(compareByDaySourceState);
}

/** Adds sales rows together per (source, state): running totals plus a window's rows, or windows into a day. */
export function mergeTotals(...parts: ReadonlyArray<Iterable<SalesRow>>): SalesRow[] {
  const groups = new Groups<[string, string]>();
  for (const rows of parts) for (const r of rows) groups.get(r.source, r.state).addRow(r);
  return [...groups.entries()].map(({ parts: p, totals }) => totals.row(...p)).sort(compareBySourceState);
}
