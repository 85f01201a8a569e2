import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeDataSet } from '../../app/ops/generate';
import { runGenerate } from '../../cli/generate';
import { readCustomersCsv, readOrdersCsv, readProductsCsv } from '../../src/core/csv';
import {
  checkGenerateOptions,
  DEFAULT_GENERATE_OPTIONS,
  generateCustomers,
  generateOrders,
  generateProducts,
  isoInOffset,
  Rng,
} from '../../src/core/generate';
import { eventTimeMs, isIsoTimestamp } from '../../src/core/time';
import { type Customer, type Order, type Product, SOURCES, US_STATES } from '../../src/core/types';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-generate-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const small = { customers: 300, orders: 3000, products: 40, seed: 42 };
const FILES = ['customers.csv', 'orders.csv', 'products.csv'];

async function generated(opts: typeof small, name: string): Promise<Record<string, Buffer>> {
  const dir = path.join(tmp, name);
  await writeDataSet(opts, dir);
  return Object.fromEntries(FILES.map((f) => [f, fs.readFileSync(path.join(dir, f))]));
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('Rng', () => {
  it('is deterministic per (seed, stream) and differs across seeds and streams', () => {
    const draw = (seed: number, stream = 0) => {
      const rng = new Rng(seed, stream);
      return Array.from({ length: 5 }, () => rng.next());
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    expect(draw(1, 1)).not.toEqual(draw(1, 2));
    expect(draw(2 ** 40)).not.toEqual(draw(0));
  });

  it('draws uniformly enough in [0, 1) and in integer ranges', () => {
    const rng = new Rng(9);
    const counts = [0, 0, 0, 0, 0, 0];
    let min = 1;
    let max = 0;
    for (let i = 0; i < 60_000; i++) {
      const x = rng.next();
      min = Math.min(min, x);
      max = Math.max(max, x);
      counts[rng.int(1, 6) - 1]++;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });

  it('makes version-4 UUIDs', () => {
    const rng = new Rng(3);
    const ids = Array.from({ length: 200 }, () => rng.uuid());
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('isoInOffset', () => {
  it('writes the local time with millis and its offset', () => {
    const t = Date.UTC(2019, 1, 11, 16, 10, 27, 892);
    expect(isoInOffset(t, 330)).toBe('2019-02-11T21:40:27.892+05:30');
    expect(isoInOffset(t, -480)).toBe('2019-02-11T08:10:27.892-08:00');
    expect(isoInOffset(t, 0)).toBe('2019-02-11T16:10:27.892Z');
    expect(eventTimeMs(isoInOffset(t, -300))).toBe(t);
  });
});

describe('generated data set', () => {
  it('is byte-identical for the same options and differs for another seed', async () => {
    const a = await generated(small, 'a');
    const b = await generated(small, 'b');
    const c = await generated({ ...small, seed: 43 }, 'c');
    for (const f of FILES) {
      expect(a[f].equals(b[f])).toBe(true);
      expect(a[f].equals(c[f])).toBe(false);
    }
  });

  it('keeps customers and products when only the order count changes', async () => {
    const more = await generated({ ...small, orders: 4000 }, 'more');
    const base = await generated(small, 'base');
    expect(more['customers.csv'].equals(base['customers.csv'])).toBe(true);
    expect(more['products.csv'].equals(base['products.csv'])).toBe(true);
    expect(more['orders.csv'].subarray(0, base['orders.csv'].length).equals(base['orders.csv'])).toBe(true);
  });

  it('writes the seed headers and reads back through the readers without a bad row', async () => {
    const dir = path.join(tmp, 'read');
    const written = await writeDataSet(small, dir);
    expect(written.map((w) => [path.basename(w.file), w.rows])).toEqual([
      ['customers.csv', 300],
      ['orders.csv', 3000],
      ['products.csv', 40],
    ]);
    expect(fs.readdirSync(dir).sort()).toEqual(FILES); // no .partial left behind
    const firstLine = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n')[0];
    expect(firstLine('orders.csv')).toBe(
      'ID,Created At,Discount,Product ID,Quantity,Subtotal,Tax,Total,User ID',
    );
    expect(firstLine('customers.csv')).toBe(
      'ID,Name,Address,Birth Date,City,Created At,Email,Latitude,Longitude,Password,Source,State,Zip',
    );
    expect(firstLine('products.csv')).toBe('ID,Category,Created At,Ean,Price,Rating,Title,Vendor');

    const orders = await collect(readOrdersCsv(path.join(dir, 'orders.csv')));
    const customers = await collect(readCustomersCsv(path.join(dir, 'customers.csv')));
    const products = await collect(readProductsCsv(path.join(dir, 'products.csv')));
    expect([...orders, ...customers, ...products].filter((r) => !r.ok)).toEqual([]);
    // What the readers return is exactly what the generator made.
    expect(orders.map((r) => r.ok && r.order)).toEqual([...generateOrders(small)]);
    expect(customers.map((r) => r.ok && r.customer)).toEqual([...generateCustomers(small)]);
    expect(products.map((r) => r.ok && r.product)).toEqual([...generateProducts(small)]);
  });
});

describe('generated values look like the seed', () => {
  const opts = { customers: 1000, orders: 20_000, products: 100, seed: 5 };
  const customers: Customer[] = [...generateCustomers(opts)];
  const products: Product[] = [...generateProducts(opts)];
  const orders: Order[] = [...generateOrders(opts)];

  it('orders: IDs 1..N, existing customers and products, consistent money', () => {
    const wrong = orders.filter(
      (o, i) =>
        o.id !== i + 1 ||
        !(o.userId >= 1 && o.userId <= opts.customers) ||
        !(o.productId >= 1 && o.productId <= opts.products) ||
        !(o.quantity >= 1 && o.quantity <= 9) ||
        o.total !== o.subtotal - (o.discount ?? 0) + o.tax ||
        Math.round(o.tax * 100) / 100 !== o.tax ||
        !(o.total > 0),
    );
    expect(wrong).toEqual([]);
    const discounted = orders.filter((o) => o.discount !== null).length / orders.length;
    expect(discounted).toBeGreaterThan(0.05);
    expect(discounted).toBeLessThan(0.2);
  });

  it('tax is a state rate × subtotal, the same rate for every order of a customer', () => {
    const rates = new Map<number, number>();
    const wrong: Order[] = [];
    for (const o of orders.filter((x) => x.subtotal > 50)) {
      const rate = o.tax / o.subtotal;
      const known = rates.get(o.userId) ?? rate;
      if (Math.abs(known - rate) > 0.0005 || rate > 0.08) wrong.push(o);
      rates.set(o.userId, rate);
    }
    expect(wrong).toEqual([]);
  });

  it('orders: ISO times with millis and offsets, 2016 to 2020, after the customer and product existed', () => {
    const offsets = new Set(orders.map((o) => o.createdAt.slice(23)));
    const years = new Set(orders.map((o) => o.createdAt.slice(0, 4)));
    const customerMs = customers.map((c) => eventTimeMs(c.createdAt));
    const productMs = products.map((p) => eventTimeMs(p.createdAt));
    const wrong = orders.filter((o) => {
      const t = eventTimeMs(o.createdAt);
      return (
        !isIsoTimestamp(o.createdAt) ||
        !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$/.test(o.createdAt) ||
        t < customerMs[o.userId - 1] ||
        t < productMs[o.productId - 1]
      );
    });
    expect(wrong).toEqual([]);
    expect([...years].sort()).toEqual(['2016', '2017', '2018', '2019', '2020']);
    expect(offsets.has('+05:30')).toBe(true);
    expect(offsets.size).toBeGreaterThanOrEqual(4);
  });

  it('customers: every source, uneven US states, 5-digit zips some with a leading zero', () => {
    expect(new Set(customers.map((c) => c.source))).toEqual(new Set(SOURCES));
    const perState = new Map<string, number>();
    for (const c of customers) {
      expect(US_STATES).toContain(c.state);
      expect(c.zip).toMatch(/^\d{5}$/);
      expect(c.email).toMatch(/^[a-z]+-[a-z]+\d+@[a-z]+\.com$/);
      expect(Math.abs(c.latitude ?? 0)).toBeLessThan(90);
      perState.set(c.state, (perState.get(c.state) ?? 0) + 1);
    }
    const counts = [...perState.values()].sort((a, b) => b - a);
    expect(counts[0]).toBeGreaterThan(5 * counts[counts.length - 1]);
    expect(customers.some((c) => c.zip.startsWith('0'))).toBe(true);
    expect(customers.some((c) => c.name.includes("'"))).toBe(true);
    expect(customers.some((c) => c.address.includes(','))).toBe(true);
  });

  it('products: the four categories, prices, 13-digit EANs, vendors with commas', () => {
    expect(new Set(products.map((p) => p.category))).toEqual(
      new Set(['Gizmo', 'Doohickey', 'Gadget', 'Widget']),
    );
    for (const p of products) {
      expect(p.price >= 15 && p.price < 100).toBe(true);
      expect(p.rating >= 0 && p.rating <= 5).toBe(true);
      expect(p.ean).toMatch(/^[1-9]\d{12}$/);
    }
    expect(products.some((p) => p.vendor.includes(','))).toBe(true);
  });
});

describe('options and the CLI', () => {
  beforeAll(() => {
    // The CLI reports on stderr and prints help on stdout; keep the test output clean.
    vi.spyOn(console, 'error').mockImplementation(() => {});
    vi.spyOn(console, 'log').mockImplementation(() => {});
    return () => vi.restoreAllMocks();
  });

  it('refuses options that cannot make a data set', () => {
    expect(() => checkGenerateOptions(DEFAULT_GENERATE_OPTIONS)).not.toThrow();
    expect(() => checkGenerateOptions({ ...small, customers: 0 })).toThrow(
      'customers must be an integer >= 1',
    );
    expect(() => checkGenerateOptions({ ...small, orders: 1.5 })).toThrow('orders must be an integer >= 0');
    expect(() => [...generateOrders({ ...small, products: 0 })]).toThrow(RangeError);
  });

  it('writes the files given on the command line', async () => {
    const out = path.join(tmp, 'cli');
    const code = await runGenerate([
      '--customers',
      '5',
      '--orders',
      '7',
      '--products',
      '3',
      '--seed',
      '9',
      '-o',
      out,
    ]);
    expect(code).toBe(0);
    expect(fs.readFileSync(path.join(out, 'orders.csv'), 'utf8').trim().split('\n')).toHaveLength(8);
  });

  it('prints help and rejects bad flags with usage errors', async () => {
    expect(await runGenerate(['--help'])).toBe(0);
    for (const args of [
      ['--orders', 'many'],
      ['--orders', '-1'],
      ['--seed', '1.5'],
      ['--customers', '0'],
      ['--bogus'],
    ]) {
      await expect(runGenerate(args)).rejects.toMatchObject({ exitCode: 2 });
    }
    await expect(runGenerate(['--orders', 'x'])).rejects.toThrow('--orders expects an integer >= 0, got "x"');
  });
});

describe('data/ in the repository', () => {
  it('is exactly what `salesflow generate` writes with the defaults', async () => {
    const fresh = await generated(DEFAULT_GENERATE_OPTIONS, 'defaults');
    for (const f of FILES) {
      const committed = fs.readFileSync(path.join(__dirname, '../../data', f));
      expect(committed.equals(fresh[f]), `data/${f} is stale: run salesflow generate`).toBe(true);
    }
  });
});
