// Keyboard only, in a real Chromium: sign in by typing the token, answer a held request, filter the evidence and
// open a record without a pointer; every stop shows where the focus is.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { type RunningConsole, startConsole } from '../../src/index.js';
import {
  APPROVER,
  type ApprovalDaemon,
  publishRequest,
  startApprovalDaemon,
} from '../support/approval-daemon.js';
import { launchChromium } from './support/chromium.js';
import { pendingRequestId } from './support/daemon.js';
import { focused, openPage, tabTo } from './support/page.js';
import { rowsOf } from './support/table.js';
import { BROWSER_TEST_LIMITS, POLL } from './support/until.js';

vi.setConfig(BROWSER_TEST_LIMITS);

let daemon: ApprovalDaemon;
let running: RunningConsole;
let browser: Browser;
beforeAll(async () => {
  [daemon, browser] = await Promise.all([startApprovalDaemon({ waitMs: 50_000 }), launchChromium()]);
  running = await startConsole({
    socketPath: daemon.socket,
    evidenceLog: daemon.evidenceLog,
    approver: { id: APPROVER, groups: ['Repository Owners'] },
    sign: daemon.signAs(),
  });
});
afterAll(async () => {
  await browser?.close();
  await running?.close();
  await daemon?.stop();
});

/** The focused element draws a visible indicator: an outline or a box shadow (never colour alone). */
async function expectFocusVisible(page: Page) {
  const indicator = await page.evaluate(() => {
    const style = getComputedStyle(document.activeElement as Element);
    return {
      outline: style.outlineStyle !== 'none' && style.outlineWidth !== '0px',
      shadow: style.boxShadow,
    };
  });
  expect(indicator.outline || indicator.shadow !== 'none').toBe(true);
}

it('signs in, approves a held request, filters the evidence and opens a record with the keyboard alone', async () => {
  // Another session's decision, which the Session filter below leaves out.
  await daemon.client.evaluate({
    session_id: 's-other',
    agent_id: 'claude-code',
    actor: 'dev@example.com',
    action_type: 'execute_command',
    target: 'npm test',
    policy_pack: 'cavra-ai-agent-baseline',
  });

  // The origin alone (no token in the URL): the sign-in form.
  const { page, errors } = await openPage(browser, `${running.origin}/`);
  const token = page.getByLabel('Login token', { exact: true });
  await token.waitFor();
  await tabTo(page, token);
  await expectFocusVisible(page);
  await page.keyboard.type(running.token);
  await tabTo(page, page.getByRole('button', { name: 'Sign in' }), 3);
  await expectFocusVisible(page);
  await page.keyboard.press('Enter');
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.waitFor();
  // Held from here: an evaluate waits at most `wait_ms`, which signing in on a loaded machine must not use up.
  const held = daemon.client.evaluate(publishRequest('kbd'));
  const id = await pendingRequestId(daemon.client, 'npm publish --tag kbd');

  // Approvals: the link, then the request's controls in reading order.
  await tabTo(page, nav.getByRole('link', { name: 'Approvals' }));
  await expectFocusVisible(page);
  await page.keyboard.press('Enter');
  const request = page.getByRole('article', { name: `Request ${id}` });
  await request.waitFor();
  const scope = request.getByLabel('Scope', { exact: true });
  await tabTo(page, scope);
  await expectFocusVisible(page);
  // On a closed select, arrow keys change the value: once → session.
  await page.keyboard.press('ArrowDown');
  expect(await scope.inputValue()).toBe('session');
  await tabTo(page, request.getByLabel('Reason', { exact: true }));
  await page.keyboard.type('approved from the keyboard');
  const approve = request.getByRole('button', { name: 'Approve' });
  await tabTo(page, approve);
  await expectFocusVisible(page);
  await page.keyboard.press('Enter');
  const decision = await held;
  expect([decision.decision, decision.rule_id, decision.reason]).toEqual([
    'allow',
    'approval.granted',
    `approved by ${APPROVER} (approval request ${id}, scope session)`,
  ]);
  await request.getByText('Approved', { exact: true }).waitFor();

  // Evidence: back to the nav, then the filter form in its order, one Tab per control.
  await tabTo(page, nav.getByRole('link', { name: 'Evidence' }), 40, true);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Evidence', exact: true }).waitFor();
  const session = page.getByLabel('Session', { exact: true });
  await tabTo(page, session);
  await page.keyboard.type('console-session');
  const order = ['Agent', 'Actor', 'Action', 'Decision', 'Rule', 'Since', 'Until'];
  for (const label of order) {
    expect([label, await tabTo(page, page.getByLabel(label, { exact: true }), 1)]).toEqual([label, 1]);
    await expectFocusVisible(page);
  }
  await tabTo(page, page.getByRole('button', { name: 'Apply filters' }), 1);
  await page.keyboard.press('Enter');
  const table = page.getByRole('table', { name: 'Evidence records' });
  await expect
    .poll(async () => [...new Set((await rowsOf(table)).map((row) => row[2]))], POLL)
    .toEqual(['console-session']);
  const firstSeq = table.getByRole('link').first();
  const seq = ((await firstSeq.textContent()) ?? '').trim();
  await tabTo(page, firstSeq);
  expect(await focused(firstSeq)).toBe(true);
  await expectFocusVisible(page);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: `Record ${seq}`, exact: true }).waitFor();
  expect(errors).toEqual([]);
});
