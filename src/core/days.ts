/** Calendar-date arithmetic on YYYY-MM-DD strings (no time zones: a day is the date an order's Created At names). */
const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s;
}

const toMs = (s: string) => Date.parse(`${s}T00:00:00Z`);
const fromMs = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export const addDays = (day: string, n: number) => fromMs(toMs(day) + n * DAY_MS);

/** Inclusive number of days from `from` to `to` (0 when to < from). */
export const daysBetween = (from: string, to: string) =>
  Math.max(0, Math.round((toMs(to) - toMs(from)) / DAY_MS) + 1);

export function* eachDay(from: string, to: string): Generator<string> {
  for (let d = from; d <= to; d = addDays(d, 1)) yield d;
}

/** Splits an inclusive date range into calendar-month pieces. */
export function monthChunks(from: string, to: string): Array<{ from: string; to: string; days: number }> {
  const out: Array<{ from: string; to: string; days: number }> = [];
  let start = from;
  while (start <= to) {
    const [y, m] = start.split('-').map(Number);
    const monthEnd = fromMs(Date.UTC(y, m, 1) - DAY_MS);
    const end = monthEnd < to ? monthEnd : to;
    out.push({ from: start, to: end, days: daysBetween(start, end) });
    start = addDays(end, 1);
  }
  return out;
}
