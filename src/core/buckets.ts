/**
 * The day table's bucket of an order: a stable hash of the order ID mod the bucket count. Every worker, every
 * Node version and every later release must compute the same bucket for the same ID, or a reader looks in the
 * wrong partition: this function is part of the stored data's format and must never change.
 */

/** MurmurHash3's 32-bit finaliser: every input bit moves about half the output bits. */
function fmix32(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * The bucket (0..buckets-1) of an order ID. Hashed rather than `id % buckets` so IDs that share a stride (a
 * source that numbers in steps of 16, say) still spread over every bucket. Works on the ID's two 32-bit words,
 * so any safe integer, negative included, has one well-defined bucket.
 */
export function dayBucket(orderId: number, buckets: number): number {
  if (!Number.isSafeInteger(orderId)) throw new RangeError(`order ID ${orderId} is not a safe integer`);
  const lo = orderId >>> 0;
  const hi = Math.floor(orderId / 0x1_0000_0000) >>> 0;
  return fmix32(lo ^ fmix32(hi ^ 0x9e3779b9)) % buckets;
}
