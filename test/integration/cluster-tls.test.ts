/**
 * The real-cluster settings reach the drivers: with TLS switched on against the local stack's plaintext services,
 * every connection fails quickly with a message that names the service, its variable and the TLS switch, instead
 * of hanging or connecting in plaintext. Nothing here changes the shared stack: the worker gives up before it
 * polls (and would poll a task queue nobody uses), and `stream status` only reads.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIsolatedEnv } from '../../app/ops/isolated';
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

/**
 * A TLS server of the test's own on 127.0.0.1 (a CA, a server certificate for localhost signed by it, a client
 * certificate for mTLS) that completes the handshake and hangs up: proof that the CA file, and the client pair,
 * reach each driver. Without the CA the driver must refuse the certificate; with it the handshake completes (the
 * server counts it) and only the protocol after it fails.
 */
describe('the CA file and the client certificate reach the drivers', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-tls-'));
  const file = (name: string) => path.join(dir, name);
  const handshakes: Array<{ clientCn?: string }> = [];
  let server: tls.Server;
  let port = 0;

  beforeAll(async () => {
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=salesflow test CA',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign',
    );
    for (const [name, subject, ext] of [
      ['server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth'],
      ['client', '/CN=salesflow-client', 'extendedKeyUsage=clientAuth'],
    ]) {
      openssl(
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        subject,
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.csr`,
      );
      fs.writeFileSync(file(`${name}.ext`), `basicConstraints=CA:FALSE\n${ext}\n`);
      openssl(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '2',
        '-out',
        `${name}.pem`,
        '-extfile',
        `${name}.ext`,
      );
    }
    server = tls.createServer(
      {
        key: fs.readFileSync(file('server.key')),
        cert: fs.readFileSync(file('server.pem')),
        ca: fs.readFileSync(file('ca.pem')),
        requestCert: true,
        rejectUnauthorized: false,
        ALPNProtocols: ['h2'],
      },
      (socket) => {
        const peer = socket.getPeerCertificate();
        handshakes.push({ clientCn: peer?.subject?.CN ? String(peer.subject.CN) : undefined });
        socket.destroy();
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('Kafka: refused without the CA, completed with KAFKA_SSL_CA', async () => {
    const broker = { KAFKA_BROKERS: `localhost:${port}`, ...NEVER_POLLED };
    handshakes.length = 0;
    const without = await salesflow(['worker'], { ...broker, KAFKA_SSL: 'true' });
    expect(without.code).toBe(5);
    expect(without.stderr).toMatch(/Kafka at localhost:\d+ \(KAFKA_BROKERS\) failed the TLS handshake/);
    expect(handshakes).toHaveLength(0);
    const withCa = await salesflow(['worker'], { ...broker, KAFKA_SSL_CA: file('ca.pem') });
    expect(withCa.code).not.toBe(0);
    expect(withCa.stderr).toMatch(/Kafka at localhost:\d+ \(KAFKA_BROKERS\)/);
    expect(withCa.stderr).not.toMatch(/failed the TLS handshake/);
    expect(handshakes.length).toBeGreaterThan(0);
  }, 60_000);

  it.each([
    ['the client (Connection)', ['stream', 'status']],
    ['the worker (NativeConnection)', ['worker']],
  ])(
    'Temporal, %s: refused without the CA; with the CA and the client pair the server sees our certificate',
    async (_name, args) => {
      const temporal = { TEMPORAL_ADDRESS: `localhost:${port}`, ...NEVER_POLLED };
      handshakes.length = 0;
      const without = await salesflow(args, { ...temporal, TEMPORAL_TLS: 'true' });
      expect(without.code).toBe(5);
      expect(without.stderr).toMatch(/Temporal at localhost:\d+ \(TEMPORAL_ADDRESS\)/);
      expect(handshakes).toHaveLength(0);
      const withPair = await salesflow(args, {
        ...temporal,
        TEMPORAL_TLS_CA: file('ca.pem'),
        TEMPORAL_TLS_CERT: file('client.pem'),
        TEMPORAL_TLS_KEY: file('client.key'),
      });
      expect(withPair.code).toBe(5);
      expect(handshakes.length).toBeGreaterThan(0);
      expect(handshakes[0].clientCn).toBe('salesflow-client');
    },
    60_000,
  );
});
