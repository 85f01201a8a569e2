/**
 * An isolated pipeline on the shared local stack: its own topic, MySQL database, Cassandra keyspace, task queue
 * and consumer name, created here and dropped by `cleanup`. Tests and the benchmark run in one, so they never
 * touch the default data (or each other).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Config, loadConfig } from '../../src/config';
import { connectCassandra, migrateCassandra } from '../../src/io/cassandra';
import { createKafka } from '../../src/io/kafka';
import { connectMysql, migrateMysql } from '../../src/io/mysql';
import { revokeReadonly, stackAdminConnection } from '../../src/io/mysql-grants';
import { deleteRetentionSchedule } from './retention';
import { withClient } from './temporal';

export interface IsolatedEnv {
  config: Config;
  /** The environment variables that select this pipeline (pass them to child processes). */
  env: Record<string, string>;
  tmpDir: string;
  cleanup(): Promise<void>;
}

export async function createIsolatedEnv(
  prefix: string,
  extra: Record<string, string> = {},
): Promise<IsolatedEnv> {
  const id = `${prefix}_${randomBytes(4).toString('hex')}`;
  // `<database>_<id>`: the pipeline's account may create and drop exactly the databases named `<database>_…`
  // (src/io/mysql-grants.ts), so isolated pipelines work without broader grants.
  const base = loadConfig();
  const url = new URL(base.mysqlUrl);
  url.pathname = `/${base.mysqlDatabase}_${id}`;
  const env: Record<string, string> = {
    ORDERS_TOPIC: `${id}.orders`,
    MYSQL_URL: url.toString(),
    CASSANDRA_KEYSPACE: id,
    TASK_QUEUE: `${id}-tq`,
    CONSUMER_NAME: id,
    ...extra,
  };
  const config = loadConfig({ ...process.env, ...env });
  await migrateMysql(config);
  await migrateCassandra(config);
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), `${id}-`));
  return { config, env, tmpDir, cleanup: () => dropIsolated(config, tmpDir) };
}

async function dropIsolated(config: Config, tmpDir: string): Promise<void> {
  fs.rmSync(tmpDir, { recursive: true, force: true });
  // First: a schedule left behind would start purges for ever on a task queue nobody polls.
  await withClient(config, (client) => deleteRetentionSchedule(client, config));
  const conn = await connectMysql(config);
  await conn.query(`DROP DATABASE IF EXISTS \`${config.mysqlDatabase}\``);
  await conn.end();
  // Table grants outlive DROP DATABASE: take the read-only user's back so they do not pile up.
  const root = await stackAdminConnection(config);
  if (root) await revokeReadonly(root, config).finally(() => root.end());
  const cassandra = await connectCassandra(config, { keyspace: false });
  await cassandra.execute(`DROP KEYSPACE IF EXISTS ${config.cassandraKeyspace}`);
  await cassandra.shutdown();
  const admin = createKafka(config).admin();
  await admin.connect();
  try {
    const topics = await admin.listTopics();
    const ours = [config.ordersTopic, config.dlqTopic].filter((t) => topics.includes(t));
    if (ours.length) await admin.deleteTopics({ topics: ours }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}
