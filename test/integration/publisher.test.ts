/**
 * The publisher (publishOrders, through MockActivityEnvironment on the real Kafka): every order of a CSV reaches
 * the topic once, in file order, keyed by its ID, with the seed producer's JSON byte for byte, checked against a
 * reference built from the CSV's own text (not from our parser or encoder); bad rows go to the DLQ; a retried
 * attempt resumes after the rows its last heartbeat counted and sends none of them again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { writeDataSet } from '../../app/ops/generate';
import { DEFAULT_GENERATE_OPTIONS } from '../../src/core/generate';
import { createKafka, highWatermarks, type RangeRecord, readRange } from '../../src/io/kafka';
import { ServiceClients } from '../../workers/clients';
import { createTestEnv, type TestEnv } from '../helpers/env';

const ORDERS = 6_000;

/** The seed producer's message for one CSV line, from the line's text alone. */
function expectedMessage(line: string): { key: string; value: string } {
  const [id, createdAt, discount, productId, quantity, subtotal, tax, total, userId] = line.split(',');
  const value =
    `{"ID":${id},"Created At":"${createdAt}","Discount":${discount === '' ? 'null' : discount},` +
    `"Product ID":${productId},"Quantity":${quantity},"Subtotal":${subtotal},"Tax":${tax},` +
    `"Total":${total},"User ID":${userId}}`;
  return { key: id, value };
}

async function readTopic(t: TestEnv, topic: string): Promise<RangeRecord[]> {
  const kafka = createKafka(t.config);
  const high = (await highWatermarks(kafka, topic)).get(0) ?? '0';
  const records: RangeRecord[] = [];
  let offset = '0';
  while (BigInt(offset) < BigInt(high)) {
    const r = await readRange(kafka, topic, 0, offset, { untilTimestampMs: Number.MAX_SAFE_INTEGER });
    records.push(...r.records);
    offset = r.nextOffset;
  }
  return records;
}

describe('publishOrders', () => {
  let t: TestEnv;
  let deps: ServiceClients;
  let csv: string;
  let lines: string[];

  beforeAll(async () => {
    t = await createTestEnv('publisher');
    await writeDataSet({ ...DEFAULT_GENERATE_OPTIONS, orders: ORDERS, seed: 7 }, t.tmpDir);
    const text = fs.readFileSync(path.join(t.tmpDir, 'orders.csv'), 'utf8').trimEnd().split('\n');
    // Two rows that are not orders, in the middle: they go to the DLQ and hold nothing up.
    lines = text.slice(1);
    const bad = ['not,an,order', `${lines[10].split(',')[0]},yesterday,,1,1,1,1,1,1`];
    csv = path.join(t.tmpDir, 'with-bad.csv');
    fs.writeFileSync(csv, [text[0], ...lines.slice(0, 3000), ...bad, ...lines.slice(3000)].join('\n'));
    deps = new ServiceClients(t.config);
  });
  afterAll(async () => {
    await deps?.close();
    await t?.cleanup();
  });

  it('puts every order in the topic once, in file order, byte for byte as the seed producer wrote it', async () => {
    const { publishOrders } = createActivities(deps);
    const result = await new MockActivityEnvironment().run(publishOrders, {
      file: csv,
      topic: t.config.ordersTopic,
      max: true,
    });
    expect(result).toMatchObject({ rows: ORDERS + 2, published: ORDERS, badRows: 2 });
    const records = await readTopic(t, t.config.ordersTopic);
    expect(records).toHaveLength(ORDERS);
    const got = records.map((r) => ({ key: r.key?.toString('utf8'), value: r.value?.toString('utf8') }));
    expect(got).toEqual(lines.map(expectedMessage));
    const letters = await readTopic(t, t.config.dlqTopic);
    expect(letters.map((l) => l.headers.line)).toEqual(['3002', '3003']);
  });

  it('resumes a retried attempt after the rows its last heartbeat counted', async () => {
    const topic = `${t.config.ordersTopic}.resumed`;
    const admin = createKafka(t.config).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] }).finally(() => admin.disconnect());
    const { publishOrders } = createActivities(deps);
    const resumedAt = { rows: 4000, published: 3998, badRows: 2, totalRows: null, lastOrderId: null };
    const env = new MockActivityEnvironment({ heartbeatDetails: resumedAt });
    const result = await env.run(publishOrders, { file: csv, topic, max: true });
    expect(result).toMatchObject({ rows: ORDERS + 2, published: ORDERS, resumedFrom: 4000 });
    const records = await readTopic(t, topic);
    expect(records.map((r) => r.value?.toString('utf8'))).toEqual(
      lines.slice(3998).map((l) => expectedMessage(l).value),
    );
  });
});
