import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  fitDeadLetter,
  MAX_HEADER_VALUE_BYTES,
  messageSize,
  splitBySize,
  truncateUtf8,
} from '../../src/core/dead-letter';

const letter = (bytes: number) => ({
  key: 'orders/0/42',
  value: Buffer.alloc(bytes, 0x61),
  headers: { reason: 'malformed_json', detail: 'Unexpected token a' },
});

describe('dead letters that fit', () => {
  it('leaves a letter that fits as it is', () => {
    const l = letter(1000);
    const f = fitDeadLetter(l, 1_048_588);
    expect(f.value.equals(l.value)).toBe(true);
    expect(f.headers).toEqual(l.headers);
  });

  it('cuts a letter too large for the topic, flagged with its size and digest, and it then fits', () => {
    const l = letter(2_000_000);
    const f = fitDeadLetter(l, 1_048_588);
    expect(f.headers).toMatchObject({
      reason: 'malformed_json',
      truncated: 'true',
      original_bytes: '2000000',
      sha256: createHash('sha256').update(l.value).digest('hex'),
    });
    expect(messageSize(f)).toBeLessThanOrEqual(1_048_588 - 256);
    expect(f.value.length).toBeGreaterThan(1_000_000);
    expect(l.value.subarray(0, f.value.length).equals(f.value)).toBe(true);
  });

  it('bounds header values and keys, without splitting a character', () => {
    const f = fitDeadLetter(
      { key: 'k'.repeat(5000), value: Buffer.from('x'), headers: { detail: 'é'.repeat(5000) } },
      1_048_588,
    );
    expect(Buffer.byteLength(f.headers.detail)).toBeLessThanOrEqual(MAX_HEADER_VALUE_BYTES);
    expect(f.headers.detail).toMatch(/^é+$/);
    expect(f.key.length).toBe(MAX_HEADER_VALUE_BYTES);
    expect(truncateUtf8('aé', 2)).toBe('a');
  });

  it('splits batches by bytes and by count, in order, a lone large message travelling alone', () => {
    const sizes = [400, 400, 400, 2000, 10, 10, 10];
    const batches = splitBySize(sizes, (n) => n, 1000, 2);
    expect(batches).toEqual([[400], [400], [400], [2000], [10, 10], [10]]);
    expect(batches.flat()).toEqual(sizes);
    const many = splitBySize(
      Array.from({ length: 2500 }, () => 1),
      (n) => n,
      1_000_000,
      1000,
    );
    expect(many.map((b) => b.length)).toEqual([1000, 1000, 500]);
  });
});
