/**
 * `salesflow stack` on real processes: `up` on a healthy stack starts nothing, `status --json` reports four
 * services, and a second, isolated stack (own state folder, other ports) goes up and comes down leaving no process.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, REPO_ROOT } from '../../src/config';
import { connectCassandra } from '../../src/io/cassandra';
import { alive, portOpen } from '../../tools/stack/proc';

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
    const env = {
      SALESFLOW_STATE: stateDir,
      TEMPORAL_ADDRESS: '127.0.0.1:17233',
      TEMPORAL_UI_PORT: '18299',
      KAFKA_BROKERS: '127.0.0.1:19092',
      MYSQL_URL: 'mysql://salesflow:salesflow@127.0.0.1:13306/sales_data',
      CASSANDRA_CONTACT_POINTS: '127.0.0.1:19042',
      CASSANDRA_STORAGE_PORT: '17000',
    };

    afterAll(() => {
      salesflow(['stack', 'down'], env);
      fs.rmSync(stateDir, { recursive: true, force: true });
    });

    it('comes up healthy, a second up is a no-op, and down leaves no process behind', async () => {
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

      const down = salesflow(['stack', 'down'], env);
      expect(down.code).toBe(0);
      for (const s of running) expect(alive(s.pid!), `${s.name} pid ${s.pid}`).toBe(false);
      expect(processesMentioning(stateDir)).toEqual([]);
      for (const port of [17233, 18299, 19092, 19093, 13306, 19042, 17000])
        expect(await portOpen('127.0.0.1', port), `port ${port}`).toBe(false);
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
});
