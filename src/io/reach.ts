/**
 * A driver's error, wrapped into the family once, where it enters (the io modules guard their clients with
 * `wrapperFor`). A service that cannot be reached or does not let us in becomes an UnreachableError whose one
 * line names the service, its address and the variable pointing at it: "MySQL at 127.0.0.1:1 (MYSQL_URL)
 * refused the connection", where the driver says only `connect ECONNREFUSED 127.0.0.1:1`. A refused value
 * becomes a SinkRejectedError; any other error a DriverError with the driver's own message.
 */
import type { Config } from '../config';
import { SalesflowError, type Service, UnreachableError } from '../errors';
import { type Diagnosis, DriverError, type Fault, REACH_FAULTS, SinkRejectedError } from './driver-errors';

export type { Service };

export const SERVICE_INFO: Record<Service, { label: string; variable: string; login: string }> = {
  mysql: { label: 'MySQL', variable: 'MYSQL_URL', login: 'the user and password in MYSQL_URL' },
  kafka: { label: 'Kafka', variable: 'KAFKA_BROKERS', login: 'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD' },
  cassandra: {
    label: 'Cassandra',
    variable: 'CASSANDRA_CONTACT_POINTS',
    login: 'CASSANDRA_USERNAME and CASSANDRA_PASSWORD',
  },
  temporal: {
    label: 'Temporal',
    variable: 'TEMPORAL_ADDRESS',
    login: 'TEMPORAL_API_KEY and the client certificate',
  },
};

/** Where an error came from: the service, and for MySQL which account (the dashboard's read-only one or ours). */
export interface Target {
  service: Service;
  config: Config;
  readonly?: boolean;
}

export function serviceAddress(service: Service, config: Config): string {
  switch (service) {
    case 'mysql':
      return `${config.mysql.host}:${config.mysql.port}`;
    case 'kafka':
      return config.kafkaBrokers.join(',');
    case 'cassandra':
      return config.cassandraContactPoints.join(',');
    case 'temporal':
      return config.temporalAddress;
  }
}

/** The variable that turns TLS on for each service, and whether it is on. */
const TLS_SWITCH: Record<Service, [string, (c: Config) => boolean]> = {
  mysql: ['MYSQL_TLS', (c) => c.mysqlTls.enabled],
  kafka: ['KAFKA_SSL', (c) => c.kafkaSsl.enabled],
  cassandra: ['CASSANDRA_TLS', (c) => c.cassandraTls.enabled],
  temporal: ['TEMPORAL_TLS', (c) => c.temporalTls.enabled],
};

/** What happened, in a few words, for the message. */
function whatHappened(fault: Fault, { service, config, readonly }: Target): string {
  const user = readonly ? config.mysqlReadonlyUser : config.mysql.user;
  const fixPath = "or fix the database in MYSQL_URL's path";
  switch (fault) {
    case 'refused':
      return 'refused the connection';
    case 'unknownHost':
      return 'could not be found (unknown host)';
    case 'timeout':
      return 'did not answer in time';
    case 'closed':
      return 'closed the connection';
    case 'tls':
      return 'failed the TLS handshake';
    case 'busy':
      return 'has no connection to spare (too many connections)';
    case 'login':
      return readonly
        ? `rejected the login of the read-only user ${user} (check MYSQL_READONLY_USER and MYSQL_READONLY_PASSWORD)`
        : `rejected the login (check ${SERVICE_INFO[service].login})`;
    case 'databaseDenied':
      return `does not let user ${user} use database ${config.mysql.database} (grant it, ${fixPath})`;
    case 'noDatabase':
      return `has no database ${config.mysql.database} (\`salesflow migrate\` creates it, ${fixPath})`;
    default:
      return 'is unreachable';
  }
}

/**
 * "Kafka at 127.0.0.1:9092 (KAFKA_BROKERS) failed the TLS handshake (KAFKA_SSL is on: …)". With TLS on, a
 * connection closed at once is a handshake that failed: a TLS client whose server speaks plaintext sees the socket
 * closed before the handshake completes (Node: ECONNRESET), and the drivers meet a reset of an established
 * connection by connecting again, so the reset that reaches us is a new connection's.
 */
export function reachMessage(target: Target, fault: Fault): string {
  const { service, config } = target;
  const { label, variable } = SERVICE_INFO[service];
  const [tlsVariable, tlsOn] = TLS_SWITCH[service];
  const said = tlsOn(config) && fault === 'closed' ? 'tls' : fault;
  // With TLS on, a handshake that fails or never ends usually means the port speaks plaintext (or another CA
  // signed its certificate): say which setting to look at, since the driver's words do not.
  const hint =
    tlsOn(config) && ['tls', 'timeout', 'unreachable'].includes(said)
      ? ` (${tlsVariable} is on: does the server speak TLS, signed by the CA configured?)`
      : '';
  return `${label} at ${serviceAddress(service, config)} (${variable}) ${whatHappened(said, target)}${hint}`;
}

/** The family error for a driver's error `e` from `target`, diagnosed as `d`; a family error stays as it is. */
export function toFamily(target: Target, d: Diagnosis, e: unknown): SalesflowError {
  if (e instanceof SalesflowError) return e;
  const { service } = target;
  if (REACH_FAULTS.has(d.fault))
    return new UnreachableError(reachMessage(target, d.fault), { service, retriable: d.retriable, cause: e });
  const message = String((e as Error)?.message || e);
  const { fault, ...detail } = d;
  if (fault === 'value') return new SinkRejectedError(service, message, detail, e);
  return new DriverError(service, message, detail, e);
}

/** What the io modules hand their guarded clients: the error a driver threw, as the family error. */
export const wrapperFor =
  (target: Target, diagnose: (e: unknown) => Diagnosis) =>
  (e: unknown): SalesflowError =>
    toFamily(target, diagnose(e), e);
