/**
 * The one typed configuration module. Every setting comes from the environment, with defaults that match the
 * local stack (`salesflow stack up`). A bad value fails at start with a message naming the variable and what it
 * expected.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT, SalesflowError } from './errors';

export interface Config {
  temporalAddress: string;
  temporalNamespace: string;
  temporalUiPort: number;
  taskQueue: string;
  kafkaBrokers: string[];
  ordersTopic: string;
  dlqTopic: string;
  kafkaPartitions: number;
  /** Most units (activities at once) a window of the stream is consumed by; 0: one per partition. */
  streamUnits: number;
  mysqlUrl: string;
  mysqlDatabase: string;
  /** MYSQL_URL's parts. */
  mysql: MysqlTarget;
  mysqlReadonlyUser: string;
  mysqlReadonlyPassword: string;
  cassandraContactPoints: string[];
  cassandraLocalDc: string;
  cassandraStoragePort: number;
  cassandraKeyspace: string;
  /** Partitions per event-time day in the day table (fixed by the first migrate; see README). */
  cassandraDayBuckets: number;
  windowSeconds: number;
  flushPartRecords: number;
  /** How often an open window's arrivals are committed (the running totals' freshness). */
  commitIntervalMs: number;
  /**
   * How far V8 lets the worker's heap grow past what the last full GC kept, in percent (0: V8's own factor, up to
   * 300 %). See workers/worker.ts.
   */
  workerHeapGrowingPercent: number;
  /** A worker's young-generation semi-space, MB (bin/salesflow.js starts the worker with it). */
  workerSemiSpaceMb: number;
  /** The worker's log level for Temporal's own messages (SALESFLOW_LOG). */
  workerLogLevel: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Testing aid: a pause between a flush part's Cassandra writes and its commit, for the crash tests. */
  faultPauseBeforeCommitMs: number;
  /** The browser the UI tests drive (CHROMIUM_PATH); unset: Debian's `chromium`, installed on first use. */
  chromiumPath: string | null;
  /** Days an order ID stays in the exactly-once ledger (counted_orders), measured on its window's start. */
  countedRetentionDays: number;
  /** SALESFLOW_PROFILE=1: the flush logs where each window's time went (the benchmark reads it). */
  profile: boolean;
  consumerName: string;
  dashboardPort: number;
  cacheDir: string;
  stateDir: string;
  stackTimeoutSeconds: number;
  // Real clusters (README "Running on clusters"). Every default is off, which is today's local stack: plaintext,
  // no logins beyond MYSQL_URL's, a single-replica keyspace.
  temporalTls: TlsFiles & { enabled: boolean; serverName?: string; certPath?: string; keyPath?: string };
  /** Temporal Cloud API key ('' = none). A secret: scrubbed from output (configuredSecrets). */
  temporalApiKey: string;
  kafkaSsl: TlsFiles & { enabled: boolean };
  kafkaSasl?: { mechanism: KafkaSaslMechanism; username: string; password: string };
  mysqlTls: TlsFiles & { enabled: boolean; verifyIdentity: boolean };
  cassandraAuth?: { username: string; password: string };
  cassandraTls: TlsFiles & { enabled: boolean; verifyIdentity: boolean };
  /** Replication of a keyspace the migration creates (an existing keyspace is left as it is). */
  cassandraReplication: CassandraReplication;
}

/** A CA bundle path; absent = the system's root CAs. */
export interface TlsFiles {
  caPath?: string;
}

export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

export type CassandraReplication =
  | { class: 'SimpleStrategy'; factor: number }
  | { class: 'NetworkTopologyStrategy'; factors: Record<string, number> };

