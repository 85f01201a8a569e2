/** `salesflow dashboard`: serve the live dashboard until SIGINT/SIGTERM. */

import { numberFlag, parse } from '../src/args';
import { loadConfig } from '../src/config';
import { EXIT, SalesflowError, UsageError } from '../src/errors';
import { checkReadonlyAccount } from '../src/io/preflight';

export const DASHBOARD_HELP = `Usage: salesflow dashboard [--port 3000] [--host 127.0.0.1]

Serves the live sales dashboard and its JSON API, reading MySQL as the read-only user (MYSQL_READONLY_USER):
  GET /api/sales/by-state?source=Facebook   per state, amount descending
  GET /api/sales/totals                     per (source, state), with grand totals per source
  GET /api/windows?limit=120                the stream's recent windows, oldest first
  GET /api/daily?from=D&to=D&by=day         daily history from sales_daily (by day, week or month)
  GET /api/health                           orders counted, last window, lag, throughput, DLQ, stream status
  GET /api/events                           server-sent events: 'update' when a window or backfill commits
Runs until Ctrl-C (SIGINT) or SIGTERM. Exit codes: 2 bad flags, 5 MySQL unreachable or the read-only login
rejected, 1 port in use.

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
  if (port > 65535) throw new UsageError(`--port expects a port from 0 to 65535, got ${port}`);
  const host = String(p.values.host ?? '127.0.0.1');
  // Fails fast when MySQL is down or the read-only user cannot read (exit 5 or 1), instead of serving errors.
  await checkReadonlyAccount(config);
  const { startDashboard } = await import('../app/dashboard/server');
  let dashboard: Awaited<ReturnType<typeof startDashboard>>;
  try {
    dashboard = await startDashboard(config, { port, host });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new SalesflowError(
        `${host}:${port} is already in use (another dashboard?): try --port ${port + 1}`,
      );
    throw new SalesflowError(`cannot listen on ${host}:${port}: ${(e as Error).message}`);
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
