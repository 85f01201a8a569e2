/**
 * Isolation for integration tests on the one real stack: each test file gets its own topic, MySQL database,
 * Cassandra keyspace, task queue and consumer name, created here and dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as mysql from 'mysql2/promise';
import { type Config, loadConfig } from '../../src/config';
import { connectCassandra, migrateCassandra } from '../../src/io/cassandra';
import { createKafka } from '../../src/io/kafka';
import { migrateMysql, mysqlTarget } from '../../src/io/mysql';

export interface TestEnv {
  config: Config;
  env: Record<string, string>;
  tmpDir: string;
  cleanup(): Promise<void>;
}

export async function createTestEnv(prefix: string, extra: Record<string, string> = {}): Promise<TestEnv> {
  const id = `${prefix}_${randomBytes(4).toString('hex')}`;
  const base = loadConfig();
  const url = new URL(base.mysqlUrl);
  url.pathname = `/${id}`;
  const env: Record<string, string> = {
    ORDERS_TOPIC: `${id}.orders`,
    MYSQL_URL: url.toString(),
    CASSANDRA_KEYSPACE: id,
    TASK_QUEUE: `${id}-tq`,
    CONSUMER_NAME: id,
    WINDOW_SECONDS: '2',
    ...extra,
  };
  const config = loadConfig({ ...process.env, ...env });
  await migrateMysql(config);
  await migrateCassandra(config);
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), `${id}-`));
  return {
    config,
    env,
    tmpDir,
    async cleanup() {
      fs.rmSync(tmpDir, { recursive: true, force: true });
      const t = mysqlTarget(config);
      const conn = await mysql.createConnection({
        host: t.host,
        port: t.port,
        user: t.user,
        password: t.password,
      });
      await conn.query(`DROP DATABASE IF EXISTS \`${t.database}\``);
      await conn.end();
      const cassandra = await connectCassandra(config, { keyspace: false });
      await cassandra.execute(`DROP KEYSPACE IF EXISTS ${config.cassandraKeyspace}`);
      await cassandra.shutdown();
      const admin = createKafka(config).admin();
      await admin.connect();
      const topics = await admin.listTopics();
      await admin
        .deleteTopics({ topics: [config.ordersTopic, config.dlqTopic].filter((t) => topics.includes(t)) })
        .catch(() => undefined);
      await admin.disconnect();
    },
  };
}

/** The first `n` data rows of a CSV (header kept), written to `dest`. */
export function headCsv(src: string, dest: string, n: number): string {
  const lines = fs.readFileSync(src, 'utf8').split('\n');
  fs.writeFileSync(dest, `${lines.slice(0, n + 1).join('\n')}\n`);
  return dest;
}
