/** `salesflow generate`: write the deterministic data set (streamed, so a million orders use constant memory). */
import * as path from 'node:path';
import { writeDataSet } from '../app/ops/generate';
import { numberFlag, parse } from '../src/args';
import { DEFAULT_GENERATE_OPTIONS, type GenerateOptions } from '../src/core/generate';
import { EXIT } from '../src/errors';

const D = DEFAULT_GENERATE_OPTIONS;

export const GENERATE_HELP = `Usage: salesflow generate [options]

Writes customers.csv, orders.csv and products.csv in exactly the seed's format. The same options give
byte-identical files; output is streamed, so --orders 1000000 runs in constant memory.

Options:
  --customers N   customers to write (default ${D.customers})
  --orders N      orders to write (default ${D.orders})
  --products N    products to write (default ${D.products})
  --seed N        PRNG seed, an integer >= 0 (default ${D.seed})
  -o, --out DIR   directory to write into, created if missing (default data/)
  -h, --help      show this help`;

export async function runGenerate(args: string[]): Promise<number> {
  const p = parse(args, {
    customers: { type: 'string' },
    orders: { type: 'string' },
    products: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string', short: 'o' },
  });
  if (p.help) {
    console.log(GENERATE_HELP);
    return EXIT.ok;
  }
  const opts: GenerateOptions = {
    customers: numberFlag(p.values.customers, 'customers', { integer: true, min: 1 }) ?? D.customers,
    orders: numberFlag(p.values.orders, 'orders', { integer: true, min: 0 }) ?? D.orders,
    products: numberFlag(p.values.products, 'products', { integer: true, min: 1 }) ?? D.products,
    seed: numberFlag(p.values.seed, 'seed', { integer: true, min: 0 }) ?? D.seed,
  };
  const outDir = path.resolve(String(p.values.out ?? 'data'));
  const started = process.hrtime.bigint();
  const written = await writeDataSet(opts, outDir);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  for (const w of written) console.error(`generate: ${w.file}: ${w.rows} rows, ${w.bytes} bytes`);
  const rate = seconds > 0 ? Math.round(opts.orders / seconds) : opts.orders;
  console.error(
    `generate: seed ${opts.seed}, ${opts.orders} orders in ${seconds.toFixed(2)} s (${rate} orders/s overall)`,
  );
  return EXIT.ok;
}
