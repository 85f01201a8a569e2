/**
 * What a sink's error says about the data, as kafkajs does it: one family, and a `retriable` flag that says
 * whether trying again can help. A refused VALUE (a number out of a column's range, a value the driver cannot
 * encode) fails the same way on every retry, so the flush isolates the record and dead-letters it; anything
 * else (a service down, a timeout, a lock) is retried and shows as a degraded stream, and never costs a record.
 */

export class SinkRejectedError extends Error {
  /** Retrying the same records cannot succeed. */
  readonly retriable = false;
  constructor(
    readonly sink: 'cassandra' | 'mysql',
    message: string,
  ) {
    super(`${sink}: ${message}`);
    this.name = 'SinkRejectedError';
  }
}

/** MySQL errors about a value (SQLSTATE class 22 "data exception", and the errnos MariaDB reports them under). */
const MYSQL_DATA_ERRNOS = new Set([
  1054, // unknown column: a NaN or Infinity written into a statement
  1264, // out of range value for a column
  1292, // incorrect date/time value
  1366, // incorrect value for a column
  1367, // illegal double value (Infinity) found during parsing
  1406, // data too long for a column
  1690, // BIGINT / DOUBLE value is out of range in an expression
]);

export function isMysqlDataError(e: unknown): boolean {
  const err = e as { errno?: unknown; sqlState?: unknown };
  return (
    (typeof err?.sqlState === 'string' && err.sqlState.startsWith('22')) ||
    (typeof err?.errno === 'number' && MYSQL_DATA_ERRNOS.has(err.errno))
  );
}

/** Cassandra's `Invalid` response (0x2200): the server refused the statement's values. */
const CASSANDRA_INVALID = 0x2200;

/**
 * A Cassandra error about one row's values: the driver could not encode a value (TypeError/RangeError thrown
 * while serialising), or the server answered Invalid. Unavailable, timeouts and lost hosts are not.
 */
export function isCassandraValueError(e: unknown): boolean {
  if (e instanceof TypeError || e instanceof RangeError) return true;
  const err = e as { code?: unknown; name?: unknown };
  return err?.name === 'ResponseError' && err.code === CASSANDRA_INVALID;
}
