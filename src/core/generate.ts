/**
 * A deterministic data set in exactly the seed's format: customers, orders and products. The same seed gives
 * byte-identical files; rows are produced one at a time so a million orders stream in constant memory.
 */
import { formatCustomerRow, formatOrderRow, formatProductRow } from './csv';
import {
  CUSTOMER_COLUMNS,
  type Customer,
  ORDER_COLUMNS,
  type Order,
  PRODUCT_COLUMNS,
  type Product,
  SOURCES,
} from './types';

/** sfc32: a small, fast, well-mixed PRNG with a 128-bit state. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    let t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    t = (t + this.d) | 0;
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    const total = items.reduce((n, [, w]) => n + w, 0);
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return items[items.length - 1][0];
  }
  uuid(): string {
    const hex = Array.from({ length: 32 }, () => this.int(0, 15).toString(16));
    hex[12] = '4';
    hex[16] = ((this.int(0, 15) & 0x3) | 0x8).toString(16);
    const s = hex.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
}

/** Uneven weights: a few big states dominate, as real shops see. */
const STATE_WEIGHTS: ReadonlyArray<readonly [string, number]> = [
  ['CA', 12],
  ['TX', 9],
  ['NY', 7],
  ['FL', 7],
  ['IL', 5],
  ['PA', 4.5],
  ['OH', 4],
  ['GA', 3.5],
  ['NC', 3.3],
  ['MI', 3.2],
  ['NJ', 3],
  ['VA', 2.7],
  ['WA', 2.5],
  ['AZ', 2.3],
  ['MA', 2.2],
  ['TN', 2.1],
  ['IN', 2],
  ['MO', 1.9],
  ['MD', 1.9],
  ['WI', 1.8],
  ['CO', 1.8],
  ['MN', 1.7],
  ['SC', 1.6],
  ['AL', 1.5],
  ['LA', 1.4],
  ['KY', 1.4],
  ['OR', 1.3],
  ['OK', 1.2],
  ['CT', 1.1],
  ['UT', 1],
  ['IA', 1],
  ['NV', 1],
  ['AR', 0.9],
  ['MS', 0.9],
  ['KS', 0.9],
  ['NM', 0.7],
  ['NE', 0.7],
  ['WV', 0.6],
  ['ID', 0.6],
  ['HI', 0.5],
  ['NH', 0.5],
  ['ME', 0.5],
  ['MT', 0.4],
  ['RI', 0.4],
  ['DE', 0.3],
  ['SD', 0.3],
  ['ND', 0.3],
  ['AK', 0.25],
  ['VT', 0.2],
  ['WY', 0.2],
];

const SOURCE_WEIGHTS: ReadonlyArray<readonly [string, number]> = [
  [SOURCES[0], 30],
  [SOURCES[1], 22],
  [SOURCES[2], 20],
  [SOURCES[3], 18],
  [SOURCES[4], 10],
];

