/**
 * Drivers' errors into the family, by type and code: a table of errors built as each driver builds them (mysql2's
 * error packet, cassandra-driver's and kafkajs's classes, gRPC's status errors, Node's socket errors) and what
 * each becomes: its class, whether it is retriable, the CLI's exit code and the message.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import { ServiceError } from '@temporalio/client';
import { errors as cassandraErrors, types as cassandraTypes } from 'cassandra-driver';
import {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSSASLAuthenticationError,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { EXIT, type SalesflowError, type Service, UnreachableError } from '../../src/errors';
import { diagnoseCassandra } from '../../src/io/cassandra-errors';
import { type Diagnosis, DriverError, SinkRejectedError } from '../../src/io/driver-errors';
import { diagnoseKafka } from '../../src/io/kafka-errors';
import { diagnoseMysql } from '../../src/io/mysql-errors';
import { type Target, toFamily } from '../../src/io/reach';
import { diagnoseTemporal } from '../../src/io/temporal';

const require_ = createRequire(__filename);

/** A MySQL server error as mysql2 makes it: an ERR packet (0xff, errno, '#', SQLSTATE, message) read by Packet. */
function mysqlServerError(errno: number, sqlState: string, message: string): Error {
  // Not among the package's exports: loaded by its path.
  const Packet = require_(path.join(path.dirname(require_.resolve('mysql2')), 'lib/packets/packet.js'));
  const errnoBytes = Buffer.alloc(2);
  errnoBytes.writeUInt16LE(errno);
  const buffer = Buffer.concat([
    Buffer.alloc(4),
    Buffer.from([0xff]),
    errnoBytes,
    Buffer.from(`#${sqlState}${message}`),
  ]);
  return new Packet(0, buffer, 0, buffer.length).asError('utf8');
}

/** A Node socket error as `net` raises it (and mysql2 passes it on, marked fatal). */
const socketError = (code: string, syscall = 'connect', address = '127.0.0.1', port = 1) =>
  Object.assign(new Error(`${syscall} ${code} ${address}:${port}`), {
    code,
    syscall,
    address,
    port,
    fatal: true,
  });

/** A kafkajs protocol error as the client makes it from a response's error code. */
const kafkaProtocolError = (code: number) =>
  require_('kafkajs/src/protocol/error.js').createErrorFromCode(code);

/** gRPC's error for a call's status, as grpc-js makes it (callErrorFromStatus). */
const grpcError = (code: number, details: string) =>
  Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new Metadata() });

const config = loadConfig({});
const MYSQL = 'MySQL at 127.0.0.1:3306 (MYSQL_URL)';
const KAFKA = 'Kafka at 127.0.0.1:9092 (KAFKA_BROKERS)';
const CASSANDRA = 'Cassandra at 127.0.0.1:9042 (CASSANDRA_CONTACT_POINTS)';
const TEMPORAL = 'Temporal at 127.0.0.1:7233 (TEMPORAL_ADDRESS)';

type Row = [
  string,
  Service,
  (e: unknown) => Diagnosis,
  unknown,
  { type: new (...a: never[]) => SalesflowError; retriable: boolean; exit: number; message: string | RegExp },
];

const unreachable = (retriable: boolean, message: string) => ({
  type: UnreachableError,
  retriable,
  exit: EXIT.unreachable,
  message,
});
const request = (retriable: boolean, message: string | RegExp) => ({
  type: DriverError,
  retriable,
  exit: EXIT.failure,
  message,
});
const value = (message: string | RegExp) => ({
  type: SinkRejectedError,
  retriable: false,
  exit: EXIT.failure,
  message,
});

