/**
 * The live dashboard: a node:http server (127.0.0.1 by default) serving the bundled page from dist/web and a JSON
 * API the page and scripts use, reading MySQL with the read-only user. Server-sent events tell the page when a
 * window (or a backfill) has committed; the page then refetches.
 *
 * The API (GET or HEAD; bad parameters 400 {error}, unknown paths 404, other methods 405, MySQL unreachable 503):
 *   /api/sales/by-state?source=S   [{state, orders, amount}], amount descending (sales_totals)
 *   /api/sales/totals              {orders, amount, bySource: [{source, orders, amount}] (every source, in
 *                                  SOURCES order), rows: [{source, state, orders, amount}] (amount descending)}
 *   /api/windows?limit=N           the stream's last N (1..1000, default 120) complete windows, oldest first:
 *                                  [{windowStart, windowEnd, records, orders, duplicates, invalid, amount, flushMs,
 *                                  flushedAt, bySource: {source: amount}}]
 *   /api/daily?from=&to=&by=       {from, to, by, rows: [{day, source, orders, amount}]} from sales_daily; open
 *                                  ends = the data's own range; by = day (default), week (from Monday) or month
 *   /api/health                    {countedOrders, windows, lastWindow, ordersPerSecond, dlq: {reason: count},
 *                                  windowSeconds, stream: {workflowId, status, phase, windowsDone, lagRecords,
 *                                  detail?}, generatedAt}
 *   /api/events                    text/event-stream: `hello` {windowSeconds}, then `update` {live, daily}
 *                                  whenever the live numbers or the daily history changed (polled every second)
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'mysql2/promise';
import { type Config, redactSecrets } from '../../src/config';
import { EXIT, SalesflowError } from '../../src/errors';
import { streamWorkflowId } from '../../src/ids';
import { createPool } from '../../src/io/mysql';
import { type EventStreams, eventStreams } from './events';
import { sendJson } from './respond';
import { type ApiHandler, apiRoutes, routeOf } from './routes';
import { serveStatic } from './static';
import { type StreamProbe, streamProbe } from './stream-health';

export type { StreamHealth } from './stream-health';

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

/**
 * The HTTP status for a failure, as the CLI's exit code for it: a bad parameter 400, MySQL really unreachable
 * (refused, timed out, gone, too many connections, our login or database refused) 503, anything else 500.
 */
const STATUS_BY_EXIT: Partial<Record<number, number>> = { [EXIT.usage]: 400, [EXIT.unreachable]: 503 };

export const httpStatusOf = (e: unknown): number =>
  (e instanceof SalesflowError && STATUS_BY_EXIT[e.exitCode]) || 500;

/** Any error nobody expected answers 500 (never 503: that means MySQL is unreachable) and never crashes us. */
function internalError(res: http.ServerResponse, e: unknown): void {
  if (process.env.SALESFLOW_DEBUG) console.error(redactSecrets(String((e as Error)?.stack ?? e)));
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, 500, { error: 'internal error' });
}

/** What the dashboard holds open: its connections and timers, all released by close(). */
interface Resources {
  pool: Pool;
  temporal: StreamProbe;
  events: EventStreams;
}

export async function startDashboard(
  config: Config,
  opts: { port: number; host?: string },
): Promise<Dashboard> {
  const host = opts.host ?? '127.0.0.1';
  const pool = createPool(config, { readonly: true, connectionLimit: 4 });
  const temporal = streamProbe(config);
  const held: Resources = { pool, temporal, events: eventStreams(pool, config.windowSeconds) };
  const api = apiRoutes({ config, pool, temporal, streamId: streamWorkflowId(config) });
  const server = createServer((req, res) => route(req, res, api, held.events));
  await listen(server, opts.port, host, held);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    close: () => shutdown(server, held),
  };
}

/**
 * A throw from a handler answers 500 instead of crashing the process. A malformed request line or header never
 * reaches the handler: Node's own clientError handling answers 400 (431 for oversized headers) and closes that
 * socket; the server keeps serving.
 */
function createServer(handle: http.RequestListener): http.Server {
  return http.createServer((req, res) => {
    try {
      handle(req, res);
    } catch (e) {
      internalError(res, e);
    }
  });
}

/** Routing: a bad target 400, other methods 405, the event stream, the API (unknown /api/ paths 404), the page. */
function route(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  api: Record<string, ApiHandler>,
  events: EventStreams,
): void {
  // `//[` and the like are not URLs at all: parse defensively and answer 400 instead of throwing.
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://localhost');
  } catch {
    sendJson(res, 400, { error: 'malformed request target' });
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    sendJson(res, 405, { error: `method ${req.method} not allowed (GET or HEAD)` });
    return;
  }
  if (url.pathname === '/api/events') {
    events.open(req, res);
    return;
  }
  const handler = routeOf(api, url.pathname);
  if (!handler) {
    if (url.pathname.startsWith('/api/')) sendJson(res, 404, { error: `no such endpoint: ${url.pathname}` });
    else serveStatic(url.pathname, res, req.method === 'HEAD');
    return;
  }
  answer(handler, url.searchParams, res);
}

/** An API handler's result as 200, or its failure as the HTTP status that names it. */
function answer(handler: ApiHandler, q: URLSearchParams, res: http.ServerResponse): void {
  handler(q).then(
    (body) => sendJson(res, 200, body),
    (e) => {
      const status = httpStatusOf(e);
      if (status === 500) internalError(res, e);
      else sendJson(res, status, { error: (e as Error).message });
    },
  );
}

async function listen(server: http.Server, port: number, host: string, held: Resources): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => {
      // Nothing may keep the process alive after a failed start (a port in use, say).
      held.events.close();
      void Promise.all([held.pool.end(), held.temporal.close()]).finally(() => reject(e));
    });
    server.listen(port, host, () => resolve());
  });
}

/** Ends the event streams and open connections first, so server.close() does not wait on a page. */
async function shutdown(server: http.Server, held: Resources): Promise<void> {
  held.events.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.all([held.pool.end(), held.temporal.close()]);
}
