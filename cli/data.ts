/** `salesflow totals`, `salesflow customers load`, `salesflow reset`: the data commands. */
import * as path from 'node:path';
import * as readline from 'node:readline/promises';
import { loadCustomers, readRunningTotals, resetAll } from '../app/ops/data';
import { asksHelp, parse } from '../src/args';
import { loadConfig } from '../src/config';
import type { SalesRow } from '../src/core/aggregate';
import { EXIT, SalesflowError, UsageError } from '../src/errors';
import { money, printTable } from '../src/terminal';

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
  const rows = await readRunningTotals(loadConfig());
  if (p.values.json) console.log(JSON.stringify(rows));
  else printTotals(rows);
  return EXIT.ok;
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
    throw new SalesflowError(
      skipBad
        ? `${bad.length} bad rows in ${file} skipped, ${loaded} loaded`
        : `${bad.length} bad rows in ${file}: nothing loaded (--skip-bad loads the good rows)`,
    );
  return EXIT.ok;
}

export async function runReset(args: string[]): Promise<number> {
  const p = parse(args, { yes: { type: 'boolean', short: 'y' } });
  if (p.help) {
    console.log(
      'Usage: salesflow reset [--yes]\n\nTerminates the stream and replay workflows, deletes the retention schedule,\n' +
        'empties the orders and DLQ topics, the pipeline tables in MySQL (customers stay) and the raw orders in\n' +
        'Cassandra.\n' +
        'Asks for confirmation unless --yes. Every store (Temporal, Kafka, MySQL, Cassandra) must answer first:\n' +
        'if one does not, nothing is changed and the exit code is 5.',
    );
    return EXIT.ok;
  }
  const config = loadConfig();
  if (!p.values.yes) {
    if (!process.stdin.isTTY) throw new UsageError('reset needs --yes when not run interactively');
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