/** A setting that cannot be used: exit 2, like a bad flag. */
export class ConfigError extends SalesflowError {
  constructor(
    readonly variable: string,
    expected: string,
    actual: string,
  ) {
    super(`${variable}=${JSON.stringify(actual)} is invalid: expected ${expected}`, { exitCode: EXIT.usage });
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

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(name, 'true or false', raw);
}

/** A file that must be readable now: a wrong path then stops the command at start, not at the first connection. */
function file(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = path.resolve(raw.trim());
  try {
    fs.accessSync(value, fs.constants.R_OK);
    if (!fs.statSync(value).isFile()) throw new Error('not a file');
  } catch {
    throw new ConfigError(name, 'the path of a readable file (PEM)', raw);
  }
  return value;
}

/** A secret's value; never quoted in an error (only that it is missing). */
function secret(env: Env, name: string): string {
  return env[name] ?? '';
}

const set = (env: Env, name: string) => (env[name] ?? '').trim() !== '';

/** Both of two variables or neither: a half-configured login or key pair is a mistake, named at start. */
function pair(env: Env, a: string, b: string): void {
  if (set(env, a) && !set(env, b)) throw new ConfigError(b, `a value, since ${a} is set`, '');
  if (set(env, b) && !set(env, a)) throw new ConfigError(a, `a value, since ${b} is set`, '');
}

function temporalTls(env: Env): Config['temporalTls'] {
  pair(env, 'TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY');
  const caPath = file(env, 'TEMPORAL_TLS_CA');
  const certPath = file(env, 'TEMPORAL_TLS_CERT');
  const keyPath = file(env, 'TEMPORAL_TLS_KEY');
  const serverName = str(env, 'TEMPORAL_TLS_SERVER_NAME', '', /^[A-Za-z0-9.-]+$/, 'a host name') || undefined;
  // Any TLS setting (or an API key: Temporal Cloud accepts keys over TLS only) turns TLS on unless said otherwise.
  const implied = Boolean(caPath || certPath || serverName || set(env, 'TEMPORAL_API_KEY'));
  const enabled = bool(env, 'TEMPORAL_TLS', implied);
  if (!enabled && implied) {
    throw new ConfigError(
      'TEMPORAL_TLS',
      'true (or unset) while TEMPORAL_TLS_* or TEMPORAL_API_KEY is set',
      env.TEMPORAL_TLS ?? '',
    );
  }
  return { enabled, caPath, serverName, certPath, keyPath };
}

function kafkaSasl(env: Env): Config['kafkaSasl'] {
  const raw = str(env, 'KAFKA_SASL_MECHANISM', '').toLowerCase();
  if (!raw) {
    for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']) {
      if (set(env, name))
        throw new ConfigError(
          'KAFKA_SASL_MECHANISM',
          `one of ${KAFKA_SASL_MECHANISMS.join(', ')}, since ${name} is set`,
          '',
        );
    }
    return undefined;
  }
  if (!(KAFKA_SASL_MECHANISMS as readonly string[]).includes(raw)) {
    throw new ConfigError(
      'KAFKA_SASL_MECHANISM',
      KAFKA_SASL_MECHANISMS.join(', '),
      env.KAFKA_SASL_MECHANISM ?? '',
    );
  }
  for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']) {
    if (!set(env, name)) throw new ConfigError(name, 'a value, since KAFKA_SASL_MECHANISM is set', '');
  }
  return {
    mechanism: raw as KafkaSaslMechanism,
    username: str(env, 'KAFKA_SASL_USERNAME', ''),
    password: secret(env, 'KAFKA_SASL_PASSWORD'),
  };
}

function tlsWithCa(env: Env, flag: string, ca: string): TlsFiles & { enabled: boolean } {
  const caPath = file(env, ca);
  const enabled = bool(env, flag, caPath !== undefined);
  if (!enabled && caPath) throw new ConfigError(flag, `true (or unset) while ${ca} is set`, env[flag] ?? '');
  return { enabled, caPath };
}

function cassandraAuth(env: Env): Config['cassandraAuth'] {
  pair(env, 'CASSANDRA_USERNAME', 'CASSANDRA_PASSWORD');
  if (!set(env, 'CASSANDRA_USERNAME')) return undefined;
  return { username: str(env, 'CASSANDRA_USERNAME', ''), password: secret(env, 'CASSANDRA_PASSWORD') };
}

const DC = /^[A-Za-z0-9_.-]+$/;
const REPLICATION_EXPECTED = 'SimpleStrategy:N or NetworkTopologyStrategy:dc1=N,dc2=N (N from 1 to 99)';

