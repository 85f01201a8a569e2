/**
 * A deterministic data set in exactly the seed's format: customers, orders and products. The same seed gives
 * byte-identical files; rows are produced one at a time, so a million orders stream in constant memory (orders
 * keep only a few numbers per customer and product).
 */
import { formatCustomersCsvRow, formatOrdersCsvRow, formatProductsCsvRow } from './csv';
import {
  CUSTOMER_COLUMNS,
  type Customer,
  ORDER_COLUMNS,
  type Order,
  PRODUCT_COLUMNS,
  type Product,
  SOURCES,
} from './types';

/** splitmix32's output function: spreads a 32-bit counter into well-mixed bits. */
function mix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/**
 * sfc32: a small, fast, well-mixed PRNG with a 128-bit state. Its state is filled from (seed, stream) through
 * splitmix32, so seeds 1 and 2, or the products and orders streams of one seed, are unrelated sequences.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number, stream = 0) {
    let s = (seed >>> 0) ^ mix32(Math.floor(seed / 2 ** 32) + Math.imul(stream, 0x9e3779b9));
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      return mix32(s);
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.next();
  }
  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  weighted<T>(table: WeightedTable<T>): T {
    let r = this.next() * table.total;
    for (const [item, w] of table.items) {
      r -= w;
      if (r < 0) return item;
    }
    return table.items[table.items.length - 1][0];
  }
  /** A version-4 UUID (random bits from this generator, not crypto: passwords here are sample data). */
  uuid(): string {
    let hex = '';
    for (let i = 0; i < 4; i++)
      hex += (Math.floor(this.next() * 2 ** 32) >>> 0).toString(16).padStart(8, '0');
    const variant = ((Number.parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20)}`;
  }
}

interface WeightedTable<T> {
  items: ReadonlyArray<readonly [T, number]>;
  total: number;
}
const weightedTable = <T>(items: ReadonlyArray<readonly [T, number]>): WeightedTable<T> => ({
  items,
  total: items.reduce((n, [, w]) => n + w, 0),
});

/** Uneven weights: a few big states dominate, as real shops see. */
// biome-ignore format: a compact table
const STATE_WEIGHTS: ReadonlyArray<readonly [string, number]> = [
  ['CA', 12], ['TX', 9], ['NY', 7], ['FL', 7], ['IL', 5], ['PA', 4.5], ['OH', 4], ['GA', 3.5], ['NC', 3.3], ['MI', 3.2],
  ['NJ', 3], ['VA', 2.7], ['WA', 2.5], ['AZ', 2.3], ['MA', 2.2], ['TN', 2.1], ['IN', 2], ['MO', 1.9], ['MD', 1.9],
  ['WI', 1.8], ['CO', 1.8], ['MN', 1.7], ['SC', 1.6], ['AL', 1.5], ['LA', 1.4], ['KY', 1.4], ['OR', 1.3], ['OK', 1.2],
  ['CT', 1.1], ['UT', 1], ['IA', 1], ['NV', 1], ['AR', 0.9], ['MS', 0.9], ['KS', 0.9], ['NM', 0.7], ['NE', 0.7],
  ['WV', 0.6], ['ID', 0.6], ['HI', 0.5], ['NH', 0.5], ['ME', 0.5], ['MT', 0.4], ['RI', 0.4], ['DE', 0.3], ['SD', 0.3],
  ['ND', 0.3], ['AK', 0.25], ['VT', 0.2], ['WY', 0.2],
];

// biome-ignore format: a compact table
const SOURCE_WEIGHTS: ReadonlyArray<readonly [string, number]> = [
  [SOURCES[0], 30], [SOURCES[1], 22], [SOURCES[2], 20], [SOURCES[3], 18], [SOURCES[4], 10],
];

/** Approximate centre, a sales-tax rate and a zip prefix per state. */
// biome-ignore format: a compact table
const STATE_INFO: Record<string, { lat: number; lon: number; tax: number; zip: number }> = {
  AL: { lat: 32.8, lon: -86.8, tax: 0.04, zip: 35 }, AK: { lat: 61.4, lon: -152.3, tax: 0.0, zip: 99 },
  AZ: { lat: 34.2, lon: -111.7, tax: 0.056, zip: 85 }, AR: { lat: 34.9, lon: -92.4, tax: 0.065, zip: 72 },
  CA: { lat: 36.8, lon: -119.4, tax: 0.0725, zip: 90 }, CO: { lat: 39.0, lon: -105.5, tax: 0.029, zip: 80 },
  CT: { lat: 41.6, lon: -72.7, tax: 0.0635, zip: 6 }, DE: { lat: 39.0, lon: -75.5, tax: 0.0, zip: 19 },
  FL: { lat: 27.8, lon: -81.7, tax: 0.06, zip: 32 }, GA: { lat: 32.7, lon: -83.4, tax: 0.04, zip: 30 },
  HI: { lat: 20.8, lon: -156.3, tax: 0.04, zip: 96 }, ID: { lat: 44.1, lon: -114.7, tax: 0.06, zip: 83 },
  IL: { lat: 40.0, lon: -89.2, tax: 0.0625, zip: 60 }, IN: { lat: 39.9, lon: -86.3, tax: 0.07, zip: 46 },
  IA: { lat: 42.0, lon: -93.5, tax: 0.06, zip: 50 }, KS: { lat: 38.5, lon: -98.4, tax: 0.065, zip: 66 },
  KY: { lat: 37.5, lon: -85.3, tax: 0.06, zip: 40 }, LA: { lat: 31.1, lon: -92.0, tax: 0.0445, zip: 70 },
  ME: { lat: 45.4, lon: -69.2, tax: 0.055, zip: 4 }, MD: { lat: 39.0, lon: -76.8, tax: 0.06, zip: 21 },
  MA: { lat: 42.3, lon: -71.8, tax: 0.0625, zip: 2 }, MI: { lat: 44.3, lon: -85.4, tax: 0.06, zip: 48 },
  MN: { lat: 46.3, lon: -94.3, tax: 0.06875, zip: 55 }, MS: { lat: 32.7, lon: -89.7, tax: 0.07, zip: 39 },
  MO: { lat: 38.4, lon: -92.5, tax: 0.04225, zip: 63 }, MT: { lat: 47.0, lon: -109.6, tax: 0.0, zip: 59 },
  NE: { lat: 41.5, lon: -99.8, tax: 0.055, zip: 68 }, NV: { lat: 39.3, lon: -116.6, tax: 0.0685, zip: 89 },
  NH: { lat: 43.7, lon: -71.6, tax: 0.0, zip: 3 }, NJ: { lat: 40.2, lon: -74.7, tax: 0.06625, zip: 7 },
  NM: { lat: 34.4, lon: -106.1, tax: 0.05125, zip: 87 }, NY: { lat: 42.9, lon: -75.5, tax: 0.04, zip: 10 },
  NC: { lat: 35.6, lon: -79.4, tax: 0.0475, zip: 27 }, ND: { lat: 47.5, lon: -100.5, tax: 0.05, zip: 58 },
  OH: { lat: 40.3, lon: -82.8, tax: 0.0575, zip: 44 }, OK: { lat: 35.6, lon: -97.5, tax: 0.045, zip: 73 },
  OR: { lat: 43.9, lon: -120.6, tax: 0.0, zip: 97 }, PA: { lat: 40.9, lon: -77.8, tax: 0.06, zip: 15 },
  RI: { lat: 41.7, lon: -71.5, tax: 0.07, zip: 2 }, SC: { lat: 33.9, lon: -80.9, tax: 0.06, zip: 29 },
  SD: { lat: 44.4, lon: -100.2, tax: 0.045, zip: 57 }, TN: { lat: 35.9, lon: -86.4, tax: 0.07, zip: 37 },
  TX: { lat: 31.5, lon: -99.3, tax: 0.0625, zip: 75 }, UT: { lat: 39.3, lon: -111.7, tax: 0.061, zip: 84 },
  VT: { lat: 44.1, lon: -72.7, tax: 0.06, zip: 5 }, VA: { lat: 37.5, lon: -78.9, tax: 0.053, zip: 22 },
  WA: { lat: 47.4, lon: -120.5, tax: 0.065, zip: 98 }, WV: { lat: 38.6, lon: -80.6, tax: 0.06, zip: 25 },
  WI: { lat: 44.6, lon: -89.9, tax: 0.05, zip: 53 }, WY: { lat: 43.0, lon: -107.6, tax: 0.04, zip: 82 },
};

// biome-ignore format: a compact table
const FIRST = [
  'Hudson', 'Aracely', 'Dominique', 'Kaleigh', 'Lina', 'Liam', 'Maya', 'Noah', 'Olivia', 'Ethan', 'Ava',
  'Mason', 'Sophia', 'Lucas', 'Isabella', 'Mateo', 'Zoe', 'Caleb', 'Nora', 'Elijah', 'Chloe', 'Owen',
  'Aaliyah', 'Wyatt', 'Priya', 'Diego', 'Mei', 'Kwame', 'Siobhan', 'Declan',
];
// biome-ignore format: a compact table
const LAST = [
  'Borer', 'Jenkins', 'Schamberger', 'Kub', "O'Brien", "O'Connor", "D'Angelo", 'Nguyen', 'Garcia', 'Smith',
  'Johnson', 'Hilll', 'Swaniawski', 'Casper', "O'Reilly", 'Kuhn', 'Okafor', 'Patel', 'Kowalski', 'Lindqvist',
  "D'Souza", 'McAllister', 'Rosenbaum', 'Yamamoto',
];
// biome-ignore format: a compact table
const STREETS = [
  'West Rosedale Road', 'Main Street', 'Oak Avenue', 'Maple Drive', "King's Highway", 'Elm Street',
  'Lakeview Court', 'Sunset Boulevard', 'Mill Lane', 'Cedar Ridge Road',
];
// biome-ignore format: a compact table
const CITIES = [
  'Wood River', 'Springfield', 'Riverside', 'Franklin', 'Greenville', 'Bristol', 'Clinton', 'Fairview',
  'Salem', 'Madison', "Coeur d'Alene", 'Georgetown', 'Arlington', 'Ashland', 'Burlington',
];
// biome-ignore format: a compact table
const ADJECTIVES = [
  'Rustic', 'Sleek', 'Ergonomic', 'Heavy-Duty', 'Lightweight', 'Durable', 'Enormous', 'Small', 'Practical',
  'Synergistic', 'Mediocre', 'Incredible', 'Aerodynamic', 'Fantastic', 'Gorgeous',
];
// biome-ignore format: a compact table
const MATERIALS = [
  'Paper', 'Steel', 'Wooden', 'Granite', 'Leather', 'Cotton', 'Marble', 'Plastic', 'Rubber', 'Bronze', 'Wool',
  'Silk', 'Copper', 'Concrete', 'Linen',
];
// biome-ignore format: a compact table
const NOUNS = [
  'Wallet', 'Lamp', 'Clock', 'Bench', 'Keyboard', 'Hat', 'Coat', 'Table', 'Computer', 'Shoes', 'Knife',
  'Chair', 'Bottle', 'Gloves', 'Bag', 'Pants', 'Plate', 'Car', 'Watch', 'Shirt',
];
// biome-ignore format: a compact table
const CATEGORIES = ['Gizmo', 'Doohickey', 'Gadget', 'Widget'];
/** Offsets Created At is written in: mostly the seed's +05:30, some US ones and UTC. */
// biome-ignore format: a compact table
const OFFSETS: ReadonlyArray<readonly [number, number]> = [[330, 70], [-300, 10], [-480, 8], [-360, 6], [0, 6]];

// biome-ignore format: a compact table
const DOMAINS = ['yahoo.com', 'gmail.com', 'hotmail.com', 'example.com'];

const STATES = weightedTable(STATE_WEIGHTS);
const SOURCE_TABLE = weightedTable(SOURCE_WEIGHTS);
const OFFSET_TABLE = weightedTable(OFFSETS);

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** Cents, as the seed's Tax column is written (2.07, 2.9). */
const round2 = (x: number) => Math.round(x * 100) / 100;

/** An ISO time with millis, written in the given offset (minutes east of UTC; 0 is written Z). */
export function isoInOffset(utcMs: number, offsetMin: number): string {
  const d = new Date(utcMs + offsetMin * 60_000);
  const abs = Math.abs(offsetMin);
  const off =
    offsetMin === 0 ? 'Z' : `${offsetMin < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:` +
    `${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}${off}`
  );
}

const PRODUCTS_FROM = Date.parse('2016-01-01T00:00:00Z');
const PRODUCTS_TO = Date.parse('2019-01-01T00:00:00Z');
const CUSTOMERS_FROM = Date.parse('2016-04-01T00:00:00Z');
const CUSTOMERS_TO = Date.parse('2019-04-01T00:00:00Z');
/** The seed's orders run from 2016 to April 2020. */
const ORDERS_TO = Date.parse('2020-04-19T00:00:00Z');

const between = (rng: Rng, from: number, to: number) => from + Math.floor(rng.next() * (to - from));

export interface GenerateOptions {
  customers: number;
  orders: number;
  products: number;
  seed: number;
}

export const DEFAULT_GENERATE_OPTIONS: GenerateOptions = {
  customers: 2500,
  orders: 18760,
  products: 200,
  seed: 1,
};

/** Throws a RangeError naming the first option that cannot make a data set. */
export function checkGenerateOptions(o: GenerateOptions): void {
  const minimum = { customers: 1, orders: 0, products: 1, seed: 0 } as const;
  for (const [key, min] of Object.entries(minimum) as Array<[keyof GenerateOptions, number]>) {
    const v = o[key];
    if (!Number.isSafeInteger(v) || v < min)
      throw new RangeError(`${key} must be an integer >= ${min}, got ${v}`);
  }
}

/** Separate PRNG streams per file, so adding orders never changes the customers or products. */
const STREAM = { products: 1, customers: 2, orders: 3 } as const;

export function* generateProducts(opts: GenerateOptions): Generator<Product> {
  const rng = new Rng(opts.seed, STREAM.products);
  for (let id = 1; id <= opts.products; id++) {
    // Company names with commas, as the seed's vendors ("Swaniawski, Casper and Hilll"): the CSV quotes them.
    const vendor =
      rng.next() < 0.7
        ? `${rng.pick(LAST)}, ${rng.pick(LAST)} and ${rng.pick(LAST)}`
        : `${rng.pick(LAST)}-${rng.pick(LAST)}`;
    yield {
      id,
      category: rng.pick(CATEGORIES),
      createdAt: isoInOffset(between(rng, PRODUCTS_FROM, PRODUCTS_TO), 330),
      ean:
        String(rng.int(1, 9)) +
        String(rng.int(0, 999_999)).padStart(6, '0') +
        String(rng.int(0, 999_999)).padStart(6, '0'),
      price: 15 + rng.next() * 85,
      rating: Math.round(rng.next() * 50) / 10,
      title: `${rng.pick(ADJECTIVES)} ${rng.pick(MATERIALS)} ${rng.pick(NOUNS)}`,
      vendor,
    };
  }
}

/** The customer's created time is returned too: orders come after it. */
function* customersWithTime(opts: GenerateOptions): Generator<{ customer: Customer; createdMs: number }> {
  const rng = new Rng(opts.seed, STREAM.customers);
  for (let id = 1; id <= opts.customers; id++) {
    const first = rng.pick(FIRST);
    const last = rng.pick(LAST);
    const state = rng.weighted(STATES);
    const info = STATE_INFO[state];
    const number = `${rng.int(100, 9999)}`;
    // A quarter of the addresses hold a comma, so the CSV quotes them.
    const address =
      rng.next() < 0.25
        ? `Apt ${rng.int(1, 40)}, ${number} ${rng.pick(STREETS)}`
        : `${number} ${rng.pick(STREETS)}`;
    const createdMs = between(rng, CUSTOMERS_FROM, CUSTOMERS_TO);
    const domain = rng.pick(DOMAINS);
    const customer: Customer = {
      id,
      name: `${first} ${last}`,
      address,
      birthDate: `${rng.int(1950, 2001)}-${pad(rng.int(1, 12))}-${pad(rng.int(1, 28))}`,
      city: rng.pick(CITIES),
      createdAt: isoInOffset(createdMs, 330),
      email: `${last.toLowerCase().replace(/[^a-z]/g, '')}-${first.toLowerCase()}${id}@${domain}`,
      latitude: info.lat + (rng.next() - 0.5) * 3,
      longitude: info.lon + (rng.next() - 0.5) * 4,
      password: rng.uuid(),
      source: rng.weighted(SOURCE_TABLE),
      state,
      // The state's zip prefix; New England's start with 0, which the text keeps.
      zip: pad(info.zip * 1000 + rng.int(0, 999), 5),
    };
    yield { customer, createdMs };
  }
}

export function* generateCustomers(opts: GenerateOptions): Generator<Customer> {
  for (const { customer } of customersWithTime(opts)) yield customer;
}

/**
 * Orders referencing existing customers and products, created after both, in a few offsets. Tax is the
 * customer's state rate × subtotal in cents; about one order in ten has a discount; total = subtotal - discount
 * + tax, computed in that order so a reader can check it exactly.
 */
export function* generateOrders(opts: GenerateOptions): Generator<Order> {
  checkGenerateOptions(opts);
  const prices = new Float64Array(opts.products);
  const productCreated = new Float64Array(opts.products);
  let i = 0;
  for (const p of generateProducts(opts)) {
    prices[i] = p.price;
    productCreated[i++] = Date.parse(p.createdAt);
  }
  const taxRates = new Float64Array(opts.customers);
  const customerCreated = new Float64Array(opts.customers);
  i = 0;
  for (const { customer, createdMs } of customersWithTime(opts)) {
    taxRates[i] = STATE_INFO[customer.state].tax;
    customerCreated[i++] = createdMs;
  }
  const rng = new Rng(opts.seed, STREAM.orders);
  for (let id = 1; id <= opts.orders; id++) {
    const userId = rng.int(1, opts.customers);
    const productId = rng.int(1, opts.products);
    const quantity = rng.int(1, 9);
    const subtotal = prices[productId - 1] * (0.85 + rng.next() * 0.3) * (1 + quantity * 0.15);
    const discount = rng.next() < 0.1 ? rng.next() * subtotal * 0.25 : null;
    const tax = round2(subtotal * taxRates[userId - 1]);
    const from = Math.max(customerCreated[userId - 1], productCreated[productId - 1]);
    yield {
      id,
      createdAt: isoInOffset(between(rng, from, ORDERS_TO), rng.weighted(OFFSET_TABLE)),
      discount,
      productId,
      quantity,
      subtotal,
      tax,
      total: subtotal - (discount ?? 0) + tax,
      userId,
    };
  }
}

export interface DataSetFile {
  name: 'customers.csv' | 'orders.csv' | 'products.csv';
  header: readonly string[];
  /** The data lines, without line ends. */
  rows: (opts: GenerateOptions) => Iterable<string>;
}

export const DATA_SET_FILES: readonly DataSetFile[] = [
  {
    name: 'customers.csv',
    header: CUSTOMER_COLUMNS,
    rows: (o) => map(generateCustomers(o), formatCustomersCsvRow),
  },
  { name: 'orders.csv', header: ORDER_COLUMNS, rows: (o) => map(generateOrders(o), formatOrdersCsvRow) },
  {
    name: 'products.csv',
    header: PRODUCT_COLUMNS,
    rows: (o) => map(generateProducts(o), formatProductsCsvRow),
  },
];

function* map<T, U>(items: Iterable<T>, f: (t: T) => U): Generator<U> {
  for (const t of items) yield f(t);
}
