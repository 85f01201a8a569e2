/** Input files no retry can fix (missing, not a file, not an orders CSV) fail the activity for good, with why. */
import * as fs from 'node:fs';
import { readOrdersCsv } from '../src/core/csv';
import { SalesflowError } from '../src/errors';

/** A missing input file, or one that is not a file: not retriable, so the activity fails for good. */
export class InputFileError extends SalesflowError {}

/** readOrdersCsv, with a missing file an InputFileError (a wrong header is a CsvFormatError: not retriable either). */
export async function* readOrdersFile(file: string): ReturnType<typeof readOrdersCsv> {
  if (!fs.existsSync(file)) throw new InputFileError(`orders file not found: ${file}`);
  if (!fs.statSync(file).isFile()) throw new InputFileError(`not a file: ${file}`);
  return yield* readOrdersCsv(file);
}
