/**
 * `salesflow stack` on real processes: `up` on a healthy stack starts nothing, `status --json` reports four
 * services, and a second, isolated stack (own state folder, ports the OS picks) goes up and comes down leaving no
 * process. A stack owns only what its state folder started and what listens on its ports: another state folder
 * pointed at the same ports uses the services as is and never adopts or stops them, even when its pid files name
 * their processes, and a server of anyone else's named by a pid file is never stopped either.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, REPO_ROOT } from '../../src/config';
import { connectCassandra } from '../../src/io/cassandra';
import { alive, portOpen } from '../../tools/stack/proc';
import { freePorts, isolatedStackEnv } from '../helpers/stack-ports';

interface Status {
  name: string;
  address: string;
  up: boolean;
  pid: number | null;
  managed: boolean;
  version: string | null;
}

function salesflow(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin/salesflow.js'), ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 600_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function status(env: Record<string, string> = {}): Status[] {
  return JSON.parse(salesflow(['stack', 'status', '--json'], env).stdout) as Status[];
}

/** The status once every service answers its probe (a probe may miss its 2-3 s deadline on a busy machine). */
function statusOnceUp(env: Record<string, string>): Status[] {
  let last = status(env);
  for (let i = 0; i < 10 && !last.every((s) => s.up); i++) last = status(env);
  return last;
}

/** PIDs of processes whose command line mentions `needle`. */
function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(needle) && alive(Number(entry))) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

