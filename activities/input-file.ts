/** Input files no retry can fix (missing, not a file, not an orders CSV) fail the activity for good, with why. */
import * as fs from 'node:fs';
import { ApplicationFailure } from '@temporalio/activity';
import { INPUT_FILE_ERROR } from '../src/contract';
import { CsvFormatError, readOrdersCsv } from '../src/core/csv';

const inputFileError = (message: string) => ApplicationFailure.nonRetryable(message, INPUT_FILE_ERROR);

/** readOrdersCsv, with a missing file or a wrong header as a non-retryable `InputFileError`. */
export async function* readOrdersFile(file: string): ReturnType<typeof readOrdersCsv> {
  if (!fs.existsSync(file)) throw inputFileError(`orders file not found: ${file}`);
  if (!fs.statSync(file).isFile()) throw inputFileError(`not a file: ${file}`);
  try {
    return yield* readOrdersCsv(file);
  } catch (e) {
    if (e instanceof CsvFormatError) throw inputFileError(e.message);
    throw e;
  }
}
