import type { Browser, Locator, Page } from 'playwright-core';

/** A page of the console and what went wrong in it: uncaught errors and console errors (CSP refusals are these). */
export interface ConsolePage {
  readonly page: Page;
  readonly errors: string[];
}

/** A fresh browser context (its own cookies) on `url`, at a size that shows a view whole in a screenshot. */
export async function openPage(browser: Browser, url: string): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // A minute, for a loaded CI machine, and under the tests' own limit (BROWSER_TEST_LIMITS), so a missing element
  // fails naming it rather than as a test timeout.
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${message.text()} (${message.location().url})`);
  });
  await page.goto(url);
  return { page, errors };
}

/** Opens the console's URL (its fragment holds the login token) and resolves once signed in: the main nav shows. */
export async function signIn(browser: Browser, url: string): Promise<ConsolePage> {
  const opened = await openPage(browser, url);
  await opened.page.getByRole('navigation', { name: 'Main' }).waitFor();
  return opened;
}

/** Whether `locator`'s element has the keyboard focus. */
export function focused(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => element === document.activeElement);
}

/**
 * Presses Tab (Shift+Tab with `backwards`) until `locator` has the focus, at most `limit` times; resolves with the
 * presses it took, or fails naming where the focus went instead.
 */
export async function tabTo(page: Page, locator: Locator, limit = 40, backwards = false): Promise<number> {
  for (let presses = 1; presses <= limit; presses++) {
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
    if (await focused(locator)) return presses;
  }
  const at = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120));
  throw new Error(`${limit} Tab presses did not reach ${locator}; the focus is on ${at}`);
}

/** The focused element's outline: the visible focus indicator the keyboard user relies on. */
export function focusOutline(page: Page): Promise<{ style: string; width: string }> {
  return page.evaluate(() => {
    const style = getComputedStyle(document.activeElement as Element);
    return { style: style.outlineStyle, width: style.outlineWidth };
  });
}