/** "SimpleStrategy:1" or "NetworkTopologyStrategy:dc1=3,dc2=3". */
export function parseReplication(raw: string): CassandraReplication | undefined {
  const m = /^(SimpleStrategy|NetworkTopologyStrategy):(.+)$/.exec(raw.trim());
  if (!m) return undefined;
  const factor = (s: string) => (/^\d{1,2}$/.test(s) && Number(s) >= 1 ? Number(s) : undefined);
  if (m[1] === 'SimpleStrategy') {
    const n = factor(m[2].trim());
    return n === undefined ? undefined : { class: 'SimpleStrategy', factor: n };
  }
  const factors: Record<string, number> = {};
  for (const item of m[2].split(',')) {
    const [dc, n, extra] = item.split('=').map((s) => s.trim());
    const value = n === undefined ? undefined : factor(n);
    if (!dc || !DC.test(dc) || value === undefined || extra !== undefined || dc in factors) return undefined;
    factors[dc] = value;
  }
  return { class: 'NetworkTopologyStrategy', factors };
}

function replication(env: Env): CassandraReplication {
  const raw = str(env, 'CASSANDRA_REPLICATION', 'SimpleStrategy:1');
  const parsed = parseReplication(raw);
  if (!parsed) throw new ConfigError('CASSANDRA_REPLICATION', REPLICATION_EXPECTED, raw);
  return parsed;
}

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

/** A URL with its password replaced by *** (also for strings that do not parse as URLs), for messages. */
export function redactUrl(raw: string): string {
  return raw.replace(/^([^@/]*\/\/)?([^:@/]*):.*@/, (_m, scheme: string | undefined, user: string) => {
    return `${scheme ?? ''}${user}:***@`;
  });
}

const PUBLIC_DEFAULTS = ['salesflow', 'salesflow_ro'];

/** Variables whose whole value is a secret (MYSQL_URL's password is taken out of the URL). */
export const SECRET_VARIABLES = ['TEMPORAL_API_KEY', 'KAFKA_SASL_PASSWORD', 'CASSANDRA_PASSWORD'];

/** Every secret the environment configures (passwords), so messages and logs can be scrubbed of them. */
export function configuredSecrets(env: Env = process.env): string[] {
  const out = new Set<string>();
  const url = env.MYSQL_URL ?? '';
  const m = /^(?:[^@/]*\/\/)?[^:@/]*:(.*)@/.exec(url);
  if (m?.[1]) {
    out.add(m[1]);
    try {
      out.add(decodeURIComponent(m[1]));
    } catch {
      /* not percent-encoded */
    }
  }
  if (env.MYSQL_READONLY_PASSWORD) out.add(env.MYSQL_READONLY_PASSWORD);
  for (const name of SECRET_VARIABLES) if (env[name]) out.add(env[name] as string);
  // The documented defaults are no secret (and "salesflow" is also the program's name), and very short values
  // would scrub ordinary words: those are left alone.
  return [...out].filter((s) => s.length >= 4 && !PUBLIC_DEFAULTS.includes(s));
}

/** `text` with every configured secret replaced by ***. */
export function redactSecrets(text: string, env: Env = process.env): string {
  let out = text;
  for (const secret of configuredSecrets(env)) out = out.split(secret).join('***');
  return out;
}

/** Where MYSQL_URL points, parsed once here for every connection. */
export interface MysqlTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

