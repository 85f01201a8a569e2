/**
 * `salesflow <command>`: the contract scripts and tests rely on. Every command has --help; failures print one
 * line on stderr and exit with a code from ./errors (0 ok, 2 usage, 3 not found, 4 already running, 5 unreachable).
 */
import { redactSecrets } from '../src/config';
import { EXIT, SalesflowError } from '../src/errors';

type Command = { summary: string; run: (args: string[]) => Promise<number> };

const lazy =
  <M>(load: () => Promise<M>, pick: (m: M) => (args: string[]) => Promise<number>) =>
  (args: string[]) =>
    load().then((m) => pick(m)(args));

const COMMANDS: Record<string, Command> = {
  demo: {
    summary: 'the main job: stack up, worker, stream, replay, wait until counted, totals (npm start)',
    run: lazy(
      () => import('./demo'),
      (m) => m.runDemo,
    ),
  },
  stack: {
    summary: 'up|down|status|logs: the local Temporal, Kafka, MySQL and Cassandra',
    run: lazy(
      () => import('./stack'),
      (m) => m.runStack,
    ),
  },
  migrate: {
    summary: 'create or update the MySQL and Cassandra schemas',
    run: lazy(
      () => import('./stack'),
      (m) => m.runMigrate,
    ),
  },
  worker: {
    summary: 'run the Temporal worker (workflows and activities)',
    run: lazy(
      () => import('./stream'),
      (m) => m.runWorker,
    ),
  },
  stream: {
    summary: 'start|stop|pause|resume|status of the long-running salesStream workflow',
    run: lazy(
      () => import('./stream'),
      (m) => m.runStream,
    ),
  },
  replay: {
    summary: 'publish a CSV of orders into Kafka (--rate N | --speedup N | --max) [--wait]',
    run: lazy(
      () => import('./replay'),
      (m) => m.runReplay,
    ),
  },
  customers: {
    summary: 'load [--file]: upsert the customers CSV into MySQL',
    run: lazy(
      () => import('./data'),
      (m) => m.runCustomers,
    ),
  },
  totals: {
    summary: 'running totals per (source, state) [--json]',
    run: lazy(
      () => import('./data'),
      (m) => m.runTotals,
    ),
  },
  reset: {
    summary: 'empty the topic, tables and stream state [--yes]',
    run: lazy(
      () => import('./data'),
      (m) => m.runReset,
    ),
  },
  backfill: {
    summary: 'recompute sales_daily for a date range; --reconcile the running totals',
    run: lazy(
      () => import('./backfill'),
      (m) => m.runBackfill,
    ),
  },
  dashboard: {
    summary: 'the live sales dashboard and its JSON API (127.0.0.1:3000)',
    run: lazy(
      () => import('./dashboard'),
      (m) => m.runDashboard,
    ),
  },
  superset: {
    summary: 'Apache Superset with the "Online sales" dashboard on our MySQL (127.0.0.1:8088); --export DIR',
    run: lazy(
      () => import('./superset'),
      (m) => m.runSuperset,
    ),
  },
  bench: {
    summary: 'measure latency, end-to-end orders/s and worker memory on the running stack',
    run: lazy(
      () => import('../tools/bench/bench'),
      (m) => m.runBench,
    ),
  },
  generate: {
    summary: 'write a deterministic customers/orders/products data set',
    run: lazy(
      () => import('./generate'),
      (m) => m.runGenerate,
    ),
  },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'Usage: salesflow <command> [options]   (salesflow <command> --help for details)',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Exit codes: 0 ok, 1 failure, 2 usage, 3 not found, 4 already running, 5 service unreachable.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    process.exitCode = name ? EXIT.ok : EXIT.usage;
    return;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`salesflow: unknown command '${name}' (salesflow --help lists the commands)`);
    process.exitCode = EXIT.usage;
    return;
  }
  try {
    process.exitCode = await command.run(args);
  } catch (e) {
    // Every failure worth a reason is a SalesflowError: drivers' errors are wrapped where they enter (a connection
    // failure names the service and its variable), Temporal's where the CLI waits. One line, for scripts: the
    // first line of the reason (SALESFLOW_DEBUG=1 prints the stack too); no configured password is ever printed.
    process.exitCode = e instanceof SalesflowError ? e.exitCode : EXIT.failure;
    console.error(redactSecrets(`salesflow ${name}: ${String((e as Error)?.message ?? e).split('\n')[0]}`));
    // Read here, not through loadConfig: the config itself may be what failed.
    if (process.env.SALESFLOW_DEBUG) console.error(redactSecrets(stacks(e)));
  }
}

/** The stack of the error and of each cause under it: a wrapped driver error's own stack says where it arose. */
function stacks(e: unknown): string {
  const out: string[] = [];
  let cur = e as { cause?: unknown } | undefined;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 8; depth++, cur = cur.cause as typeof cur)
    out.push(String((cur as Error).stack ?? cur));
  return out.join('\ncaused by: ');
}
