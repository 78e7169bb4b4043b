import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** One serious or critical axe-core violation: the rule and the elements that break it. */
export interface Violation {
  readonly id: string;
  readonly impact: string;
  readonly targets: string[];
}

/**
 * Runs axe-core (WCAG 2.x A and AA rules and best practices) on the page as it is now and returns the serious and
 * critical violations. axe is evaluated through the DevTools protocol, not added as a `<script>` tag: the console's
 * CSP (`script-src 'self'`) rightly refuses an injected inline script, and the test must not weaken it.
 */
export async function seriousViolations(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(() =>
    (window as unknown as { axe: { run(): Promise<AxeResults> } }).axe.run(),
  );
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({
      id: violation.id,
      impact: violation.impact as string,
      targets: violation.nodes.map((node) => node.target.join(' ')),
    }));
}

// The part of axe-core's result the check reads (its own typings describe the global, which the page lacks).
interface AxeResults {
  violations: { id: string; impact?: string | null; nodes: { target: string[] }[] }[];
}
