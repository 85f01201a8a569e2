/**
 * Temporal connections, and what their failures mean. gRPC errors carry a status code; a failed connect says
 * nothing by type or code about why (grpc-js waits out its deadline, the worker's native connection throws a
 * TransportError), so a connect that failed asks the network itself: one TCP connection to the address, whose
 * Node error code says whether it was refused, unknown or unanswered.
 */
import * as net from 'node:net';
import { Connection, type ConnectionOptions, isGrpcServiceError, ServiceError } from '@temporalio/client';
import type { Config } from '../config';
import type { SalesflowError } from '../errors';
import { type Diagnosis, diagnosis, type Fault, socketFault } from './driver-errors';
import { type Target, toFamily } from './reach';
import { temporalConnectionOptions } from './security';

/** gRPC status codes that say something about reaching Temporal. */
const GRPC_FAULTS: Record<number, Fault> = {
  4: 'timeout', // DEADLINE_EXCEEDED
  7: 'login', // PERMISSION_DENIED
  8: 'busy', // RESOURCE_EXHAUSTED
  14: 'unreachable', // UNAVAILABLE
  16: 'login', // UNAUTHENTICATED
};

/** What a Temporal client error means, by the gRPC status the client keeps in its chain of causes. */
export function diagnoseTemporal(e: unknown): Diagnosis {
  let cur = e as { cause?: unknown } | undefined;
  for (let depth = 0; cur && depth < 8; depth++, cur = cur.cause as typeof cur) {
    if (isGrpcServiceError(cur)) {
      const fault = GRPC_FAULTS[cur.code];
      return fault
        ? diagnosis(fault, { code: cur.code })
        : { fault: 'request', retriable: false, code: cur.code };
    }
  }
  return diagnosis('request');
}

/** One TCP connection to host:port: how the network answers it (undefined: it connects). */
function probe(address: string, timeoutMs = 3000): Promise<Fault | undefined> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(at + 1));
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (fault?: Fault) => {
      socket.destroy();
      resolve(fault);
    };
    socket.setTimeout(timeoutMs, () => done('timeout'));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => done(socketFault(err.code) ?? 'unreachable'));
  });
}

/** Why a connect to Temporal failed, as an UnreachableError: from the gRPC status if any, else from the network. */
export async function temporalUnreachable(config: Config, e: unknown): Promise<SalesflowError> {
  const target: Target = { service: 'temporal', config };
  const said = diagnoseTemporal(e);
  if (said.fault === 'login' || said.fault === 'busy') return toFamily(target, said, e);
  // The port answers, but no Temporal does: TLS that does not match the server's, or a server that never replied.
  const fault = (await probe(config.temporalAddress)) ?? (config.temporalTls.enabled ? 'tls' : 'timeout');
  return toFamily(target, diagnosis(fault), e);
}

/** A client connection to Temporal; a failed connect is an UnreachableError that says why. */
export async function connectTemporal(
  config: Config,
  opts: Pick<ConnectionOptions, 'connectTimeout' | 'interceptors'> = {},
): Promise<Connection> {
  try {
    return await Connection.connect({ ...temporalConnectionOptions(config), ...opts });
  } catch (e) {
    // Options the client refuses are our mistake, not the server's.
    if (e instanceof TypeError) throw e;
    throw await temporalUnreachable(config, e);
  }
}

/** A Temporal client call's failure: a gRPC error as the family's, anything else (Temporal's own types) as is. */
export function temporalFailure(config: Config, e: unknown): unknown {
  if (!(e instanceof ServiceError || isGrpcServiceError(e))) return e;
  return toFamily({ service: 'temporal', config }, diagnoseTemporal(e), e);
}
