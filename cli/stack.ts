/** `salesflow stack up|down|status|logs` and `salesflow migrate`. */
import * as fs from 'node:fs';
import { asksHelp, parse } from '../src/args';
import { loadConfig } from '../src/config';
import { EXIT, NotFoundError, UsageError } from '../src/errors';
import { migrateCassandra } from '../src/io/cassandra';
import { migrateMysql } from '../src/io/mysql';
import { printTable } from '../src/terminal';
import { StackManager } from '../tools/stack/manager';
import type { ServiceName } from '../tools/stack/service';

const SERVICES: ServiceName[] = ['temporal', 'kafka', 'mysql', 'cassandra'];

export const STACK_HELP = `Usage: salesflow stack <up|down|status|logs> [service...] [options]

  up [service...]        install (cached), start and health-check the services; runs the migration
  down [service...]      stop what 'up' started in this clone (nothing else)
  status [--json]        table of service, address, pid, up/down, version
  logs <service> [-n N]  print the last N lines (default 100) of a service's log

Services: ${SERVICES.join(', ')}. A service whose env var points at a server that answers is used as is.`;

function services(positionals: string[]): ServiceName[] | undefined {
  for (const p of positionals) {
    if (!SERVICES.includes(p as ServiceName))
      throw new UsageError(`unknown service '${p}' (expected ${SERVICES.join(', ')})`);
  }
  return positionals.length ? (positionals as ServiceName[]) : undefined;
}

export async function runStack(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const p = parse(rest, { json: { type: 'boolean' }, lines: { type: 'string', short: 'n' } }, true);
  if (!sub || p.help || asksHelp(sub)) {
    console.log(STACK_HELP);
    return sub ? EXIT.ok : EXIT.usage;
  }
  const config = loadConfig();
  const manager = new StackManager(config);
  switch (sub) {
    case 'up': {
      const started = Date.now();
      // A service that does not come up is a StackError, exit 5.
      const statuses = await manager.up(services(p.positionals));
      await migrate(statuses.map((s) => s.name));
      console.error(
        `stack up: ${statuses.length} services healthy in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      return EXIT.ok;
    }
    case 'down': {
      const stopped = await manager.down(services(p.positionals));
      console.error(
        stopped.length ? `stack down: stopped ${stopped.join(', ')}` : 'stack down: nothing to stop',
      );
      return EXIT.ok;
    }
    case 'status': {
      const statuses = await manager.status();
      if (p.values.json) console.log(JSON.stringify(statuses, null, 2));
      else
        printTable(
          ['service', 'address', 'pid', 'state', 'version'],
          statuses.map((s) => [
            s.name,
            s.address,
            s.managed ? String(s.pid) : s.up ? 'external' : '-',
            s.up ? 'up' : 'down',
            s.version ?? '-',
          ]),
        );
      return statuses.every((s) => s.up) ? EXIT.ok : EXIT.unreachable;
    }
    case 'logs': {
      const [name] = services(p.positionals) ?? [];
      if (!name) throw new UsageError('stack logs needs a service name');
      const file = manager.logFile(name);
      if (!fs.existsSync(file)) throw new NotFoundError(`no log for ${name} at ${file}`);
      const n = Number(p.values.lines ?? 100);
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      console.log(lines.slice(-n - 1).join('\n'));
      return EXIT.ok;
    }
    default:
      throw new UsageError(`unknown stack command '${sub}' (expected up, down, status or logs; see --help)`);
  }
}

/** Runs the idempotent schema migration for MySQL and Cassandra. */
export async function migrate(only: ServiceName[] = ['mysql', 'cassandra']): Promise<void> {
  const config = loadConfig();
  const log = (m: string) => console.error(m);
  if (only.includes('mysql')) await migrateMysql(config, log);
  if (only.includes('cassandra')) await migrateCassandra(config);
}

export async function runMigrate(args: string[]): Promise<number> {
  const p = parse(args, {});
  if (p.help) {
    console.log(
      'Usage: salesflow migrate\n\nCreates or updates the MySQL database and the Cassandra keyspace (idempotent).',
    );
    return EXIT.ok;
  }
  await migrate();
  console.error('migrate: MySQL and Cassandra schemas are up to date');
  return EXIT.ok;
}
