import { describe, expect, it } from 'vitest';
import { customerProblem, MAX_CUSTOMER_ID } from '../../src/core/customers';
import type { Customer } from '../../src/core/types';
import { SEED_CUSTOMER } from '../helpers/fixtures';

const good: Customer = SEED_CUSTOMER;
const problem = (over: Partial<Customer>) => customerProblem({ ...good, ...over });

describe('customerProblem', () => {
  it('accepts the seed customer, empty coordinates and every column at its limit', () => {
    expect(customerProblem(good)).toBeNull();
    expect(problem({ latitude: null, longitude: null, city: '' })).toBeNull();
    expect(
      problem({
        id: MAX_CUSTOMER_ID,
        name: 'n'.repeat(255),
        address: 'a'.repeat(512),
        birthDate: 'b'.repeat(32),
        city: 'c'.repeat(255),
        createdAt: 't'.repeat(40),
        email: 'e'.repeat(255),
        zip: 'z'.repeat(16),
        latitude: -90,
        longitude: 180,
      }),
    ).toBeNull();
    // MySQL counts utf8mb4 characters, not UTF-16 units: 255 emoji fit.
    expect(problem({ name: '😀'.repeat(255) })).toBeNull();
  });

  it.each([
    [{ id: MAX_CUSTOMER_ID + 1 }, 'ID must be an integer from 1 to 2147483647, got 2147483648'],
    [{ id: 0 }, 'ID must be an integer from 1 to 2147483647, got 0'],
    [{ name: 'n'.repeat(300) }, /^Name is 300 characters, more than the 255 it may have: "n{40}…"$/],
    [{ name: '😀'.repeat(256) }, /^Name is 256 characters/],
    [{ address: 'a'.repeat(513) }, /^Address is 513 characters, more than the 512/],
    [{ birthDate: 'b'.repeat(33) }, /^Birth Date is 33 characters/],
    [{ city: 'c'.repeat(256) }, /^City is 256 characters/],
    [{ createdAt: 't'.repeat(41) }, /^Created At is 41 characters/],
    [{ email: 'e'.repeat(256) }, /^Email is 256 characters/],
    [{ zip: '1'.repeat(17) }, /^Zip is 17 characters, more than the 16/],
    [{ latitude: 90.0001 }, 'Latitude must be from -90 to 90, got 90.0001'],
    [{ latitude: Number.POSITIVE_INFINITY }, 'Latitude must be from -90 to 90, got Infinity'],
    [{ longitude: -180.5 }, 'Longitude must be from -180 to 180, got -180.5'],
    [{ longitude: Number.NaN }, 'Longitude must be from -180 to 180, got NaN'],
    [
      { source: '=cmd|calc' },
      'Source must be one of Organic, Affiliate, Facebook, Google, Twitter, got "=cmd|calc"',
    ],
    [{ source: 'twitter' }, /^Source must be one of/],
    [{ state: 'NEBRASKA-STATE1' }, 'State must be a US state code (AL…), got "NEBRASKA-STATE1"'],
    [{ state: 'ne' }, /^State must be a US state code/],
  ] as Array<[Partial<Customer>, string | RegExp]>)('refuses %o', (over, expected) => {
    const got = problem(over);
    if (typeof expected === 'string') expect(got).toBe(expected);
    else expect(got).toMatch(expected);
  });
});
