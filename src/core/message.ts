/**
 * The wire format: the seed producer's JSON, keys exactly as the CSV header. Decoding accepts what the seed's
 * Python producer writes (pandas row → json.dumps), whose missing Discount is the bare token NaN — not valid
 * JSON — and rejects everything else that is not a well-formed order with a precise reason.
 */
import { INT32_MAX, MAX_AMOUNT, MAX_YEAR, MIN_YEAR } from './limits';
import { isIsoTimestamp } from './time';
import type { Order } from './types';

/**
 * Why a record went to the dead-letter topic. Decoding decides the first seven; `unknown_customer` is decided
 * at the join, `duplicate_conflict` (an order ID counted before, re-sent with different content) against the
 * counted orders, and `sink_rejected` when Cassandra or MySQL refuses a record that passed validation.
 */
export type DlqReason =
  | 'empty_message'
  | 'malformed_json'
  | 'missing_field'
  | 'wrong_type'
  | 'invalid_amount'
  | 'invalid_timestamp'
  | 'out_of_range'
  | 'unknown_customer'
  | 'duplicate_conflict'
  | 'sink_rejected';

export type Decoded = { ok: true; order: Order } | { ok: false; reason: DlqReason; detail: string };

/**
 * Same keys in the same order as the seed producer (json.dumps of a pandas row); no discount is null. Written out
 * by hand because it runs for every order published: a finite number's JSON is its String() (both print the
 * shortest round-trip form), and the one string field is escaped by JSON.stringify itself.
 */
export function encodeOrderMessage(o: Order): string {
  return (
    `{"ID":${o.id},"Created At":${JSON.stringify(o.createdAt)},"Discount":${o.discount === null ? 'null' : o.discount},` +
    `"Product ID":${o.productId},"Quantity":${o.quantity},"Subtotal":${o.subtotal},"Tax":${o.tax},` +
    `"Total":${o.total},"User ID":${o.userId}}`
  );
}

/**
 * Stands in for a bare NaN/Infinity/-Infinity token. Markers are only looked for when a rewrite happened, so
 * in plain JSON a sender's own "\u0000nonfinite:..." string is just a wrong-typed string.
 */
const MARK = '\u0000nonfinite:';
type NonFinite = 'NaN' | 'Infinity' | '-Infinity';

/**
 * Rewrites the bare tokens NaN, Infinity and -Infinity that Python's json.dumps emits into marker strings
 * JSON.parse accepts. String contents are skipped (escapes honoured), so a value like "NaN-free" is untouched.
 */
export function replaceNonFiniteTokens(text: string): string {
  let out = '';
  let last = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    // Only N, I and - can start a token: skip the startsWith probes for every other character.
    const token =
      c !== 0x4e /* N */ && c !== 0x49 /* I */ && c !== 0x2d /* - */
        ? null
        : text.startsWith('NaN', i)
          ? 'NaN'
          : text.startsWith('-Infinity', i)
            ? '-Infinity'
            : text.startsWith('Infinity', i)
              ? 'Infinity'
              : null;
    if (token) {
      out += `${text.slice(last, i)}"\\u0000nonfinite:${token}"`;
      i += token.length;
      last = i;
      continue;
    }
    i++;
  }
  return last === 0 ? text : out + text.slice(last);
}

