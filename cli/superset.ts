/** `salesflow superset`: Apache Superset with our dashboard on our MySQL, in one command; `--export DIR` to save edits. */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { numberFlag, parse } from '../src/args';
import { type Config, loadConfig } from '../src/config';
import { EXIT, NotFoundError, SalesflowError, UnreachableError, UsageError } from '../src/errors';
import { checkReadonlyAccount } from '../src/io/preflight';
import { DASHBOARD_SLUG, exportAssets, importAssets, SupersetApi } from '../tools/superset/assets';
import { ASSETS_DIR, ensureVenv, SUPERSET_VERSION } from '../tools/superset/install';
import { ADMIN_USER, prepareState, startServer, stateOf } from '../tools/superset/server';

export const SUPERSET_HELP = `Usage: salesflow superset [--port 8088]
       salesflow superset --export DIR [--port 8088]

Serves Apache Superset ${SUPERSET_VERSION} on 127.0.0.1 with the dashboard "Online sales" (the seed's five
"Total Sales in different states with Source X" charts, sales by day, a source x state table, the total) on
our MySQL, read as MYSQL_READONLY_USER. First run: installs Superset from PyPI into a virtual environment
under SALESFLOW_CACHE (~2.5 minutes, ~0.8 GB), creates its metadata store in SALESFLOW_STATE/superset and an
admin user whose generated password is printed once (kept in SALESFLOW_STATE/superset/admin-password);
a metadata store an older Superset made there is migrated in place, once. Every start imports the assets
in superset/assets (re-import updates, never duplicates). Runs until Ctrl-C (SIGINT) or SIGTERM.

--export DIR writes the assets of the Superset running on --port back out as YAML (for review and commit;
DIR=superset/assets updates the repository's copy).

Exit codes: 2 bad flags, 3 nothing to export from, 5 MySQL unreachable or the read-only password rejected,
1 anything else (port in use, install failed).

Options:
  --port N       port (default 8088; 0 picks a free one)
  --export DIR   export the running Superset's assets into DIR and exit`;

/** The port, checked free now so a taken port is a clear message, not a gunicorn log line. 0 picks one. */
function claimPort(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new SalesflowError(
              `127.0.0.1:${port} is already in use (another Superset?): try --port ${port + 1}`,
            )
          : e,
      ),
    );
    server.listen(port, '127.0.0.1', () => {
      const picked = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(picked));
    });
  });
}

function adminPassword(config: Config): string {
  const file = stateOf(config).passwordFile;
  if (!fs.existsSync(file))
    throw new NotFoundError(
      `no Superset in ${path.dirname(file)}: run \`salesflow superset\` first (same SALESFLOW_STATE)`,
    );
  return fs.readFileSync(file, 'utf8').trim();
}

async function runExport(config: Config, port: number, dir: string): Promise<number> {
  const url = `http://127.0.0.1:${port}`;
  const password = adminPassword(config);
  const up = await fetch(`${url}/health`, { signal: AbortSignal.timeout(3000) })
    .then((r) => r.ok)
    .catch(() => false);
  if (!up)
    throw new UnreachableError(
      `no Superset answers on ${url}: start \`salesflow superset --port ${port}\` first, then export`,
    );
  const api = await SupersetApi.login(url, ADMIN_USER, password);
  fs.mkdirSync(dir, { recursive: true });
  const files = await exportAssets(api, dir);
  console.error(`superset: exported ${files.length} files to ${dir}`);
  return EXIT.ok;
}

export async function runSuperset(args: string[]): Promise<number> {
  const p = parse(args, { port: { type: 'string' }, export: { type: 'string' } });
  if (p.help) {
    console.log(SUPERSET_HELP);
    return EXIT.ok;
  }
  const port = numberFlag(p.values.port, 'port', { integer: true, min: 0 }) ?? 8088;
  if (port > 65535) throw new UsageError(`--port expects a port from 0 to 65535, got ${port}`);
  if (p.values.export === '') throw new UsageError('--export expects a folder');
  const config = loadConfig();
  if (typeof p.values.export === 'string') {
    if (port === 0) throw new UsageError('--export needs the --port of the running Superset');
    return runExport(config, port, path.resolve(p.values.export));
  }

  // Before any install or start: Superset could not read our tables anyway.
  await checkReadonlyAccount(config);
  const bound = await claimPort(port);
  const log = (line: string) => console.error(line);
  const started = Date.now();
  const venv = await ensureVenv(config, log);
  const { state, newPassword } = await prepareState(config, venv, log);
  // Shown once, as soon as it exists (a first run that fails later must not lose it); then only in the 0600 file.
  if (newPassword)
    console.error(`superset: admin password (shown once): ${newPassword} (kept in ${state.passwordFile})`);

  // From here on a signal must stop gunicorn (its own process group) rather than leave it behind.
  let signalled = false;
  let onSignal = () => {};
  const handler = () => {
    signalled = true;
    onSignal();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  try {
    const server = await startServer(venv, state, bound, () => signalled);
    const outcome = new Promise<'signal' | number | null>((resolve) => {
      onSignal = () => resolve('signal');
      if (signalled) resolve('signal');
      void server.exited.then(resolve);
    });
    try {
      if (!signalled) {
        const password = fs.readFileSync(state.passwordFile, 'utf8').trim();
        await importAssets(await SupersetApi.login(server.url, ADMIN_USER, password), ASSETS_DIR, config);
        announce(server.url, state.passwordFile, started);
      }
      const how = await outcome;
      if (how !== 'signal')
        throw new SalesflowError(`Superset exited by itself (code ${how}); see ${state.logFile}`);
    } finally {
      await server.stop();
    }
  } finally {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  }
  console.error('superset: stopped');
  return EXIT.ok;
}

function announce(url: string, passwordFile: string, started: number): void {
  const dashboard = `${url}/superset/dashboard/${DASHBOARD_SLUG}/`;
  console.log(dashboard);
  console.error(
    `superset: ready in ${((Date.now() - started) / 1000).toFixed(1)} s at ${dashboard} (Ctrl-C stops)`,
  );
  console.error(`superset: log in as ${ADMIN_USER}; the password is in ${passwordFile}`);
}
