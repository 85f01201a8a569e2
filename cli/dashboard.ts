/** `salesflow dashboard`: serve the live dashboard until SIGINT/SIGTERM. */

import { numberFlag, parse } from '../src/args';
import { type Config, loadConfig } from '../src/config';
import { CliError, EXIT, unreachable, usageError } from '../src/errors';
import { createPool } from '../src/io/mysql';
import { unreachableMessage } from '../src/io/reach';

/** Fails fast when MySQL is down (exit 5) or the read-only user is missing, instead of serving a page of errors. */
async function checkReadonlyUser(config: Config): Promise<void> {
  const pool = createPool(config, { readonly: true, connectionLimit: 1 });
  try {
    await pool.query('SELECT 1 FROM sales_totals LIMIT 1');
  } catch (e) {
    const err = e as { code?: string; message: string };
    if (err.code === 'ECONNREFUSED' || err.code === 'ETIMEDOUT' || err.code === 'ENOTFOUND')
      throw unreachable(unreachableMessage('mysql', config, e));
    throw new CliError(
      `MySQL as the read-only user ${config.mysqlReadonlyUser}: ${err.message} (npx salesflow migrate creates the user and tables)`,
    );
  } finally {
    await pool.end();
  }
}

export const DASHBOARD_HELP = `Usage: salesflow dashboard [--port 3000] [--host 127.0.0.1]

Serves the live sales dashboard and its JSON API, reading MySQL as the read-only user (MYSQL_READONLY_USER):
  GET /api/sales/by-state?source=Facebook   per state, amount descending
  GET /api/sales/totals                     per (source, state), with grand totals per source
  GET /api/windows?limit=120                the stream's recent windows, oldest first
  GET /api/daily?from=D&to=D&by=day         daily history from sales_daily (by day, week or month)
  GET /api/health                           orders counted, last window, lag, throughput, DLQ, stream status
  GET /api/events                           server-sent events: 'update' when a window or backfill commits
Runs until Ctrl-C (SIGINT) or SIGTERM. Exit codes: 2 bad flags, 5 MySQL unreachable, 1 port in use.

Options:
  --port N     port (default DASHBOARD_PORT, 3000; 0 picks a free one)
  --host H     address to bind (default 127.0.0.1)`;

export async function runDashboard(args: string[]): Promise<number> {
  const p = parse(args, { port: { type: 'string' }, host: { type: 'string' } });
  if (p.help) {
    console.log(DASHBOARD_HELP);
    return EXIT.ok;
  }
  const config = loadConfig();
  const port = numberFlag(p.values.port, 'port', { integer: true, min: 0 }) ?? config.dashboardPort;
  if (port > 65535) throw usageError(`--port expects a port from 0 to 65535, got ${port}`);
  const host = String(p.values.host ?? '127.0.0.1');
  await checkReadonlyUser(config);
  const { startDashboard } = await import('../app/dashboard/server');
  let dashboard: Awaited<ReturnType<typeof startDashboard>>;
  try {
    dashboard = await startDashboard(config, { port, host });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new CliError(`${host}:${port} is already in use (another dashboard?): try --port ${port + 1}`);
    throw new CliError(`cannot listen on ${host}:${port}: ${(e as Error).message}`);
  }
  console.log(dashboard.url);
  console.error(`dashboard: serving ${dashboard.url} (Ctrl-C stops)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await dashboard.close();
  console.error('dashboard: stopped');
  return EXIT.ok;
}
