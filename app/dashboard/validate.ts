/**
 * Query-parameter validation for the dashboard's JSON API: pure functions, each returning the parsed value or
 * throwing a BadRequest whose message says which parameter is wrong and what it expects.
 */
import { daysBetween, isDate } from '../../src/core/days';
import { SOURCES, type Source } from '../../src/core/types';
import { UsageError } from '../../src/errors';
import type { Granularity } from './api';

/** A parameter the API cannot take: answered 400, as the CLI exits 2 on a bad flag. */
export class BadRequest extends UsageError {}

/** Rejects parameters an endpoint does not know, so a typo never silently falls back to a default. */
export function onlyParams(params: URLSearchParams, allowed: readonly string[]): void {
  for (const name of new Set(params.keys())) {
    if (!allowed.includes(name)) {
      throw new BadRequest(
        allowed.length
          ? `unknown parameter '${name}' (expected ${allowed.map((a) => `'${a}'`).join(', ')})`
          : `unknown parameter '${name}' (this endpoint takes none)`,
      );
    }
    if (params.getAll(name).length > 1) throw new BadRequest(`parameter '${name}' given more than once`);
  }
}

export function parseSource(value: string | null): Source {
  if (value === null || value === '')
    throw new BadRequest(`missing parameter 'source' (one of ${SOURCES.join(', ')})`);
  const found = SOURCES.find((s) => s === value);
  if (!found)
    throw new BadRequest(`source must be one of ${SOURCES.join(', ')}, got ${JSON.stringify(value)}`);
  return found;
}

export function parseLimit(value: string | null, fallback: number, max: number): number {
  if (value === null) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw new BadRequest(`limit must be an integer from 1 to ${max}, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** Longest range /api/daily answers at once. */
export const MAX_DAILY_DAYS = 3700;

function parseDate(name: string, value: string): string {
  if (!isDate(value)) throw new BadRequest(`${name} must be a date YYYY-MM-DD, got ${JSON.stringify(value)}`);
  return value;
}

/** How /api/daily groups days: each row's `day` is the first day of its day, week (Monday) or month. */
export const GRANULARITIES: readonly Granularity[] = ['day', 'week', 'month'];
export type { Granularity };

export function parseGranularity(value: string | null): Granularity {
  if (value === null || value === '') return 'day';
  const found = GRANULARITIES.find((g) => g === value);
  if (!found)
    throw new BadRequest(`by must be one of ${GRANULARITIES.join(', ')}, got ${JSON.stringify(value)}`);
  return found;
}

/** An inclusive date range; either end may be left out (null: the data's own first or last day). */
export function parseDateRange(
  from: string | null,
  to: string | null,
): { from: string | null; to: string | null } {
  const f = from === null || from === '' ? null : parseDate('from', from);
  const t = to === null || to === '' ? null : parseDate('to', to);
  if (f && t) {
    if (f > t) throw new BadRequest(`from (${f}) must not be after to (${t})`);
    if (daysBetween(f, t) > MAX_DAILY_DAYS)
      throw new BadRequest(`the range may span at most ${MAX_DAILY_DAYS} days, got ${f} to ${t}`);
  }
  return { from: f, to: t };
}
