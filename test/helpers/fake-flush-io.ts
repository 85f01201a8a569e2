/**
 * An in-memory FlushIo for the flush's unit tests: a topic of partitions holding records, a checkpoint with the
 * commit's compare-and-set, a ledger, and a log of every operation in order. Not a service stand-in for
 * integration tests (those run on the real stack): the collaborators of the unit under test, faked.
 */
import type { FlushIo } from '../../activities/flush-io';
import type { FlushUnitInput, Offsets, WindowStats } from '../../src/contract';
import type { CustomerDim } from '../../src/core/aggregate';
import type { DeadLetter } from '../../src/core/dead-letter';
import { encodeOrderMessage } from '../../src/core/message';
import type { RawOrderRow } from '../../src/io/cassandra';
import type { RangeOptions, RangeResult } from '../../src/io/kafka';
import { OffsetConflictError, type WindowCommit } from '../../src/io/store/stream';
import { SEED_ORDER } from './fixtures';

interface FakeRecord {
  timestampMs: number;
  value: Buffer;
}

export class FakeFlushIo implements FlushIo {
  /** Partition → its records; a record's offset is its index. */
  readonly log = new Map<number, FakeRecord[]>();
  /** Partition → next offset, as stream_offsets holds it. */
  readonly checkpoint = new Map<string, string>();
  readonly commits: WindowCommit[] = [];
  readonly rawWrites: RawOrderRow[][] = [];
  readonly letters: DeadLetter[] = [];
  /** Every operation, in order: `read 0`, `upsert`, `dead-letter`, `commit`, and what a test adds. */
  readonly calls: string[] = [];
  readonly customers = new Map<number, CustomerDim>([
    [SEED_ORDER.userId, { source: 'Twitter', state: 'NE' }],
  ]);
  private readonly counted = new Map<number, string>();
  /** Awaited at the start of each upsert: a test holds a part there. */
  beforeUpsert: (call: number) => Promise<void> = async () => undefined;

  /** Appends valid orders (IDs from `firstId`) to a partition, their broker timestamps at `timestampMs`. */
  publish(partition: number, firstId: number, n: number, timestampMs: number): void {
    const records = this.log.get(partition) ?? [];
    this.log.set(partition, records);
    for (let i = 0; i < n; i++)
      records.push({
        timestampMs,
        value: Buffer.from(encodeOrderMessage({ ...SEED_ORDER, id: firstId + i })),
      });
  }

  async topics() {}

  async earliestOffsets() {
    return new Map([...this.log.keys()].map((p) => [p, '0']));
  }

  async readCheckpoint(_streamId: string, _topic: string, partitions: readonly number[]) {
    const out: Offsets = {};
    for (const p of partitions) {
      const o = this.checkpoint.get(String(p));
      if (o !== undefined) out[String(p)] = o;
    }
    return out;
  }

  async ensureOffsetRows(_streamId: string, _topic: string, start: Offsets) {
    for (const [p, o] of Object.entries(start)) if (!this.checkpoint.has(p)) this.checkpoint.set(p, o);
  }

  /** As Kafka's ranged read: from `from` while timestamps are before the bound, at most maxRecords. */
  async readRange(_topic: string, partition: number, from: string, opts: RangeOptions): Promise<RangeResult> {
    this.calls.push(`read ${partition}`);
    const all = this.log.get(partition) ?? [];
    let next = Number(from);
    const records: RangeResult['records'] = [];
    while (next < all.length && all[next].timestampMs < opts.untilTimestampMs) {
      if (records.length >= (opts.maxRecords ?? Infinity)) break;
      const r = all[next];
      records.push({
        offset: String(next),
        timestampMs: r.timestampMs,
        key: null,
        value: r.value,
        headers: {},
      });
      next += 1;
    }
    const stoppedAt = all[next];
    return {
      records,
      nextOffset: String(next),
      highWatermark: String(all.length),
      ...(stoppedAt && stoppedAt.timestampMs >= opts.untilTimestampMs
        ? { nextRecordTimestampMs: stoppedAt.timestampMs }
        : {}),
    };
  }

  async alreadyCounted(orderIds: number[]) {
    return new Map(
      orderIds.filter((id) => this.counted.has(id)).map((id) => [id, this.counted.get(id) ?? null]),
    );
  }

  async customerDims() {
    return this.customers;
  }

  async upsertRawOrders(rows: RawOrderRow[]) {
    await this.beforeUpsert(this.rawWrites.length + 1);
    this.calls.push('upsert');
    this.rawWrites.push(rows);
    return new Map<number, Error>();
  }

  async deleteRawOrders() {
    this.calls.push('delete-raw');
  }

  async deadLetter(letters: DeadLetter[]) {
    this.calls.push('dead-letter');
    this.letters.push(...letters);
  }

  /** The compare-and-set, then the part's effects, all at once (as the one transaction). */
  async commit(part: WindowCommit) {
    const current = await this.readCheckpoint('', '', Object.keys(part.offsetsAfter).map(Number));
    if (JSON.stringify(current) !== JSON.stringify(part.checkpoint))
      throw new OffsetConflictError(part.checkpoint, current);
    this.calls.push('commit');
    for (const [p, o] of Object.entries(part.offsetsAfter)) this.checkpoint.set(p, o);
    for (const c of part.counted) this.counted.set(c.orderId, c.digest);
    this.commits.push(part);
  }

  /** The unit's parts added up, once its last part is committed. */
  async committedUnit(input: FlushUnitInput, unit: number): Promise<WindowStats | null> {
    const parts = this.commits.filter((c) => c.windowStartMs === input.windowStartMs && c.unit === unit);
    if (!parts.at(-1)?.complete) return null;
    const sum = (f: (c: WindowCommit) => number) => parts.reduce((n, c) => n + f(c), 0);
    return {
      windowStartMs: input.windowStartMs,
      windowEndMs: input.windowEndMs,
      batchId: parts[0].batchId,
      records: sum((c) => c.records),
      orders: sum((c) => c.counted.length),
      duplicates: sum((c) => c.duplicates),
      invalid: sum((c) => c.invalid),
      amount: sum((c) => c.groups.reduce((a, g) => a + g.amount, 0)),
      groups: new Set(parts.flatMap((c) => c.groups.map((g) => `${g.source}/${g.state}`))).size,
      offsetsBefore: parts[0].offsetsBefore,
      offsetsAfter: parts.at(-1)?.offsetsAfter ?? {},
      lagRecords: parts.at(-1)?.lagRecords ?? 0,
      flushMs: sum((c) => c.flushMs),
    };
  }

  async committedWindow() {
    return null;
  }
}
