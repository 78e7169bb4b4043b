import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

/** Where the browser tests leave their screenshots: `artifacts/console/` at the repository root (gitignored). */
export const SCREENSHOTS = fileURLToPath(new URL('../../../../../artifacts/console/', import.meta.url));

/** Saves the whole page as `artifacts/console/<name>.png` and prints the path (CI keeps the folder). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = `${SCREENSHOTS}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
  return path;
}
