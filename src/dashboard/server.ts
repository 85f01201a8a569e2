/**
 * The live dashboard: a node:http server (127.0.0.1 by default) serving the bundled page from dist/web and a JSON
 * API the page and scripts use, reading MySQL with the read-only user. Server-sent events tell the page when a
 * window (or a backfill) has committed; the page then refetches.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import type { StreamStatus } from '../../workflows/types';
import { type Config, REPO_ROOT } from '../config';
import { streamWorkflowId } from '../ids';
import { createPool } from '../io/mysql';
import {
  changeStamp,
  dailySales,
  pipelineNumbers,
  recentWindows,
  salesByState,
  salesTotals,
} from './queries';
import { BadRequest, onlyParams, parseDateRange, parseLimit, parseSource } from './validate';

export const WEB_ROOT = path.join(REPO_ROOT, 'dist', 'web');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

export interface StreamHealth {
  workflowId: string;
  /** running, paused, stopping, completed, not found, unreachable, ... */
  status: string;
  phase: StreamStatus['phase'] | null;
  windowsDone: number | null;
  lagRecords: number | null;
  detail?: string;
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

class NoWorker extends Error {}

/** Temporal, connected lazily and re-tried on the next request when it was unreachable. */
function temporalProbe(config: Config) {
  let connecting: Promise<{ client: Client; connection: Connection }> | null = null;
  const connect = () => {
    connecting ??= (async () => {
      const { Client, Connection } = await import('@temporalio/client');
      const connection = await Connection.connect({ address: config.temporalAddress, connectTimeout: 2000 });
      return { client: new Client({ connection, namespace: config.temporalNamespace }), connection };
    })().catch((e) => {
      connecting = null;
      throw e;
    });
    return connecting;
  };
  const withTimeout = <T>(p: Promise<T>, ms: number) =>
    Promise.race([
      p,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)),
    ]);

  return {
    async stream(): Promise<StreamHealth> {
      const workflowId = streamWorkflowId(config);
      const empty = { workflowId, phase: null, windowsDone: null, lagRecords: null };
      let client: Client;
      try {
        ({ client } = await withTimeout(connect(), 3000));
      } catch (e) {
        return {
          ...empty,
          status: 'unreachable',
          detail: `Temporal at ${config.temporalAddress}: ${(e as Error).message}`,
        };
      }
      try {
        const handle = client.workflow.getHandle(workflowId);
        const d = await withTimeout(handle.describe(), 2000);
        if (d.status.name !== 'RUNNING') return { ...empty, status: d.status.name.toLowerCase() };
        const s = await withTimeout(handle.query<StreamStatus>('status'), 1500).catch((e: Error) => {
          throw e.message.startsWith('no answer') ? new NoWorker() : e;
        });
        return {
          workflowId,
          status: s.stopping ? 'stopping' : s.paused ? 'paused' : 'running',
          phase: s.phase,
          windowsDone: s.windowsDone,
          lagRecords: s.lagRecords,
        };
      } catch (e) {
        const name = (e as Error).name;
        if (name === 'WorkflowNotFoundError') return { ...empty, status: 'not found' };
        if (e instanceof NoWorker)
          return {
            ...empty,
            status: 'no worker',
            detail: 'running, but no worker answers: npx salesflow worker',
          };
        return { ...empty, status: 'unknown', detail: (e as Error).message };
      }
    },
    async close() {
      if (connecting) await (await connecting.catch(() => null))?.connection.close();
    },
  };
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
  const temporal = temporalProbe(config);
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
      onlyParams(q, ['from', 'to']);
      return dailySales(pool, parseDateRange(q.get('from'), q.get('to')));
    },
    '/api/health': async (q) => {
      onlyParams(q, []);
      const [numbers, stream] = await Promise.all([pipelineNumbers(pool, streamId), temporal.stream()]);
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

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
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
      res.write(
        `retry: 2000\nevent: hello\ndata: ${JSON.stringify({ windowSeconds: config.windowSeconds })}\n\n`,
      );
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    const handler = api[url.pathname];
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
        else sendJson(res, 503, { error: `MySQL: ${(e as Error).message}` });
      },
    );
  });

  // One poll for every open page: when what the page shows changed, tell them all.
  let stamp = '';
  let polling = false;
  const poll = setInterval(async () => {
    if (polling) return;
    polling = true;
    try {
      const now = await changeStamp(pool);
      if (now !== stamp) {
        stamp = now;
        for (const c of clients) c.write(`event: update\ndata: ${JSON.stringify({ stamp })}\n\n`);
      }
    } catch {
      /* MySQL away: the page's health call reports it */
    } finally {
      polling = false;
    }
  }, 1000);
  const keepAlive = setInterval(() => {
    for (const c of clients) c.write(': keep-alive\n\n');
  }, 15_000);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    async close() {
      clearInterval(poll);
      clearInterval(keepAlive);
      for (const c of clients) c.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
      await temporal.close();
    },
  };
}
