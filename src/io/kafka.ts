/**
 * Kafka behind a small module: topics, a batched idempotent producer, offsets, and `readRange`, a stateless
 * ranged read used by the window flush.
 *
 * Why readRange sends Fetch requests itself: the flush must read "from the checkpoint up to the window's end" on
 * any worker, and a retry must re-read exactly the same records. Consumer groups (kafkajs's only public read API)
 * own partitions and positions, rebalance, and deliver through a run loop, which is the opposite of that; a
 * throwaway group per read would add JoinGroup/SyncGroup round trips (seconds with rebalance delays) and leave
 * group metadata behind. kafkajs builds a `Cluster` (connection pool + metadata) for every client, and its
 * `broker.fetch()` returns decoded record batches; we use those two internals, from ./kafka-internals.ts alone
 * (kafkajs pinned exactly; a unit test names what moved), and the integration test pins the behaviour against a
 * real broker.
 */
import {
  type Admin,
  CompressionTypes,
  type IHeaders,
  Kafka,
  logLevel,
  Partitioners,
  type Producer,
} from 'kafkajs';
import type { Config } from '../config';
import { type DeadLetter, fitDeadLetter, messageSize, splitBySize } from '../core/dead-letter';
import { DriverError } from './driver-errors';
import { guarded, wrapOf } from './guard';
import { diagnoseKafka } from './kafka-errors';
import {
  type FetchedPartition,
  type FetchedRecord,
  filterAbortedMessages,
  type InternalCluster,
  newCluster,
  READ_COMMITTED,
} from './kafka-internals';
import { wrapperFor } from './reach';
import { kafkaSecurityOptions } from './security';

/** A client for a quick yes/no about the brokers (a probe, a check): short timeouts, few or no retries. */
export interface KafkaCheck {
  clientId: string;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  retries: number;
}

/** A client whose admins, producers and consumers throw the family's errors (src/io/reach.ts), not kafkajs's. */
export function createKafka(config: Config, check?: KafkaCheck): Kafka {
  const kafka = new Kafka({
    clientId: check?.clientId ?? 'salesflow',
    brokers: config.kafkaBrokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: check?.connectionTimeoutMs ?? 3000,
    requestTimeout: check?.requestTimeoutMs ?? 30_000,
    // Enough to ride out a broker restart or a leader move; Temporal retries the activity beyond that.
    retry: check
      ? { retries: check.retries, initialRetryTime: 300, maxRetryTime: 1000 }
      : { retries: 5, initialRetryTime: 200, maxRetryTime: 5000 },
    ...kafkaSecurityOptions(config),
  });
  return guarded(kafka, wrapperFor({ service: 'kafka', config }, diagnoseKafka), [
    'admin',
    'producer',
    'consumer',
  ]);
}

async function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

const TOPIC_RESOURCE = 2; // kafkajs ConfigResourceTypes.TOPIC
const TOPIC_OVERRIDE = 1; // kafkajs ConfigSource.TOPIC_CONFIG: set on the topic, not inherited from the broker
const TIMESTAMP_TYPE = 'message.timestamp.type';

/**
 * Creates the orders topic and the dead-letter topic; idempotent, safe to race with another worker.
 * The orders topic uses broker append time as the record timestamp: timestamps are then monotonic per partition
 * and do not depend on producers' clocks, so the records of a tumbling window are the same whenever it is read.
 * An existing orders topic with CreateTime is switched over, and one with fewer partitions than configured is
 * grown (the scale-out path; Kafka cannot shrink a topic).
 */
export async function ensureTopics(kafka: Kafka, config: Config): Promise<void> {
  await withAdmin(kafka, async (admin) => {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: config.ordersTopic,
          numPartitions: config.kafkaPartitions,
          configEntries: [{ name: TIMESTAMP_TYPE, value: 'LogAppendTime' }],
        },
        { topic: config.dlqTopic, numPartitions: 1 },
      ],
    }); // resolves false (no throw) when the topics already exist
    await ensureLogAppendTime(admin, config.ordersTopic);
    await ensurePartitions(admin, config.ordersTopic, config.kafkaPartitions);
  });
}

async function ensureLogAppendTime(admin: Admin, topic: string): Promise<void> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: [TIMESTAMP_TYPE] }],
  });
  const entry = described.resources[0]?.configEntries.find((c) => c.configName === TIMESTAMP_TYPE);
  if (entry?.configValue === 'LogAppendTime') return;
  // IncrementalAlterConfigs is not in kafkajs; AlterConfigs replaces the topic's whole override set, so the
  // other overrides are carried over.
  const all = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: TOPIC_RESOURCE, name: topic }],
  });
  const overrides = (all.resources[0]?.configEntries ?? [])
    .filter(
      (c) => c.configSource === TOPIC_OVERRIDE && c.configName !== TIMESTAMP_TYPE && c.configValue !== null,
    )
    .map((c) => ({ name: c.configName, value: c.configValue }));
  await admin.alterConfigs({
    validateOnly: false,
    resources: [
      {
        type: TOPIC_RESOURCE,
        name: topic,
        configEntries: [...overrides, { name: TIMESTAMP_TYPE, value: 'LogAppendTime' }],
      },
    ],
  });
}

