/** The exactly-once ledger's retention horizon, pure. */
import { windowStartFor } from './time';

const DAY_MS = 86_400_000;

/**
 * The ledger keeps an order ID while its window started at or after the horizon: `days` before `nowMs`, rounded
 * DOWN to a window boundary. On a boundary, "window_start < horizon" (what the purge deletes) and "Kafka
 * timestamp < horizon" (what reconcile can test on a raw order) name the same orders: a window that straddles
 * an unaligned horizon would have its ledger rows purged while some of its orders' timestamps are still after it.
 */
export function retentionHorizonMs(nowMs: number, days: number, windowSeconds: number): number {
  if (!Number.isInteger(days) || days < 1)
    throw new RangeError(`retention must be a whole number of days ≥ 1, got ${days}`);
  return windowStartFor(nowMs - days * DAY_MS, windowSeconds);
}

/**
 * Whether the stream counted a raw order, for reconcile: its ID is in the ledger, or its Kafka timestamp is
 * before the horizon the ledger was purged up to (`purgedBeforeMs`, null when never purged). A raw order is
 * written to Cassandra just before its window commits, so one that old and absent was counted, then purged.
 */
export function countedPerLedger(
  inLedger: boolean,
  kafkaTsMs: number,
  purgedBeforeMs: number | null,
): boolean {
  return inLedger || (purgedBeforeMs !== null && kafkaTsMs < purgedBeforeMs);
}