function mysqlUrl(env: Env): { url: string; database: string; target: MysqlTarget } {
  // Errors quote the URL without its password: messages end up in terminals, CI logs and bug reports.
  const raw = str(env, 'MYSQL_URL', 'mysql://salesflow:salesflow@127.0.0.1:3306/sales_data');
  const shown = redactUrl(raw);
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError('MYSQL_URL', 'a URL like mysql://user:password@host:3306/sales_data', shown);
  }
  if (parsed.protocol !== 'mysql:' || !parsed.hostname) {
    throw new ConfigError('MYSQL_URL', 'a URL like mysql://user:password@host:3306/sales_data', shown);
  }
  let database = '';
  try {
    database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  } catch {
    /* malformed percent-encoding: reported below as a bad database name */
  }
  if (!NAME.test(database)) {
    throw new ConfigError('MYSQL_URL', 'a database name in the path, e.g. /sales_data', shown);
  }
  let user: string;
  let password: string;
  try {
    user = decodeURIComponent(parsed.username);
    password = decodeURIComponent(parsed.password);
  } catch {
    throw new ConfigError('MYSQL_URL', 'a user and password in valid percent-encoding', shown);
  }
  const port = Number(parsed.port || 3306);
  return { url: raw, database, target: { host: parsed.hostname, port, user, password, database } };
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
    streamUnits: int(env, 'STREAM_UNITS', 0, 0, 1024),
    mysqlUrl: mysql.url,
    mysqlDatabase: mysql.database,
    mysql: mysql.target,
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
    cassandraDayBuckets: int(env, 'CASSANDRA_DAY_BUCKETS', 16, 1, 1024),
    windowSeconds: int(env, 'WINDOW_SECONDS', 15, 1, 3600),
    flushPartRecords: int(env, 'FLUSH_PART_RECORDS', 10_000, 1, 1_000_000),
    commitIntervalMs: int(env, 'COMMIT_INTERVAL_MS', 500, 50, 60_000),
    workerHeapGrowingPercent: int(env, 'WORKER_HEAP_GROWING_PERCENT', 50, 0, 300),
    workerSemiSpaceMb: int(env, 'WORKER_SEMI_SPACE_MB', 16, 1, 256),
    workerLogLevel: str(
      env,
      'SALESFLOW_LOG',
      'WARN',
      /^(TRACE|DEBUG|INFO|WARN|ERROR)$/,
      'TRACE, DEBUG, INFO, WARN or ERROR',
    ) as Config['workerLogLevel'],
    faultPauseBeforeCommitMs: int(env, 'SALESFLOW_FAULT_PAUSE_BEFORE_COMMIT_MS', 0, 0, 600_000),
    chromiumPath: env.CHROMIUM_PATH?.trim() || null,
    countedRetentionDays: int(env, 'COUNTED_RETENTION_DAYS', 7, 1, 3650),
    profile: str(env, 'SALESFLOW_PROFILE', '0', /^[01]$/, '0 or 1') === '1',
    consumerName: str(env, 'CONSUMER_NAME', 'salesflow', /^[A-Za-z0-9._-]+$/, 'a consumer name'),
    dashboardPort: int(env, 'DASHBOARD_PORT', 3000, 1, 65535),
    cacheDir: path.resolve(str(env, 'SALESFLOW_CACHE', path.join(os.homedir(), '.cache', 'salesflow'))),
    stateDir: path.resolve(str(env, 'SALESFLOW_STATE', path.join(repoRoot, '.stack'))),
    stackTimeoutSeconds: int(env, 'STACK_TIMEOUT_SECONDS', 300, 5, 3600),
    temporalTls: temporalTls(env),
    temporalApiKey: secret(env, 'TEMPORAL_API_KEY'),
    kafkaSsl: tlsWithCa(env, 'KAFKA_SSL', 'KAFKA_SSL_CA'),
    kafkaSasl: kafkaSasl(env),
    mysqlTls: {
      ...tlsWithCa(env, 'MYSQL_TLS', 'MYSQL_TLS_CA'),
      verifyIdentity: bool(env, 'MYSQL_TLS_VERIFY_IDENTITY', true),
    },
    cassandraAuth: cassandraAuth(env),
    cassandraTls: {
      ...tlsWithCa(env, 'CASSANDRA_TLS', 'CASSANDRA_TLS_CA'),
      verifyIdentity: bool(env, 'CASSANDRA_TLS_VERIFY_IDENTITY', true),
    },
    cassandraReplication: replication(env),
  };
}

/** Splits "host:port" (IPv6 in brackets allowed). */
export function splitHostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
}

export const REPO_ROOT = repoRoot;