async function ensurePartitions(admin: Admin, topic: string, wanted: number): Promise<void> {
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  const have = meta.topics[0]?.partitions.length ?? 0;
  if (have > 0 && have < wanted) {
    await admin.createPartitions({ topicPartitions: [{ topic, count: wanted }] }).catch((e: Error) => {
      // Another worker grew it first.
      if (!(e instanceof DriverError && e.code === 'INVALID_PARTITIONS')) throw e;
    });
  }
}

/**
 * An idempotent producer (tested against Kafka 3.9.2): a retried send after a lost ack is de-duplicated by the
 * broker, so the log never holds a message twice because of the network. One request in flight keeps order.
 */
export async function connectProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // Java-compatible murmur2 on the key, so an order ID lands on the same partition as with any Kafka client.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return producer;
}

export interface OutMessage {
  key: string | null;
  value: string | Buffer;
  headers?: IHeaders;
  /** Normally left out: the key picks the partition. */
  partition?: number;
}

const SEND_CHUNK = 1000;
/** Below the broker's default `message.max.bytes` (1 MiB): a batch the broker refuses would never succeed. */
export const DEFAULT_MAX_BATCH_BYTES = 900_000;

/**
 * Sends messages in order, in requests of at most 1000 messages and `maxBatchBytes` bytes, each acknowledged
 * by all in-sync replicas.
 */
export async function produceBatch(
  producer: Producer,
  topic: string,
  messages: OutMessage[],
  maxBatchBytes = DEFAULT_MAX_BATCH_BYTES,
): Promise<void> {
  for (const batch of splitBySize(messages, messageSize, maxBatchBytes, SEND_CHUNK)) {
    await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages: batch });
  }
}

/** The largest record batch `topic` accepts (its `max.message.bytes`, usually inherited from the broker). */
export function topicMaxMessageBytes(kafka: Kafka, topic: string): Promise<number> {
  return withAdmin(kafka, async (admin) => {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: ['max.message.bytes'] }],
    });
    const value = Number(
      resources[0]?.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue,
    );
    return Number.isFinite(value) && value > 0 ? value : 1_048_588;
  });
}

/** Dead letters, each cut to fit `maxMessageBytes` if it must, in batches the broker accepts. */
export async function produceDeadLetters(
  producer: Producer,
  topic: string,
  letters: DeadLetter[],
  maxMessageBytes: number,
): Promise<void> {
  const fitted = letters.map((l) => fitDeadLetter(l, maxMessageBytes));
  await produceBatch(producer, topic, fitted, Math.min(DEFAULT_MAX_BATCH_BYTES, maxMessageBytes - 1024));
}

/** partition → high watermark (the offset the next record will get). */
export function highWatermarks(kafka: Kafka, topic: string): Promise<Map<number, string>> {
  return withAdmin(kafka, async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, o.high]));
  });
}

/** partition → earliest offset still in the log (moves up as retention deletes segments). */
export function earliestOffsets(kafka: Kafka, topic: string): Promise<Map<number, string>> {
  return withAdmin(kafka, async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, o.low]));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// readRange

export interface RangeRecord {
  offset: string;
  timestampMs: number;
  key: Buffer | null;
  value: Buffer | null;
  /** Header values as UTF-8 strings (the first one when a header repeats). */
  headers: Record<string, string>;
}

export interface RangeResult {
  records: RangeRecord[];
  /** Where the next read starts: the offset of the first record not returned. */
  nextOffset: string;
  /** The partition's high watermark as of the last fetch. */
  highWatermark: string;
  /** Set when the read stopped at a record at or past untilTimestampMs: that record's timestamp. */
  nextRecordTimestampMs?: number;
}

export interface RangeOptions {
  /** Exclusive upper bound on the record timestamp. */
  untilTimestampMs: number;
  /** Stop after this many records (nextOffset is then the first record left out). */
  maxRecords?: number;
  /** Stop before the key + value bytes returned would exceed this (at least one record is returned). */
  maxBytes?: number;
}

/**
 * Bytes per Fetch request. kafkajs decodes a whole response before we see a record, and whatever lies past the
 * stopping point is decoded for nothing, so a read starts small and doubles up to 8 MB (~100k small records
 * then take a handful of round trips); a read capped by maxRecords starts smaller still.
 */
const FETCH_MIN_BYTES = 64 * 1024;
const FETCH_START_BYTES = 1024 * 1024;
const FETCH_MAX_BYTES = 8 * 1024 * 1024;

const firstFetchBytes = (maxRecords?: number) =>
  maxRecords === undefined
    ? FETCH_START_BYTES
    : Math.min(FETCH_START_BYTES, Math.max(FETCH_MIN_BYTES, maxRecords * 512));
const FETCH_ATTEMPTS = 5;

