/** `salesflow generate`: write the deterministic data set (streamed, so a million orders use constant memory). */

import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CSV_FILES, type GenerateOptions } from '../core/generate';
import { numberFlag, parse } from './args';
import { EXIT } from './errors';

export const GENERATE_HELP = `Usage: salesflow generate [--customers 2500] [--orders 18760] [--products 200] [--seed 1] [--out data/]

Writes customers.csv, orders.csv and products.csv in exactly the seed's format. The same seed gives
byte-identical files.`;

export async function writeDataSet(opts: GenerateOptions, outDir: string): Promise<Record<string, number>> {
  fs.mkdirSync(outDir, { recursive: true });
  const sizes: Record<string, number> = {};
  for (const [name, file] of Object.entries(CSV_FILES)) {
    const target = path.join(outDir, name);
    const out = fs.createWriteStream(target);
    let buffer = `${file.header.join(',')}\n`;
    for (const row of file.rows(opts)) {
      buffer += `${row}\n`;
      if (buffer.length > 1 << 16) {
        if (!out.write(buffer)) await once(out, 'drain');
        buffer = '';
      }
    }
    out.end(buffer);
    await once(out, 'finish');
    sizes[name] = fs.statSync(target).size;
  }
  return sizes;
}

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
    customers: numberFlag(p.values.customers, 'customers', { integer: true, min: 1 }) ?? 2500,
    orders: numberFlag(p.values.orders, 'orders', { integer: true, min: 0 }) ?? 18760,
    products: numberFlag(p.values.products, 'products', { integer: true, min: 1 }) ?? 200,
    seed: numberFlag(p.values.seed, 'seed', { integer: true, min: 0 }) ?? 1,
  };
  const out = path.resolve(String(p.values.out ?? 'data'));
  const started = Date.now();
  const sizes = await writeDataSet(opts, out);
  for (const [name, size] of Object.entries(sizes))
    console.error(`generate: ${path.join(out, name)} (${size} bytes)`);
  console.error(`generate: ${opts.orders} orders in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return EXIT.ok;
}
