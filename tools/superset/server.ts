/**
 * A Superset of our own: its metadata store (SQLite), secret key and admin password live in
 * <SALESFLOW_STATE>/superset, it is initialised once, and served by gunicorn on 127.0.0.1 until stopped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Config } from '../../src/config';
import { alive, run, sleep } from '../stack/proc';
import { SUPERSET_VERSION, type Venv } from './install';

export interface SupersetState {
  dir: string;
  configFile: string;
  passwordFile: string;
  logFile: string;
  pidFile: string;
}

export const ADMIN_USER = 'admin';

export function stateOf(config: Config): SupersetState {
  const dir = path.join(config.stateDir, 'superset');
  return {
    dir,
    configFile: path.join(dir, 'superset_config.py'),
    passwordFile: path.join(dir, 'admin-password'),
    logFile: path.join(dir, 'superset.log'),
    pidFile: path.join(dir, 'superset.pid'),
  };
}

/** A secret that only this user may read; made once, then reused. Returns it and whether it was just made. */
function secretFile(file: string, make: () => string): { value: string; created: boolean } {
  if (fs.existsSync(file)) return { value: fs.readFileSync(file, 'utf8').trim(), created: false };
  const value = make();
  fs.writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  return { value, created: true };
}

function writeSupersetConfig(s: SupersetState): void {
  // Regenerated every start, so a salesflow upgrade changes it; it holds no secret, only where the secrets are.
  const py = `# Written by \`salesflow superset\` on every start: edits are lost.
import copy
import os

import pymysql

# Superset's MySQL support imports MySQLdb (mysqlclient, a C build against MySQL's client headers) for its
# column type names; PyMySQL stands in for it, pure Python.
pymysql.install_as_MySQLdb()

_STATE = ${JSON.stringify(s.dir)}
with open(os.path.join(_STATE, "secret-key")) as _f:
    SECRET_KEY = _f.read().strip()
SQLALCHEMY_DATABASE_URI = "sqlite:///" + os.path.join(_STATE, "superset.db")
DATA_DIR = _STATE
# No usage pings to third parties (and no example data: nothing here runs 'superset load-examples'). The web UI
# on PyPI is built with Scarf's telemetry pixel in it (only a build-time SCARF_ANALYTICS=false leaves it out; no
# runtime setting does), so Superset's own content security policy, minus the pixel's host, makes the browser
# refuse to load it. This file runs at the end of superset.config, whose defaults are all set by then.
from superset.config import TALISMAN_CONFIG as _DEFAULT_TALISMAN

TALISMAN_CONFIG = copy.deepcopy(_DEFAULT_TALISMAN)
_CSP = TALISMAN_CONFIG["content_security_policy"]
for _directive, _sources in _CSP.items():
    if isinstance(_sources, list):
        _CSP[_directive] = [s for s in _sources if "scarf.sh" not in s]
# One process serves one analyst: in-memory rate limits are enough (and say so, instead of warning).
RATELIMIT_STORAGE_URI = "memory://"
# Live numbers: never serve a cached chart result (the dashboard refreshes every 15 s).
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
`;
  fs.writeFileSync(s.configFile, py, { mode: 0o600 });
}

export function supersetEnv(s: SupersetState): NodeJS.ProcessEnv {
  return {
    ...process.env,
    SUPERSET_CONFIG_PATH: s.configFile,
    SUPERSET_HOME: s.dir,
    FLASK_APP: 'superset',
    // Superset's Python must not pick up a user's PYTHONPATH or site packages.
    PYTHONNOUSERSITE: '1',
    PYTHONPATH: '',
  };
}

/**
 * First run: metadata schema, admin user, roles. Later runs skip it unless the pinned version changed (then
 * only the schema migration runs). Returns the admin password when it was generated now (to print once).
 */
