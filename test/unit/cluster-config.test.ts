/** Real-cluster settings: parsing and validation (each error names its variable) and the driver options built. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configuredSecrets, loadConfig, parseReplication, redactSecrets } from '../../src/config';
import { CASSANDRA_SCHEMA } from '../../src/io/cassandra';
import {
  cassandraSecurityOptions,
  kafkaSecurityOptions,
  mysqlSslOptions,
  replicationCql,
  temporalConnectionOptions,
} from '../../src/io/security';
import { configFailure } from '../helpers/config';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-cluster-config-'));
const pem = (name: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, `-----BEGIN ${name}-----\n`);
  return p;
};
const CA = pem('ca.pem');
const CERT = pem('client.pem');
const KEY = pem('client.key');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Reads nothing: returns the path as the "contents", so tests see which file went where. */
const read = (p: string) => Buffer.from(`file:${p}`);

const failure = configFailure;

describe('defaults keep the local stack as it is', () => {
  const c = loadConfig({});

  it('everything off, single-replica keyspace', () => {
    expect(c.temporalTls.enabled).toBe(false);
    expect(c.temporalApiKey).toBe('');
    expect(c.kafkaSsl.enabled).toBe(false);
    expect(c.kafkaSasl).toBeUndefined();
    expect(c.mysqlTls.enabled).toBe(false);
    expect(c.cassandraAuth).toBeUndefined();
    expect(c.cassandraTls.enabled).toBe(false);
    expect(c.cassandraReplication).toEqual({ class: 'SimpleStrategy', factor: 1 });
  });

  it('the builders add nothing to the drivers’ options', () => {
    expect(temporalConnectionOptions(c, read)).toEqual({ address: '127.0.0.1:7233' });
    expect(kafkaSecurityOptions(c, read)).toEqual({});
    expect(mysqlSslOptions(c, read)).toEqual({});
    expect(cassandraSecurityOptions(c, read)).toEqual({});
  });

  it('the keyspace statement is the one it always was', () => {
    const statement = CASSANDRA_SCHEMA('sales_ks', replicationCql(c.cassandraReplication))[0];
    expect(statement).toBe(CASSANDRA_SCHEMA('sales_ks')[0]);
    expect(statement).toContain("{'class': 'SimpleStrategy', 'replication_factor': 1}");
  });
});

describe('Temporal', () => {
  it('TLS with a CA, a server name and a client pair (mTLS)', () => {
    const c = loadConfig({
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_TLS_CA: CA,
      TEMPORAL_TLS_SERVER_NAME: 'ns.acct.tmprl.cloud',
      TEMPORAL_TLS_CERT: CERT,
      TEMPORAL_TLS_KEY: KEY,
    });
    expect(c.temporalTls.enabled).toBe(true);
    expect(temporalConnectionOptions(c, read)).toEqual({
      address: 'ns.acct.tmprl.cloud:7233',
      tls: {
        serverNameOverride: 'ns.acct.tmprl.cloud',
        serverRootCACertificate: read(CA),
        clientCertPair: { crt: read(CERT), key: read(KEY) },
      },
    });
  });

  it('TEMPORAL_TLS=true alone: TLS with the system CAs', () => {
    expect(temporalConnectionOptions(loadConfig({ TEMPORAL_TLS: 'true' }), read).tls).toEqual({});
  });

  it('an API key turns TLS on and is passed as the key', () => {
    const c = loadConfig({ TEMPORAL_API_KEY: 'tc-key-123456' });
    expect(temporalConnectionOptions(c, read)).toEqual({
      address: '127.0.0.1:7233',
      tls: {},
      apiKey: 'tc-key-123456',
    });
  });

  it('reads the real files by default', () => {
    const c = loadConfig({ TEMPORAL_TLS_CA: CA });
    expect(temporalConnectionOptions(c).tls?.serverRootCACertificate?.toString()).toContain('BEGIN ca.pem');
  });
});