/** Approximate centre, a sales-tax rate and a zip prefix per state. */
const STATE_INFO: Record<string, { lat: number; lon: number; tax: number; zip: number }> = {
  AL: { lat: 32.8, lon: -86.8, tax: 0.04, zip: 35 },
  AK: { lat: 61.4, lon: -152.3, tax: 0.0, zip: 99 },
  AZ: { lat: 34.2, lon: -111.7, tax: 0.056, zip: 85 },
  AR: { lat: 34.9, lon: -92.4, tax: 0.065, zip: 72 },
  CA: { lat: 36.8, lon: -119.4, tax: 0.0725, zip: 90 },
  CO: { lat: 39.0, lon: -105.5, tax: 0.029, zip: 80 },
  CT: { lat: 41.6, lon: -72.7, tax: 0.0635, zip: 6 },
  DE: { lat: 39.0, lon: -75.5, tax: 0.0, zip: 19 },
  FL: { lat: 27.8, lon: -81.7, tax: 0.06, zip: 32 },
  GA: { lat: 32.7, lon: -83.4, tax: 0.04, zip: 30 },
  HI: { lat: 20.8, lon: -156.3, tax: 0.04, zip: 96 },
  ID: { lat: 44.1, lon: -114.7, tax: 0.06, zip: 83 },
  IL: { lat: 40.0, lon: -89.2, tax: 0.0625, zip: 60 },
  IN: { lat: 39.9, lon: -86.3, tax: 0.07, zip: 46 },
  IA: { lat: 42.0, lon: -93.5, tax: 0.06, zip: 50 },
  KS: { lat: 38.5, lon: -98.4, tax: 0.065, zip: 66 },
  KY: { lat: 37.5, lon: -85.3, tax: 0.06, zip: 40 },
  LA: { lat: 31.1, lon: -92.0, tax: 0.0445, zip: 70 },
  ME: { lat: 45.4, lon: -69.2, tax: 0.055, zip: 4 },
  MD: { lat: 39.0, lon: -76.8, tax: 0.06, zip: 21 },
  MA: { lat: 42.3, lon: -71.8, tax: 0.0625, zip: 2 },
  MI: { lat: 44.3, lon: -85.4, tax: 0.06, zip: 48 },
  MN: { lat: 46.3, lon: -94.3, tax: 0.06875, zip: 55 },
  MS: { lat: 32.7, lon: -89.7, tax: 0.07, zip: 39 },
  MO: { lat: 38.4, lon: -92.5, tax: 0.04225, zip: 63 },
  MT: { lat: 47.0, lon: -109.6, tax: 0.0, zip: 59 },
  NE: { lat: 41.5, lon: -99.8, tax: 0.055, zip: 68 },
  NV: { lat: 39.3, lon: -116.6, tax: 0.0685, zip: 89 },
  NH: { lat: 43.7, lon: -71.6, tax: 0.0, zip: 3 },
  NJ: { lat: 40.2, lon: -74.7, tax: 0.06625, zip: 7 },
  NM: { lat: 34.4, lon: -106.1, tax: 0.05125, zip: 87 },
  NY: { lat: 42.9, lon: -75.5, tax: 0.04, zip: 10 },
  NC: { lat: 35.6, lon: -79.4, tax: 0.0475, zip: 27 },
  ND: { lat: 47.5, lon: -100.5, tax: 0.05, zip: 58 },
  OH: { lat: 40.3, lon: -82.8, tax: 0.0575, zip: 44 },
  OK: { lat: 35.6, lon: -97.5, tax: 0.045, zip: 73 },
  OR: { lat: 43.9, lon: -120.6, tax: 0.0, zip: 97 },
  PA: { lat: 40.9, lon: -77.8, tax: 0.06, zip: 15 },
  RI: { lat: 41.7, lon: -71.5, tax: 0.07, zip: 2 },
  SC: { lat: 33.9, lon: -80.9, tax: 0.06, zip: 29 },
  SD: { lat: 44.4, lon: -100.2, tax: 0.045, zip: 57 },
  TN: { lat: 35.9, lon: -86.4, tax: 0.07, zip: 37 },
  TX: { lat: 31.5, lon: -99.3, tax: 0.0625, zip: 75 },
  UT: { lat: 39.3, lon: -111.7, tax: 0.061, zip: 84 },
  VT: { lat: 44.1, lon: -72.7, tax: 0.06, zip: 5 },
  VA: { lat: 37.5, lon: -78.9, tax: 0.053, zip: 22 },
  WA: { lat: 47.4, lon: -120.5, tax: 0.065, zip: 98 },
  WV: { lat: 38.6, lon: -80.6, tax: 0.06, zip: 25 },
  WI: { lat: 44.6, lon: -89.9, tax: 0.05, zip: 53 },
  WY: { lat: 43.0, lon: -107.6, tax: 0.04, zip: 82 },
};

