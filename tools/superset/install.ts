/**
 * Apache Superset in a virtual environment under the cache, installed from PyPI on first use. The version is
 * pinned, and so is every dependency (superset/constraints.txt, a `pip freeze` of a working install), so a fresh
 * machine resolves exactly what was tested; the folder name carries a hash of the constraints, so changing the
 * pins installs anew beside the old one instead of patching it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Config, REPO_ROOT } from '../../src/config';
import { alive, run, sleep } from '../stack/proc';

export const SUPERSET_VERSION = '6.1.0';
/** Pure Python: no compiler or MySQL client headers needed, unlike mysqlclient. */
export const MYSQL_DRIVER = 'pymysql==1.1.1';
/**
 * Modules Superset 6.1 imports without declaring them, so only a dependency's dependency brought them where it
 * was tested: cachetools (its AWS IAM engine spec, loaded with every engine spec: an asset import fails
 * without it; google-auth no longer requires it) and rich (its CLI; Flask-Limiter 4 no longer requires it).
 * Asked for by name, pinned by the constraints like everything else.
 */
const UNDECLARED = ['cachetools', 'rich'];
export const ASSETS_DIR = path.join(REPO_ROOT, 'superset', 'assets');
const CONSTRAINTS = path.join(REPO_ROOT, 'superset', 'constraints.txt');
/** Written last: a venv without it is a half-finished install (interrupted, failed) and is redone. */
const COMPLETE = '.salesflow-complete';

export interface Venv {
  dir: string;
  python: string;
  superset: string;
  gunicorn: string;
}

export function venvDir(config: Config): string {
  const pins = createHash('sha256').update(fs.readFileSync(CONSTRAINTS)).digest('hex').slice(0, 8);
  return path.join(config.cacheDir, `superset-${SUPERSET_VERSION}-${pins}`);
}

const venvOf = (dir: string): Venv => ({
  dir,
  python: path.join(dir, 'bin', 'python'),
  superset: path.join(dir, 'bin', 'superset'),
  gunicorn: path.join(dir, 'bin', 'gunicorn'),
});

export function installedVenv(config: Config): Venv | undefined {
  const dir = venvDir(config);
  return fs.existsSync(path.join(dir, COMPLETE)) ? venvOf(dir) : undefined;
}

/**
 * Superset 6.1 supports Python 3.10 to 3.12 (its pandas 2.1 has no wheels for newer ones); our constraints need
 * 3.11 or newer (cachetools, Markdown, WTForms and a dozen more of the pinned versions dropped 3.10). 3.11 first:
 * the constraints were frozen on it.
 */
const PYTHONS = ['3.11', '3.12'];

async function findPython(): Promise<string> {
  const tried: string[] = [];
  for (const candidate of [...PYTHONS.map((v) => `python${v}`), 'python3']) {
    const r = await run(candidate, ['-c', 'import sys, venv; print("%d.%d" % sys.version_info[:2])']).catch(
      () => undefined,
    );
    const version = r?.code === 0 ? r.stdout.trim() : undefined;
    if (version && PYTHONS.includes(version)) return candidate;
    if (version) tried.push(`${candidate} is ${version}`);
  }
  throw new Error(
    `Superset ${SUPERSET_VERSION} needs Python 3.11 or 3.12 with the venv module (apt-get install python3-venv); found ${tried.join(', ') || 'no python3'}`,
  );
}

/** The venv, installing it first when missing (about 2 minutes and 0.8 GB). Progress goes to `log`. */
export async function ensureVenv(config: Config, log: (line: string) => void): Promise<Venv> {
  const ready = installedVenv(config);
  if (ready) return ready;
  const dir = venvDir(config);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  // One installer at a time per cache (two first runs at once would pip into the same folder); the lock names
  // its holder, so one left by a killed run is taken over.
  const lock = `${dir}.lock`;
  for (let waited = false; ; ) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(fs.readFileSync(lock, 'utf8'));
      if (!holder || !alive(holder)) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (!waited) log(`superset: another run (pid ${holder}) is installing Superset; waiting for it`);
      waited = true;
      await sleep(2000);
    }
  }
  try {
    return installedVenv(config) ?? (await install(dir, log));
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

async function install(dir: string, log: (line: string) => void): Promise<Venv> {
  const python = await findPython();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const logFile = `${dir}.install.log`;
  log(
    `superset: installing Apache Superset ${SUPERSET_VERSION} into ${dir} (first run only, ~2.5 minutes; log: ${logFile})`,
  );
  const started = Date.now();
  const out = fs.openSync(logFile, 'w');
  const step = async (command: string, args: string[]) => {
    fs.writeSync(out, `$ ${command} ${args.join(' ')}\n`);
    const r = await run(command, args, {
      env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' },
      onLine: (line) => fs.writeSync(out, `${line}\n`),
    });
    if (r.code !== 0) {
      const lines = (r.stderr || r.stdout).trim().split('\n');
      const reason = lines.filter((l) => /error/i.test(l)).pop() ?? lines.pop() ?? `exit ${r.code}`;
      throw new Error(
        `installing Superset failed (${path.basename(command)} exited ${r.code}): ${reason.trim()} — see ${logFile}`,
      );
    }
  };
  try {
    await step(python, ['-m', 'venv', dir]);
    const v = venvOf(dir);
    await step(v.python, [
      '-m',
      'pip',
      'install',
      '-c',
      CONSTRAINTS,
      `apache-superset==${SUPERSET_VERSION}`,
      MYSQL_DRIVER,
      ...UNDECLARED,
    ]);
  } finally {
    fs.closeSync(out);
  }
  fs.writeFileSync(path.join(dir, COMPLETE), `${new Date().toISOString()}\n`);
  log(`superset: installed in ${Math.round((Date.now() - started) / 1000)} s`);
  return venvOf(dir);
}
