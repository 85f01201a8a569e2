/**
 * kafkajs against the real Kafka 3.9 broker at KAFKA_BROKERS (no mocks): topics, the idempotent producer, and
 * readRange's contract (exact records in offset order, monotonic broker timestamps, the timestamp bound,
 * re-reads from any offset). Topics are unique per run and deleted at the end.
 */
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import {
  connectProducer,
  createKafka,
  earliestOffsets,
  ensureTopics,
  highWatermarks,
  type OutMessage,
  produceBatch,
  readRange,
} from '../../src/io/kafka';

const id = `test-${randomBytes(4).toString('hex')}`;
const config = loadConfig({ ...process.env, ORDERS_TOPIC: `${id}.orders`, KAFKA_PARTITIONS: '2' });
const legacyTopic = `${id}.legacy`;
const kafka = createKafka(config);
const ALL = Number.MAX_SAFE_INTEGER;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function produce(k: Kafka, topic: string, messages: OutMessage[]): Promise<void> {
  const producer = await connectProducer(k);
  try {
    await produceBatch(producer, topic, messages);
  } finally {
    await producer.disconnect();
  }
}

async function timestampType(topic: string): Promise<string | null> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: topic, configNames: ['message.timestamp.type'] }],
    });
    return described.resources[0].configEntries[0].configValue;
  } finally {
    await admin.disconnect();
  }
}

const values = (r: { records: Array<{ value: Buffer | null }> }) => r.records.map((x) => x.value!.toString());

