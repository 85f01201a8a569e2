/**
 * Dead letters that always fit the broker. A dead letter carries the original bytes of what was refused, its
 * reason and where it came from. The broker refuses a record batch larger than the topic's `max.message.bytes`
 * (1 MiB by default), and a refused dead-letter batch would block the stream behind it: so a letter too large to
 * send whole is cut to fit, flagged (`truncated`), with the original size and a SHA-256 of the whole value, and
 * batches are split by size as well as by count.
 */
import { createHash } from 'node:crypto';

export interface DeadLetter {
  /** Where the record came from (`topic/partition/offset`, `file:line`): a consumer can tell a retried copy. */
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** Kafka's per-record framing (length, attributes, deltas, header counts): generous, so estimates never fall short. */
const RECORD_OVERHEAD = 64;
/** Per-batch framing (the v2 record batch header is 61 bytes) plus margin. */
const BATCH_OVERHEAD = 256;
/** Header values are short by nature (a reason, a detail); one longer than this is cut. */
export const MAX_HEADER_VALUE_BYTES = 1024;

const utf8Length = (s: string) => Buffer.byteLength(s, 'utf8');

/** The bytes a message adds to a record batch, overestimated. */
export function messageSize(m: { key: string | null; value: Buffer | string; headers?: object }): number {
  let n = RECORD_OVERHEAD + (m.key === null ? 0 : utf8Length(m.key));
  n += typeof m.value === 'string' ? utf8Length(m.value) : m.value.length;
  for (const [k, v] of Object.entries(m.headers ?? {})) n += 8 + utf8Length(k) + utf8Length(String(v));
  return n;
}

/** Cuts a string to at most `max` UTF-8 bytes without splitting a character. */
export function truncateUtf8(s: string, max: number): string {
  if (utf8Length(s) <= max) return s;
  const cut = Buffer.from(s, 'utf8').subarray(0, max).toString('utf8');
  // A character split at the cut decodes as U+FFFD: drop it.
  return cut.endsWith('\uFFFD') ? cut.slice(0, -1) : cut;
}

/**
 * The letter as it will be sent: header values bounded, and the value cut so the whole record fits in
 * `maxMessageBytes` (the topic's limit) with room for the batch framing. A cut letter says so in its headers.
 */
export function fitDeadLetter(letter: DeadLetter, maxMessageBytes: number): DeadLetter {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(letter.headers)) headers[k] = truncateUtf8(v, MAX_HEADER_VALUE_BYTES);
  const key = truncateUtf8(letter.key, MAX_HEADER_VALUE_BYTES);
  const fitted = { key, value: letter.value, headers };
  const budget = maxMessageBytes - BATCH_OVERHEAD;
  if (messageSize(fitted) <= budget) return fitted;
  const marks = {
    truncated: 'true',
    original_bytes: String(letter.value.length),
    sha256: createHash('sha256').update(letter.value).digest('hex'),
  };
  const withMarks = { key, value: Buffer.alloc(0), headers: { ...headers, ...marks } };
  const room = Math.max(0, budget - messageSize(withMarks));
  return { ...withMarks, value: letter.value.subarray(0, room) };
}

/**
 * Splits messages, in order, into batches of at most `maxCount` messages and `maxBytes` bytes. A message larger
 * than `maxBytes` on its own travels alone (the caller fits messages first, so the broker still accepts it).
 */
export function splitBySize<T>(
  items: readonly T[],
  size: (item: T) => number,
  maxBytes: number,
  maxCount: number,
) {
  const batches: T[][] = [];
  let batch: T[] = [];
  let bytes = BATCH_OVERHEAD;
  for (const item of items) {
    const n = size(item);
    if (batch.length && (batch.length >= maxCount || bytes + n > maxBytes)) {
      batches.push(batch);
      batch = [];
      bytes = BATCH_OVERHEAD;
    }
    batch.push(item);
    bytes += n;
  }
  if (batch.length) batches.push(batch);
  return batches;
}
