/**
 * The connection options real clusters need (TLS, mTLS, API key, SASL, logins, replication), built from the one
 * validated config as plain driver options. Each builder is a pure function of the config (and of the PEM files
 * it names, read through `read` so tests need neither servers nor files), and with the defaults each returns
 * nothing extra: the local stack connects exactly as before.
 */
import * as fs from 'node:fs';
import type { SASLOptions } from 'kafkajs';
import type { CassandraReplication, Config } from '../config';

export type ReadFile = (path: string) => Buffer;
const readFile: ReadFile = (p) => fs.readFileSync(p);

/** For Connection.connect (client) and NativeConnection.connect (worker): both take the same TLS config. */
export function temporalConnectionOptions(
  config: Config,
  read: ReadFile = readFile,
): {
  address: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
  apiKey?: string;
} {
  const t = config.temporalTls;
  const out: ReturnType<typeof temporalConnectionOptions> = { address: config.temporalAddress };
  if (t.enabled) {
    out.tls = {};
    if (t.serverName) out.tls.serverNameOverride = t.serverName;
    if (t.caPath) out.tls.serverRootCACertificate = read(t.caPath);
    if (t.certPath && t.keyPath) out.tls.clientCertPair = { crt: read(t.certPath), key: read(t.keyPath) };
  }
  if (config.temporalApiKey) out.apiKey = config.temporalApiKey;
  return out;
}

/** Merged into kafkajs's `new Kafka({...})`. */
export function kafkaSecurityOptions(
  config: Config,
  read: ReadFile = readFile,
): {
  ssl?: true | { ca: Buffer[]; rejectUnauthorized: true };
  sasl?: SASLOptions;
} {
  const out: ReturnType<typeof kafkaSecurityOptions> = {};
  if (config.kafkaSsl.enabled) {
    out.ssl = config.kafkaSsl.caPath
      ? { ca: [read(config.kafkaSsl.caPath)], rejectUnauthorized: true }
      : true;
  }
  if (config.kafkaSasl) {
    const { mechanism, username, password } = config.kafkaSasl;
    // kafkajs types each mechanism apart; the three share the same fields.
    out.sasl = { mechanism, username, password } as SASLOptions;
  }
  return out;
}

/** Merged into mysql2's createConnection / createPool options. */
export function mysqlSslOptions(
  config: Config,
  read: ReadFile = readFile,
): { ssl?: { ca?: Buffer; rejectUnauthorized: true; verifyIdentity: boolean } } {
  const t = config.mysqlTls;
  if (!t.enabled) return {};
  // The chain is always verified (an unverified TLS connection only looks safe); verifyIdentity also checks the
  // certificate names the host in MYSQL_URL, which a server reached by a proxy or an IP may not.
  return {
    ssl: {
      ...(t.caPath ? { ca: read(t.caPath) } : {}),
      rejectUnauthorized: true,
      verifyIdentity: t.verifyIdentity,
    },
  };
}

/** Merged into cassandra-driver's `new Client({...})`. */
export function cassandraSecurityOptions(
  config: Config,
  read: ReadFile = readFile,
): {
  credentials?: { username: string; password: string };
  sslOptions?: { ca?: Buffer[]; rejectUnauthorized: true; checkServerIdentity?: () => undefined };
} {
  const out: ReturnType<typeof cassandraSecurityOptions> = {};
  // The driver's `credentials` is its PlainTextAuthProvider (Cassandra's PasswordAuthenticator).
  if (config.cassandraAuth) out.credentials = { ...config.cassandraAuth };
  const t = config.cassandraTls;
  if (t.enabled) {
    // The driver reaches the peers it discovers by IP address, which node certificates seldom name: hence the
    // switch to verify the chain alone.
    out.sslOptions = {
      ...(t.caPath ? { ca: [read(t.caPath)] } : {}),
      rejectUnauthorized: true,
      ...(t.verifyIdentity ? {} : { checkServerIdentity: () => undefined }),
    };
  }
  return out;
}

/** The CQL map of a new keyspace's replication, e.g. {'class': 'SimpleStrategy', 'replication_factor': 1}. */
export function replicationCql(r: CassandraReplication): string {
  if (r.class === 'SimpleStrategy') return `{'class': 'SimpleStrategy', 'replication_factor': ${r.factor}}`;
  // Data-centre names were validated ([A-Za-z0-9_.-]), so quoting them needs no escaping.
  const dcs = Object.entries(r.factors).map(([dc, n]) => `'${dc}': ${n}`);
  return `{'class': 'NetworkTopologyStrategy', ${dcs.join(', ')}}`;
}