const TABLE: Row[] = [
  // mysql2
  [
    'refused',
    'mysql',
    diagnoseMysql,
    socketError('ECONNREFUSED'),
    unreachable(true, `${MYSQL} refused the connection`),
  ],
  [
    'unknown host',
    'mysql',
    diagnoseMysql,
    socketError('ENOTFOUND', 'getaddrinfo'),
    unreachable(true, `${MYSQL} could not be found (unknown host)`),
  ],
  [
    'connect timeout',
    'mysql',
    diagnoseMysql,
    Object.assign(new Error('connect ETIMEDOUT'), {
      errorno: 'ETIMEDOUT',
      code: 'ETIMEDOUT',
      syscall: 'connect',
      fatal: true,
    }),
    unreachable(true, `${MYSQL} did not answer in time`),
  ],
  [
    'handshake timeout (not TLS)',
    'mysql',
    diagnoseMysql,
    Object.assign(new Error('Handshake inactivity timeout'), {
      code: 'PROTOCOL_SEQUENCE_TIMEOUT',
      fatal: true,
    }),
    unreachable(true, `${MYSQL} did not answer in time`),
  ],
  [
    'connection lost',
    'mysql',
    diagnoseMysql,
    Object.assign(new Error('Connection lost: The server closed the connection.'), {
      code: 'PROTOCOL_CONNECTION_LOST',
      fatal: true,
    }),
    unreachable(true, `${MYSQL} closed the connection`),
  ],
  [
    'wrong password (1045)',
    'mysql',
    diagnoseMysql,
    mysqlServerError(1045, '28000', "Access denied for user 'salesflow'@'127.0.0.1' (using password: YES)"),
    unreachable(false, `${MYSQL} rejected the login (check the user and password in MYSQL_URL)`),
  ],
  [
    'a database the account may not use (1044)',
    'mysql',
    diagnoseMysql,
    mysqlServerError(
      1044,
      '42000',
      "Access denied for user 'salesflow'@'127.0.0.1' to database 'sales_data'",
    ),
    unreachable(
      false,
      `${MYSQL} does not let user salesflow use database sales_data (grant it, or fix the database in MYSQL_URL's path)`,
    ),
  ],
  [
    'no such database (1049)',
    'mysql',
    diagnoseMysql,
    mysqlServerError(1049, '42000', "Unknown database 'sales_data'"),
    unreachable(
      false,
      `${MYSQL} has no database sales_data (\`salesflow migrate\` creates it, or fix the database in MYSQL_URL's path)`,
    ),
  ],
  [
    'too many connections (1040)',
    'mysql',
    diagnoseMysql,
    mysqlServerError(1040, '08004', 'Too many connections'),
    unreachable(true, `${MYSQL} has no connection to spare (too many connections)`),
  ],
  [
    'out of range (1690)',
    'mysql',
    diagnoseMysql,
    mysqlServerError(1690, '22003', "BIGINT value is out of range in 'x + 1'"),
    value("mysql: BIGINT value is out of range in 'x + 1'"),
  ],
  [
    'data too long (SQLSTATE 22001)',
    'mysql',
    diagnoseMysql,
    mysqlServerError(1406, '22001', "Data too long for column 'state' at row 1"),
    value(/^mysql: Data too long/),
  ],
  [
    'deadlock (1213)',
    'mysql',
    diagnoseMysql,
    mysqlServerError(1213, '40001', 'Deadlock found when trying to get lock; try restarting transaction'),
    request(true, 'Deadlock found when trying to get lock; try restarting transaction'),
  ],
  [
    'lock wait timeout (1205)',
    'mysql',
    diagnoseMysql,
    mysqlServerError(1205, 'HY000', 'Lock wait timeout exceeded; try restarting transaction'),
    request(true, /^Lock wait timeout/),
  ],
  [
    'no such table (1146)',
    'mysql',
    diagnoseMysql,
    mysqlServerError(1146, '42S02', "Table 'sales_data.sales_windows' doesn't exist"),
    request(false, "Table 'sales_data.sales_windows' doesn't exist"),
  ],
  [
    'duplicate key (1062)',
    'mysql',
    diagnoseMysql,
    mysqlServerError(1062, '23000', "Duplicate entry '7' for key 'PRIMARY'"),
    request(false, /^Duplicate entry/),
  ],
  // cassandra-driver
  [
    'every host refused',
    'cassandra',
    diagnoseCassandra,
    new cassandraErrors.NoHostAvailableError({
      '127.0.0.1:9042': socketError('ECONNREFUSED', 'connect', '127.0.0.1', 9042),
    }),
    unreachable(true, `${CASSANDRA} refused the connection`),
  ],
  [
    'no contact point resolved',
    'cassandra',
    diagnoseCassandra,
    new cassandraErrors.NoHostAvailableError({}, 'No host could be resolved'),
    unreachable(true, `${CASSANDRA} could not be found (unknown host)`),
  ],
  [
    'a login refused among refused hosts',
    'cassandra',
    diagnoseCassandra,
    new cassandraErrors.NoHostAvailableError({
      '10.0.0.1:9042': socketError('ECONNREFUSED'),
      '127.0.0.1:9042': new cassandraErrors.AuthenticationError(
        'Provided username app and/or password are incorrect',
      ),
    }),
    unreachable(false, `${CASSANDRA} rejected the login (check CASSANDRA_USERNAME and CASSANDRA_PASSWORD)`),
  ],
  [
    'a host timed out',
    'cassandra',
    diagnoseCassandra,
    new cassandraErrors.NoHostAvailableError({
      '10.255.255.1:9042': new cassandraErrors.OperationTimedOutError(
        'The host did not reply before timeout 12000 ms',
        '10.255.255.1:9042',
      ),
    }),
    unreachable(true, `${CASSANDRA} did not answer in time`),
  ],
  [
    'too few replicas (Unavailable)',
    'cassandra',
    diagnoseCassandra,
    new cassandraErrors.ResponseError(
      cassandraTypes.responseErrorCodes.unavailableException,
      'Cannot achieve consistency level LOCAL_QUORUM',
    ),
    request(true, 'Cannot achieve consistency level LOCAL_QUORUM'),
  ],
  [
    'a write timeout',
    'cassandra',
    diagnoseCassandra,
    new cassandraErrors.ResponseError(
      cassandraTypes.responseErrorCodes.writeTimeout,
      'Operation timed out - received only 0 responses.',
    ),
    request(true, /^Operation timed out/),
  ],
  [
    'a value refused (Invalid)',
    'cassandra',
    diagnoseCassandra,
    new cassandraErrors.ResponseError(
      cassandraTypes.responseErrorCodes.invalid,
      'Invalid INTEGER constant (-1) for "day" of type text',
    ),
    value(/^cassandra: Invalid INTEGER constant/),
  ],
  [
    'a value the driver cannot encode',
    'cassandra',
    diagnoseCassandra,
    new TypeError('Not a valid text value, expected String obtained {}'),
    value('cassandra: Not a valid text value, expected String obtained {}'),
  ],
  [
    'a syntax error',
    'cassandra',
    diagnoseCassandra,
    new cassandraErrors.ResponseError(
      cassandraTypes.responseErrorCodes.syntaxError,
      "line 1:0 no viable alternative at input 'SELEC'",
    ),
    request(false, /no viable alternative/),
  ],
  // kafkajs
  [
    'refused, after kafkajs retried',
    'kafka',
    diagnoseKafka,
    new KafkaJSNumberOfRetriesExceeded(
      new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092', {
        broker: '127.0.0.1:9092',
        code: 'ECONNREFUSED',
      } as never),
      { retryCount: 1, retryTime: 300 },
    ),
    unreachable(true, `${KAFKA} refused the connection`),
  ],
  [
    'unknown host',
    'kafka',
    diagnoseKafka,
    new KafkaJSConnectionError('Connection error: getaddrinfo ENOTFOUND nohost', {
      broker: 'nohost:9092',
      code: 'ENOTFOUND',
    } as never),
    unreachable(true, `${KAFKA} could not be found (unknown host)`),
  ],
  [
    'a connect timeout (no code)',
    'kafka',
    diagnoseKafka,
    new KafkaJSConnectionError('Connection timeout', { broker: '127.0.0.1:9092' }),
    unreachable(true, `${KAFKA} is unreachable`),
  ],
  [
    'SASL refused',
    'kafka',
    diagnoseKafka,
    Reflect.construct(KafkaJSSASLAuthenticationError, [
      'SASL PLAIN authentication failed: Authentication failed: Invalid username or password',
    ]),
    unreachable(false, `${KAFKA} rejected the login (check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD)`),
  ],
  [
    'SASL against a broker without it',
    'kafka',
    diagnoseKafka,
    kafkaProtocolError(34),
    unreachable(false, `${KAFKA} rejected the login (check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD)`),
  ],
  [
    'a leader moving (retriable protocol error)',
    'kafka',
    diagnoseKafka,
    kafkaProtocolError(6),
    request(true, 'This server is not the leader for that topic-partition'),
  ],
  [
    'partitions already grown',
    'kafka',
    diagnoseKafka,
    kafkaProtocolError(37),
    request(false, /^Number of partitions is invalid/),
  ],
  // Temporal's gRPC statuses
  [
    'unavailable',
    'temporal',
    diagnoseTemporal,
    new ServiceError('Failed to connect to Temporal server', {
      cause: grpcError(14, 'No connection established'),
    }),
    unreachable(true, `${TEMPORAL} is unreachable`),
  ],
  [
    'an API key refused',
    'temporal',
    diagnoseTemporal,
    grpcError(16, 'Request unauthenticated'),
    unreachable(false, `${TEMPORAL} rejected the login (check TEMPORAL_API_KEY and the client certificate)`),
  ],
  [
    'an invalid argument',
    'temporal',
    diagnoseTemporal,
    grpcError(3, 'WorkflowId is not set on request.'),
    request(false, '3 WorkflowId is not set on request.'),
  ],
];