/**
 * Reads one partition from `fromOffset` forward, in offset order, without a consumer group, and stops at the
 * first record whose timestamp is at or past `untilTimestampMs` (not included; nextOffset is its offset and its
 * timestamp is returned) or at the end of the readable log (nextOffset = high watermark). The same arguments
 * give the same records on any worker, any number of times, as long as the log has reached the bound.
 */
export async function readRange(
  kafka: Kafka,
  topic: string,
  partition: number,
  fromOffset: string,
  opts: RangeOptions,
): Promise<RangeResult> {
  const cluster = newCluster(kafka);
  try {
    await cluster.connect();
    await cluster.addTargetTopic(topic);
    return await readLoop(cluster, topic, partition, BigInt(fromOffset), opts);
  } catch (e) {
    // kafkajs's internals are past the guarded client: their errors are wrapped here, as the client would.
    throw wrapOf(kafka)(e);
  } finally {
    await cluster.disconnect().catch(() => undefined);
  }
}

async function readLoop(
  cluster: InternalCluster,
  topic: string,
  partition: number,
  from: bigint,
  opts: RangeOptions,
): Promise<RangeResult> {
  const maxRecords = opts.maxRecords ?? Number.POSITIVE_INFINITY;
  const maxBytes = opts.maxBytes ?? Number.POSITIVE_INFINITY;
  const records: RangeRecord[] = [];
  let bytes = 0;
  let next = from;
  let fetchBytes = firstFetchBytes(opts.maxRecords);
  for (;;) {
    const fetched = await fetchOnce(cluster, topic, partition, next, fetchBytes);
    fetchBytes = Math.min(fetchBytes * 2, FETCH_MAX_BYTES);
    const highWatermark = fetched.highWatermark;
    // Under read_committed the broker serves up to the last stable offset (= high watermark without open
    // transactions); reading "to the end" means to that point.
    const end = BigInt(
      fetched.lastStableOffset && BigInt(fetched.lastStableOffset) >= 0n
        ? fetched.lastStableOffset
        : highWatermark,
    );
    let progressed = false;
    for (const m of filterAbortedMessages(fetched)) {
      const offset = BigInt(m.offset);
      if (offset < next) continue; // a batch may begin before the requested offset
      progressed = true;
      if (m.isControlRecord) {
        next = offset + 1n; // transaction markers occupy offsets but are not data
        continue;
      }
      const timestampMs = Number(m.timestamp);
      if (timestampMs >= opts.untilTimestampMs) {
        return { records, nextOffset: m.offset, highWatermark, nextRecordTimestampMs: timestampMs };
      }
      const size = (m.key?.length ?? 0) + (m.value?.length ?? 0);
      if (records.length >= maxRecords || (records.length > 0 && bytes + size > maxBytes)) {
        return { records, nextOffset: m.offset, highWatermark };
      }
      bytes += size;
      records.push({
        offset: m.offset,
        timestampMs,
        key: m.key,
        value: m.value,
        headers: headerStrings(m.headers),
      });
      next = offset + 1n;
    }
    // No progress below the end can only come from an empty batch (compaction): stop rather than spin; the
    // caller reads again from nextOffset later.
    if (next >= end || !progressed) return { records, nextOffset: next.toString(), highWatermark };
  }
}

/** One Fetch for one partition at `offset`, with a metadata refresh and retry on retriable errors. */
async function fetchOnce(
  cluster: InternalCluster,
  topic: string,
  partition: number,
  offset: bigint,
  fetchBytes: number,
): Promise<FetchedPartition> {
  for (let attempt = 1; ; attempt++) {
    try {
      const leaders = cluster.findLeaderForPartitions(topic, [partition]);
      const nodeId = Object.keys(leaders)[0];
      if (nodeId === undefined)
        throw Object.assign(new Error(`${topic}/${partition} has no leader`), { retriable: true });
      const broker = await cluster.findBroker({ nodeId });
      const response = await broker.fetch({
        replicaId: -1,
        isolationLevel: READ_COMMITTED,
        maxWaitTime: 0, // never wait for more data: at the end of the log we return what there is
        minBytes: 1,
        maxBytes: fetchBytes,
        topics: [
          { topic, partitions: [{ partition, fetchOffset: offset.toString(), maxBytes: fetchBytes }] },
        ],
      });
      const fetched = response.responses[0]?.partitions.find((p) => p.partition === partition);
      if (!fetched)
        throw Object.assign(new Error(`no fetch data for ${topic}/${partition}`), { retriable: true });
      return fetched;
    } catch (e) {
      const err = e as Error & { retriable?: boolean };
      if (!err.retriable || attempt >= FETCH_ATTEMPTS) {
        throw new Error(`reading ${topic}/${partition} at offset ${offset}: ${err.message}`, { cause: e });
      }
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      await cluster.refreshMetadata().catch(() => undefined);
    }
  }
}

function headerStrings(headers: FetchedRecord['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = (Array.isArray(value) ? value[0] : value).toString('utf8');
  }
  return out;
}
