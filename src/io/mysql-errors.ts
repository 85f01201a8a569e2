/**
 * What a mysql2 error means. The server's errors carry MySQL's `errno` (and its name as `code`, and a SQLSTATE);
 * mysql2's own carry a `PROTOCOL_…`/`HANDSHAKE_…` code; a socket's, Node's code.
 */
import { type Diagnosis, diagnosis, type Fault, socketFault } from './driver-errors';

/** Server errors by errno. */
const ERRNO_FAULTS: Record<number, Fault> = {
  1044: 'databaseDenied', // ER_DBACCESS_DENIED_ERROR: the account may not use this database
  1045: 'login', // ER_ACCESS_DENIED_ERROR: wrong user or password
  1049: 'noDatabase', // ER_BAD_DB_ERROR: no such database
  1698: 'login', // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
  1040: 'busy', // ER_CON_COUNT_ERROR: too many connections
  1203: 'busy', // ER_TOO_MANY_USER_CONNECTIONS
  1053: 'closed', // ER_SERVER_SHUTDOWN
  1927: 'closed', // ER_CONNECTION_KILLED (MariaDB)
};

/** mysql2's own codes. */
const CLIENT_CODES: Record<string, Fault> = {
  PROTOCOL_CONNECTION_LOST: 'closed',
  PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR: 'closed',
  // The server's handshake never came: not a TLS failure.
  PROTOCOL_SEQUENCE_TIMEOUT: 'timeout',
  HANDSHAKE_NO_SSL_SUPPORT: 'tls',
  HANDSHAKE_SSL_ERROR: 'tls',
};

/** Errors about a value (SQLSTATE class 22 "data exception", and the errnos MariaDB reports them under). */
const DATA_ERRNOS = new Set([
  1054, // unknown column: a NaN or Infinity written into a statement
  1264, // out of range value for a column
  1292, // incorrect date/time value
  1366, // incorrect value for a column
  1367, // illegal double value (Infinity) found during parsing
  1406, // data too long for a column
  1690, // BIGINT / DOUBLE value is out of range in an expression
]);

/** Server errors after which the same statement can succeed: it lost a race, or the server was failing over. */
const TRANSIENT_ERRNOS = new Set([
  1020, // ER_CHECKREAD: the record changed since it was read
  1205, // ER_LOCK_WAIT_TIMEOUT
  1213, // ER_LOCK_DEADLOCK
  1290, // ER_OPTION_PREVENTS_STATEMENT: --read-only, a replica not yet promoted
  1792, // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
]);

export function diagnoseMysql(e: unknown): Diagnosis {
  const err = e as { errno?: unknown; code?: unknown; sqlState?: unknown };
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const sqlState = typeof err?.sqlState === 'string' && err.sqlState ? err.sqlState : undefined;
  // A server error has a positive errno; a socket's is negative (Node's -111 for ECONNREFUSED).
  const errno = typeof err?.errno === 'number' && err.errno > 0 ? err.errno : undefined;
  const detail = { code, errno, sqlState };
  if (errno !== undefined) {
    const fault = ERRNO_FAULTS[errno];
    if (fault) return diagnosis(fault, detail);
    if (DATA_ERRNOS.has(errno) || sqlState?.startsWith('22')) return diagnosis('value', detail);
    return { fault: 'request', retriable: TRANSIENT_ERRNOS.has(errno), ...detail };
  }
  const fault = (code && CLIENT_CODES[code]) || socketFault(code);
  return diagnosis(fault ?? 'request', detail);
}
