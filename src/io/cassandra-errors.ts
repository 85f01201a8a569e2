/**
 * What a cassandra-driver error means: by the driver's error classes, the server's response code
 * (ResponseError.code), and for the hosts it could not reach, the errors it keeps per host (innerErrors).
 */
import { errors, types } from 'cassandra-driver';
import { type Diagnosis, diagnosis, type Fault, socketFault } from './driver-errors';

const codes = types.responseErrorCodes;

/** The server's answers by response code. */
const RESPONSE_FAULTS: Record<number, Diagnosis> = {
  [codes.badCredentials]: diagnosis('login'),
  // The server refused the statement's values.
  [codes.invalid]: diagnosis('value'),
  // Too few replicas alive, a node overloaded, starting or timing out: the same write can succeed later.
  [codes.unavailableException]: { fault: 'request', retriable: true },
  [codes.overloaded]: { fault: 'request', retriable: true },
  [codes.isBootstrapping]: { fault: 'request', retriable: true },
  [codes.truncateError]: { fault: 'request', retriable: true },
  [codes.writeTimeout]: { fault: 'request', retriable: true },
  [codes.readTimeout]: { fault: 'request', retriable: true },
  [codes.readFailure]: { fault: 'request', retriable: true },
  [codes.writeFailure]: { fault: 'request', retriable: true },
  [codes.serverError]: { fault: 'request', retriable: true },
  [codes.unprepared]: { fault: 'request', retriable: true },
};

/** Of the hosts' errors, the one that says most: a refused login or TLS over a refused port, say. */
const PRECEDENCE: Fault[] = ['login', 'tls', 'refused', 'unknownHost', 'timeout', 'closed', 'unreachable'];

export function diagnoseCassandra(e: unknown): Diagnosis {
  if (e instanceof errors.NoHostAvailableError) {
    const hosts = Object.values((e.innerErrors ?? {}) as Record<string, unknown>).map(diagnoseCassandra);
    // No host at all: the driver could not resolve any contact point.
    if (!hosts.length) return diagnosis('unknownHost');
    for (const fault of PRECEDENCE) {
      const found = hosts.find((d) => d.fault === fault);
      if (found) return found;
    }
    return diagnosis('unreachable');
  }
  if (e instanceof errors.AuthenticationError) return diagnosis('login');
  if (e instanceof errors.OperationTimedOutError) return diagnosis('timeout');
  if (e instanceof errors.BusyConnectionError) return diagnosis('busy');
  if (e instanceof errors.ResponseError)
    return { ...(RESPONSE_FAULTS[e.code] ?? { fault: 'request', retriable: false }), code: e.code };
  // Thrown while encoding a value the column's type cannot hold.
  if (e instanceof TypeError || e instanceof RangeError) return diagnosis('value');
  if (
    e instanceof errors.ArgumentError ||
    e instanceof errors.NotSupportedError ||
    e instanceof errors.DriverInternalError
  )
    return { fault: 'request', retriable: false };
  // The driver's own connection errors (its connect timeout) carry no code: the host is unreachable.
  if (e instanceof errors.DriverError) return diagnosis('unreachable');
  const code = (e as { code?: unknown })?.code;
  return diagnosis(socketFault(code) ?? 'request', typeof code === 'string' ? { code } : {});
}
