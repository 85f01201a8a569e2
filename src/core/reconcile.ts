/** Reconcile's comparison, pure: the streaming totals against the totals rebuilt from raw orders. */
import type { TotalsDifference } from '../contract';
import { compareBySourceState, type SalesRow } from './aggregate';

const SUMS = ['orders', 'amount', 'subtotal', 'tax', 'discount', 'quantity'] as const;

const zero = (source: string, state: string): SalesRow => ({
  source,
  state,
  orders: 0,
  amount: 0,
  subtotal: 0,
  tax: 0,
  discount: 0,
  quantity: 0,
});

/**
 * The (source, state) pairs where the two disagree (a different order count, or amounts apart by more than a
 * relative 1e-9: sums of the same doubles in another order differ in the last bits), sorted, and the deltas
 * that, added to the streaming totals, make them equal the rebuilt ones.
 */
export function compareTotals(
  stream: readonly SalesRow[],
  rebuilt: readonly SalesRow[],
): { differences: TotalsDifference[]; deltas: SalesRow[] } {
  const key = (r: SalesRow) => `${r.source}\u0000${r.state}`;
  const streamBy = new Map(stream.map((r) => [key(r), r]));
  const rebuiltBy = new Map(rebuilt.map((r) => [key(r), r]));
  const differences: TotalsDifference[] = [];
  const deltas: SalesRow[] = [];
  for (const k of new Set([...streamBy.keys(), ...rebuiltBy.keys()])) {
    const [source, state] = k.split('\u0000');
    const s = streamBy.get(k) ?? zero(source, state);
    const r = rebuiltBy.get(k) ?? zero(source, state);
    const amountDiffers = Math.abs(s.amount - r.amount) > 1e-9 * Math.max(1, Math.abs(r.amount));
    if (s.orders === r.orders && !amountDiffers) continue;
    differences.push({
      source,
      state,
      streamOrders: s.orders,
      rawOrders: r.orders,
      streamAmount: s.amount,
      rawAmount: r.amount,
    });
    const delta = zero(source, state);
    for (const f of SUMS) delta[f] = r[f] - s[f];
    deltas.push(delta);
  }
  differences.sort(compareBySourceState);
  deltas.sort(compareBySourceState);
  return { differences, deltas };
}