describe('Kafka', () => {
  it('SSL with a CA, or the system CAs', () => {
    expect(kafkaSecurityOptions(loadConfig({ KAFKA_SSL_CA: CA }), read)).toEqual({
      ssl: { ca: [read(CA)], rejectUnauthorized: true },
    });
    expect(kafkaSecurityOptions(loadConfig({ KAFKA_SSL: 'yes' }), read)).toEqual({ ssl: true });
  });

  it.each(['plain', 'scram-sha-256', 'SCRAM-SHA-512'])('SASL %s', (mechanism) => {
    const c = loadConfig({
      KAFKA_SASL_MECHANISM: mechanism,
      KAFKA_SASL_USERNAME: 'app',
      KAFKA_SASL_PASSWORD: 'pw-1234',
    });
    expect(kafkaSecurityOptions(c, read)).toEqual({
      sasl: { mechanism: mechanism.toLowerCase(), username: 'app', password: 'pw-1234' },
    });
  });
});

describe('MySQL', () => {
  it('TLS verifies the chain always and the host name unless told not to', () => {
    expect(mysqlSslOptions(loadConfig({ MYSQL_TLS_CA: CA }), read)).toEqual({
      ssl: { ca: read(CA), rejectUnauthorized: true, verifyIdentity: true },
    });
    expect(
      mysqlSslOptions(loadConfig({ MYSQL_TLS: 'on', MYSQL_TLS_VERIFY_IDENTITY: 'false' }), read),
    ).toEqual({
      ssl: { rejectUnauthorized: true, verifyIdentity: false },
    });
  });
});

describe('Cassandra', () => {
  it('a login and TLS', () => {
    const c = loadConfig({ CASSANDRA_USERNAME: 'app', CASSANDRA_PASSWORD: 'cpw-1234', CASSANDRA_TLS_CA: CA });
    expect(cassandraSecurityOptions(c, read)).toEqual({
      credentials: { username: 'app', password: 'cpw-1234' },
      sslOptions: { ca: [read(CA)], rejectUnauthorized: true },
    });
  });

  it('TLS without checking the host name still checks the chain', () => {
    const c = loadConfig({ CASSANDRA_TLS: 'true', CASSANDRA_TLS_VERIFY_IDENTITY: 'false' });
    const ssl = cassandraSecurityOptions(c, read).sslOptions;
    expect(ssl?.rejectUnauthorized).toBe(true);
    expect(ssl?.checkServerIdentity?.()).toBeUndefined();
  });

  it.each([
    ['SimpleStrategy:3', "{'class': 'SimpleStrategy', 'replication_factor': 3}"],
    ['NetworkTopologyStrategy:dc1=3', "{'class': 'NetworkTopologyStrategy', 'dc1': 3}"],
    [
      ' NetworkTopologyStrategy:dc1=3, eu-west_1=2 ',
      "{'class': 'NetworkTopologyStrategy', 'dc1': 3, 'eu-west_1': 2}",
    ],
  ])('replication %s', (value, cql) => {
    const c = loadConfig({ CASSANDRA_REPLICATION: value });
    expect(replicationCql(c.cassandraReplication)).toBe(cql);
    expect(CASSANDRA_SCHEMA('ks', replicationCql(c.cassandraReplication))[0]).toContain(
      `WITH replication = ${cql}`,
    );
  });

  it.each([
    'SimpleStrategy',
    'SimpleStrategy:0',
    'SimpleStrategy:x',
    'LocalStrategy:1',
    'NetworkTopologyStrategy:',
    'NetworkTopologyStrategy:dc1',
    'NetworkTopologyStrategy:dc1=3,dc1=2',
    "NetworkTopologyStrategy:dc'1=3",
    'NetworkTopologyStrategy:dc1=3=4',
  ])('rejects replication %s', (value) => {
    expect(parseReplication(value)).toBeUndefined();
  });
});

