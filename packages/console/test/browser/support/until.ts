/**
 * Resolves with `probe`'s first value other than undefined (a throw counts as not yet), polling every 25 ms; fails
 * naming `what` after `attempts` tries (default: about a minute, generous for a loaded CI machine).
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  attempts = 2400,
): Promise<T> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** `expect.poll` options for what the page shows after a request: generous for a loaded machine (never a timing). */
export const POLL = { timeout: 60_000, interval: 50 } as const;

/**
 * The browser test files' limits (`vi.setConfig`): above the package's 30 s, since one test drives Chromium through
 * several views and waits up to a minute for each (CI runs every package's tests at once on 2 cores).
 */
export const BROWSER_TEST_LIMITS = { testTimeout: 120_000, hookTimeout: 120_000 } as const;
