/**
 * The kafkajs internals salesflow's ranged read (`readRange` in ./kafka.ts) rests on, all in this one file: the
 * Cluster factory every client keeps under a private symbol, the Broker's `fetch` and the records it decodes, and
 * the consumer's filter for aborted transactions. kafkajs has no public way to read a range of offsets without a
 * consumer group (./kafka.ts says why a group does not fit), so these are used as they are in the version pinned,
 * exactly, in package.json (KAFKAJS_VERSION); test/unit/kafka-internals.test.ts fails naming what moved when an
 * upgrade changes any of them.
 */
import type { Kafka } from 'kafkajs';

/** The kafkajs these internals are taken from (package.json pins exactly this). */
export const KAFKAJS_VERSION = '2.2.4';

/** The symbol's description under which a kafkajs client keeps its Cluster factory (src/index.js, PRIVATE). */
export const CREATE_CLUSTER = 'private:Kafka:createCluster';

/** Kafka's isolation level READ_COMMITTED, as kafkajs's Fetch request takes it. */
export const READ_COMMITTED = 1;

/** The decoded record kafkajs's Fetch response carries (protocol/recordBatch/record/v0/decoder.js). */
export interface FetchedRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | Buffer[] | undefined>;
  isControlRecord?: boolean;
}

export interface FetchedPartition {
  partition: number;
  errorCode: number;
  highWatermark: string;
  lastStableOffset?: string;
  abortedTransactions?: unknown[];
  messages: FetchedRecord[];
}

/** kafkajs's own filter (what its consumer applies): drops records of aborted transactions under read_committed. */
export const filterAbortedMessages: (fetched: {
  messages: FetchedRecord[];
  abortedTransactions?: unknown[];
}) => FetchedRecord[] = require('kafkajs/src/consumer/filterAbortedMessages');

export interface InternalBroker {
  fetch(request: {
    replicaId: number;
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: Array<{
      topic: string;
      partitions: Array<{ partition: number; fetchOffset: string; maxBytes: number }>;
    }>;
  }): Promise<{ responses: Array<{ topicName: string; partitions: FetchedPartition[] }> }>;
}

export interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(args: { nodeId: string }): Promise<InternalBroker>;
}

/**
 * A fresh kafkajs Cluster built with the client's own settings (brokers, timeouts, retry, logger), through the
 * factory kafkajs keeps under a private symbol on every client. Fresh per read, not cached: a read is a handful
 * of requests, a localhost connect costs a millisecond or two, and nothing is left open that would keep a CLI
 * process alive or go stale between windows.
 */
export function newCluster(kafka: Kafka): InternalCluster {
  const symbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === CREATE_CLUSTER);
  if (!symbol)
    throw new Error(
      `kafkajs internals changed: the client has no ${CREATE_CLUSTER} factory (salesflow reads Kafka with ` +
        `kafkajs ${KAFKAJS_VERSION}'s; see src/io/kafka-internals.ts)`,
    );
  const create = (kafka as unknown as Record<symbol, (o: object) => InternalCluster>)[symbol];
  return create({ allowAutoTopicCreation: false, isolationLevel: READ_COMMITTED });
}
