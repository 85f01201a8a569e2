/**
 * The dashboard survives any request: raw TCP requests (node:net, so nothing cleans them up on the way) of every
 * class of malformation — request targets that are not URLs, garbage request lines, bad or oversized headers,
 * odd parameters, traversal, sockets dropped mid-request — each answered (or closed) while the server keeps
 * serving, and a bounded fuzz loop of random request lines after which it still answers. An unexpected error
 * answers 500, and 503 stays reserved for MySQL really being unreachable.
 */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, startDashboard } from '../../app/dashboard/server';
import { createPool } from '../../src/io/mysql';
import { createTestEnv, type TestEnv } from '../helpers/env';

/** Sends raw bytes, returns the status code of the first response line (0 when closed without an answer). */
function raw(port: number, bytes: string | Buffer, opts: { endAfterWrite?: boolean } = {}): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let got = '';
    const done = () => {
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(got);
      resolve(m ? Number(m[1]) : 0);
    };
    socket.setTimeout(5000, done);
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n')) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.on('connect', () => {
      socket.write(bytes);
      if (opts.endAfterWrite) socket.end();
    });
  });
}

const get = (target: string) => `GET ${target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`;

describe('dashboard under malformed requests', () => {
  let t: TestEnv;
  let dashboard: Dashboard;
  let port: number;

  /** The server still answers a good request. */
  async function stillServing(): Promise<void> {
    expect(await raw(port, get('/api/sales/totals'))).toBe(200);
  }

  beforeAll(async () => {
    t = await createTestEnv('dashrobust');
    dashboard = await startDashboard(t.config, { port: 0 });
    port = Number(new URL(dashboard.url).port);
  });

  afterAll(async () => {
    await dashboard?.close();
    await t?.cleanup();
  });

  it('a request target that is not a URL (`GET //[`) answers 400 and the server lives on', async () => {
    for (const target of ['//[', '//[::1', '//a:b@[', 'http://[', '//%', '/\\\\[']) {
      expect([400, 404], target).toContain(await raw(port, get(target)));
      await stillServing();
    }
  });

  it('garbage request lines, unknown methods and versions', async () => {
    for (const line of [
      '\x00\x01\x02\r\n\r\n',
      'GARBAGE\r\n\r\n',
      'GET\r\n\r\n',
      'GET / HTTP/9.9\r\n\r\n',
      'BREW /api/health HTTP/1.1\r\nhost: x\r\n\r\n',
      `GET /${'a'.repeat(70_000)} HTTP/1.1\r\nhost: x\r\n\r\n`,
      'GET /api/health HTTP/1.1\n\n',
    ]) {
      const status = await raw(port, line);
      expect(status === 0 || (status >= 400 && status < 600), JSON.stringify(line.slice(0, 40))).toBe(true);
      expect(status, 'never a crash-time 500/503').not.toBe(503);
      await stillServing();
    }
  });

  it('bad, duplicated and oversized headers', async () => {
    const cases = [
      'GET / HTTP/1.1\r\nno colon here\r\n\r\n',
      'GET / HTTP/1.1\r\nhost: x\r\nbad\x01header: 1\r\n\r\n',
      `GET / HTTP/1.1\r\nhost: x\r\nx-big: ${'b'.repeat(200_000)}\r\n\r\n`,
      'GET / HTTP/1.1\r\nhost: x\r\ncontent-length: -1\r\n\r\n',
      'GET / HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n',
      'GET / HTTP/1.1\r\nhost: x\r\nhost: y\r\nconnection: close\r\n\r\n',
    ];
    for (const c of cases) {
      const status = await raw(port, c);
      expect(status === 0 || status < 500, JSON.stringify(c.slice(0, 60))).toBe(true);
      await stillServing();
    }
  });

  it('odd parameters and paths: 400 or 404, never 5xx', async () => {
    for (const target of [
      '/api/sales/by-state?source=%E0%A4%A',
      '/api/sales/by-state?source=%00',
      '/api/sales/by-state?source=Facebook&source=Google',
      `/api/sales/by-state?source=${'x'.repeat(10_000)}`,
      '/api/windows?limit=1e309',
      '/api/windows?limit=-0',
      '/api/daily?from=9999-99-99',
      '/api/daily?from=2018-01-01&to=2017-01-01',
      '/api/__proto__',
      '/api/constructor',
      '/__proto__',
      '/..%2f..%2f..%2fetc%2fpasswd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/%00',
      '/index.html%00.js',
      '/api/health?%=%',
    ]) {
      const status = await raw(port, get(target));
      expect(status, target).toBeGreaterThanOrEqual(400);
      expect(status, target).toBeLessThan(500);
    }
    await stillServing();
  });

  it('sockets dropped mid-request or mid-stream', async () => {
    // A request cut short is refused or closed, never answered as a server error.
    for (const cut of ['GET /api/sales/tot', get('/api/sales/totals').slice(0, 30)]) {
      const status = await raw(port, cut, { endAfterWrite: true });
      expect(status === 0 || (status >= 400 && status < 500), `${JSON.stringify(cut)}: ${status}`).toBe(true);
    }
    // The event stream starts (its first line read), then its socket is dropped.
    expect(await raw(port, 'GET /api/events HTTP/1.1\r\nhost: x\r\n\r\n')).toBe(200);
    await stillServing();
  });

  it('an unexpected error answers 500, not the 503 that means MySQL is unreachable', async () => {
    const admin = createPool(t.config, { connectionLimit: 1 });
    try {
      await admin.query('DROP TABLE sales_daily');
      expect(await raw(port, get('/api/daily'))).toBe(500);
      await stillServing();
    } finally {
      await admin.end();
    }
  });

  it('a fuzz loop of random request lines ends with the server still answering', async () => {
    // Bounded: a fixed count, 16 sockets at a time, each with a 5 s timeout.
    const COUNT = 3000;
    // Mostly characters a request target may hold (so most lines parse and reach the router), some that it may not.
    const urlish = '/?=&%:@.-_~!$()*+,;aZ09E2F%/[';
    const any = '\\]é \x00\x7f\r\n\t"<>{}|^`';
    // mulberry32: a seeded generator, so a failure replays with the same lines.
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) % n;
    };
    const line = () => {
      const len = 1 + rnd(24);
      let s = '';
      for (let i = 0; i < len; i++) s += rnd(30) === 0 ? any[rnd(any.length)] : urlish[rnd(urlish.length)];
      const method = ['GET', 'HEAD', 'POST', 'GET', 'X'][rnd(5)];
      const target = ['/', '//', '/api/', '/api/daily?', '/api/sales/by-state?source=', ''][rnd(6)];
      return rnd(4) === 0 ? `${s}\r\n\r\n` : `${method} ${target}${s} HTTP/1.1\r\nhost: x\r\n\r\n`;
    };
    const counts = new Map<number, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < COUNT) {
          next++;
          const status = await raw(port, Buffer.from(line(), 'latin1'));
          counts.set(status, (counts.get(status) ?? 0) + 1);
        }
      }),
    );
    console.log(`fuzz: ${COUNT} random request lines, answers by status:`, Object.fromEntries(counts));
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(COUNT);
    expect(counts.get(500) ?? 0, 'no internal errors').toBe(0);
    expect(counts.get(503) ?? 0, 'MySQL is up').toBe(0);
    await stillServing();
  }, 300_000);
});
