/**
 * /api/events, the server-sent events that tell open pages when to refetch: `hello` {windowSeconds} on connect,
 * then `update` {live, daily} whenever the live numbers or the daily history changed. One poll of MySQL a second
 * serves every open page, and only while one is open; a comment every 15 s keeps idle proxies from closing them.
 */
import type * as http from 'node:http';
import type { Pool } from 'mysql2/promise';
import { changeStamp } from './queries';

export interface EventStreams {
  /** Answers an /api/events request: the stream's headers, then (unless HEAD) keeps the response open. */
  open(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** Stops polling and ends every open stream. */
  close(): void;
}

/** The open pages, what they were last told, and whether a poll is still waiting on MySQL. */
interface Audience {
  clients: Set<http.ServerResponse>;
  last: { live: string; daily: string };
  polling: boolean;
}

export function eventStreams(pool: Pool, windowSeconds: number): EventStreams {
  const audience: Audience = { clients: new Set(), last: { live: '', daily: '' }, polling: false };
  const { clients } = audience;
  const poll = setInterval(() => void pollChanges(pool, audience), 1000);
  const keepAlive = setInterval(() => {
    for (const c of clients) c.write(': keep-alive\n\n');
  }, 15_000);
  return {
    open(req, res) {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      res.write(`retry: 2000\nevent: hello\ndata: ${JSON.stringify({ windowSeconds })}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
    },
    close() {
      clearInterval(poll);
      clearInterval(keepAlive);
      for (const c of clients) c.end();
    },
  };
}

/** One poll for every open page: when what the page shows changed, tell them all which part did. */
async function pollChanges(pool: Pool, audience: Audience): Promise<void> {
  // A slow poll is not overtaken by the next one, and nobody listening means no query.
  if (audience.polling || audience.clients.size === 0) return;
  audience.polling = true;
  try {
    const now = await changeStamp(pool);
    if (now.live !== audience.last.live || now.daily !== audience.last.daily) {
      audience.last = now;
      for (const c of audience.clients) c.write(`event: update\ndata: ${JSON.stringify(now)}\n\n`);
    }
  } catch {
    /* MySQL away: the page's own calls report it */
  } finally {
    audience.polling = false;
  }
}