/** JSON.parse's complaint about the original text (positions in a rewritten text would mislead). */
function jsonErrorOf(text: string): string | null {
  try {
    JSON.parse(text);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Which of an object's values stood for bare non-finite tokens (none when the text was plain JSON). */
type NonFiniteOf = (v: unknown) => NonFinite | null;
const noneNonFinite: NonFiniteOf = () => null;
const markedNonFinite: NonFiniteOf = (v) =>
  typeof v === 'string' && v.startsWith(MARK) ? (v.slice(MARK.length) as NonFinite) : null;

export function decodeOrderMessage(bytes: Buffer | string | null | undefined): Decoded {
  let text =
    bytes === null || bytes === undefined ? '' : typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') return { ok: false, reason: 'empty_message', detail: 'the message has no value' };
  // Rewrite only when a token could be present: the seed producer's NaN is the one dialect we accept, and
  // rewriting first avoids paying for a failed JSON.parse on every message without a discount.
  const rewritten = text.includes('NaN') || text.includes('Infinity') ? replaceNonFiniteTokens(text) : text;
  const nonFinite = rewritten === text ? noneNonFinite : markedNonFinite;
  let parsed: unknown;
  try {
    parsed = JSON.parse(rewritten);
  } catch (e) {
    return { ok: false, reason: 'malformed_json', detail: jsonErrorOf(text) ?? (e as Error).message };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const kind = Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed;
    return { ok: false, reason: 'malformed_json', detail: `the message is ${kind}, not a JSON object` };
  }
  return validateFields(parsed as Record<string, unknown>, nonFinite);
}

/**
 * Validates an order given as the seed's column names → values (a parsed message, or a CSV row with empty
 * cells as null). Extra keys are ignored.
 */
export function validateOrderFields(obj: Record<string, unknown>): Decoded {
  return validateFields(obj, noneNonFinite);
}

const REQUIRED = [
  'ID',
  'Created At',
  'Product ID',
  'Quantity',
  'Subtotal',
  'Tax',
  'Total',
  'User ID',
] as const;

class Reject {
  constructor(
    readonly reason: DlqReason,
    readonly detail: string,
  ) {}
}

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

function validateFields(obj: Record<string, unknown>, nonFinite: NonFiniteOf): Decoded {
  const missing = REQUIRED.filter((k) => obj[k] === undefined || obj[k] === null);
  if (missing.length) return { ok: false, reason: 'missing_field', detail: `missing ${missing.join(', ')}` };

  /** A whole number (2.0 is fine: pandas turns int columns with gaps into floats) from `min` to `max`. */
  const integer = (key: string, min: number, max: number, sink: string): number => {
    const v = obj[key];
    const nf = nonFinite(v);
    if (nf) throw new Reject(key === 'Quantity' ? 'invalid_amount' : 'wrong_type', `${key} is ${nf}`);
    if (typeof v !== 'number') throw new Reject('wrong_type', `${key} must be an integer, got ${show(v)}`);
    if (!Number.isInteger(v)) throw new Reject('wrong_type', `${key} must be an integer, got ${v}`);
    if (v < min) {
      const reason = key === 'Quantity' ? 'invalid_amount' : 'wrong_type';
      throw new Reject(reason, `${key} must be >= ${min}, got ${v}`);
    }
    if (v > max) throw new Reject('out_of_range', `${key} ${v} is above ${max}, the largest ${sink} holds`);
    return v;
  };
  /** A finite money amount from 0 to MAX_AMOUNT. */
  const amount = (key: string): number => {
    const v = obj[key];
    const nf = nonFinite(v);
    if (nf) throw new Reject('invalid_amount', `${key} is ${nf}`);
    if (typeof v !== 'number') throw new Reject('wrong_type', `${key} must be a number, got ${show(v)}`);
    if (!Number.isFinite(v) || v < 0)
      throw new Reject('invalid_amount', `${key} must be a finite amount >= 0, got ${v}`);
    if (v > MAX_AMOUNT)
      throw new Reject(
        'out_of_range',
        `${key} ${v} is above ${MAX_AMOUNT}, the largest amount an order may carry`,
      );
    return v;
  };
  const INT = "Cassandra's int column";

  try {
    const id = integer('ID', 1, Number.MAX_SAFE_INTEGER, 'an exact order ID');
    const createdAt = obj['Created At'];
    if (typeof createdAt !== 'string')
      throw new Reject('wrong_type', `Created At must be a string, got ${show(createdAt)}`);
    if (!isIsoTimestamp(createdAt)) {
      throw new Reject(
        'invalid_timestamp',
        `Created At is not an ISO-8601 time with offset: ${JSON.stringify(createdAt)}`,
      );
    }
    const year = Number(createdAt.slice(0, 4));
    if (year < MIN_YEAR || year > MAX_YEAR)
      throw new Reject(
        'out_of_range',
        `Created At year ${year} is outside ${MIN_YEAR}..${MAX_YEAR} (MySQL's DATE)`,
      );
    // No discount is written as NaN (Python), null (JSON) or an absent key; any other value must be an amount.
    const d = obj.Discount;
    const discount = d === undefined || d === null || nonFinite(d) === 'NaN' ? null : amount('Discount');
    const order: Order = {
      id,
      createdAt,
      discount,
      productId: integer('Product ID', 0, INT32_MAX, INT),
      quantity: integer('Quantity', 0, INT32_MAX, INT),
      subtotal: amount('Subtotal'),
      tax: amount('Tax'),
      total: amount('Total'),
      userId: integer('User ID', 0, INT32_MAX, INT),
    };
    return { ok: true, order };
  } catch (e) {
    if (e instanceof Reject) return { ok: false, reason: e.reason, detail: e.detail };
    throw e;
  }
}
