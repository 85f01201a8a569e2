/**
 * Debian's Chromium for the browser tests (dashboard and Temporal UI), installed with apt-get when missing and
 * driven by playwright-core through its executablePath: no browser downloads.
 */
import { loadConfig } from '../../src/config';
import { aptInstall, which } from './proc';

/** Flags for a headless Chromium that stays off the network except for the pages it is pointed at. */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Path of the chromium binary, installing Debian's package first if it is not on PATH. */
export async function ensureChromium(log: (line: string) => void = console.error): Promise<string> {
  const found = loadConfig().chromiumPath ?? (await which('chromium'));
  if (found) return found;
  await aptInstall(log, 'chromium', ['chromium']);
  const installed = await which('chromium');
  if (!installed) throw new Error('chromium is still not on PATH after apt-get install chromium');
  return installed;
}
