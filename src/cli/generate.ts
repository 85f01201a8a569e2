/** `salesflow generate`: write the deterministic data set (streamed, so a million orders use constant memory). */
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  checkGenerateOptions,
  DATA_SET_FILES,
  DEFAULT_GENERATE_OPTIONS,
  type GenerateOptions,
} from '../core/generate';
import { EXIT } from '../errors';
import { numberFlag, parse } from './args';

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

export interface WrittenFile {
  file: string;
  rows: number;
  bytes: number;
}

/**
 * Writes each file to a temporary name and renames it into place, so an interrupted run never leaves a
 * half-written CSV where a replay would pick it up.
 */
export async function writeDataSet(opts: GenerateOptions, outDir: string): Promise<WrittenFile[]> {
  checkGenerateOptions(opts);
  fs.mkdirSync(outDir, { recursive: true });
  const written: WrittenFile[] = [];
  for (const spec of DATA_SET_FILES) {
    const file = path.join(outDir, spec.name);
    const partial = `${file}.partial`;
    const out = fs.createWriteStream(partial);
    try {
      // Rows are batched into ~64 KiB writes: one write per row would dominate the run time.
      let buffer = `${spec.header.join(',')}\n`;
      let rows = 0;
      for (const row of spec.rows(opts)) {
        buffer += `${row}\n`;
        rows++;
        if (buffer.length > 1 << 16) {
          if (!out.write(buffer)) await once(out, 'drain');
          buffer = '';
        }
      }
      out.end(buffer);
      await once(out, 'finish');
      fs.renameSync(partial, file);
      written.push({ file, rows, bytes: fs.statSync(file).size });
    } catch (e) {
      out.destroy();
      fs.rmSync(partial, { force: true });
      throw e;
    }
  }
  return written;
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
