/**
 * Everything a flush does to the world, one method per operation: Kafka reads and dead letters, the MySQL
 * look-ups and the commit, the raw orders in Cassandra. flushIo builds the real one from the worker's clients;
 * the flush's unit tests hand in an in-memory one, so its steps are tested without a service.
 */
import type { FlushUnitInput, Offsets, WindowStats } from '../src/contract';
import type { CustomerDim } from '../src/core/aggregate';
import type { DeadLetter } from '../src/core/dead-letter';
import { deleteRawOrders, type RawOrderRow, upsertRawOrders } from '../src/io/cassandra';
import {
  earliestOffsets,
  produceDeadLetters,
  type RangeOptions,
  type RangeResult,
  readRange,
} from '../src/io/kafka';
import {
  alreadyCounted,
  committedUnit,
  committedWindow,
  commitWindow,
  ensureOffsetRows,
  readCheckpoint,
  type WindowCommit,
} from '../src/io/store/stream';
import type { ActivityDeps } from './deps';

export interface FlushIo {
  /** Creates the orders and dead-letter topics (idempotent, once per process). */
  topics(): Promise<void>;
  /** Partition → its first offset still in the log. */
  earliestOffsets(topic: string): Promise<Map<number, string>>;
  /** The stream's committed offsets of these partitions (those that have a row). */
  readCheckpoint(streamId: string, topic: string, partitions: readonly number[]): Promise<Offsets>;
  /** Checkpoint rows for partitions that have none, at these offsets (existing rows are left alone). */
  ensureOffsetRows(streamId: string, topic: string, start: Offsets): Promise<void>;
  readRange(topic: string, partition: number, from: string, opts: RangeOptions): Promise<RangeResult>;
  /** Of these order IDs, those counted before, with their content digest. */
  alreadyCounted(orderIds: number[]): Promise<Map<number, string | null>>;
  customerDims(): Promise<Map<number, CustomerDim>>;
  /** Idempotent upserts into both raw-order tables; the rows (by index) whose values Cassandra refused. */
  upsertRawOrders(rows: RawOrderRow[]): Promise<Map<number, Error>>;
  deleteRawOrders(rows: RawOrderRow[]): Promise<void>;
  /** To the dead-letter topic, each letter cut to fit it. */
  deadLetter(letters: DeadLetter[]): Promise<void>;
  /** THE commit point (commitWindow): one transaction behind the offsets' compare-and-set. */
  commit(part: WindowCommit): Promise<void>;
  /** A unit's share of a window, once its last part is committed. */
  committedUnit(input: FlushUnitInput, unit: number): Promise<WindowStats | null>;
  /** A window completed before windows had units. */
  committedWindow(input: FlushUnitInput): Promise<WindowStats | null>;
}

/** The real services behind FlushIo, reached through the worker's shared clients. */
export function flushIo(deps: ActivityDeps): FlushIo {
  const { config, kafka, pool } = deps;
  return {
    topics: () => deps.topics(),
    earliestOffsets: (topic) => earliestOffsets(kafka, topic),
    readCheckpoint: (streamId, topic, partitions) => readCheckpoint(pool, streamId, topic, { partitions }),
    ensureOffsetRows: (streamId, topic, start) => ensureOffsetRows(pool, streamId, topic, start),
    readRange: (topic, partition, from, opts) => readRange(kafka, topic, partition, from, opts),
    alreadyCounted: (orderIds) => alreadyCounted(pool, orderIds),
    customerDims: () => deps.customerDims(),
    upsertRawOrders: async (rows) => upsertRawOrders(await deps.cassandra(), config.cassandraKeyspace, rows),
    deleteRawOrders: async (rows) => deleteRawOrders(await deps.cassandra(), config.cassandraKeyspace, rows),
    deadLetter: async (letters) =>
      produceDeadLetters(await deps.producer(), config.dlqTopic, letters, await deps.dlqMaxBytes()),
    commit: (part) => commitWindow(pool, part),
    committedUnit: (input, unit) => committedUnit(pool, input.streamId, input.windowStartMs, unit),
    committedWindow: (input) => committedWindow(pool, input.streamId, input.windowStartMs),
  };
}
