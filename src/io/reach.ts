/**
 * Which service an error came from, and a one-line message that names it and the variable pointing at it:
 * "MySQL at 127.0.0.1:1 (MYSQL_URL) refused the connection". The drivers' own errors say only
 * `connect ECONNREFUSED 127.0.0.1:1`, which does not tell an operator what to fix.
 */
import type { Config } from '../config';

export type Service = 'mysql' | 'kafka' | 'cassandra' | 'temporal';

export const SERVICE_INFO: Record<Service, { label: string; variable: string }> = {
  mysql: { label: 'MySQL', variable: 'MYSQL_URL' },
  kafka: { label: 'Kafka', variable: 'KAFKA_BROKERS' },
  cassandra: { label: 'Cassandra', variable: 'CASSANDRA_CONTACT_POINTS' },
  temporal: { label: 'Temporal', variable: 'TEMPORAL_ADDRESS' },
};

/** A service could not be reached or refused our login: the CLI exits 5 ("service unreachable"). */
export class ServiceUnreachableError extends Error {
  readonly exitCode = 5;
  constructor(
    readonly service: Service,
    message: string,
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'ServiceUnreachableError';
  }
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

type ErrorLike = {
  name?: string;
  message?: string;
  code?: unknown;
  errno?: unknown;
  sqlState?: unknown;
  cause?: unknown;
  innerErrors?: Record<string, unknown>;
  broker?: string;
};

/** The error and its causes (Temporal and kafkajs wrap), outermost first. */
function chain(e: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let cur = e as ErrorLike | undefined;
  while (cur && typeof cur === 'object' && out.length < 8) {
    out.push(cur);
    cur = cur.cause as ErrorLike | undefined;
  }
  if (out.length === 0 && e !== undefined) out.push({ message: String(e) });
  return out;
}

const text = (e: unknown) =>
  chain(e)
    .map((c) => `${c.name ?? ''} ${c.code ?? ''} ${c.message ?? ''}`)
    .join(' | ');

const LOGIN =
  /ER_ACCESS_DENIED_ERROR|ER_DBACCESS_DENIED_ERROR|Access denied|AuthenticationError|Authentication|SASL/i;
// Checked before LOST: a TLS client talking to a plaintext port sees the socket closed mid-handshake.
const TLS =
  /secure TLS connection|SSL routines|wrong version number|TLS handshake|SSL handshake|handshake failure|HANDSHAKE_NO_SSL_SUPPORT|does not support secure connection|certificate|self[- ]signed|EPROTO|ERR_SSL|ERR_TLS|InvalidContentType|CorruptMessage/i;
const REFUSED = /ECONNREFUSED|Connection refused|refused/i;
const TIMEOUT = /ETIMEDOUT|timed? ?out|deadline|Connection timeout/i;
const NOT_FOUND = /ENOTFOUND|EAI_AGAIN|getaddrinfo|dns error/i;
const LOST =
  /ECONNRESET|EPIPE|PROTOCOL_CONNECTION_LOST|Connection dropped|Connection lost|socket hang up|closed/i;
const CONNECTION =
  /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|ECONNRESET|EPIPE|PROTOCOL_CONNECTION_LOST|NoHostAvailable|All host\(s\) tried|Connection dropped|TransportError|KafkaJSConnectionError|KafkaJSNumberOfRetriesExceeded|KafkaJSNonRetriableError.*connect|Failed to connect|tcp connect error|transport error|Connection refused|Connection timeout|secure TLS connection|SSL routines|wrong version number|EPROTO|ERR_SSL|ERR_TLS|TLS handshake|SSL handshake|HANDSHAKE_NO_SSL_SUPPORT|CERT_|self[- ]signed certificate|unable to verify|certificate has expired/i;

/** True when the error means "could not reach or log in to a service" (not a query or data error). */
export function isConnectionFailure(e: unknown): boolean {
  const t = text(e);
  return CONNECTION.test(t) || /ER_ACCESS_DENIED_ERROR|ER_DBACCESS_DENIED_ERROR/.test(t);
}

/** What happened, in a few words, for the message. */
export function whatHappened(e: unknown): string {
  const t = text(e);
  if (LOGIN.test(t)) return 'rejected the login (check the user and password)';
  if (NOT_FOUND.test(t)) return 'could not be found (unknown host)';
  if (TLS.test(t)) return 'failed the TLS handshake';
  if (REFUSED.test(t)) return 'refused the connection';
  if (TIMEOUT.test(t)) return 'did not answer in time';
  if (LOST.test(t)) return 'closed the connection';
  return 'is unreachable';
}

/** The variable that turns TLS on for each service, and whether it is on. */
const TLS_SWITCH: Record<Service, [string, (c: Config) => boolean]> = {
  mysql: ['MYSQL_TLS', (c) => c.mysqlTls.enabled],
  kafka: ['KAFKA_SSL', (c) => c.kafkaSsl.enabled],
  cassandra: ['CASSANDRA_TLS', (c) => c.cassandraTls.enabled],
  temporal: ['TEMPORAL_TLS', (c) => c.temporalTls.enabled],
};

export function unreachableMessage(service: Service, config: Config, e: unknown): string {
  const { label, variable } = SERVICE_INFO[service];
  const what = whatHappened(e);
  // With TLS on, a handshake that fails or never ends usually means the port speaks plaintext (or another CA
  // signed its certificate): say which setting to look at, since the driver's words do not.
  const [tlsVariable, tlsOn] = TLS_SWITCH[service];
  const hint =
    tlsOn(config) && !/login|unknown host|refused/.test(what)
      ? ` (${tlsVariable} is on: does the server speak TLS, signed by the CA configured?)`
      : '';
  return `${label} at ${serviceAddress(service, config)} (${variable}) ${what}${hint}`;
}

/** Runs `fn`; a connection failure comes out as a ServiceUnreachableError naming the service and its variable. */
export async function reaching<T>(service: Service, config: Config, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ServiceUnreachableError || !isConnectionFailure(e)) throw e;
    throw new ServiceUnreachableError(service, unreachableMessage(service, config, e), e);
  }
}