const FIRST = [
  'Hudson',
  'Aracely',
  'Dominique',
  'Kaleigh',
  'Lina',
  'Liam',
  'Maya',
  'Noah',
  'Olivia',
  'Ethan',
  'Ava',
  'Mason',
  'Sophia',
  'Lucas',
  'Isabella',
  'Mateo',
  'Zoe',
  'Caleb',
  'Nora',
  'Elijah',
  'Chloe',
  'Owen',
  'Aaliyah',
  'Wyatt',
  'Priya',
  'Diego',
  'Mei',
  'Kwame',
  'Siobhan',
  'Declan',
];
const LAST = [
  'Borer',
  'Jenkins',
  'Schamberger',
  'Kub',
  "O'Brien",
  "O'Connor",
  "D'Angelo",
  'Nguyen',
  'Garcia',
  'Smith',
  'Johnson',
  'Hilll',
  'Swaniawski',
  'Casper',
  "O'Reilly",
  'Kuhn',
  'Okafor',
  'Patel',
  'Kowalski',
  'Lindqvist',
  "D'Souza",
  'McAllister',
  'Rosenbaum',
  'Yamamoto',
];
const STREETS = [
  'West Rosedale Road',
  'Main Street',
  'Oak Avenue',
  'Maple Drive',
  "King's Highway",
  'Elm Street',
  'Lakeview Court',
  'Sunset Boulevard',
  'Mill Lane',
  'Cedar Ridge Road',
];
const CITIES = [
  'Wood River',
  'Springfield',
  'Riverside',
  'Franklin',
  'Greenville',
  'Bristol',
  'Clinton',
  'Fairview',
  'Salem',
  'Madison',
  "Coeur d'Alene",
  'Georgetown',
  'Arlington',
  'Ashland',
  'Burlington',
];
const ADJECTIVES = [
  'Rustic',
  'Sleek',
  'Ergonomic',
  'Heavy-Duty',
  'Lightweight',
  'Durable',
  'Enormous',
  'Small',
  'Practical',
  'Synergistic',
  'Mediocre',
  'Incredible',
  'Aerodynamic',
  'Fantastic',
  'Gorgeous',
];
const MATERIALS = [
  'Paper',
  'Steel',
  'Wooden',
  'Granite',
  'Leather',
  'Cotton',
  'Marble',
  'Plastic',
  'Rubber',
  'Bronze',
  'Wool',
  'Silk',
  'Copper',
  'Concrete',
  'Linen',
];
const NOUNS = [
  'Wallet',
  'Lamp',
  'Clock',
  'Bench',
  'Keyboard',
  'Hat',
  'Coat',
  'Table',
  'Computer',
  'Shoes',
  'Knife',
  'Chair',
  'Bottle',
  'Gloves',
  'Bag',
  'Pants',
  'Plate',
  'Car',
  'Watch',
  'Shirt',
];
const CATEGORIES = ['Gizmo', 'Doohickey', 'Gadget', 'Widget'];
/** Offsets Created At is written in: mostly the seed's +05:30, some US ones and UTC. */
const OFFSETS: ReadonlyArray<readonly [number, number]> = [
  [330, 70],
  [-300, 10],
  [-480, 8],
  [-360, 6],
  [0, 6],
];

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const round2 = (x: number) => Math.round(x * 100) / 100;

/** An ISO time with millis, written in the given offset (minutes east of UTC). */
export function isoInOffset(utcMs: number, offsetMin: number): string {
  const d = new Date(utcMs + offsetMin * 60_000);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const off = offsetMin === 0 ? 'Z' : `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:` +
    `${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}${off}`
  );
}

const between = (rng: Rng, from: string, to: string) => {
  const a = Date.parse(from);
  return a + Math.floor(rng.next() * (Date.parse(to) - a));
};

export interface GenerateOptions {
  customers: number;
  orders: number;
  products: number;
  seed: number;
}

