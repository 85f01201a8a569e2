/** Event time and window arithmetic, pure. */

/**
 * ISO-8601 date-time with an explicit offset (±HH:MM, ±HHMM) or Z, as the seed writes Created At. Seconds are
 * required and fractions optional; a malformed time such as '2019-02-14T07:28:51:10+05:30' does not match.
 */
const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):?(\d{2}))$/;

export function isIsoTimestamp(s: string): boolean {
  // On every order the publisher reads and the flush decodes: fields are read off the match one by one, and the
  // day is checked against the month's length, without the arrays and the Date the plain version made.
  const m = ISO_WITH_OFFSET.exec(s);
  if (!m) return false;
  const month = +m[2];
  const day = +m[3];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(+m[1], month)) return false;
  if (+m[4] > 23 || +m[5] > 59 || +m[6] > 59) return false;
  return m[7] === undefined || (+m[7] <= 23 && +m[8] <= 59);
}

/** Days in a month of the proleptic Gregorian calendar (what Date uses), month 1 to 12. */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Epoch milliseconds of a Created At (which must already be a valid ISO time with offset). */
export function eventTimeMs(createdAt: string): number {
  // Date.parse wants ±HH:MM; the basic form ±HHMM is valid ISO too.
  const ms = Date.parse(createdAt.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  if (!Number.isFinite(ms)) throw new RangeError(`not an ISO-8601 time: ${JSON.stringify(createdAt)}`);
  return ms;
}

/**
 * The calendar date written in an order's Created At, in its own offset (not converted to UTC), so an order
 * belongs to the day the shop recorded: '2019-02-11T21:40:27.892+05:30' → '2019-02-11', although it is
 * 16:10 UTC, and '2019-02-11T23:30:00-08:00' → '2019-02-11', although it is the 12th in UTC.
 */
export function eventDay(createdAt: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T/.test(createdAt)) {
    throw new RangeError(`not an ISO-8601 date-time: ${JSON.stringify(createdAt)}`);
  }
  return createdAt.slice(0, 10);
}

function windowMs(windowSeconds: number): number {
  const w = windowSeconds * 1000;
  if (!Number.isFinite(w) || w <= 0)
    throw new RangeError(`window must be a positive number of seconds, got ${windowSeconds}`);
  return w;
}

/**
 * Start (epoch ms) of the tumbling window of `windowSeconds` that holds `tsMs`. Windows align to the epoch, so
 * every flusher computes the same boundaries; a timestamp exactly on a boundary opens the next window.
 */
export function windowStartFor(tsMs: number, windowSeconds: number): number {
  const w = windowMs(windowSeconds);
  return Math.floor(tsMs / w) * w;
}

/** The half-open window [start, end) holding `tsMs`. */
export function windowBounds(tsMs: number, windowSeconds: number): { start: number; end: number } {
  const start = windowStartFor(tsMs, windowSeconds);
  return { start, end: start + windowMs(windowSeconds) };
}
