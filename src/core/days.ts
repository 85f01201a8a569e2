/**
 * Calendar-date arithmetic on YYYY-MM-DD strings (no time zones: a day is the date an order's Created At names).
 * Loops compare day numbers, never strings: past 9999-12-31 a date no longer has four year digits and its
 * string would sort before the range's end.
 */
import { MAX_BACKFILL_DAYS, MAX_YEAR, MIN_YEAR } from './limits';

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Epoch ms of a YYYY-MM-DD at 00:00 UTC (setUTCFullYear: Date.UTC maps years 0-99 to 1900-1999). */
function utcMs(y: number, m: number, d: number): number {
  const date = new Date(0);
  date.setUTCFullYear(y, m - 1, d);
  return date.getTime();
}

const toMs = (s: string) => {
  const [y, m, d] = s.split('-').map(Number);
  return utcMs(y, m, d);
};
const fromMs = (ms: number) => {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  if (y < 0 || y > 9999) throw new RangeError(`year ${y} has no YYYY-MM-DD form`);
  return `${String(y).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
};

/** A real calendar date written YYYY-MM-DD (years 0000-9999). */
export function isDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const [month, day] = [Number(m[2]), Number(m[3])];
  // Out-of-range parts would roll over (9999-99-99 into year 10007), past what fromMs can write.
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  return fromMs(utcMs(Number(m[1]), month, day)) === s;
}

export const addDays = (day: string, n: number) => fromMs(toMs(day) + n * DAY_MS);

/** Inclusive number of days from `from` to `to` (0 when to < from). */
export const daysBetween = (from: string, to: string) =>
  Math.max(0, Math.round((toMs(to) - toMs(from)) / DAY_MS) + 1);

export function* eachDay(from: string, to: string): Generator<string> {
  const end = toMs(to);
  for (let ms = toMs(from); ms <= end; ms += DAY_MS) yield fromMs(ms);
}

/** Splits an inclusive date range into calendar-month pieces. */
export function monthChunks(from: string, to: string): Array<{ from: string; to: string; days: number }> {
  const out: Array<{ from: string; to: string; days: number }> = [];
  const endMs = toMs(to);
  for (let startMs = toMs(from); startMs <= endMs; ) {
    const start = new Date(startMs);
    const monthEndMs = utcMs(start.getUTCFullYear(), start.getUTCMonth() + 2, 1) - DAY_MS;
    const chunkEndMs = Math.min(monthEndMs, endMs);
    out.push({
      from: fromMs(startMs),
      to: fromMs(chunkEndMs),
      days: Math.round((chunkEndMs - startMs) / DAY_MS) + 1,
    });
    startMs = chunkEndMs + DAY_MS;
  }
  return out;
}

/**
 * Why a backfill range cannot run, or null when it can: real dates within the years an order may carry, in
 * order, and at most MAX_BACKFILL_DAYS long (the workflow runs one activity per month of it).
 */
export function backfillRangeProblem(from: string, to: string): string | null {
  for (const [name, value] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!isDate(value))
      return `--from and --to must be dates like 2018-01-01, got --${name} ${JSON.stringify(value)}`;
    const year = Number(value.slice(0, 4));
    if (year < MIN_YEAR || year > MAX_YEAR)
      return `--${name} must be within the years ${MIN_YEAR}..${MAX_YEAR} an order may carry, got ${value}`;
  }
  if (to < from) return `--to (${to}) is before --from (${from})`;
  const days = daysBetween(from, to);
  if (days > MAX_BACKFILL_DAYS)
    return `the range is ${days} days; one backfill covers at most ${MAX_BACKFILL_DAYS} (100 years): split it`;
  return null;
}
