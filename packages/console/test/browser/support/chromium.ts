import { spawnSync } from 'node:child_process';
import { type Browser, chromium } from 'playwright-core';

/**
 * The system's Chromium (Debian's `chromium`, which `node tooling/system-packages.mjs` installs): playwright-core
 * downloads no browser, so the tests drive the one on PATH. Missing, the suite fails naming how to get it (never skips).
 */
export function chromiumPath(): string {
  const found = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).stdout.trim();
  if (!found)
    throw new Error(
      'chromium is not on PATH: the console browser tests drive the system Chromium; run `node tooling/system-packages.mjs` (Debian: apt-get install chromium)',
    );
  return found;
}

/** A headless Chromium for one test file; close it in afterAll. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath() });
}
