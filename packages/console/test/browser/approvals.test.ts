// The approvals inbox in a real Chromium against a real daemon (local store, evaluates held until answered): the
// approver signs in with the one-time token, approves one held request and denies another, and the agents waiting
// on them get `allow` and `block` from the daemon.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RunningConsole, startConsole } from '../../src/index.js';
import {
  APPROVER,
  type ApprovalDaemon,
  publishRequest,
  REQUESTER,
  startApprovalDaemon,
} from '../support/approval-daemon.js';
import { seriousViolations } from './support/axe.js';
import { launchChromium } from './support/chromium.js';
import { pendingRequestId } from './support/daemon.js';
import { type ConsolePage, openPage, signIn } from './support/page.js';
import { screenshot } from './support/screenshot.js';
import { BROWSER_TEST_LIMITS, until } from './support/until.js';

vi.setConfig(BROWSER_TEST_LIMITS);

let daemon: ApprovalDaemon;
let running: RunningConsole;
let browser: Browser;
let attacker: Server | undefined;
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
  attacker?.close();
  await browser?.close();
  await running?.close();
  await daemon?.stop();
});

describe('approvals inbox', () => {
  // Two agents wait on the daemon, for `npm publish --tag next` and `--tag latest`: the inbox lists them. A test that
  // answers a request starts the evaluate it answers itself: an evaluate is held at most `wait_ms` (50 s here, the
  // most a daemon allows), and signing in and checking the list can take longer than that on a loaded machine.
  let nextId: string;
  let latestId: string;
  let view: ConsolePage;

  beforeAll(async () => {
    // What the session did before: the approver sees it beside the request.
    for (const target of ['npm test', 'git push --force'])
      await daemon.client.evaluate({ ...publishRequest(''), target });
    // Nothing answers these two: the client's close at the end rejects them.
    void daemon.client.evaluate(publishRequest('next')).catch(() => undefined);
    nextId = await pendingRequestId(daemon.client, 'npm publish --tag next');
    void daemon.client.evaluate(publishRequest('latest')).catch(() => undefined);
    latestId = await pendingRequestId(daemon.client, 'npm publish --tag latest');
  });

  it('signs in with the token in the URL, removes it from the address bar, and shows the pending requests', async () => {
    view = await signIn(browser, running.url);
    const { page } = view;
    expect(page.url()).not.toContain(running.token);
    await page.getByRole('link', { name: 'Approvals' }).click();
    await page.getByRole('heading', { name: 'Pending approvals' }).waitFor();
    const request = page.getByRole('article', { name: `Request ${nextId}` });
    await request.waitFor();
    const text = (await request.textContent()) ?? '';
    for (const shown of [
      'ci-bot@example.com',
      'npm publish --tag next',
      'cavra-ai-agent-baseline',
      'Repository Owners',
    ])
      expect(text).toContain(shown);
    // The session's previous decisions, from the evidence log, newest first: the block and the allow before it.
    await request.getByText("The session's previous decisions (2)", { exact: true }).click();
    const items = await request.getByRole('listitem').allTextContents();
    expect(items.map((item) => item.replace(/ \S+Z /, ' <time> '))).toEqual([
      '#2 <time> execute_command git push --force: block (commands.block)',
      '#1 <time> execute_command npm test: allow (commands.allow)',
    ]);
    await page.getByRole('article', { name: `Request ${latestId}` }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'approvals');
  });

  it('approve with scope once: the waiting evaluate returns allow by the grant, and the article shows the review', async () => {
    const { page } = view;
    const approved = daemon.client.evaluate(publishRequest('rc'));
    const approveId = await pendingRequestId(daemon.client, 'npm publish --tag rc');
    // The inbox shows what was pending when drawn: load it again.
    await page.reload();
    const request = page.getByRole('article', { name: `Request ${approveId}` });
    await request.getByLabel('Scope', { exact: true }).selectOption('once');
    await request.getByLabel('Reason', { exact: true }).fill('release 1.4.0 signed off');
    await request.getByRole('button', { name: 'Approve' }).click();
    const decision = await approved;
    expect([decision.decision, decision.rule_id, decision.reason]).toEqual([
      'allow',
      'approval.granted',
      `approved by ${APPROVER} (approval request ${approveId}, scope once)`,
    ]);
    await request.getByText('Approved', { exact: true }).waitFor();
    expect(await request.textContent()).toContain('release 1.4.0 signed off');
    const state = await daemon.client.showApproval(approveId);
    expect(state.outcome?.status).toBe('approved');
    expect(state.reviews.map((review) => [review.reviewer, review.verdict, review.reason])).toEqual([
      [APPROVER, 'approve', 'release 1.4.0 signed off'],
    ]);
  });

  it('deny with a reason: the waiting evaluate is blocked, approval.denied', async () => {
    const { page, errors } = view;
    const denied = daemon.client.evaluate(publishRequest('legacy'));
    const denyId = await pendingRequestId(daemon.client, 'npm publish --tag legacy');
    await page.reload();
    const request = page.getByRole('article', { name: `Request ${denyId}` });
    await request.getByLabel('Reason', { exact: true }).fill('latest must wait for the changelog');
    await request.getByRole('button', { name: 'Deny' }).click();
    const decision = await denied;
    expect([decision.decision, decision.rule_id, decision.reason]).toEqual([
      'block',
      'approval.denied',
      `approval request ${denyId} was denied by ${APPROVER}`,
    ]);
    await request.getByText('Denied', { exact: true }).waitFor();
    expect(await request.textContent()).toContain('latest must wait for the changelog');
    await screenshot(page, 'approvals-reviewed');
    expect(errors).toEqual([]);
  });

  it('scope ttl needs a TTL (said, nothing sent); with 30m the held evaluate is allowed by a ttl:30m grant', async () => {
    const { page } = view;
    const held = daemon.client.evaluate(publishRequest('beta'));
    const id = await pendingRequestId(daemon.client, 'npm publish --tag beta');
    // The inbox shows what was pending when drawn: load it again.
    await page.reload();
    const request = page.getByRole('article', { name: `Request ${id}` });
    await request.getByLabel('Scope', { exact: true }).selectOption('ttl');
    await request.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('status').getByText('A TTL scope needs a duration in TTL (e.g. 30m).').waitFor();
    expect((await daemon.client.showApproval(id)).reviews).toEqual([]);
    await request.getByLabel('TTL', { exact: true }).fill('30m');
    await request.getByRole('button', { name: 'Approve' }).click();
    const decision = await held;
    expect([decision.decision, decision.reason]).toEqual([
      'allow',
      `approved by ${APPROVER} (approval request ${id}, scope ttl:30m)`,
    ]);
  });

  it('a console whose identity is the requester cannot approve the request: refused, said, still pending', async () => {
    const held = daemon.client.evaluate(publishRequest('self'));
    const id = await pendingRequestId(daemon.client, 'npm publish --tag self');
    const own = await startConsole({
      socketPath: daemon.socket,
      approver: { id: REQUESTER, groups: ['Repository Owners'] },
      sign: daemon.signAs(REQUESTER),
    });
    try {
      const { page } = await signIn(browser, own.url);
      await page.getByRole('link', { name: 'Approvals' }).click();
      const request = page.getByRole('article', { name: `Request ${id}` });
      await request.getByRole('button', { name: 'Approve' }).click();
      const status = page.getByRole('status').filter({ hasText: `Request ${id}: ` });
      await status.waitFor();
      expect(await status.textContent()).toBe(
        `Request ${id}: the daemon refused: self_review: the requester cannot review their own request`,
      );
      const state = await daemon.client.showApproval(id);
      expect([state.outcome, state.reviews]).toEqual([undefined, []]);
      expect(await request.getByRole('button', { name: 'Approve' }).isEnabled()).toBe(true);
      await screenshot(page, 'approvals-self-review');
    } finally {
      await own.close();
    }
    // The approver denies it from their console, which answers the agent.
    await view.page.reload();
    const request = view.page.getByRole('article', { name: `Request ${id}` });
    await request.getByLabel('Reason', { exact: true }).fill('not your own');
    await request.getByRole('button', { name: 'Deny' }).click();
    expect((await held).rule_id).toBe('approval.denied');
  });

  it('a request that expired before the approver answered: refused request_expired, said on the page', async () => {
    // The request must show on the page while pending, then be answered after its expiry. How long a loaded machine
    // takes to draw it is not known in advance, so a try whose request expired before the page drew it starts again
    // with a daemon whose requests live longer (the first try takes about 5 s on an idle machine).
    for (const expiry of [5, 20, 60]) {
      const brief = await startApprovalDaemon({ expiry: `${expiry}s` });
      const own = await startConsole({
        socketPath: brief.socket,
        approver: { id: APPROVER, groups: ['Repository Owners'] },
        sign: brief.signAs(),
      });
      try {
        const { page } = await signIn(browser, own.url);
        await page.getByRole('heading', { name: 'Pending approvals' }).waitFor();
        const pending = await brief.client.evaluate(publishRequest('gone'));
        expect(pending.rule_id).toBe('approval.pending');
        const id = await pendingRequestId(brief.client, 'npm publish --tag gone');
        await page.reload();
        const request = page.getByRole('article', { name: `Request ${id}` });
        const shown = await request.waitFor({ timeout: (expiry + 5) * 1000 }).then(
          () => true,
          () => false,
        );
        const expiresAt = Date.parse((await brief.client.showApproval(id)).request.expires_at);
        if (!shown && Date.now() > expiresAt) continue;
        expect(shown).toBe(true);
        await until('the request to expire', async () => (Date.now() > expiresAt + 100 ? true : undefined));
        await request.getByRole('button', { name: 'Approve' }).click();
        const status = page.getByRole('status').filter({ hasText: `Request ${id}: ` });
        await status.waitFor();
        expect(await status.textContent()).toBe(
          `Request ${id}: the daemon refused: request_expired: the approval request has expired`,
        );
        expect((await brief.client.showApproval(id)).outcome?.status).toBe('expired');
        return;
      } finally {
        await own.close();
        await brief.stop();
      }
    }
    expect.fail("each try's request expired before the page drew it (5 s, 20 s, 60 s)");
  }, 300_000);

  it('the login token is spent: opening the URL again asks for a token and says why', async () => {
    const { page } = await openPage(browser, running.url);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.getByRole('status').filter({ hasText: /./ }).first().waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'sign-in-refused');
  });

  it('a page of another site cannot review in the signed-in browser: its fetch and its form POST are refused, and the request stays pending', async () => {
    const held = daemon.client.evaluate(publishRequest('csrf'));
    const id = await pendingRequestId(daemon.client, 'npm publish --tag csrf');
    const target = `${running.origin}/api/approvals/${id}/review`;
    const body = JSON.stringify({ verdict: 'approve', scope: 'session' });
    // The attacker's page: no CSP of ours, a script that posts with the browser's cookies, then a form that does.
    const html = `<!doctype html><html lang="en"><title>win a prize</title><body>
      <form method="post" action="${target}" enctype="text/plain"><input name='${body}' value=""></form>
      <script>
        fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', credentials: 'include',
          headers: { 'content-type': 'text/plain' }, body: ${JSON.stringify(body)} })
          .finally(() => document.forms[0].submit());
      </script></body></html>`;
    const site = createServer((_, response) =>
      response.writeHead(200, { 'content-type': 'text/html' }).end(html),
    );
    attacker = site;
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    // `localhost` is another site than the console's `127.0.0.1`: its SameSite=Strict cookie is not sent.
    const page = await view.page.context().newPage();
    const statuses: number[] = [];
    page.on('response', (response) => {
      if (response.url() === target) statuses.push(response.status());
    });
    const formPosted = page.waitForResponse(
      (response) => response.url() === target && response.request().isNavigationRequest(),
    );
    await page.goto(`http://localhost:${(site.address() as AddressInfo).port}/`);
    await formPosted;
    expect(statuses).toEqual([403, 403]);
    const state = await daemon.client.showApproval(id);
    expect([state.outcome, state.reviews]).toEqual([undefined, []]);
    // The approver's own page still works: they deny it there.
    const request = view.page.getByRole('article', { name: `Request ${id}` });
    await view.page.reload();
    await request.getByLabel('Reason', { exact: true }).fill('not from that page');
    await request.getByRole('button', { name: 'Deny' }).click();
    expect((await held).rule_id).toBe('approval.denied');
  });
});
