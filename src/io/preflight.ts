/**
 * Start-up checks: each service answers and lets us in, before a worker polls or a command starts work it could
 * not finish. Their failures are the family's (the io modules wrap them), one line naming every service that failed.
 */
import type { Config } from '../config';
import { EXIT, SalesflowError, type Service, UnreachableError } from '../errors';
import { connectCassandra } from './cassandra';
import { createKafka } from './kafka';
import { connectMysql, createPool } from './mysql';
import { SERVICE_INFO, serviceAddress } from './reach';

const unreachable = (e: unknown): e is SalesflowError =>
  e instanceof SalesflowError && e.exitCode === EXIT.unreachable;

async function checkKafka(config: Config): Promise<void> {
  // Few, short retries: a start-up check should answer in seconds, not ride out an outage.
  const kafka = createKafka(config, {
    clientId: 'salesflow-preflight',
    connectionTimeoutMs: 3000,
    requestTimeoutMs: 5000,
    retries: 1,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function checkMysql(config: Config): Promise<void> {
  const conn = await connectMysql(config, { database: true });
  try {
    await conn.query('SELECT 1');
  } finally {
    await conn.end().catch(() => undefined);
  }
}

async function checkCassandra(config: Config): Promise<void> {
  const client = await connectCassandra(config, { keyspace: false });
  await client.shutdown();
}

/** Checks the three data services at once; throws one error naming every one that failed. */
export async function checkDataServices(config: Config): Promise<void> {
  const checks: Array<[Service, (c: Config) => Promise<void>]> = [
    ['kafka', checkKafka],
    ['mysql', checkMysql],
    ['cassandra', checkCassandra],
  ];
  const results = await Promise.allSettled(checks.map(([, check]) => check(config)));
  const failures = results.flatMap((r, i) => {
    if (r.status === 'fulfilled') return [];
    if (unreachable(r.reason)) return [r.reason];
    // Another failure (a request the service refused): still this service's problem, said with its name.
    const service = checks[i][0];
    const { label, variable } = SERVICE_INFO[service];
    const where = `${label} at ${serviceAddress(service, config)} (${variable})`;
    const retriable = !(r.reason instanceof SalesflowError) || r.reason.retriable;
    return [
      new UnreachableError(`${where}: ${(r.reason as Error).message}`, {
        service,
        retriable,
        cause: r.reason,
      }),
    ];
  });
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1)
    throw new UnreachableError(failures.map((f) => f.message).join('; '), {
      retriable: failures.every((f) => f.retriable),
      cause: failures[0],
    });
}

/**
 * The dashboard's read-only account can read our tables: a service unreachable or the login refused is exit 5;
 * anything else (a table or grant missing) exit 1, saying what creates them.
 */
export async function checkReadonlyAccount(config: Config): Promise<void> {
  const pool = createPool(config, { readonly: true, connectionLimit: 1 });
  try {
    await pool.query('SELECT 1 FROM sales_totals LIMIT 1');
  } catch (e) {
    if (unreachable(e)) throw e;
    throw new SalesflowError(
      `MySQL as the read-only user ${config.mysqlReadonlyUser}: ${(e as Error).message} (npx salesflow migrate creates the user and tables)`,
      { cause: e },
    );
  } finally {
    await pool.end();
  }
}