describe('drivers’ errors into the family, by type and code', () => {
  it.each(TABLE)('%s (%s)', (_name, service, diagnose, error, want) => {
    const e = toFamily({ service, config }, diagnose(error), error);
    expect(e).toBeInstanceOf(want.type);
    expect(e.retriable).toBe(want.retriable);
    expect(e.exitCode).toBe(want.exit);
    if (typeof want.message === 'string') expect(e.message).toBe(want.message);
    else expect(e.message).toMatch(want.message);
    expect(e.cause).toBe(error);
    if (e instanceof UnreachableError) expect(e.service).toBe(service);
  });

  it('keeps what code needs of the driver’s error: MySQL’s errno and SQLSTATE, kafkajs’s type', () => {
    const dup = mysqlServerError(1062, '23000', "Duplicate entry '7' for key 'PRIMARY'");
    expect(toFamily({ service: 'mysql', config }, diagnoseMysql(dup), dup)).toMatchObject({
      service: 'mysql',
      errno: 1062,
      code: 'ER_DUP_ENTRY',
      sqlState: '23000',
    });
    const grown = kafkaProtocolError(37);
    expect(toFamily({ service: 'kafka', config }, diagnoseKafka(grown), grown)).toMatchObject({
      code: 'INVALID_PARTITIONS',
    });
  });

  it('wraps once: a family error stays as it is', () => {
    const once = new UnreachableError('MySQL at x refused the connection', { service: 'mysql' });
    expect(toFamily({ service: 'kafka', config }, diagnoseKafka(once), once)).toBe(once);
  });

  it('names the read-only account for the dashboard’s pool', () => {
    const denied = mysqlServerError(1045, '28000', "Access denied for user 'salesflow_ro'@'127.0.0.1'");
    const target: Target = { service: 'mysql', config, readonly: true };
    expect(toFamily(target, diagnoseMysql(denied), denied).message).toBe(
      `${MYSQL} rejected the login of the read-only user salesflow_ro (check MYSQL_READONLY_USER and MYSQL_READONLY_PASSWORD)`,
    );
  });
});