/**
 * For an error nobody wrapped: which configured service it came from, by the driver's error type or by the
 * address in it. Undefined when it is not a connection failure or no service matches.
 */
export function serviceOf(e: unknown, config: Config): Service | undefined {
  if (e instanceof ServiceUnreachableError) return e.service;
  if (!isConnectionFailure(e)) return undefined;
  const links = chain(e);
  const t = text(e);
  // By address first: the message or error fields name the host:port that failed.
  const addresses: Array<[Service, string[]]> = [
    ['mysql', [serviceAddress('mysql', config)]],
    ['kafka', config.kafkaBrokers],
    ['cassandra', config.cassandraContactPoints],
    ['temporal', [config.temporalAddress]],
  ];
  const seen = links
    .flatMap((l) => [
      l.message ?? '',
      l.broker ?? '',
      ...Object.keys(l.innerErrors ?? {}),
      (l as { address?: string; port?: number }).address
        ? `${(l as { address?: string }).address}:${(l as { port?: number }).port}`
        : '',
    ])
    .join(' ');
  const matches = addresses.filter(([, list]) => list.some((a) => seen.includes(a)));
  if (matches.length === 1) return matches[0][0];
  // By the driver's error type.
  if (links.some((l) => l.sqlState !== undefined || /^PROTOCOL_|^ER_/.test(String(l.code ?? ''))))
    return 'mysql';
  if (/KafkaJS/.test(t)) return 'kafka';
  if (/NoHostAvailable|All host\(s\) tried/.test(t)) return 'cassandra';
  if (/TransportError|ServiceError|tonic|grpc/i.test(t)) return 'temporal';
  return matches[0]?.[0];
}
