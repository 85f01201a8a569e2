/** `salesflow totals`, `salesflow customers load`, `salesflow reset`: the data commands. */
import * as path from 'node:path';
import * as readline from 'node:readline/promises';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Kafka, logLevel } from 'kafkajs';
import { type Config, loadConfig } from '../config';
import type { SalesRow } from '../core/aggregate';
import { CsvFormatError, readCustomersCsv } from '../core/csv';
import type { Customer } from '../core/types';
import { replayWorkflowId, streamWorkflowId } from '../ids';
import { connectCassandra, truncateRawOrders } from '../io/cassandra';
import { createKafka, ensureTopics } from '../io/kafka';
import { createPool, mysqlTarget } from '../io/mysql';
import { kafkaSecurityOptions } from '../io/security';
import { upsertCustomers } from '../io/store/customers';
import { resetPipelineTables } from '../io/store/stream';
import { readTotals } from '../io/store/totals';
import { asksHelp, parse } from './args';
import { CliError, EXIT, unreachable, usageError } from './errors';
import { money, printTable } from './output';
import { withClient } from './temporal';

export async function queryTotals(config: Config): Promise<SalesRow[]> {
  const pool = createPool(config, { connectionLimit: 1 });
  try {
    return await readTotals(pool);
  } finally {
    await pool.end();
  }
}

export function printTotals(rows: SalesRow[]): void {
  const sorted = [...rows].sort((a, b) => a.source.localeCompare(b.source) || b.amount - a.amount);
  printTable(
    ['source', 'state', 'orders', 'amount'],
    sorted.map((r) => [r.source, r.state, String(r.orders), money(r.amount)]),
  );
  const orders = rows.reduce((n, r) => n + r.orders, 0);
  const amount = rows.reduce((n, r) => n + r.amount, 0);
  console.log(`\n${orders} orders, ${money(amount)} across ${rows.length} (source, state) pairs`);
}

export async function runTotals(args: string[]): Promise<number> {
  const p = parse(args, { json: { type: 'boolean' } });
  if (p.help) {
    console.log(
      'Usage: salesflow totals [--json]\n\nRunning totals per (source, state) from MySQL. --json prints an array of\n' +
        '{source, state, orders, amount} (plus subtotal, tax, discount, quantity).',
    );
    return EXIT.ok;
  }
  const rows = await queryTotals(loadConfig());
  if (p.values.json) console.log(JSON.stringify(rows));
  else printTotals(rows);
  return EXIT.ok;
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
    if (e instanceof CsvFormatError) throw new CliError(e.message);
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw usageError(`customers file not found: ${file}`);
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

export async function runCustomers(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const p = parse(rest, {
    file: { type: 'string', short: 'f' },
    json: { type: 'boolean' },
    'skip-bad': { type: 'boolean' },
  });
  if (sub !== 'load' || p.help) {
    console.log(
      'Usage: salesflow customers load [--file data/customers.csv] [--skip-bad] [--json]\n\n' +
        'Upserts the customers CSV (the seed format) into MySQL, all or nothing: every row is checked first (column\n' +
        'widths, ID 1..2147483647, coordinates, Source and State from the known lists), then all rows load in one\n' +
        'transaction. Any bad row loads nothing; each is listed with its file line (exit 1). --skip-bad loads the\n' +
        'good rows and still lists the bad ones (exit 1). Passwords in the file are not stored. Running workers\n' +
        'pick the change up at their next window.',
    );
    return sub === 'load' || asksHelp(sub) ? EXIT.ok : EXIT.usage;
  }
  const file = path.resolve(String(p.values.file ?? 'data/customers.csv'));
  const skipBad = Boolean(p.values['skip-bad']);
  const { rows, loaded, bad } = await loadCustomers(loadConfig(), file, { skipBad });
  if (p.values.json) console.log(JSON.stringify({ file, rows, loaded, bad }));
  else console.error(`customers: ${loaded} of ${rows} rows loaded from ${file}`);
  for (const b of bad) console.error(`customers: bad row at ${b}`);
  if (bad.length)
    throw new CliError(
      skipBad
        ? `${bad.length} bad rows in ${file} skipped, ${loaded} loaded`
        : `${bad.length} bad rows in ${file}: nothing loaded (--skip-bad loads the good rows)`,
    );
  return EXIT.ok;
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
        const admin = new Kafka({
          clientId: 'salesflow-reset-check',
          brokers: config.kafkaBrokers,
          logLevel: logLevel.NOTHING,
          connectionTimeout: 3000,
          requestTimeout: 10_000,
          retry: { retries: 1 },
          ...kafkaSecurityOptions(config),
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
    throw unreachable(
      `${dead.map((d) => `${d.service} at ${d.address} did not answer (${d.reason})`).join('; ')}: nothing was reset`,
    );
  }
  await withClient(config, async (client) => {
    for (const id of [streamWorkflowId(config), replayWorkflowId(config)]) {
      try {
        await client.workflow.getHandle(id).terminate('salesflow reset');
      } catch (e) {
        if (!(e instanceof WorkflowNotFoundError) && !/not found|already completed/i.test(String(e))) throw e;
      }
    }
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

export async function runReset(args: string[]): Promise<number> {
  const p = parse(args, { yes: { type: 'boolean', short: 'y' } });
  if (p.help) {
    console.log(
      'Usage: salesflow reset [--yes]\n\nTerminates the stream and replay workflows, empties the orders and DLQ\n' +
        'topics, the pipeline tables in MySQL (customers stay) and the raw orders in Cassandra.\n' +
        'Asks for confirmation unless --yes. Every store (Temporal, Kafka, MySQL, Cassandra) must answer first:\n' +
        'if one does not, nothing is changed and the exit code is 5.',
    );
    return EXIT.ok;
  }
  const config = loadConfig();
  if (!p.values.yes) {
    if (!process.stdin.isTTY) throw usageError('reset needs --yes when not run interactively');
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(
      `This empties topic ${config.ordersTopic}, the MySQL tables in ${config.mysqlDatabase} and the raw orders. Type 'yes': `,
    );
    rl.close();
    if (answer.trim().toLowerCase() !== 'yes') {
      console.error('reset: cancelled');
      return EXIT.failure;
    }
  }
  await resetAll(config);
  console.error('reset: topic, tables and stream state emptied');
  return EXIT.ok;
}