export function* generateProducts(opts: GenerateOptions): Generator<Product> {
  const rng = new Rng(opts.seed * 3 + 1);
  for (let id = 1; id <= opts.products; id++) {
    const vendor = `${rng.pick(LAST)}, ${rng.pick(LAST)} and ${rng.pick(LAST)}`;
    yield {
      id,
      category: rng.pick(CATEGORIES),
      createdAt: isoInOffset(between(rng, '2016-01-01T00:00:00Z', '2019-01-01T00:00:00Z'), 330),
      ean: String(rng.int(1, 9)) + Array.from({ length: 12 }, () => rng.int(0, 9)).join(''),
      price: 15 + rng.next() * 85,
      rating: Math.round(rng.next() * 50) / 10,
      title: `${rng.pick(ADJECTIVES)} ${rng.pick(MATERIALS)} ${rng.pick(NOUNS)}`,
      vendor,
    };
  }
}

export function* generateCustomers(opts: GenerateOptions): Generator<Customer> {
  const rng = new Rng(opts.seed * 3 + 2);
  for (let id = 1; id <= opts.customers; id++) {
    const first = rng.pick(FIRST);
    const last = rng.pick(LAST);
    const state = rng.weighted(STATE_WEIGHTS);
    const info = STATE_INFO[state];
    const number = `${rng.int(100, 9999)}`;
    const address =
      rng.next() < 0.25
        ? `Apt ${rng.int(1, 40)}, ${number} ${rng.pick(STREETS)}`
        : `${number} ${rng.pick(STREETS)}`;
    const zip = pad(info.zip * 1000 + rng.int(0, 999), 5);
    yield {
      id,
      name: `${first} ${last}`,
      address,
      birthDate: `${rng.int(1950, 2001)}-${pad(rng.int(1, 12))}-${pad(rng.int(1, 28))}`,
      city: rng.pick(CITIES),
      createdAt: isoInOffset(between(rng, '2016-04-01T00:00:00Z', '2019-04-01T00:00:00Z'), 330),
      email: `${last.toLowerCase().replace(/[^a-z]/g, '')}-${first.toLowerCase()}${id}@${rng.pick(['yahoo.com', 'gmail.com', 'hotmail.com', 'example.com'])}`,
      latitude: info.lat + (rng.next() - 0.5) * 3,
      longitude: info.lon + (rng.next() - 0.5) * 4,
      password: rng.uuid(),
      source: rng.weighted(SOURCE_WEIGHTS),
      state,
      zip,
    };
  }
}

/** Orders referencing existing customers and products; total = subtotal - discount + tax. */
export function* generateOrders(opts: GenerateOptions): Generator<Order> {
  const prices = [...generateProducts(opts)].map((p) => p.price);
  const states = [...generateCustomers(opts)].map((c) => c.state);
  const rng = new Rng(opts.seed * 3 + 3);
  for (let id = 1; id <= opts.orders; id++) {
    const userId = rng.int(1, opts.customers);
    const productId = rng.int(1, opts.products);
    const quantity = rng.int(1, 9);
    const subtotal = prices[productId - 1] * (0.85 + rng.next() * 0.3) * (1 + quantity * 0.15);
    const discount = rng.next() < 0.1 ? rng.next() * subtotal * 0.25 : null;
    const tax = round2((subtotal - (discount ?? 0)) * STATE_INFO[states[userId - 1]].tax);
    yield {
      id,
      createdAt: isoInOffset(
        between(rng, '2016-04-30T00:00:00Z', '2020-04-19T00:00:00Z'),
        rng.weighted(OFFSETS),
      ),
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

export const CSV_FILES = {
  'customers.csv': {
    header: CUSTOMER_COLUMNS,
    rows: (o: GenerateOptions) => map(generateCustomers(o), formatCustomerRow),
  },
  'orders.csv': {
    header: ORDER_COLUMNS,
    rows: (o: GenerateOptions) => map(generateOrders(o), formatOrderRow),
  },
  'products.csv': {
    header: PRODUCT_COLUMNS,
    rows: (o: GenerateOptions) => map(generateProducts(o), formatProductRow),
  },
} as const;

function* map<T, U>(items: Iterable<T>, f: (t: T) => U): Generator<U> {
  for (const t of items) yield f(t);
}
