/**
 * The page's files, served from the bundle `npm run build` writes to dist/web. Only files inside that folder are
 * served (a path that resolves outside it is a 404), and `/` without a bundle says how to build it.
 */
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as path from 'node:path';
import { REPO_ROOT } from '../../src/config';
import { sendJson } from './respond';

export const WEB_ROOT = path.join(REPO_ROOT, 'dist', 'web');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

export function serveStatic(pathname: string, res: http.ServerResponse, head: boolean): void {
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