describe('bad values stop the command naming the variable', () => {
  it.each([
    [{ TEMPORAL_TLS: 'maybe' }, 'TEMPORAL_TLS', /true or false/],
    [{ TEMPORAL_TLS_CA: '/no/such/ca.pem' }, 'TEMPORAL_TLS_CA', /readable file/],
    [{ TEMPORAL_TLS_CA: dir }, 'TEMPORAL_TLS_CA', /readable file/],
    [{ TEMPORAL_TLS_CERT: CERT }, 'TEMPORAL_TLS_KEY', /since TEMPORAL_TLS_CERT is set/],
    [{ TEMPORAL_TLS_KEY: KEY }, 'TEMPORAL_TLS_CERT', /since TEMPORAL_TLS_KEY is set/],
    [{ TEMPORAL_TLS_SERVER_NAME: 'bad name' }, 'TEMPORAL_TLS_SERVER_NAME', /host name/],
    [{ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'k-123456' }, 'TEMPORAL_TLS', /TEMPORAL_API_KEY/],
    [{ KAFKA_SSL: '2' }, 'KAFKA_SSL', /true or false/],
    [{ KAFKA_SSL_CA: '/no/such/ca.pem' }, 'KAFKA_SSL_CA', /readable file/],
    [{ KAFKA_SSL: 'false', KAFKA_SSL_CA: CA }, 'KAFKA_SSL', /KAFKA_SSL_CA is set/],
    [{ KAFKA_SASL_MECHANISM: 'gssapi' }, 'KAFKA_SASL_MECHANISM', /plain, scram-sha-256, scram-sha-512/],
    [
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' },
      'KAFKA_SASL_PASSWORD',
      /KAFKA_SASL_MECHANISM/,
    ],
    [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: 'pw-1234' }, 'KAFKA_SASL_USERNAME', /MECHANISM/],
    [{ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'pw-1234' }, 'KAFKA_SASL_MECHANISM', /one of plain/],
    [{ MYSQL_TLS_CA: '/no/such/ca.pem' }, 'MYSQL_TLS_CA', /readable file/],
    [{ MYSQL_TLS_VERIFY_IDENTITY: 'sometimes' }, 'MYSQL_TLS_VERIFY_IDENTITY', /true or false/],
    [{ CASSANDRA_USERNAME: 'u' }, 'CASSANDRA_PASSWORD', /since CASSANDRA_USERNAME is set/],
    [{ CASSANDRA_PASSWORD: 'cpw-1234' }, 'CASSANDRA_USERNAME', /since CASSANDRA_PASSWORD is set/],
    [{ CASSANDRA_TLS_CA: '/no/such/ca.pem' }, 'CASSANDRA_TLS_CA', /readable file/],
    [
      { CASSANDRA_REPLICATION: 'NetworkTopologyStrategy:dc1' },
      'CASSANDRA_REPLICATION',
      /NetworkTopologyStrategy:dc1=N/,
    ],
  ] as Array<[Record<string, string>, string, RegExp]>)('%j → %s', (env, variable, expected) => {
    const e = failure(env);
    expect(e.variable).toBe(variable);
    expect(e.message).toMatch(new RegExp(`^${variable}=`));
    expect(e.message).toMatch(expected);
  });

  it('an error never quotes a secret', () => {
    for (const env of <Array<Record<string, string>>>[
      { KAFKA_SASL_PASSWORD: 'kafka-secret-1', KAFKA_SASL_USERNAME: 'u' },
      { CASSANDRA_PASSWORD: 'cass-secret-1' },
      { TEMPORAL_TLS: 'no', TEMPORAL_API_KEY: 'temporal-secret-1' },
    ]) {
      expect(failure(env).message).not.toMatch(/secret-1/);
    }
  });
});

describe('secrets', () => {
  const env = {
    TEMPORAL_API_KEY: 'temporal-key-xyz',
    KAFKA_SASL_MECHANISM: 'plain',
    KAFKA_SASL_USERNAME: 'app',
    KAFKA_SASL_PASSWORD: 'kafka-pw-xyz',
    CASSANDRA_USERNAME: 'app',
    CASSANDRA_PASSWORD: 'cass-pw-xyz',
  };

  it('the API key and the passwords are scrubbed from output', () => {
    expect(configuredSecrets(env).sort()).toEqual(['cass-pw-xyz', 'kafka-pw-xyz', 'temporal-key-xyz']);
    expect(redactSecrets('a temporal-key-xyz b kafka-pw-xyz c cass-pw-xyz d app', env)).toBe(
      'a *** b *** c *** d app',
    );
  });
});