export async function prepareState(
  config: Config,
  venv: Venv,
  log: (line: string) => void,
): Promise<{ state: SupersetState; newPassword?: string }> {
  const s = stateOf(config);
  fs.mkdirSync(s.dir, { recursive: true, mode: 0o700 });
  secretFile(path.join(s.dir, 'secret-key'), () => randomBytes(42).toString('base64'));
  writeSupersetConfig(s);
  const env = supersetEnv(s);
  const marker = path.join(s.dir, 'initialised');
  const done = fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8').trim() : '';
  const superset = async (args: string[], extraEnv: Record<string, string> = {}) => {
    const r = await run(venv.superset, args, { env: { ...env, ...extraEnv } });
    fs.appendFileSync(s.logFile, `$ superset ${args.join(' ')}\n${r.stdout}${r.stderr}`);
    if (r.code !== 0) {
      const last = (r.stderr || r.stdout).trim().split('\n').pop();
      throw new Error(`superset ${args.join(' ')} failed: ${last} (log: ${s.logFile})`);
    }
  };
  if (done !== SUPERSET_VERSION) {
    // A store an older Superset made (4.1.4 before salesflow moved to 6.1) is migrated in place, keeping the
    // admin, its password and whatever an analyst built; that Superset cannot open it afterwards.
    log(
      done
        ? `superset: upgrading its metadata store in ${s.dir} from Superset ${done} to ${SUPERSET_VERSION} (once, ~1.5 minutes)`
        : `superset: initialising its metadata store in ${s.dir} (first run only, ~1.5 minutes)`,
    );
    await superset(['db', 'upgrade']);
  }
  const password = secretFile(s.passwordFile, () => randomBytes(12).toString('base64url'));
  if (!done) {
    // The password through the environment (click reads FLASK_<COMMAND>_<OPTION>), not the command line that
    // any local user can read in the process list. An existing admin is left as it is (exit 0).
    await superset(
      [
        'fab',
        'create-admin',
        '--username',
        ADMIN_USER,
        '--firstname',
        'Sales',
        '--lastname',
        'Analyst',
        '--email',
        'admin@localhost',
      ],
      { FLASK_FAB_CREATE_ADMIN_PASSWORD: password.value },
    );
  }
  if (done !== SUPERSET_VERSION) {
    await superset(['init']);
    fs.writeFileSync(marker, `${SUPERSET_VERSION}\n`);
  }
  return { state: s, newPassword: password.created ? password.value : undefined };
}

export interface RunningSuperset {
  url: string;
  pid: number;
  /** Resolves when gunicorn has exited (by stop() or by itself), with its exit code. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * gunicorn with one worker and threads: Superset's own recommendation for a single user is the same, and two
 * worker processes would double the ~400 MB it takes on a 2-core machine. Its own process group, so stop()
 * ends the master and the workers together.
 */
export async function startServer(
  venv: Venv,
  s: SupersetState,
  port: number,
  cancelled: () => boolean = () => false,
): Promise<RunningSuperset> {
  const log = fs.openSync(s.logFile, 'a');
  const child: ChildProcess = spawn(
    venv.gunicorn,
    [
      '--bind',
      `127.0.0.1:${port}`,
      '--workers',
      '1',
      '--worker-class',
      'gthread',
      '--threads',
      '8',
      '--timeout',
      '120',
      '--limit-request-line',
      '0',
      '--limit-request-field_size',
      '0',
      'superset.app:create_app()',
    ],
    { env: supersetEnv(s), stdio: ['ignore', log, log], detached: true },
  );
  fs.closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${venv.gunicorn}`);
  fs.writeFileSync(s.pidFile, `${pid}\n`);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (alive(pid)) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {}
      const deadline = Date.now() + 15_000;
      while (alive(pid) && Date.now() < deadline) await sleep(200);
      if (alive(pid)) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {}
      }
    }
    await exited;
    fs.rmSync(s.pidFile, { force: true });
  };
  // Ready when /health answers; gunicorn dying first (a bad config, the port taken) fails at once.
  let gone: number | null | undefined;
  void exited.then((code) => {
    gone = code;
  });
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (gone !== undefined) {
      const tail = fs.readFileSync(s.logFile, 'utf8').trim().split('\n').slice(-1)[0];
      throw new Error(`Superset exited (code ${gone}) while starting: ${tail} (log: ${s.logFile})`);
    }
    const ok = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (cancelled()) break; // the caller stops it
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Superset did not answer on ${url}/health within 180 s (log: ${s.logFile})`);
    }
    await sleep(500);
  }
  return { url, pid, exited, stop };
}
