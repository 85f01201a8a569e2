/**
 * What the activities need from the world, as an interface: the worker builds the real one
 * (workers/clients.ts); a test can hand in its own. Activities reach every service through it, never by
 * constructing clients themselves.
 */
import type { Client as CassandraClient } from 'cassandra-driver';
import type { Kafka, Producer } from 'kafkajs';
import type { Config } from '../src/config';
import type { FlushUnitInput } from '../src/contract';
import type { CustomerDim } from '../src/core/aggregate';
import type { Pool } from '../src/io/mysql';

export interface ActivityDeps {
  readonly config: Config;
  readonly kafka: Kafka;
  /** The pipeline's MySQL pool. */
  readonly pool: Pool;
  /** The idempotent producer, connected once. */
  producer(): Promise<Producer>;
  cassandra(): Promise<CassandraClient>;
  /** Creates the orders and dead-letter topics once per process (idempotent). */
  topics(): Promise<void>;
  /** The dead-letter topic's max.message.bytes: what every dead letter must fit in. */
  dlqMaxBytes(): Promise<number>;
  /** Customer ID → (source, state), current as of the last `customers load`. */
  customerDims(): Promise<Map<number, CustomerDim>>;
  /** Faults a test injects (never set in production). */
  readonly faults?: ActivityFaults;
}

/** Hooks the activities call at named points, so a test can hold a worker exactly there (and kill it). */
export interface ActivityFaults {
  /**
   * After a part's raw orders are in Cassandra and its dead letters sent, before its MySQL commit: the flush has
   * heartbeated phase `before-commit` (FlushUnitProgress) when this is called.
   */
  beforeCommit?(unit: FlushUnitInput): Promise<void>;
}
