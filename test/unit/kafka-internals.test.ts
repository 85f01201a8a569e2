/**
 * The kafkajs internals behind salesflow's ranged read (src/io/kafka-internals.ts), checked without a broker: a
 * kafkajs upgrade that moves any of them fails here, naming what moved, rather than in the middle of a window.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/config';
import {
  CREATE_CLUSTER,
  type FetchedRecord,
  filterAbortedMessages,
  KAFKAJS_VERSION,
  newCluster,
} from '../../src/io/kafka-internals';

const MOVED = `kafkajs internals moved (salesflow's ranged read uses kafkajs ${KAFKAJS_VERSION}'s; see src/io/kafka-internals.ts)`;
const kafkajs = (file: string) => require(`kafkajs/src/${file}`);

describe('kafkajs internals', () => {
  it('kafkajs is pinned to exactly the version the internals are taken from', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(pkg.dependencies.kafkajs, 'package.json must pin kafkajs exactly').toBe(KAFKAJS_VERSION);
    expect(kafkajs('../package.json').version, `${MOVED}: another kafkajs is installed`).toBe(
      KAFKAJS_VERSION,
    );
  });

  it(`a client keeps a Cluster factory under the private symbol ${CREATE_CLUSTER}, with what the read calls`, () => {
    // Never connected: building a Cluster opens nothing.
    const cluster = newCluster(new Kafka({ clientId: 'internals-test', brokers: ['127.0.0.1:1'] }));
    for (const method of [
      'connect',
      'disconnect',
      'addTargetTopic',
      'refreshMetadata',
      'findLeaderForPartitions',
      'findBroker',
    ])
      expect(
        typeof (cluster as unknown as Record<string, unknown>)[method],
        `${MOVED}: Cluster.${method}`,
      ).toBe('function');
    expect(typeof kafkajs('broker').prototype.fetch, `${MOVED}: Broker.fetch`).toBe('function');
  });

  it('a record batch decodes to the records the read takes: offset, timestamp, key, value, headers', async () => {
    const Long = kafkajs('utils/long');
    const { RecordBatch } = kafkajs('protocol/recordBatch/v0');
    const Record = kafkajs('protocol/recordBatch/record/v0');
    const decodeBatch = kafkajs('protocol/recordBatch/v0/decoder');
    const Decoder = kafkajs('protocol/decoder');
    const encoded = await RecordBatch({
      firstOffset: Long.fromInt(41),
      firstTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_000_005,
      lastOffsetDelta: 1,
      records: [
        Record({
          offsetDelta: 0,
          key: Buffer.from('k1'),
          value: Buffer.from('v1'),
          headers: { reason: 'x' },
        }),
        Record({ offsetDelta: 1, timestampDelta: 5, key: null, value: Buffer.from('v2') }),
      ],
    });
    const { records } = (await decodeBatch(new Decoder(encoded.buffer))) as { records: FetchedRecord[] };
    expect(
      records.map((r) => ({
        offset: r.offset,
        timestamp: r.timestamp,
        key: r.key?.toString() ?? null,
        value: r.value?.toString(),
        reason: (r.headers?.reason as Buffer | undefined)?.toString(),
        isControlRecord: r.isControlRecord,
      })),
      `${MOVED}: the decoded record`,
    ).toEqual([
      {
        offset: '41',
        timestamp: '1700000000000',
        key: 'k1',
        value: 'v1',
        reason: 'x',
        isControlRecord: false,
      },
      {
        offset: '42',
        timestamp: '1700000000005',
        key: null,
        value: 'v2',
        reason: undefined,
        isControlRecord: false,
      },
    ]);
  });

  it("the consumer's filter drops the records of an aborted transaction and keeps the rest", () => {
    const record = (offset: string, producerId: string, inTransaction: boolean, key = 'k') => ({
      offset,
      timestamp: '0',
      key: Buffer.from(key),
      value: Buffer.from(offset),
      batchContext: { producerId, inTransaction },
    });
    const abortMarker = { ...record('12', '7', true), key: Buffer.from([0, 0, 0, 0]), isControlRecord: true };
    const messages = [
      record('10', '7', true),
      record('11', '8', false),
      abortMarker,
      record('13', '7', true),
    ];
    const kept = filterAbortedMessages({
      messages,
      abortedTransactions: [{ firstOffset: '10', producerId: '7' }],
    });
    expect(
      kept.map((m) => m.offset),
      `${MOVED}: filterAbortedMessages`,
    ).toEqual(['11', '12', '13']);
    expect(filterAbortedMessages({ messages }).map((m) => m.offset)).toEqual(['10', '11', '12', '13']);
  });
});
