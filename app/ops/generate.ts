/** Writing the deterministic data set to files (streamed, so a million orders use constant memory). */
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkGenerateOptions, DATA_SET_FILES, type GenerateOptions } from '../../src/core/generate';

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
