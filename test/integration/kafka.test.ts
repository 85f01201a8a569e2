/** kafkajs against the real Kafka 3.9 broker: topics, idempotent producer, ranged reads by record timestamp. */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import {
  connectProducer,
  createKafka,
  earliestOffsets,
  ensureTopics,
  highWatermarks,
  produceBatch,
  readRange,
} from '../../src/io/kafka';

const id = `kt_${randomBytes(4).toString('hex')}`;
const config = loadConfig({ ...process.env, ORDERS_TOPIC: `${id}.orders`, KAFKA_PARTITIONS: '2' });
const kafka = createKafka(config);

describe('kafka (real broker)', () => {
  beforeAll(async () => {
    await ensureTopics(kafka, config);
  });

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [config.ordersTopic, config.dlqTopic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('creates the topics idempotently, the orders topic with broker append time', async () => {
    await ensureTopics(kafka, config);
    const admin = kafka.admin();
    await admin.connect();
    const topics = await admin.listTopics();
    expect(topics).toEqual(expect.arrayContaining([config.ordersTopic, config.dlqTopic]));
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: config.ordersTopic, configNames: ['message.timestamp.type'] }],
    });
    expect(described.resources[0].configEntries[0].configValue).toBe('LogAppendTime');
    const meta = await admin.fetchTopicMetadata({ topics: [config.ordersTopic] });
    expect(meta.topics[0].partitions).toHaveLength(2);
    await admin.disconnect();
  });

  it('produces and reads back exactly, in order, with monotonic timestamps and headers', async () => {
    const producer = await connectProducer(kafka);
    const odd = 'quote " apostrophe \' comma , unicode ✓ émoji 🛒';
    const messages = Array.from({ length: 2500 }, (_, i) => ({
      key: String(i),
      value: JSON.stringify({ i, text: i === 7 ? odd : 'x' }),
      headers: { reason: `r${i}` },
    }));
    const before = Date.now();
    await produceBatch(
      producer,
      config.ordersTopic,
      messages.map((m) => ({ ...m, partition: 0 }) as never),
    );
    await producer.disconnect();

    const r = await readRange(kafka, config.ordersTopic, 0, '0', { untilTimestampMs: Number.MAX_SAFE_INTEGER });
    expect(r.records).toHaveLength(2500);
    expect(r.nextOffset).toBe('2500');
    expect(r.highWatermark).toBe('2500');
    expect(r.nextRecordTimestampMs).toBeUndefined();
    expect(r.records.map((x) => JSON.parse(x.value!.toString()).i)).toEqual(messages.map((_, i) => i));
    expect(JSON.parse(r.records[7].value!.toString()).text).toBe(odd);
    expect(r.records[3].headers.reason).toBe('r3');
    for (let i = 1; i < r.records.length; i++) {
      expect(r.records[i].timestampMs).toBeGreaterThanOrEqual(r.records[i - 1].timestampMs);
    }
    // Broker append time, not a producer-side time before the send.
    expect(r.records[0].timestampMs).toBeGreaterThanOrEqual(before - 1000);
    expect((await highWatermarks(kafka, config.ordersTopic)).get(0)).toBe('2500');
    expect((await earliestOffsets(kafka, config.ordersTopic)).get(0)).toBe('0');
  });

  it('stops at the first record at or past the until timestamp, and re-reads from any offset', async () => {
    const producer = await connectProducer(kafka);
    await produceBatch(
      producer,
      config.ordersTopic,
      Array.from({ length: 10 }, (_, i) => ({ key: `a${i}`, value: `a${i}`, partition: 1 }) as never),
    );
    await new Promise((r) => setTimeout(r, 50));
    const cut = Date.now();
    await new Promise((r) => setTimeout(r, 50));
    await produceBatch(
      producer,
      config.ordersTopic,
      Array.from({ length: 5 }, (_, i) => ({ key: `b${i}`, value: `b${i}`, partition: 1 }) as never),
    );
    await producer.disconnect();

    const first = await readRange(kafka, config.ordersTopic, 1, '0', { untilTimestampMs: cut });
    expect(first.records.map((x) => x.value!.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `a${i}`));
    expect(first.nextOffset).toBe('10');
    expect(first.nextRecordTimestampMs).toBeGreaterThanOrEqual(cut);
    expect(first.highWatermark).toBe('15');

    const again = await readRange(kafka, config.ordersTopic, 1, '0', { untilTimestampMs: cut });
    expect(again).toEqual(first);

    const rest = await readRange(kafka, config.ordersTopic, 1, first.nextOffset, { untilTimestampMs: Date.now() + 1000 });
    expect(rest.records.map((x) => x.value!.toString())).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);
    const middle = await readRange(kafka, config.ordersTopic, 1, '12', { untilTimestampMs: Date.now() + 1000 });
    expect(middle.records.map((x) => x.offset)).toEqual(['12', '13', '14']);

    const one = await readRange(kafka, config.ordersTopic, 1, '3', { untilTimestampMs: Date.now() + 1000, maxRecords: 1 });
    expect(one.records.map((x) => x.offset)).toEqual(['3']);
    expect(one.nextOffset).toBe('4');
  });

  it('reads a large range quickly (prints records/s)', async () => {
    const producer = await connectProducer(kafka);
    const n = 50_000;
    const value = JSON.stringify({
      ID: 1,
      'Created At': '2019-02-11T21:40:27.892+05:30',
      Discount: null,
      'Product ID': 14,
      Quantity: 2,
      Subtotal: 37.648145389078365,
      Tax: 2.07,
      Total: 39.718145389078366,
      'User ID': 1,
    });
    const hw = BigInt((await highWatermarks(kafka, config.ordersTopic)).get(0)!);
    await produceBatch(
      producer,
      config.ordersTopic,
      Array.from({ length: n }, (_, i) => ({ key: String(i), value, partition: 0 }) as never),
    );
    await producer.disconnect();
    const t = performance.now();
    const r = await readRange(kafka, config.ordersTopic, 0, hw.toString(), { untilTimestampMs: Number.MAX_SAFE_INTEGER });
    const ms = performance.now() - t;
    expect(r.records).toHaveLength(n);
    console.log(`readRange: ${n} records in ${ms.toFixed(0)} ms (${Math.round((n / ms) * 1000)} records/s)`);
  });
});
