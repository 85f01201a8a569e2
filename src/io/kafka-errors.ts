/**
 * What a kafkajs error means: by its classes, its `retriable` flag and a protocol error's `type`. What kafkajs
 * gave up on after its own retries (KafkaJSNumberOfRetriesExceeded) is said by the error it kept as the cause.
 */
import {
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  KafkaJSSASLAuthenticationError,
} from 'kafkajs';
import { type Diagnosis, diagnosis, socketFault } from './driver-errors';

/** Protocol errors of the SASL handshake: the login was refused (or the broker does not take one). */
const SASL_TYPES = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'ILLEGAL_SASL_STATE',
  'UNSUPPORTED_SASL_MECHANISM',
]);

/** The innermost kafkajs error of the chain (ours wrap kafkajs's; kafkajs wraps its own when retries run out). */
function innermost(e: unknown): unknown {
  let found: unknown = e instanceof KafkaJSError ? e : undefined;
  let cur = e as { cause?: unknown } | undefined;
  for (let depth = 0; cur?.cause && depth < 8; depth++) {
    cur = cur.cause as { cause?: unknown };
    if (cur instanceof KafkaJSError) found = cur;
  }
  return found ?? e;
}

export function diagnoseKafka(e: unknown): Diagnosis {
  const err = innermost(e);
  if (err instanceof KafkaJSSASLAuthenticationError) return diagnosis('login');
  if (err instanceof KafkaJSProtocolError) {
    if (SASL_TYPES.has(err.type)) return diagnosis('login', { code: err.type });
    return { fault: 'request', retriable: err.retriable, code: err.type };
  }
  // A connection error keeps the socket's code; one without (a connect timeout, a connection closed under a
  // request) says only that the broker is not there.
  const code = (err as { code?: unknown })?.code;
  if (err instanceof KafkaJSConnectionError)
    return diagnosis(socketFault(code) ?? 'unreachable', typeof code === 'string' ? { code } : {});
  if (err instanceof KafkaJSRequestTimeoutError) return diagnosis('timeout');
  if (err instanceof KafkaJSError) return { fault: 'request', retriable: err.retriable };
  const fault = socketFault(code);
  if (fault) return diagnosis(fault, { code: code as string });
  // Our own reads say whether a retry can help, as kafkajs's errors do.
  const retriable = (err as { retriable?: unknown })?.retriable;
  return { fault: 'request', retriable: typeof retriable === 'boolean' ? retriable : true };
}
