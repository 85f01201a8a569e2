import type { Config } from '../../src/config';
import type { SalesRow } from '../../src/core/aggregate';
import { readCustomersCsv } from '../../src/core/csv';
import type { Customer } from '../../src/core/types';
import { UnreachableError, UsageError } from '../../src/errors';
import { replayWorkflowId, streamWorkflowId } from '../../src/ids';
import { connectCassandra, truncateRawOrders } from '../../src/io/cassandra';
import { createKafka, ensureTopics } from '../../src/io/kafka';
import { createPool, mysqlTarget } from '../../src/io/mysql';
import { upsertCustomers } from '../../src/io/store/customers';
import { resetPipelineTables } from '../../src/io/store/stream';
import { readTotals } from '../../src/io/store/totals';
import { deleteRetentionSchedule } from './retention';
import { terminateIfRunning, withClient } from './temporal';

/** The running totals per (source, state), read from MySQL (not a Temporal query: no worker needed). */
export async function readRunningTotals(config: Config): Promise<SalesRow[]> {
  const pool = createPool(config, { connectionLimit: 1 });
  try {
    return await readTotals(pool);
  } finally {
    await pool.end();
  }
}

export interface CustomersLoad {
  /** Data rows read from the file. */
  rows: number;
  loaded: number;
  /** `line N: reason` for each refused row, in file order. */
  bad: string[];
}

/**
 * Loads a customers CSV into MySQL, all or nothing: every row is read and checked against the table's limits
 * first (src/core/customers.ts), then the good rows go in ONE transaction. Any bad row loads nothing, unless
 * `skipBad`, which loads the good rows and still reports the bad ones.
 */
export async function loadCustomers(
  config: Config,
  file: string,
  opts: { skipBad?: boolean } = {},
): Promise<CustomersLoad> {
  const bad: string[] = [];
  // The whole file is held: a transaction must know every row is good before it starts (the worker holds the
  // whole customers dimension in memory too).
  const customers: Customer[] = [];
  let rows = 0;
  try {
    for await (const item of readCustomersCsv(file)) {
      rows++;
      if (item.ok) customers.push(item.customer);
      else bad.push(`line ${item.line}: ${item.reason}`);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UsageError(`customers file not found: ${file}`);
    throw e;
  }
  if (bad.length && !opts.skipBad) return { rows, loaded: 0, bad };
  const pool = createPool(config, { connectionLimit: 1 });
  try {
    await upsertCustomers(pool, customers);
  } finally {
    await pool.end();
  }
  return { rows, loaded: customers.length, bad };
}

/** A store that did not answer, named for the operator. */
export interface DeadStore {
  service: 'Temporal' | 'Kafka' | 'MySQL' | 'Cassandra';
  address: string;
  reason: string;
}

const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0];

/** Asks every store reset empties for a trivial answer, all at once; returns those that gave none. */
export async function unreachableStores(config: Config): Promise<DeadStore[]> {
  const mysqlAt = mysqlTarget(config);
  const probes: Array<[DeadStore['service'], string, () => Promise<unknown>]> = [
    [
      'Temporal',
      config.temporalAddress,
      () =>
        withClient(config, (client) =>
          client.workflowService.describeNamespace({ namespace: config.temporalNamespace }),
        ),
    ],
    [
      'Kafka',
      config.kafkaBrokers.join(','),
      async () => {
        // No retries: a broker that is down should be reported in seconds, not after the client's backoff.
        const admin = createKafka(config, {
          clientId: 'salesflow-reset-check',
          connectionTimeoutMs: 3000,
          requestTimeoutMs: 10_000,
          retries: 1,
        }).admin();
        await admin.connect();
        try {
          await admin.describeCluster();
        } finally {
          await admin.disconnect();
        }
      },
    ],
    [
      'MySQL',
      `${mysqlAt.host}:${mysqlAt.port}`,
      async () => {
        const pool = createPool(config, { connectionLimit: 1 });
        try {
          await pool.query('SELECT 1 FROM sales_totals LIMIT 0');
        } finally {
          await pool.end();
        }
      },
    ],
    [
      'Cassandra',
      config.cassandraContactPoints.join(','),
      async () => {
        const cassandra = await connectCassandra(config);
        try {
          await cassandra.execute('SELECT release_version FROM system.local');
        } finally {
          await cassandra.shutdown();
        }
      },
    ],
  ];
  const results = await Promise.all(
    probes.map(([service, address, probe]) =>
      probe().then(
        () => null,
        (e): DeadStore => ({ service, address, reason: firstLine(e) }),
      ),
    ),
  );
  return results.filter((r): r is DeadStore => r !== null);
}

/**
 * Terminates the pipeline's workflows and empties the topic, the tables and Cassandra's raw orders. All or
 * nothing as far as it can be: every store must answer first, or nothing is touched (emptying some and not the
 * others would leave the stores disagreeing).
 */
export async function resetAll(config: Config): Promise<void> {
  const dead = await unreachableStores(config);
  if (dead.length) {
    throw new UnreachableError(
      `${dead.map((d) => `${d.service} at ${d.address} did not answer (${d.reason})`).join('; ')}: nothing was reset`,
    );
  }
  await withClient(config, async (client) => {
    for (const id of [streamWorkflowId(config), replayWorkflowId(config)])
      await terminateIfRunning(client, id, 'salesflow reset');
    // The ledger it purges is emptied below; `stream start` writes the schedule again.
    await deleteRetentionSchedule(client, config);
  });
  const kafka = createKafka(config);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(kafka, config);
    for (const topic of [config.ordersTopic, config.dlqTopic]) {
      const offsets = await admin.fetchTopicOffsets(topic);
      await admin.deleteTopicRecords({
        topic,
        partitions: offsets.map((o) => ({ partition: o.partition, offset: '-1' })),
      });
    }
  } finally {
    await admin.disconnect();
  }
  const pool = createPool(config, { connectionLimit: 1 });
  try {
    await resetPipelineTables(pool);
  } finally {
    await pool.end();
  }
  const cassandra = await connectCassandra(config);
  try {
    await truncateRawOrders(cassandra, config.cassandraKeyspace);
  } finally {
    await cassandra.shutdown();
  }
}
