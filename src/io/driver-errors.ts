/**
 * What a driver's error can mean, in one vocabulary for every driver: each driver's errors are diagnosed by
 * their type and code (mysql-errors.ts, cassandra-errors.ts, kafka-errors.ts, temporal.ts), never by their
 * message, and wrapped into the family (reach.ts) where they enter, in the io modules.
 */
import { SalesflowError, type Service } from '../errors';

export type Fault =
  // The service could not be reached, or hung up.
  | 'refused'
  | 'unknownHost'
  | 'timeout'
  | 'closed'
  | 'tls'
  | 'busy'
  | 'unreachable'
  // It answered, but would not let us in.
  | 'login'
  | 'databaseDenied'
  | 'noDatabase'
  // It refused a value we sent: the same values fail the same way on every retry.
  | 'value'
  // It answered this request with an error of another kind.
  | 'request';

export interface Diagnosis {
  fault: Fault;
  /** Whether the same request, tried again unchanged, can succeed. */
  retriable: boolean;
  /** The driver's code: mysql2's `ER_…` name, Cassandra's response code, kafkajs's protocol error type, Node's. */
  code?: string | number;
  /** MySQL's error number and SQLSTATE. */
  errno?: number;
  sqlState?: string;
}

/** Faults that mean "the service is not there for us": the CLI exits 5 on them, the dashboard answers 503. */
export const REACH_FAULTS: ReadonlySet<Fault> = new Set<Fault>([
  'refused',
  'unknownHost',
  'timeout',
  'closed',
  'tls',
  'busy',
  'unreachable',
  'login',
  'databaseDenied',
  'noDatabase',
]);

/** Whether trying again can help, by fault, where the driver does not say more. */
export const RETRIABLE: Record<Fault, boolean> = {
  refused: true,
  unknownHost: true,
  timeout: true,
  closed: true,
  // A certificate or a plaintext port does not change by itself.
  tls: false,
  busy: true,
  unreachable: true,
  login: false,
  databaseDenied: false,
  noDatabase: false,
  value: false,
  // An error nobody classified: tried again, as Temporal and kafkajs do by default.
  request: true,
};

export const diagnosis = (fault: Fault, extra: Omit<Diagnosis, 'fault' | 'retriable'> = {}): Diagnosis => ({
  fault,
  retriable: RETRIABLE[fault],
  ...extra,
});

/** A service answered a request with an error that is not about reaching it (a missing table, a deadlock). */
export class DriverError extends SalesflowError {
  readonly code?: string | number;
  readonly errno?: number;
  readonly sqlState?: string;

  constructor(
    readonly service: Service,
    message: string,
    d: Omit<Diagnosis, 'fault'>,
    cause?: unknown,
  ) {
    super(message, { retriable: d.retriable, cause });
    this.code = d.code;
    this.errno = d.errno;
    this.sqlState = d.sqlState;
  }
}

/**
 * A sink refused a VALUE (a number out of a column's range, a value the driver cannot encode): it fails the same
 * way on every retry, so the flush isolates the record and dead-letters it with this message ("mysql: …").
 */
export class SinkRejectedError extends DriverError {
  constructor(
    service: Service,
    message: string,
    d: Omit<Diagnosis, 'fault' | 'retriable'> = {},
    cause?: unknown,
  ) {
    super(service, `${service}: ${message}`, { ...d, retriable: false }, cause);
  }
}

/** Node's certificate-verification codes (tls.TLSSocket's authorizationError, as the drivers pass it on). */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_CHAIN_TOO_LONG',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
]);

/** Node's socket and DNS error codes. */
const SOCKET_CODES: Record<string, Fault> = {
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'unknownHost',
  EAI_AGAIN: 'unknownHost',
  EAI_FAIL: 'unknownHost',
  ETIMEDOUT: 'timeout',
  ECONNRESET: 'closed',
  EPIPE: 'closed',
  ECONNABORTED: 'closed',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  ENETDOWN: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  EPROTO: 'tls',
};

/** What a Node socket, DNS or TLS error code says, or undefined for any other code. */
export function socketFault(code: unknown): Fault | undefined {
  if (typeof code !== 'string') return undefined;
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || CERTIFICATE_CODES.has(code)) return 'tls';
  return SOCKET_CODES[code];
}
