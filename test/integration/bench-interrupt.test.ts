/**
 * A bench stopped mid-run (SIGTERM, as Ctrl-C's SIGINT) cleans up after itself: its worker process stops, its
 * throw-away stream and replay workflows end, and its pipeline (topic, database, keyspace) is dropped. One
 * stopped mid-run used to leave `salesflow-stream-bench_…` running in the Temporal UI beside the real stream.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withClient } from '../../app/ops/temporal';
import { loadConfig, REPO_ROOT } from '../../src/config';
import { replayWorkflowId, streamWorkflowId } from '../../src/ids';
import { connectCassandra } from '../../src/io/cassandra';
import { createKafka } from '../../src/io/kafka';
import { connectMysql } from '../../src/io/mysql';
import { until } from '../helpers/until';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('bench stopped mid-run', () => {
  const base = loadConfig();
  let bench: ReturnType<typeof spawn> | undefined;
  afterAll(() => {
    if (bench?.exitCode === null) bench.kill('SIGKILL');
  });

  it('stops its worker, ends its workflows and drops its pipeline on SIGTERM', async () => {
    bench = spawn(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/salesflow.js'), 'bench', '--orders', '200000', '--runs', 'throughput'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    bench.stderr!.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((r) => bench!.once('exit', (code) => r(code)));
    // Mid-run: the worker polls and the replay has started publishing.
    await until(
      'the bench to replay through Temporal',
      async () => /replaying 200000 orders/.test(stderr),
      (yes) => yes,
      120_000,
    );
    bench.kill('SIGTERM');
    expect(await exited).toBe(143);

    const id = /cleaning up pipeline (bench_[0-9a-f]{8})/.exec(stderr)?.[1] as string;
    expect(id, stderr).toBeDefined();
    const workerPid = Number(/cleaning up consumer process (\d+)/.exec(stderr)?.[1]);
    expect(stderr).toMatch(/cleaning up consumer process \d+/);
    expect(alive(workerPid)).toBe(false);

    const config = loadConfig({ ...process.env, ORDERS_TOPIC: `${id}.orders`, CONSUMER_NAME: id });
    await withClient(base, async (client) => {
      for (const wf of [streamWorkflowId(config), replayWorkflowId(config)]) {
        // Terminated; or never started (the replay may not have begun when the signal came).
        const status = await client.workflow
          .getHandle(wf)
          .describe()
          .then((d) => d.status.name)
          .catch(() => 'NOT_FOUND');
        expect(status, wf).not.toBe('RUNNING');
      }
    });
    const mysql = await connectMysql(base);
    const [dbs] = await mysql.query('SHOW DATABASES LIKE ?', [`%${id}`]);
    await mysql.end();
    expect(dbs).toEqual([]);
    const cassandra = await connectCassandra(base, { keyspace: false });
    const ks = await cassandra.execute(
      'SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?',
      [id],
    );
    await cassandra.shutdown();
    expect(ks.rowLength).toBe(0);
    const admin = createKafka(base).admin();
    await admin.connect();
    const topics = await admin.listTopics().finally(() => admin.disconnect());
    expect(topics.filter((t) => t.startsWith(id))).toEqual([]);
  });
});
