/**
 * The pure middle of a flush: what one part of a window's records becomes. Given the records in offset order,
 * the orders counted before (with their content digests) and the customers, it decides record by record:
 *
 *   undecodable or invalid              → dead letter, with the decoder's reason
 *   ID counted before, same content     → duplicate (counted once, never sales again)
 *   ID counted before, other content    → dead letter `duplicate_conflict` (the source re-sent it changed)
 *   refused by a sink on an earlier try → dead letter `sink_rejected`, with the sink's error
 *   customer unknown                    → dead letter `unknown_customer`
 *   otherwise                           → counted: a raw order, a counted ID, sales in its (source, state)
 *
 * "Counted before" means counted: a copy that was dead-lettered never makes a later valid copy a duplicate.
 */
import { createHash } from 'node:crypto';
import { aggregateBySourceState, type CustomerDim, type JoinedOrder, type SalesRow } from './aggregate';
import { type Decoded, type DlqReason, decodeOrderMessage, encodeOrderMessage } from './message';
import type { Order } from './types';

/** One Kafka record as the flush reads it. */
export interface SourceRecord {
  partition: number;
  offset: string;
  /** Broker append time. */
  timestampMs: number;
  value: Buffer | null;
}

/** A record's position, unique within a topic: `partition/offset`. */
export const positionOf = (r: { partition: number; offset: string }) => `${r.partition}/${r.offset}`;

export interface PlannedOrder extends JoinedOrder {
  record: SourceRecord;
  /** Digest of the order's content, stored with its counted ID to tell a re-send from a conflicting one. */
  digest: string;
}

export interface PlannedDeadLetter {
  record: SourceRecord;
  reason: DlqReason;
  detail: string;
  /** The order, when the record decoded into one. */
  order?: Order;
}

export interface PartPlan {
  /** Orders to count, in offset order: raw rows for Cassandra, IDs and sales for the MySQL commit. */
  counted: PlannedOrder[];
  deadLetters: PlannedDeadLetter[];
  duplicates: number;
  /** Sales of the counted orders per (source, state). */
  groups: SalesRow[];
  /** Dead letters per reason. */
  dlqReasons: Map<DlqReason, number>;
}

/**
 * The content of an order, independent of how it was written (key order, NaN or null for no discount, 2.0 or
 * 2): 16 hex digits of SHA-1 over its canonical JSON.
 */
export function orderDigest(order: Order): string {
  return createHash('sha1').update(encodeOrderMessage(order)).digest('hex').slice(0, 16);
}

/**
 * Plans one part (records decoded by decodeRecords, in offset order). `countedBefore` maps the IDs among these records that earlier windows or parts counted to
 * their digest (null for orders counted before digests were kept: any copy of those is a duplicate).
 * `refused` maps positions a sink refused on an earlier attempt to the sink's error.
 */
export function planPart(
  records: readonly DecodedRecord[],
  countedBefore: ReadonlyMap<number, string | null>,
  customers: ReadonlyMap<number, CustomerDim>,
  refused: ReadonlyMap<string, string> = new Map(),
): PartPlan {
  const counted: PlannedOrder[] = [];
  const deadLetters: PlannedDeadLetter[] = [];
  const countedHere = new Map<number, string>();
  let duplicates = 0;
  const dead = (record: SourceRecord, reason: DlqReason, detail: string, order?: Order) =>
    deadLetters.push(order ? { record, reason, detail, order } : { record, reason, detail });

  for (const { record, decoded } of records) {
    if (!decoded.ok) {
      dead(record, decoded.reason, decoded.detail);
      continue;
    }
    const order = decoded.order;
    const digest = orderDigest(order);
    const earlier = countedHere.has(order.id) ? countedHere.get(order.id) : countedBefore.get(order.id);
    if (earlier !== undefined) {
      if (earlier === null || earlier === digest) duplicates += 1;
      else
        dead(
          record,
          'duplicate_conflict',
          `order ${order.id} was counted before with different content`,
          order,
        );
      continue;
    }
    const sinkError = refused.get(positionOf(record));
    if (sinkError !== undefined) {
      dead(record, 'sink_rejected', sinkError, order);
      continue;
    }
    const customer = customers.get(order.userId);
    if (!customer) {
      dead(record, 'unknown_customer', `no customer with ID ${order.userId}`, order);
      continue;
    }
    countedHere.set(order.id, digest);
    counted.push({ order, source: customer.source, state: customer.state, record, digest });
  }

  const dlqReasons = new Map<DlqReason, number>();
  for (const d of deadLetters) dlqReasons.set(d.reason, (dlqReasons.get(d.reason) ?? 0) + 1);
  return { counted, deadLetters, duplicates, groups: aggregateBySourceState(counted), dlqReasons };
}

export interface DecodedRecord {
  record: SourceRecord;
  decoded: Decoded;
}

/** Decodes each record once; the order IDs among them are then looked up before planning. */
export function decodeRecords(records: readonly SourceRecord[]): {
  decoded: DecodedRecord[];
  orderIds: number[];
} {
  const decoded = records.map((record) => ({ record, decoded: decodeOrderMessage(record.value) }));
  const orderIds = decoded.flatMap((d) => (d.decoded.ok ? [d.decoded.order.id] : []));
  return { decoded, orderIds };
}
