/**
 * The real-cluster settings reach the drivers: with TLS switched on against the local stack's plaintext services,
 * every connection fails quickly with a message that names the service, its variable and the TLS switch, instead
 * of hanging or connecting in plaintext. Nothing here changes the shared stack: the worker gives up before it
 * polls (and would poll a task queue nobody uses), and `stream status` only reads.
 */
import { describe, expect, it } from 'vitest';
import { createIsolatedEnv } from '../../src/cli/isolated';
import { connectCassandra } from '../../src/io/cassandra';
import { salesflow } from '../helpers/cli';

const NEVER_POLLED = { TASK_QUEUE: 'cluster-tls-test-never-polled' };
const SECRETS = {
  TEMPORAL_API_KEY: 'Temporal-Api-Key-S3cret',
  KAFKA_SASL_PASSWORD: 'Kafka-Sasl-S3cret',
  CASSANDRA_PASSWORD: 'Cassandra-S3cret',
};

describe('TLS switched on against plaintext services fails clearly and quickly (exit 5)', () => {
  it.each([
    [
      'Temporal (worker, NativeConnection)',
      ['worker'],
      { TEMPORAL_TLS: 'true' },
      /Temporal at 127\.0\.0\.1:7233 \(TEMPORAL_ADDRESS\) .*TEMPORAL_TLS is on/,
    ],
    // A host name, not an IP: Node warns on stderr when TLS is given an IP address as the server name.
    [
      'Temporal (CLI, Connection)',
      ['stream', 'status'],
      { TEMPORAL_TLS: 'true', TEMPORAL_ADDRESS: 'localhost:7233' },
      /Temporal at localhost:7233 \(TEMPORAL_ADDRESS\) .*TEMPORAL_TLS is on/,
    ],
    [
      'Kafka',
      ['worker'],
      { KAFKA_SSL: 'true' },
      /Kafka at 127\.0\.0\.1:9092 \(KAFKA_BROKERS\) failed the TLS handshake \(KAFKA_SSL is on/,
    ],
    [
      'MySQL',
      ['worker'],
      { MYSQL_TLS: 'true' },
      /MySQL at 127\.0\.0\.1:3306 \(MYSQL_URL\) failed the TLS handshake \(MYSQL_TLS is on/,
    ],
    [
      'Cassandra',
      ['worker'],
      { CASSANDRA_TLS: 'true' },
      /Cassandra at 127\.0\.0\.1:9042 \(CASSANDRA_CONTACT_POINTS\) failed the TLS handshake \(CASSANDRA_TLS is on/,
    ],
  ])('%s', async (_name, args, env, message) => {
    const started = Date.now();
    const r = await salesflow(args, { ...env, ...NEVER_POLLED });
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/polling/);
    // It gives up on its own (a few seconds here), rather than hanging or falling back to plaintext.
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('a bad setting stops the command before any connection, naming the variable', async () => {
    const r = await salesflow(['worker'], { KAFKA_SSL_CA: '/no/such/ca.pem', ...NEVER_POLLED });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /KAFKA_SSL_CA="\/no\/such\/ca.pem" is invalid: expected the path of a readable file/,
    );
  });

  it('no API key or password in any output, stack traces and debug logs included', async () => {
    const env = {
      ...SECRETS,
      ...NEVER_POLLED,
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'salesflow-app',
      CASSANDRA_USERNAME: 'salesflow-app',
      TEMPORAL_ADDRESS: 'localhost:7233',
      SALESFLOW_DEBUG: '1',
      SALESFLOW_LOG: 'DEBUG',
    };
    for (const args of [['worker'], ['stream', 'status', '--json']]) {
      const r = await salesflow(args, env);
      const output = r.stdout + r.stderr;
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).not.toBe(0);
      for (const secret of Object.values(SECRETS)) expect(output, args.join(' ')).not.toContain(secret);
    }
  }, 120_000);
});

describe('CASSANDRA_REPLICATION reaches the keyspace the migration creates', () => {
  it('NetworkTopologyStrategy with the local data centre', async () => {
    // An isolated keyspace of its own (dropped afterwards); the local node's data centre is datacenter1.
    const t = await createIsolatedEnv('repl', {
      CASSANDRA_REPLICATION: 'NetworkTopologyStrategy:datacenter1=1',
    });
    try {
      const client = await connectCassandra(t.config, { keyspace: false });
      try {
        const rs = await client.execute(
          'SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?',
          [t.config.cassandraKeyspace],
        );
        const replication = rs.first().get('replication') as Record<string, string>;
        expect(replication.class).toMatch(/NetworkTopologyStrategy$/);
        expect(replication.datacenter1).toBe('1');
      } finally {
        await client.shutdown();
      }
    } finally {
      await t.cleanup();
    }
  }, 120_000);
});