describe('salesflow stack', () => {
  it('status --json shows the four services up, and up on a healthy stack starts nothing', () => {
    const before = status();
    expect(before.map((s) => s.name).sort()).toEqual(['cassandra', 'kafka', 'mysql', 'temporal']);
    for (const s of before) {
      expect(s.up, `${s.name} up`).toBe(true);
      expect(s.address).toMatch(/:\d+$/);
      expect(s.version).toBeTruthy();
    }
    const again = salesflow(['stack', 'up']);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/started|installing/);
    expect(status().map((s) => s.pid)).toEqual(before.map((s) => s.pid));
  });

  describe('an isolated stack on other ports', () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-stack-'));
    // The state folder is set from the start, so that `stack down` never reaches the shared stack's.
    const env: Record<string, string> = { SALESFLOW_STATE: stateDir };
    let ports: number[] = [];
    beforeAll(async () => {
      const picked = await isolatedStackEnv(stateDir);
      Object.assign(env, picked.env);
      ports = picked.ports;
    });

    afterAll(() => {
      salesflow(['stack', 'down'], env);
      fs.rmSync(stateDir, { recursive: true, force: true });
    });

    it('comes up healthy, a second up is a no-op, another state folder uses it as is, and down leaves no process behind', async () => {
      expect(status(env).every((s) => !s.up)).toBe(true);
      const up = salesflow(['stack', 'up'], env);
      expect(up.code, up.stderr).toBe(0);
      expect(up.stderr).toMatch(/stack up: 4 services healthy/);
      const running = status(env);
      for (const s of running) {
        expect(s.up, `${s.name} up`).toBe(true);
        expect(s.managed).toBe(true);
        expect(alive(s.pid!)).toBe(true);
      }
      expect(processesMentioning(stateDir).length).toBeGreaterThanOrEqual(4);

      const second = salesflow(['stack', 'up'], env);
      expect(second.code).toBe(0);
      expect(second.stderr).not.toMatch(/started/);
      expect(status(env).map((s) => s.pid)).toEqual(running.map((s) => s.pid));
      expectUsedAsIs(env, running);

      const down = salesflow(['stack', 'down'], env);
      expect(down.code).toBe(0);
      for (const s of running) expect(alive(s.pid!), `${s.name} pid ${s.pid}`).toBe(false);
      expect(processesMentioning(stateDir)).toEqual([]);
      for (const port of ports) expect(await portOpen('127.0.0.1', port), `port ${port}`).toBe(false);
      const after = salesflow(['stack', 'status', '--json'], env);
      expect(after.code).toBe(5);
      expect((JSON.parse(after.stdout) as Status[]).every((s) => !s.up && s.pid === null)).toBe(true);
      // The real stack was not touched: still up, and its Cassandra node never saw the other one as a peer.
      expect(status().every((s) => s.up)).toBe(true);
      const cassandra = await connectCassandra(loadConfig(), { keyspace: false });
      const peers = await cassandra.execute('SELECT peer FROM system.peers_v2');
      await cassandra.shutdown();
      expect(peers.rows).toEqual([]);
    }, 600_000);
  });

  it('a server that is not the stack’s, on its port and named by its pid file, is never stopped', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-foreign-'));
    const [port, uiPort] = await freePorts(2);
    const listener = await foreignListener(port);
    try {
      const env = {
        SALESFLOW_STATE: dir,
        TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
        TEMPORAL_UI_PORT: String(uiPort),
        STACK_TIMEOUT_SECONDS: '60',
      };
      fs.mkdirSync(path.join(dir, 'run'));
      fs.writeFileSync(path.join(dir, 'run', 'temporal.pid'), `${listener.pid}\n`);
      const temporal = status(env).find((s) => s.name === 'temporal')!;
      expect(temporal).toMatchObject({ up: false, managed: false, pid: null });

      const down = salesflow(['stack', 'down', 'temporal'], env);
      expect(down.stderr).toMatch(/nothing to stop/);
      expect(alive(listener.pid!)).toBe(true);
      // The stack's own Temporal cannot have the port: it exits, and the listener is still there, untouched.
      const up = salesflow(['stack', 'up', 'temporal'], env);
      expect(up.code, up.stderr).toBe(5);
      expect(up.stderr).toMatch(/temporal exited during start-up/);
      expect(alive(listener.pid!)).toBe(true);
      expect(await portOpen('127.0.0.1', port)).toBe(true);
    } finally {
      process.kill(-listener.pid!, 'SIGKILL');
      salesflow(['stack', 'down'], { SALESFLOW_STATE: dir });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

/** A plain TCP server in a process of its own (not started by any stack), listening on `port`. */
async function foreignListener(port: number) {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('net').createServer((s) => s.end()).listen(${port}, '127.0.0.1', () => console.log('up'))`,
    ],
    { cwd: os.tmpdir(), detached: true, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((resolve, reject) => {
    child.stdout.once('data', resolve);
    child.once('exit', () => reject(new Error(`the listener on ${port} exited`)));
  });
  return child;
}

/**
 * Another state folder pointed at a running stack's ports uses its services as is: it neither adopts (sets up)
 * nor stops them, even when its pid files name the stack's processes (copied, or pids taken over).
 */
function expectUsedAsIs(ownerEnv: Record<string, string>, running: Status[]) {
  const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-other-'));
  const other = { ...ownerEnv, SALESFLOW_STATE: otherDir };
  try {
    const up = salesflow(['stack', 'up'], other);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).not.toMatch(/started/);
    expect(up.stderr.match(/answers, not ours: used as is/g)).toHaveLength(4);
    for (const s of running) fs.writeFileSync(path.join(otherDir, 'run', `${s.name}.pid`), `${s.pid}\n`);
    for (const s of statusOnceUp(other))
      expect(s, s.name).toMatchObject({ up: true, managed: false, pid: null });
    const again = salesflow(['stack', 'up'], other);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr.match(/answers, not ours: used as is/g)).toHaveLength(4);
    const down = salesflow(['stack', 'down'], other);
    expect(down.stderr).toMatch(/nothing to stop/);
    for (const s of running) expect(alive(s.pid!), `${s.name} pid ${s.pid}`).toBe(true);
    for (const s of statusOnceUp(ownerEnv)) expect(s, s.name).toMatchObject({ up: true, managed: true });
  } finally {
    fs.rmSync(otherDir, { recursive: true, force: true });
  }
}
