/**
 * The wire format: the seed producer's JSON, keys exactly as the CSV header. Decoding accepts what the seed's
 * Python producer writes (pandas row → json.dumps), whose missing Discount is the bare token NaN — not valid
 * JSON — and rejects everything else that is not a well-formed order with a precise reason.
 */
import { isIsoTimestamp } from './time';
import type { Order } from './types';

export type DlqReason =
  | 'empty_message'
  | 'malformed_json'
  | 'missing_field'
  | 'wrong_type'
  | 'invalid_amount'
  | 'invalid_timestamp'
  | 'unknown_customer';

export type Decoded = { ok: true; order: Order } | { ok: false; reason: DlqReason; detail: string };

export function encodeOrderMessage(o: Order): string {
  return JSON.stringify({
    ID: o.id,
    'Created At': o.createdAt,
    Discount: o.discount,
    'Product ID': o.productId,
    Quantity: o.quantity,
    Subtotal: o.subtotal,
    Tax: o.tax,
    Total: o.total,
    'User ID': o.userId,
  });
}

/** Marks a non-finite number Python wrote as a bare token (NaN, Infinity, -Infinity). */
const NON_FINITE = '\u0000nonfinite:';

/**
 * Rewrites the bare tokens NaN, Infinity and -Infinity that Python's json.dumps emits into strings JSON.parse
 * accepts, leaving string contents untouched.
 */
export function replaceNonFiniteTokens(text: string): string {
  let out = '';
  let i = 0;
  let last = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      // Skip the string, honouring escapes.
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    const rest = text.startsWith('NaN', i)
      ? 'NaN'
      : text.startsWith('-Infinity', i)
        ? '-Infinity'
        : text.startsWith('Infinity', i)
          ? 'Infinity'
          : null;
    if (rest) {
      out += `${text.slice(last, i)}"\\u0000nonfinite:${rest}"`;
      i += rest.length;
      last = i;
      continue;
    }
    i++;
  }
  return last === 0 ? text : out + text.slice(last);
}

const isNonFinite = (v: unknown) => typeof v === 'string' && v.startsWith(NON_FINITE);

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

type Check = { value: number } | { reason: DlqReason; detail: string };

function integer(obj: Record<string, unknown>, key: string, min: number): Check {
  const v = obj[key];
  if (isNonFinite(v))
    return { reason: 'wrong_type', detail: `${key} is not a number (${String(v).slice(NON_FINITE.length)})` };
  if (typeof v !== 'number' || !Number.isInteger(v) || !Number.isSafeInteger(v)) {
    return { reason: 'wrong_type', detail: `${key} must be an integer, got ${JSON.stringify(v)}` };
  }
  if (v < min)
    return {
      reason: key === 'Quantity' ? 'invalid_amount' : 'wrong_type',
      detail: `${key} must be >= ${min}, got ${v}`,
    };
  return { value: v };
}

function amount(obj: Record<string, unknown>, key: string): Check {
  const v = obj[key];
  if (isNonFinite(v))
    return { reason: 'invalid_amount', detail: `${key} is ${String(v).slice(NON_FINITE.length)}` };
  if (typeof v !== 'number')
    return { reason: 'wrong_type', detail: `${key} must be a number, got ${JSON.stringify(v)}` };
  if (!Number.isFinite(v) || v < 0)
    return { reason: 'invalid_amount', detail: `${key} must be a finite amount >= 0, got ${v}` };
  return { value: v };
}

export function decodeOrderMessage(bytes: Buffer | string | null | undefined): Decoded {
  const text =
    bytes === null || bytes === undefined ? '' : typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  if (text.trim() === '') return { ok: false, reason: 'empty_message', detail: 'the message has no value' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    try {
      parsed = JSON.parse(replaceNonFiniteTokens(text));
    } catch (e) {
      return { ok: false, reason: 'malformed_json', detail: (e as Error).message };
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: 'malformed_json', detail: 'the message is not a JSON object' };
  }
  return validateOrderFields(parsed as Record<string, unknown>);
}

/** Validates an order given as the seed's column names → values (from JSON or a CSV row). */
export function validateOrderFields(obj: Record<string, unknown>): Decoded {
  const missing = REQUIRED.filter((k) => !(k in obj) || obj[k] === null);
  if (missing.length) return { ok: false, reason: 'missing_field', detail: `missing ${missing.join(', ')}` };

  const checks = {
    id: integer(obj, 'ID', 1),
    productId: integer(obj, 'Product ID', 0),
    quantity: integer(obj, 'Quantity', 0),
    userId: integer(obj, 'User ID', 0),
    subtotal: amount(obj, 'Subtotal'),
    tax: amount(obj, 'Tax'),
    total: amount(obj, 'Total'),
  };
  const values: Record<string, number> = {};
  for (const [name, check] of Object.entries(checks)) {
    if ('reason' in check) return { ok: false, reason: check.reason, detail: check.detail };
    values[name] = check.value;
  }

  let discount: number | null = null;
  const d = obj.Discount;
  if (d !== undefined && d !== null && !(isNonFinite(d) && d === `${NON_FINITE}NaN`)) {
    const check = amount(obj, 'Discount');
    if ('reason' in check) return { ok: false, reason: check.reason, detail: check.detail };
    discount = check.value;
  }

  const createdAt = obj['Created At'];
  if (typeof createdAt !== 'string') {
    return {
      ok: false,
      reason: 'wrong_type',
      detail: `Created At must be a string, got ${JSON.stringify(createdAt)}`,
    };
  }
  if (!isIsoTimestamp(createdAt)) {
    return {
      ok: false,
      reason: 'invalid_timestamp',
      detail: `Created At is not an ISO-8601 time with offset: ${createdAt}`,
    };
  }
  return {
    ok: true,
    order: {
      id: values.id,
      createdAt,
      discount,
      productId: values.productId,
      quantity: values.quantity,
      subtotal: values.subtotal,
      tax: values.tax,
      total: values.total,
      userId: values.userId,
    },
  };
}