describe('with TLS on, the message says which switch to look at', () => {
  const tls = (variable: string) => loadConfig({ [variable]: 'true' });

  it.each<[string, Service, string, (e: unknown) => Diagnosis, unknown, string]>([
    [
      'Kafka: the plaintext broker hangs up before the handshake ends (Node: ECONNRESET)',
      'kafka',
      'KAFKA_SSL',
      diagnoseKafka,
      new KafkaJSConnectionError(
        'Connection error: Client network socket disconnected before secure TLS connection was established',
        {
          broker: '127.0.0.1:9092',
          code: 'ECONNRESET',
        } as never,
      ),
      `${KAFKA} failed the TLS handshake (KAFKA_SSL is on: does the server speak TLS, signed by the CA configured?)`,
    ],
    [
      'MySQL: a server without TLS',
      'mysql',
      'MYSQL_TLS',
      diagnoseMysql,
      Object.assign(new Error('Server does not support secure connection'), {
        code: 'HANDSHAKE_NO_SSL_SUPPORT',
        fatal: true,
      }),
      `${MYSQL} failed the TLS handshake (MYSQL_TLS is on: does the server speak TLS, signed by the CA configured?)`,
    ],
    [
      'Cassandra: a plaintext port read as TLS',
      'cassandra',
      'CASSANDRA_TLS',
      diagnoseCassandra,
      new cassandraErrors.NoHostAvailableError({
        '127.0.0.1:9042': Object.assign(
          new Error('SSL routines:tls_validate_record_header:wrong version number'),
          {
            code: 'ERR_SSL_WRONG_VERSION_NUMBER',
          },
        ),
      }),
      `${CASSANDRA} failed the TLS handshake (CASSANDRA_TLS is on: does the server speak TLS, signed by the CA configured?)`,
    ],
    [
      'Kafka: a certificate signed by another CA',
      'kafka',
      'KAFKA_SSL',
      diagnoseKafka,
      new KafkaJSConnectionError('Connection error: self-signed certificate in certificate chain', {
        broker: '127.0.0.1:9092',
        code: 'SELF_SIGNED_CERT_IN_CHAIN',
      } as never),
      `${KAFKA} failed the TLS handshake (KAFKA_SSL is on: does the server speak TLS, signed by the CA configured?)`,
    ],
  ])('%s', (_name, service, variable, diagnose, error, message) => {
    const e = toFamily({ service, config: tls(variable) }, diagnose(error), error);
    expect(e.message).toBe(message);
    expect(e.exitCode).toBe(EXIT.unreachable);
  });

  it('a refused connection reads as without TLS', () => {
    const e = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092', {
      code: 'ECONNREFUSED',
    } as never);
    expect(toFamily({ service: 'kafka', config: tls('KAFKA_SSL') }, diagnoseKafka(e), e).message).toBe(
      `${KAFKA} refused the connection`,
    );
  });
});
