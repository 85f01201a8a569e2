/**
 * The live dashboard: a node:http server (127.0.0.1 by default) serving the bundled page from dist/web and a JSON
 * API the page and scripts use, reading MySQL with the read-only user. Server-sent events tell the page when a
 * window (or a backfill) has committed; the page then refetches.
 *
 * The API (GET or HEAD; bad parameters 400 {error}, unknown paths 404, other methods 405, MySQL failing 503):
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
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { type Config, REPO_ROOT, redactSecrets } from '../../src/config';
import { streamWorkflowId } from '../../src/ids';
import { createPool } from '../../src/io/mysql';
import {
  changeStamp,
  dailySales,
  pipelineNumbers,
  recentWindows,
  salesByState,
  salesTotals,
} from './queries';
import { streamProbe } from './stream-health';
import {
  BadRequest,
  onlyParams,
  parseDateRange,
  parseGranularity,
  parseLimit,
  parseSource,
} from './validate';

export const WEB_ROOT = path.join(REPO_ROOT, 'dist', 'web');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

export type { StreamHealth } from './stream-health';

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

/** 503 is for MySQL really being unreachable (refused, timed out, gone, too many connections, denied). */
export function mysqlUnreachable(e: unknown): boolean {
  const code = String((e as { code?: unknown })?.code ?? '');
  return /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE|PROTOCOL_CONNECTION_LOST|ER_CON_COUNT_ERROR|ER_ACCESS_DENIED_ERROR|ER_DBACCESS_DENIED_ERROR|ER_SERVER_SHUTDOWN)$/.test(
    code,
  );
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export async function startDashboard(
  config: Config,
  opts: { port: number; host?: string },
): Promise<Dashboard> {
  const host = opts.host ?? '127.0.0.1';
  const pool = createPool(config, { readonly: true, connectionLimit: 4 });
  const temporal = streamProbe(config);
  const streamId = streamWorkflowId(config);
  const clients = new Set<http.ServerResponse>();

  const api: Record<string, (q: URLSearchParams) => Promise<unknown>> = {
    '/api/sales/by-state': async (q) => {
      onlyParams(q, ['source']);
      return salesByState(pool, parseSource(q.get('source')));
    },
    '/api/sales/totals': async (q) => {
      onlyParams(q, []);
      return salesTotals(pool);
    },
    '/api/windows': async (q) => {
      onlyParams(q, ['limit']);
      return recentWindows(pool, streamId, parseLimit(q.get('limit'), 120, 1000));
    },
    '/api/daily': async (q) => {
      onlyParams(q, ['from', 'to', 'by']);
      return dailySales(pool, parseDateRange(q.get('from'), q.get('to')), parseGranularity(q.get('by')));
    },
    '/api/health': async (q) => {
      onlyParams(q, []);
      const [numbers, stream] = await Promise.all([pipelineNumbers(pool, streamId), temporal.read()]);
      return {
        ...numbers,
        windowSeconds: config.windowSeconds,
        stream,
        generatedAt: new Date().toISOString(),
      };
    },
  };

  function serveStatic(pathname: string, res: http.ServerResponse, head: boolean): void {
    const rel = pathname === '/' ? 'index.html' : pathname.slice(1);
    const file = path.resolve(WEB_ROOT, rel);
    if (!file.startsWith(WEB_ROOT + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      if (pathname === '/') {
        sendJson(res, 500, { error: `the page is not built: ${WEB_ROOT} is missing (run npm run build)` });
      } else sendJson(res, 404, { error: `not found: ${pathname}` });
      return;
    }
    const body = fs.readFileSync(file);
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-length': body.length,
      'cache-control': 'no-cache',
    });
    res.end(head ? undefined : body);
  }

  /** Any error nobody expected answers 500 (never 503: that means MySQL is unreachable) and never crashes us. */
  function internalError(res: http.ServerResponse, e: unknown): void {
    if (process.env.SALESFLOW_DEBUG) console.error(redactSecrets(String((e as Error)?.stack ?? e)));
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(res, 500, { error: 'internal error' });
  }

  const server = http.createServer((req, res) => {
    try {
      route(req, res);
    } catch (e) {
      internalError(res, e);
    }
  });
  // A malformed request line or header never reaches the handler: Node's own clientError handling answers 400
  // (431 for oversized headers) and closes that socket; the server keeps serving.

  function route(req: http.IncomingMessage, res: http.ServerResponse): void {
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
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      res.write(
        `retry: 2000\nevent: hello\ndata: ${JSON.stringify({ windowSeconds: config.windowSeconds })}\n\n`,
      );
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    const handler = Object.hasOwn(api, url.pathname) ? api[url.pathname] : undefined;
    if (!handler) {
      if (url.pathname.startsWith('/api/'))
        sendJson(res, 404, { error: `no such endpoint: ${url.pathname}` });
      else serveStatic(url.pathname, res, req.method === 'HEAD');
      return;
    }
    handler(url.searchParams).then(
      (body) => sendJson(res, 200, body),
      (e) => {
        if (e instanceof BadRequest) sendJson(res, 400, { error: e.message });
        else if (mysqlUnreachable(e)) sendJson(res, 503, { error: `MySQL: ${(e as Error).message}` });
        else internalError(res, e);
      },
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => {
      // Nothing may keep the process alive after a failed start (a port in use, say).
      void Promise.all([pool.end(), temporal.close()]).finally(() => reject(e));
    });
    server.listen(opts.port, host, () => resolve());
  });

  // One poll for every open page: when what the page shows changed, tell them all which part did.
  let last = { live: '', daily: '' };
  let polling = false;
  const poll = setInterval(async () => {
    if (polling || clients.size === 0) return;
    polling = true;
    try {
      const now = await changeStamp(pool);
      if (now.live !== last.live || now.daily !== last.daily) {
        last = now;
        for (const c of clients) c.write(`event: update\ndata: ${JSON.stringify(now)}\n\n`);
      }
    } catch {
      /* MySQL away: the page's own calls report it */
    } finally {
      polling = false;
    }
  }, 1000);
  const keepAlive = setInterval(() => {
    for (const c of clients) c.write(': keep-alive\n\n');
  }, 15_000);

  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    async close() {
      clearInterval(poll);
      clearInterval(keepAlive);
      for (const c of clients) c.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([pool.end(), temporal.close()]);
    },
  };
}
