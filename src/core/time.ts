/** Event time and window arithmetic, pure. */

/** ISO-8601 date-time with an explicit offset or Z, as the seed writes Created At. */
const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export function isIsoTimestamp(s: string): boolean {
  const m = ISO_WITH_OFFSET.exec(s);
  if (!m) return false;
  const [, y, mo, d, h, mi, se] = m.map(Number);
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 59) return false;
  const probe = new Date(Date.UTC(y, mo - 1, d));
  return probe.getUTCMonth() === mo - 1 && probe.getUTCDate() === d && Number.isFinite(Date.parse(s));
}

/**
 * The calendar date written in an order's Created At, in its own offset (not converted to UTC):
 * '2019-02-11T21:40:27.892+05:30' → '2019-02-11'.
 */
export function eventDay(createdAt: string): string {
  return createdAt.slice(0, 10);
}

/** Start (epoch ms) of the tumbling window of `windowSeconds` that holds `tsMs`; windows align to the epoch. */
export function windowStartFor(tsMs: number, windowSeconds: number): number {
  const w = windowSeconds * 1000;
  return Math.floor(tsMs / w) * w;
}

export function windowBounds(tsMs: number, windowSeconds: number): { start: number; end: number } {
  const start = windowStartFor(tsMs, windowSeconds);
  return { start, end: start + windowSeconds * 1000 };
}
