/**
 * What a customer row must satisfy to be stored: the customers table's column widths, Cassandra's `int`
 * user_id, real coordinates, and the seed's sources and states. Checked for every row of a file before anything
 * is written, so `customers load` can refuse a file whole instead of failing halfway through it.
 */
import { type Customer, SOURCES, US_STATES } from './types';

/** The text columns' VARCHAR widths in characters (src/io/mysql.ts, table customers). */
export const CUSTOMER_TEXT_LIMITS = [
  ['Name', 'name', 255],
  ['Address', 'address', 512],
  ['Birth Date', 'birthDate', 32],
  ['City', 'city', 255],
  ['Created At', 'createdAt', 40],
  ['Email', 'email', 255],
  ['Zip', 'zip', 16],
] as const satisfies ReadonlyArray<readonly [string, keyof Customer, number]>;

/** Orders join customers on User ID, stored in Cassandra's `int` user_id column. */
export const MAX_CUSTOMER_ID = 2_147_483_647;

const sources: ReadonlySet<string> = new Set(SOURCES);
const states: ReadonlySet<string> = new Set(US_STATES);

/** Characters as MySQL counts them for VARCHAR(n) in utf8mb4: code points, not UTF-16 units. */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

const shown = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

/** Why this customer cannot be stored, or null when it can. */
export function customerProblem(c: Customer): string | null {
  if (!Number.isSafeInteger(c.id) || c.id < 1 || c.id > MAX_CUSTOMER_ID)
    return `ID must be an integer from 1 to ${MAX_CUSTOMER_ID}, got ${c.id}`;
  for (const [column, field, max] of CUSTOMER_TEXT_LIMITS) {
    const value = c[field] as string;
    const n = codePoints(value);
    if (n > max) return `${column} is ${n} characters, more than the ${max} it may have: ${shown(value)}`;
  }
  if (c.latitude !== null && !(Number.isFinite(c.latitude) && Math.abs(c.latitude) <= 90))
    return `Latitude must be from -90 to 90, got ${c.latitude}`;
  if (c.longitude !== null && !(Number.isFinite(c.longitude) && Math.abs(c.longitude) <= 180))
    return `Longitude must be from -180 to 180, got ${c.longitude}`;
  if (!sources.has(c.source)) return `Source must be one of ${SOURCES.join(', ')}, got ${shown(c.source)}`;
  if (!states.has(c.state)) return `State must be a US state code (${US_STATES[0]}…), got ${shown(c.state)}`;
  return null;
}
