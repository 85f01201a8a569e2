/**
 * The real services behind ActivityDeps, shared by every activity inside one worker process: clients created on
 * first use (and made again after a failed connect), closed on shutdown.
 */
import * as v8 from 'node:v8';
import type { Client as CassandraClient } from 'cassandra-driver';
import type { Kafka, Producer } from 'kafkajs';
import type { ActivityDeps, ActivityFaults } from '../activities/deps';
import type { Config } from '../src/config';
import type { CustomerDim } from '../src/core/aggregate';
import { checkDayBuckets, connectCassandra } from '../src/io/cassandra';
import { connectProducer, createKafka, ensureTopics, topicMaxMessageBytes } from '../src/io/kafka';
import { createPool, type Pool } from '../src/io/mysql';
import { customersVersion, loadCustomerDims } from '../src/io/store/customers';
import { faultsFrom } from './faults';

/**
 * Activities one worker runs at once. Each holds at most one MySQL connection at a time (a commit, a lookup),
 * so the pool has one connection per slot and one spare for the small reads between them.
 */
export const ACTIVITY_SLOTS = 8;

/**
 * How far the heap may grow past the live data of the last full GC before the next one. V8's own factor, with the
 * default heap limit of a machine with more than 16 GB, goes up to 4x: the flush keeps a part's records for the
 * seconds its writes take, so they are promoted to the old generation and die there, and V8 lets that garbage pile
 * up to four times the ~60 MB live before collecting it (a 100,000-order run peaked at 370 MB of heap for 60 MB
 * live). A fixed 1.5x keeps the heap near what is live at the price of more, short, full GCs (measured: 100,000
 * orders, heap peak 370 -> 130 MB for about 3 CPU-seconds more, orders/s within the noise). V8 reads this flag at
 * every full GC, so setting it at run time takes effect however the process was started (npx, Docker, the tests,
 * the bench and its plain loop), unlike --max-old-space-size, which only counts on the command line.
 */
export function tuneHeap(config: Config): void {
  if (config.workerHeapGrowingPercent > 0)
    v8.setFlagsFromString(`--heap-growing-percent=${config.workerHeapGrowingPercent}`);
}

export class ServiceClients implements ActivityDeps {
  readonly kafka: Kafka;
  readonly pool: Pool;
  readonly faults: ActivityFaults | undefined;
  private producerP?: Promise<Producer>;
  private cassandraP?: Promise<CassandraClient>;
  private topicsP?: Promise<void>;
  private dlqMaxBytesP?: Promise<number>;
  private customers?: { version: string; dims: Map<number, CustomerDim> };

  constructor(readonly config: Config) {
    this.kafka = createKafka(config);
    this.pool = createPool(config, { connectionLimit: ACTIVITY_SLOTS + 1 });
    this.faults = faultsFrom(config);
  }

  producer(): Promise<Producer> {
    this.producerP ??= connectProducer(this.kafka).catch((e) => {
      this.producerP = undefined;
      throw e;
    });
    return this.producerP;
  }

  async cassandra(): Promise<CassandraClient> {
    const current = this.cassandraP;
    if (current) {
      const client = await current.catch(() => undefined);
      if (client && client.getState().getConnectedHosts().length > 0) return client;
      if (this.cassandraP !== current) return this.cassandra(); // another call replaced it meanwhile
      // Every host is down for this client: it would wait for its own reconnection schedule, while a new client
      // tries the contact points at once, so counting resumes as soon as Cassandra answers again.
      if (client) void client.shutdown().catch(() => undefined);
      this.cassandraP = undefined;
    }
    // A worker configured for another bucket count than the stored one would write where no reader looks.
    this.cassandraP ??= connectCassandra(this.config)
      .then(async (c) => {
        await checkDayBuckets(c, this.config).catch(async (e) => {
          await c.shutdown();
          throw e;
        });
        return c;
      })
      .catch((e) => {
        this.cassandraP = undefined;
        throw e;
      });
    return this.cassandraP;
  }

  /** Creates the orders and DLQ topics once per process (idempotent). */
  topics(): Promise<void> {
    this.topicsP ??= ensureTopics(this.kafka, this.config).catch((e) => {
      this.topicsP = undefined;
      throw e;
    });
    return this.topicsP;
  }

  /** The DLQ topic's max.message.bytes, asked once per process: what every dead letter must fit in. */
  dlqMaxBytes(): Promise<number> {
    this.dlqMaxBytesP ??= topicMaxMessageBytes(this.kafka, this.config.dlqTopic).catch((e) => {
      this.dlqMaxBytesP = undefined;
      throw e;
    });
    return this.dlqMaxBytesP;
  }

  /** The customers dimension, reloaded whenever `salesflow customers load` changed the table. */
  async customerDims(): Promise<Map<number, CustomerDim>> {
    const version = await customersVersion(this.pool);
    if (this.customers?.version !== version) {
      this.customers = { version, dims: await loadCustomerDims(this.pool) };
    }
    return this.customers.dims;
  }

  async close(): Promise<void> {
    const producer = this.producerP && (await this.producerP.catch(() => undefined));
    await producer?.disconnect().catch(() => undefined);
    const cassandra = this.cassandraP && (await this.cassandraP.catch(() => undefined));
    await cassandra?.shutdown().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }
}
