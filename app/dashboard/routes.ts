/**
 * The JSON API's routing table: path → handler. A handler checks its query parameters (a BadRequest names the
 * wrong one) and answers from MySQL, the health endpoint also from Temporal; the server turns what it returns or
 * throws into the HTTP answer.
 */
import type { Pool } from 'mysql2/promise';
import type { Config } from '../../src/config';
import { dailySales, pipelineNumbers, recentWindows, salesByState, salesTotals } from './queries';
import type { StreamProbe } from './stream-health';
import { onlyParams, parseDateRange, parseGranularity, parseLimit, parseSource } from './validate';

export type ApiHandler = (q: URLSearchParams) => Promise<unknown>;

export interface ApiSources {
  config: Config;
  /** MySQL as the read-only user. */
  pool: Pool;
  temporal: StreamProbe;
  streamId: string;
}

export function apiRoutes({ config, pool, temporal, streamId }: ApiSources): Record<string, ApiHandler> {
  return {
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
}

/** The handler of a path, if the table has one (never an Object.prototype member such as `/constructor`). */
export function routeOf(routes: Record<string, ApiHandler>, pathname: string): ApiHandler | undefined {
  return Object.hasOwn(routes, pathname) ? routes[pathname] : undefined;
}
