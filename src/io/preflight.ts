import type { Config } from '../config';
import { connectCassandra } from './cassandra';
import { createKafka } from './kafka';
import { connectMysql } from './mysql';
import { reaching, SERVICE_INFO, type Service, ServiceUnreachableError, serviceAddress } from './reach';

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
  const results = await Promise.allSettled(
    checks.map(([service, check]) => reaching(service, config, () => check(config))),
  );
  const failures = results.flatMap((r, i) => {
    if (r.status === 'fulfilled') return [];
    const service = checks[i][0];
    if (r.reason instanceof ServiceUnreachableError) return [r.reason];
    // Not a connection failure (an unknown database, say): still this service's problem, said with its name.
    const { label, variable } = SERVICE_INFO[service];
    return [
      new ServiceUnreachableError(
        service,
        `${label} at ${serviceAddress(service, config)} (${variable}): ${(r.reason as Error).message}`,
        r.reason,
      ),
    ];
  });
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1)
    throw new ServiceUnreachableError(failures[0].service, failures.map((f) => f.message).join('; '));
}