describe('kafka (real broker)', () => {
  beforeAll(async () => {
    await ensureTopics(kafka, config);
  });

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin
      .deleteTopics({ topics: [config.ordersTopic, config.dlqTopic, legacyTopic] })
      .catch(() => undefined);
    await admin.disconnect();
  });

  it('creates the topics idempotently, the orders topic with broker append time', async () => {
    await ensureTopics(kafka, config);
    await ensureTopics(kafka, config);
    const admin = kafka.admin();
    await admin.connect();
    const topics = await admin.listTopics();
    const meta = await admin.fetchTopicMetadata({ topics: [config.ordersTopic] });
    await admin.disconnect();
    expect(topics).toEqual(expect.arrayContaining([config.ordersTopic, config.dlqTopic]));
    expect(meta.topics[0].partitions).toHaveLength(2);
    expect(await timestampType(config.ordersTopic)).toBe('LogAppendTime');
  });

  it('switches an existing CreateTime topic to LogAppendTime, keeps its other settings, grows it', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: legacyTopic,
          numPartitions: 1,
          configEntries: [
            { name: 'message.timestamp.type', value: 'CreateTime' },
            { name: 'retention.ms', value: '3600000' },
          ],
        },
      ],
    });
    await ensureTopics(kafka, { ...config, ordersTopic: legacyTopic, kafkaPartitions: 3 });
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: legacyTopic, configNames: ['retention.ms', 'segment.bytes'] }],
    });
    const meta = await admin.fetchTopicMetadata({ topics: [legacyTopic] });
    await admin.disconnect();
    expect(await timestampType(legacyTopic)).toBe('LogAppendTime');
    const entries = new Map(described.resources[0].configEntries.map((c) => [c.configName, c]));
    expect(entries.get('retention.ms')?.configValue).toBe('3600000');
    expect(entries.get('segment.bytes')?.configSource).not.toBe(1); // broker settings not pinned on the topic
    expect(meta.topics[0].partitions).toHaveLength(3);
  });

  it('produces with the idempotent producer and reads back exactly, in order, with broker timestamps', async () => {
    const odd = `quote " apostrophe ' backslash \\ comma , unicode ✓ émoji 🛒 中文`;
    const messages: OutMessage[] = Array.from({ length: 2500 }, (_, i) => ({
      key: String(i),
      value: JSON.stringify({ i, text: i === 7 ? odd : 'x' }),
      headers: { reason: `r${i}` },
      partition: 0,
    }));
    const before = Date.now();
    await produce(kafka, config.ordersTopic, messages);

    const r = await readRange(kafka, config.ordersTopic, 0, '0', { untilTimestampMs: ALL });
    expect(r.records).toHaveLength(2500);
    expect(r.nextOffset).toBe('2500');
    expect(r.highWatermark).toBe('2500');
    expect(r.nextRecordTimestampMs).toBeUndefined();
    expect(values(r)).toEqual(messages.map((m) => m.value));
    expect(r.records.map((x) => x.offset)).toEqual(messages.map((_, i) => String(i)));
    expect(r.records[7].key!.toString()).toBe('7');
    expect(JSON.parse(r.records[7].value!.toString()).text).toBe(odd);
    expect(r.records[3].headers.reason).toBe('r3');
    for (let i = 1; i < r.records.length; i++) {
      expect(r.records[i].timestampMs).toBeGreaterThanOrEqual(r.records[i - 1].timestampMs);
    }
    expect(r.records[0].timestampMs).toBeGreaterThanOrEqual(before - 1000);
    expect((await highWatermarks(kafka, config.ordersTopic)).get(0)).toBe('2500');
    expect((await earliestOffsets(kafka, config.ordersTopic)).get(0)).toBe('0');
  });

  it('stamps records with the broker clock, whatever timestamp the producer sets', async () => {
    const producer = await connectProducer(kafka);
    const before = Date.now();
    await producer.send({
      topic: config.ordersTopic,
      acks: -1,
      messages: [{ key: 'old', value: 'old', partition: 0, timestamp: '1000' }],
    });
    await producer.disconnect();
    const hw = (await highWatermarks(kafka, config.ordersTopic)).get(0)!;
    const r = await readRange(kafka, config.ordersTopic, 0, String(BigInt(hw) - 1n), {
      untilTimestampMs: ALL,
    });
    expect(values(r)).toEqual(['old']);
    expect(r.records[0].timestampMs).toBeGreaterThanOrEqual(before - 1000);
  });

  it('stops at the first record at or past the until timestamp, and re-reads from any offset', async () => {
    const batch = (prefix: string, n: number): OutMessage[] =>
      Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}`, value: `${prefix}${i}`, partition: 1 }));
    await produce(kafka, config.ordersTopic, batch('a', 10));
    await sleep(30);
    const cut = Date.now();
    await sleep(30);
    await produce(kafka, config.ordersTopic, batch('b', 5));

    const first = await readRange(kafka, config.ordersTopic, 1, '0', { untilTimestampMs: cut });
    expect(values(first)).toEqual(batch('a', 10).map((m) => m.value));
    expect(first.nextOffset).toBe('10');
    expect(first.nextRecordTimestampMs).toBeGreaterThanOrEqual(cut);
    expect(first.highWatermark).toBe('15');
    // A retry re-reads exactly the same records.
    expect(await readRange(kafka, config.ordersTopic, 1, '0', { untilTimestampMs: cut })).toEqual(first);

    const rest = await readRange(kafka, config.ordersTopic, 1, first.nextOffset, { untilTimestampMs: ALL });
    expect(values(rest)).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);
    expect(rest.nextOffset).toBe('15');
    const middle = await readRange(kafka, config.ordersTopic, 1, '12', { untilTimestampMs: ALL });
    expect(middle.records.map((x) => x.offset)).toEqual(['12', '13', '14']);
    const atEnd = await readRange(kafka, config.ordersTopic, 1, '15', { untilTimestampMs: ALL });
    expect(atEnd).toEqual({ records: [], nextOffset: '15', highWatermark: '15' });

    // The first record's timestamp, without reading anything (how a stream finds its first window).
    const peek = await readRange(kafka, config.ordersTopic, 1, '0', { untilTimestampMs: 0, maxRecords: 1 });
    expect(peek.records).toEqual([]);
    expect(peek.nextOffset).toBe('0');
    expect(peek.nextRecordTimestampMs).toBe(first.records[0].timestampMs);

    const one = await readRange(kafka, config.ordersTopic, 1, '3', { untilTimestampMs: ALL, maxRecords: 1 });
    expect(one.records.map((x) => x.offset)).toEqual(['3']);
    expect(one.nextOffset).toBe('4');
    expect(one.nextRecordTimestampMs).toBeUndefined();
    const small = await readRange(kafka, config.ordersTopic, 1, '0', { untilTimestampMs: ALL, maxBytes: 12 });
    expect(small.records.map((x) => x.offset)).toEqual(['0', '1', '2']); // key + value = 4 bytes each
    expect(small.nextOffset).toBe('3');
  });

  it('skips records of aborted transactions (read_committed, like a Kafka consumer)', async () => {
    const producer = kafka.producer({
      transactionalId: `${id}-tx`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const tx = await producer.transaction();
    await tx.send({ topic: legacyTopic, messages: [{ value: 'aborted-1' }, { value: 'aborted-2' }] });
    await tx.abort();
    await producer.disconnect();
    await produce(kafka, legacyTopic, [{ key: 'k', value: 'kept', partition: 0 }]);
    // The coordinator writes the abort markers asynchronously after abort() returns; until they land, the
    // partition's last stable offset holds everything after the transaction back. Never the aborted records.
    let r = await readRange(kafka, legacyTopic, 0, '0', { untilTimestampMs: ALL });
    for (let i = 0; i < 100 && values(r).length === 0; i++) {
      await new Promise((res) => setTimeout(res, 100));
      r = await readRange(kafka, legacyTopic, 0, '0', { untilTimestampMs: ALL });
    }
    expect(values(r)).toEqual(['kept']);
    expect(r.nextOffset).toBe(r.highWatermark);
  });

  it('reads a large range in several fetches, quickly', async () => {
    const n = 30_000;
    const order = (i: number) =>
      JSON.stringify({
        ID: i,
        'Created At': '2019-02-11T21:40:27.892+05:30',
        Discount: null,
        'Product ID': 14,
        Quantity: 2,
        Subtotal: 37.648145389078365,
        Tax: 2.07,
        Total: 39.718145389078366,
        'User ID': 1,
      });
    const start = (await highWatermarks(kafka, config.ordersTopic)).get(0)!;
    const messages = Array.from({ length: n }, (_, i) => ({ key: String(i), value: order(i), partition: 0 }));
    await produce(kafka, config.ordersTopic, messages);
    const t = performance.now();
    const r = await readRange(kafka, config.ordersTopic, 0, start, { untilTimestampMs: ALL });
    const ms = performance.now() - t;
    expect(r.records).toHaveLength(n);
    expect(r.records[n - 1].value!.toString()).toBe(order(n - 1));
    expect(r.nextOffset).toBe(String(BigInt(start) + BigInt(n)));
    console.log(`readRange: ${n} records in ${ms.toFixed(0)} ms (${Math.round((n / ms) * 1000)} records/s)`);
  });
});
