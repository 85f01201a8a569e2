/** Headless Debian Chromium through playwright-core, and a folder for the screenshots tests leave behind. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { REPO_ROOT } from '../../src/config';
import { CHROMIUM_ARGS, ensureChromium } from '../../tools/stack/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: await ensureChromium(), args: CHROMIUM_ARGS, headless: true });
}

/** test-output/<name>.png under the repo (git-ignored); returns the path. */
export function screenshotPath(name: string): string {
  const dir = path.join(REPO_ROOT, 'test-output');
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}.png`);
}
