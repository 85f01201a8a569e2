/** `salesflow totals`, `salesflow customers load`, `salesflow reset`: the data commands. */
import * as path from 'node:path';
import * as readline from 'node:readline/promises';
import { WorkflowNotFoundError } from '@temporalio/client';
import { type Config, loadConfig } from '../config';
import { readCustomersCsv } from '../core/csv';
import type { Customer } from '../core/types';
import { replayWorkflowId, streamWorkflowId } from '../ids';
import { connectCassandra, truncateRawOrders } from '../io/cassandra';
import { createKafka, ensureTopics } from '../io/kafka';
import { createPool } from '../io/mysql';
import { readTotals, resetPipelineTables, type TotalRow, upsertCustomers } from '../io/sales-store';
import { asksHelp, parse } from './args';
import { CliError, EXIT, usageError } from './errors';
import { money, printTable } from './output';
import { withClient } from './temporal';

export async function queryTotals(config: Config): Promise<TotalRow[]> {
  const pool = createPool(config, { connectionLimit: 1 });
  try {
    return await readTotals(pool);
  } finally {
    await pool.end();
  }
}

export function printTotals(rows: TotalRow[]): void {
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

/** Loads a customers CSV into MySQL; good rows load, bad rows are reported by line. */
export async function loadCustomers(
  config: Config,
  file: string,
): Promise<{ loaded: number; bad: string[] }> {
  const pool = createPool(config, { connectionLimit: 2 });
  const bad: string[] = [];
  let loaded = 0;
  let batch: Customer[] = [];
  try {
    for await (const item of readCustomersCsv(file)) {
      if (!item.ok) {
        bad.push(`line ${item.line}: ${item.reason}`);
        continue;
      }
      batch.push(item.customer);
      if (batch.length >= 2000) {
        await upsertCustomers(pool, batch);
        loaded += batch.length;
        batch = [];
      }
    }
    await upsertCustomers(pool, batch);
    loaded += batch.length;
  } finally {
    await pool.end();
  }
  return { loaded, bad };
}

export async function runCustomers(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const p = parse(rest, { file: { type: 'string', short: 'f' }, json: { type: 'boolean' } });
  if (sub !== 'load' || p.help) {
    console.log(
      'Usage: salesflow customers load [--file data/customers.csv] [--json]\n\n' +
        'Upserts the customers CSV (the seed format) into MySQL; running workers pick the change up at their next\n' +
        'window. Bad rows are reported by line and the good ones still load (exit 1 if any row was bad).',
    );
    return sub === 'load' || asksHelp(sub) ? EXIT.ok : EXIT.usage;
  }
  const file = path.resolve(String(p.values.file ?? 'data/customers.csv'));
  const { loaded, bad } = await loadCustomers(loadConfig(), file);
  if (p.values.json) console.log(JSON.stringify({ file, loaded, bad }));
  else console.error(`customers: ${loaded} loaded from ${file}`);
  for (const b of bad) console.error(`customers: skipped ${b}`);
  if (bad.length) throw new CliError(`${bad.length} bad rows in ${file}`);
  return EXIT.ok;
}

/** Terminates the pipeline's workflows and empties the topic, the tables and Cassandra's raw orders. */
export async function resetAll(config: Config): Promise<void> {
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
        'Asks for confirmation unless --yes.',
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
