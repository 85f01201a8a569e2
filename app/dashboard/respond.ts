/** The one way the dashboard answers JSON: never cached, with its length (HEAD and keep-alive rely on it). */
import type * as http from 'node:http';

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
