/** `salesflow dashboard`: serve the live dashboard until SIGINT/SIGTERM. */
import { loadConfig } from '../config';
import { numberFlag, parse } from './args';
import { EXIT, unreachable } from './errors';

export const DASHBOARD_HELP = `Usage: salesflow dashboard [--port 3000] [--host 127.0.0.1]

Serves the live sales dashboard and its JSON API (GET /api/sales/by-state?source=, /api/sales/totals,
/api/windows?limit=, /api/daily?from=&to=, /api/health, /api/events), reading MySQL as the read-only user.

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
  const { startDashboard } = await import('../dashboard/server');
  let dashboard: Awaited<ReturnType<typeof startDashboard>>;
  try {
    dashboard = await startDashboard(config, { port, host: String(p.values.host ?? '127.0.0.1') });
  } catch (e) {
    throw unreachable(`dashboard: cannot listen on port ${port}: ${(e as Error).message}`);
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
