/**
 * The one typed configuration module. Every setting comes from the environment, with defaults that match the
 * local stack (`salesflow stack up`). A bad value fails at start with a message naming the variable and what it
 * expected.
 */
import * as os from 'node:os';
import * as path from 'node:path';

export interface Config {
  temporalAddress: string;
  temporalNamespace: string;
  temporalUiPort: number;
  taskQueue: string;
  kafkaBrokers: string[];
  ordersTopic: string;
  dlqTopic: string;
  kafkaPartitions: number;
  mysqlUrl: string;
  mysqlDatabase: string;
  mysqlReadonlyUser: string;
  mysqlReadonlyPassword: string;
  cassandraContactPoints: string[];
  cassandraLocalDc: string;
  cassandraStoragePort: number;
  cassandraKeyspace: string;
  windowSeconds: number;
  flushPartRecords: number;
  /** How often an open window's arrivals are committed (the running totals' freshness). */
  commitIntervalMs: number;
  /** SALESFLOW_PROFILE=1: the flush logs where each window's time went (the benchmark reads it). */
  profile: boolean;
  consumerName: string;
  dashboardPort: number;
  cacheDir: string;
  stateDir: string;
  stackTimeoutSeconds: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    expected: string,
    actual: string,
  ) {
    super(`${variable}=${JSON.stringify(actual)} is invalid: expected ${expected}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const repoRoot = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../..' : '..');

function str(env: Env, name: string, fallback: string, pattern?: RegExp, expected?: string): string {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = raw.trim();
  if (pattern && !pattern.test(value))
    throw new ConfigError(name, expected ?? `a value matching ${pattern}`, raw);
  return value;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `an integer from ${min} to ${max}`, raw);
  }
  return value;
}

const HOST_PORT = /^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/;
function validHostPort(s: string): boolean {
  const port = Number(s.slice(s.lastIndexOf(':') + 1));
  return HOST_PORT.test(s) && port >= 1 && port <= 65535;
}

function hostPort(env: Env, name: string, fallback: string): string {
  const value = str(env, name, fallback);
  if (!validHostPort(value)) throw new ConfigError(name, 'host:port (port 1-65535)', value);
  return value;
}

function hostPorts(env: Env, name: string, fallback: string): string[] {
  const raw = env[name];
  const value = raw === undefined || raw === '' ? fallback : raw;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0 || !items.every(validHostPort)) {
    throw new ConfigError(name, 'a comma-separated list of host:port (port 1-65535)', value);
  }
  return items;
}

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

function mysqlUrl(env: Env): { url: string; database: string } {
  const raw = str(env, 'MYSQL_URL', 'mysql://salesflow:salesflow@127.0.0.1:3306/sales_data');
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError('MYSQL_URL', 'a URL like mysql://user:password@host:3306/sales_data', raw);
  }
  if (parsed.protocol !== 'mysql:' || !parsed.hostname) {
    throw new ConfigError('MYSQL_URL', 'a URL like mysql://user:password@host:3306/sales_data', raw);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!NAME.test(database)) {
    throw new ConfigError('MYSQL_URL', 'a database name in the path, e.g. /sales_data', raw);
  }
  return { url: raw, database };
}

export function loadConfig(env: Env = process.env): Config {
  const mysql = mysqlUrl(env);
  const ordersTopic = str(env, 'ORDERS_TOPIC', 'orderstopic', TOPIC, 'a Kafka topic name ([A-Za-z0-9._-])');
  return {
    temporalAddress: hostPort(env, 'TEMPORAL_ADDRESS', '127.0.0.1:7233'),
    temporalNamespace: str(env, 'TEMPORAL_NAMESPACE', 'default', /^[A-Za-z0-9._-]+$/, 'a namespace name'),
    temporalUiPort: int(env, 'TEMPORAL_UI_PORT', 8233, 1, 65535),
    taskQueue: str(env, 'TASK_QUEUE', 'salesflow', /^[A-Za-z0-9._-]+$/, 'a task queue name'),
    kafkaBrokers: hostPorts(env, 'KAFKA_BROKERS', '127.0.0.1:9092'),
    ordersTopic,
    dlqTopic: str(env, 'DLQ_TOPIC', `${ordersTopic}.dlq`, TOPIC, 'a Kafka topic name ([A-Za-z0-9._-])'),
    kafkaPartitions: int(env, 'KAFKA_PARTITIONS', 1, 1, 1024),
    mysqlUrl: mysql.url,
    mysqlDatabase: mysql.database,
    mysqlReadonlyUser: str(env, 'MYSQL_READONLY_USER', 'salesflow_ro', NAME, 'a MySQL user name'),
    mysqlReadonlyPassword: str(env, 'MYSQL_READONLY_PASSWORD', 'salesflow_ro'),
    cassandraContactPoints: hostPorts(env, 'CASSANDRA_CONTACT_POINTS', '127.0.0.1:9042'),
    cassandraLocalDc: str(env, 'CASSANDRA_LOCAL_DC', 'datacenter1'),
    cassandraStoragePort: int(env, 'CASSANDRA_STORAGE_PORT', 7000, 1, 65535),
    cassandraKeyspace: str(
      env,
      'CASSANDRA_KEYSPACE',
      'sales_ks',
      NAME,
      'a keyspace name ([A-Za-z][A-Za-z0-9_]*)',
    ),
    windowSeconds: int(env, 'WINDOW_SECONDS', 15, 1, 3600),
    flushPartRecords: int(env, 'FLUSH_PART_RECORDS', 20_000, 1, 1_000_000),
    commitIntervalMs: int(env, 'COMMIT_INTERVAL_MS', 500, 50, 60_000),
    profile: str(env, 'SALESFLOW_PROFILE', '0', /^[01]$/, '0 or 1') === '1',
    consumerName: str(env, 'CONSUMER_NAME', 'salesflow', /^[A-Za-z0-9._-]+$/, 'a consumer name'),
    dashboardPort: int(env, 'DASHBOARD_PORT', 3000, 1, 65535),
    cacheDir: path.resolve(str(env, 'SALESFLOW_CACHE', path.join(os.homedir(), '.cache', 'salesflow'))),
    stateDir: path.resolve(str(env, 'SALESFLOW_STATE', path.join(repoRoot, '.stack'))),
    stackTimeoutSeconds: int(env, 'STACK_TIMEOUT_SECONDS', 300, 5, 3600),
  };
}

/** Splits "host:port" (IPv6 in brackets allowed). */
export function splitHostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
}

export const REPO_ROOT = repoRoot;
