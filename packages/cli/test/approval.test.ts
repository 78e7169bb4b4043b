import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { APPROVER, publishRequest, startApprovalDaemon } from '../bench/approval-round-trip.js';
import { cavra, cavraWithout, removeTempDirs, tempDir } from './support/cavra.js';

afterAll(removeTempDirs);
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function daemon(options: Parameters<typeof startApprovalDaemon>[0] = {}) {
  const started = await startApprovalDaemon({ waitMs: 0, ...options });
  stops.push(() => started.stop());
  return started;
}

/** The id of the pending request a `require_approval` answer created (its `cavra-approval://` evidence ref). */
function requestIdOf(decision: { evidence_refs: readonly string[] }): string {
  const ref = decision.evidence_refs.find((value) => value.startsWith('cavra-approval://'));
  if (!ref) throw new Error(`no approval ref in ${JSON.stringify(decision.evidence_refs)}`);
  return ref.slice('cavra-approval://'.length);
}

describe('cavra approval keygen', () => {
  it('writes an owner-only private key and its public key, never overwriting, and prints the config entry', async () => {
    const dir = tempDir();
    const made = await cavra(
      ['approval', 'keygen', '--out', 'alice.pem', '--as', 'alice@example.com', '--json'],
      dir,
    );
    expect(made.code).toBe(0);
    const report = JSON.parse(made.stdout);
    expect(report).toEqual({
      schema_version: 'cavra.cli.approval.v1',
      kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      private_key_path: join(dir, 'alice.pem'),
      public_key_path: join(dir, 'alice.pem.pub.pem'),
      approver_id: 'alice@example.com',
    });
    expect((await stat(join(dir, 'alice.pem'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, 'alice.pem.pub.pem'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const again = await cavra(['approval', 'keygen', '--out', 'alice.pem'], dir);
    expect([again.code, again.stderr]).toEqual([
      4,
      'cavra: alice.pem: already exists; keys are never overwritten\n',
    ]);
    const text = await cavra(['approval', 'keygen', '--out', 'bob.pem'], dir);
    expect(text.stdout.split('\n').slice(2, 4)).toEqual([
      'in the daemon config, under approvals.groups.<group>.approvers:',
      `  - { id: <your approver id, e.g. your email>, public_key: ${join(dir, 'bob.pem.pub.pem')} }`,
    ]);
  });
});

describe('cavra approval with a real daemon', () => {
  it('lists and shows a pending request, approves it, and the retry is allowed by the grant', async () => {
    const running = await daemon();
    const asked = await running.client.evaluate(publishRequest(1));
    expect([asked.decision, asked.rule_id]).toEqual(['block', 'approval.pending']);
    const id = requestIdOf(asked);
    expect(asked.reason).toContain(`cavra approval approve ${id}`);

    const listed = await cavra(
      ['approval', 'list', '--status', 'pending', '--socket', running.socket, '--json'],
      running.dir,
    );
    expect(listed.code).toBe(0);
    expect(
      JSON.parse(listed.stdout).approvals.map(
        (state: { request: { request_id: string } }) => state.request.request_id,
      ),
    ).toEqual([id]);
    const shown = await cavra(['approval', 'show', id, '--socket', running.socket], running.dir);
    expect([shown.code, shown.stdout.split('\n')[0], shown.stdout.split('\n')[1]]).toEqual([
      0,
      `request ${id}: pending`,
      "  action:     execute_command 'npm publish --tag t1'",
    ]);

    const approved = await cavra(
      [
        'approval',
        'approve',
        id,
        '--key',
        'alice.pem',
        '--as',
        APPROVER,
        '--socket',
        running.socket,
        '--json',
      ],
      running.dir,
    );
    expect(approved.code).toBe(0);
    const outcome = JSON.parse(approved.stdout).approval.outcome;
    expect([outcome.status, outcome.by, outcome.scope]).toEqual(['approved', [APPROVER], 'once']);

    const retried = await running.client.evaluate(publishRequest(1));
    expect([
      retried.decision,
      retried.rule_id,
      retried.evidence_refs.includes(`cavra-approval://${id}`),
    ]).toEqual(['allow', 'approval.granted', true]);
    // `once`: the grant was used by that retry.
    const third = await running.client.evaluate(publishRequest(1));
    expect([third.decision, third.rule_id]).toEqual(['block', 'approval.pending']);
  });

  it('lists, shows and approves without loading the engine, NATS or TUF (an approver waits on its start)', async () => {
    const running = await daemon();
    const id = requestIdOf(await running.client.evaluate(publishRequest(3)));
    const without = ['@cavra/runtime', '@cavra/fleet', '@nats-io', 'tuf-js'];
    const socket = ['--socket', running.socket];
    const runs = [
      await cavraWithout(without, ['approval', 'list', ...socket], running.dir),
      await cavraWithout(without, ['approval', 'show', id, ...socket], running.dir),
      await cavraWithout(
        without,
        ['approval', 'approve', id, '--key', 'alice.pem', '--as', APPROVER, ...socket],
        running.dir,
      ),
    ];
    expect(runs.map((run) => [run.code, run.stderr])).toEqual([
      [0, ''],
      [0, ''],
      [0, ''],
    ]);
    expect(runs[2]?.stdout.split('\n')[0]).toBe(`request ${id}: approved`);
    // The preload refuses what it names: the engine's command fails under it.
    const evaluated = await cavraWithout(
      without,
      ['eval', '--pack', 'cavra-ai-agent-baseline', '{}'],
      running.dir,
    );
    expect([evaluated.code, evaluated.stderr.split('\n')[0]]).toEqual([
      1,
      expect.stringContaining('forbidden import: @cavra/runtime'),
    ]);
  });

  it('refuses a self-review and a denial without a reason, and prints the refusal code (exit 1, 2)', async () => {
    const running = await daemon({
      approvers: [
        { id: APPROVER, key: 'alice.pem' },
        { id: 'ci-bot@example.com', key: 'bot.pem' },
      ],
    });
    const id = requestIdOf(await running.client.evaluate(publishRequest(2)));
    const self = await cavra(
      [
        'approval',
        'approve',
        id,
        '--key',
        'bot.pem',
        '--as',
        'ci-bot@example.com',
        '--socket',
        running.socket,
      ],
      running.dir,
    );
    expect([self.code, self.stdout]).toEqual([1, '']);
    expect(self.stderr).toMatch(/^cavra: approval approve: the daemon refused: self_review: /);
    const selfJson = await cavra(
      [
        'approval',
        'approve',
        id,
        '--key',
        'bot.pem',
        '--as',
        'ci-bot@example.com',
        '--socket',
        running.socket,
        '--json',
      ],
      running.dir,
    );
    expect(JSON.parse(selfJson.stdout).error).toMatchObject({
      code: 'approval_refused',
      daemon_code: 'approval_refused',
      reason: 'self_review',
    });
    const noReason = await cavra(
      ['approval', 'deny', id, '--key', 'alice.pem', '--as', APPROVER, '--socket', running.socket],
      running.dir,
    );
    expect([noReason.code, noReason.stderr.split('\n')[0]]).toEqual([
      2,
      'cavra: approval deny: --reason is required',
    ]);
    const denied = await cavra(
      [
        'approval',
        'deny',
        id,
        '--reason',
        'not today',
        '--key',
        'alice.pem',
        '--as',
        APPROVER,
        '--socket',
        running.socket,
      ],
      running.dir,
    );
    expect([denied.code, denied.stdout.split('\n')[0]]).toEqual([0, `request ${id}: denied`]);
    expect(denied.stdout).toContain(`  review:     deny by ${APPROVER} (key): not today\n`);
    const late = await cavra(
      ['approval', 'approve', id, '--key', 'alice.pem', '--as', APPROVER, '--socket', running.socket],
      running.dir,
    );
    expect([late.code, late.stderr]).toEqual([1, expect.stringMatching(/: already_decided: /)]);
  });

  it('refuses a key file group or others may read, before anything is sent (exit 4)', async () => {
    const running = await daemon();
    const id = requestIdOf(await running.client.evaluate(publishRequest(3)));
    await chmod(join(running.dir, 'alice.pem'), 0o640);
    const refused = await cavra(
      ['approval', 'approve', id, '--key', 'alice.pem', '--as', APPROVER, '--socket', running.socket],
      running.dir,
    );
    expect([refused.code, refused.stderr]).toEqual([
      4,
      'cavra: alice.pem: the private key is open to group or others (mode 640); chmod 600 it\n',
    ]);
    const state = await running.client.showApproval(id);
    expect([state.reviews.length, state.outcome]).toEqual([0, undefined]);
  });

  it('says when the daemon has no approvals, or is not there (exit 1), and checks arguments (exit 2)', async () => {
    const running = await daemon({ approvals: false, approvers: [] });
    const none = await cavra(['approval', 'list', '--socket', running.socket], running.dir);
    expect([none.code, none.stderr]).toEqual([
      1,
      expect.stringMatching(
        /^cavra: approval list: the daemon refused the request: approvals_not_configured: /,
      ),
    ]);
    const missing = await cavra(
      ['approval', 'list', '--socket', join(running.dir, 'none.sock')],
      running.dir,
    );
    expect([missing.code, missing.stderr.split(':')[0]]).toEqual([1, 'cavra']);
    const usage = await Promise.all([
      cavra(['approval', 'list', '--status', 'open'], running.dir),
      cavra(['approval', 'show'], running.dir),
      cavra(['approval', 'show', 'not an id'], running.dir),
      cavra(
        ['approval', 'approve', 'd-1', '--key', 'k.pem', '--as', 'a', '--scope', 'ttl:1h30m'],
        running.dir,
      ),
      cavra(['approval'], running.dir),
    ]);
    expect(usage.map((run) => [run.code, run.stderr.split('\n')[0]])).toEqual([
      [2, 'cavra: approval list: --status must be one of pending, approved, denied, expired'],
      [2, 'cavra: approval show: expected one request id'],
      [2, 'cavra: "not an id" is not a request id'],
      [2, 'cavra: --scope must be once, session or ttl:<duration> (e.g. ttl:30m), not "ttl:1h30m"'],
      [2, 'cavra: approval: a subcommand is required'],
    ]);
  });

  it('approves with an OIDC ID token bound to an ephemeral key by its nonce, and refuses a token bound to another', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'RS256' }] });
    const idp = createServer((_, response) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end(jwks),
    );
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    stops.push(() => new Promise((resolve) => idp.close(() => resolve())));
    const issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    const running = await daemon({
      approvers: [],
      oidc: { issuer, audience: 'cavra-approvals', jwksUrl: `${issuer}/jwks` },
    });
    const id = requestIdOf(await running.client.evaluate(publishRequest(4)));
    const keygen = await cavra(['approval', 'keygen', '--out', 'eph.pem', '--json'], running.dir);
    const { kid } = JSON.parse(keygen.stdout);
    const token = (nonce: string) =>
      new SignJWT({ email: 'carol@example.com', groups: ['Repository Owners'], nonce })
        .setProtectedHeader({ alg: 'RS256', kid: 'idp-1' })
        .setIssuer(issuer)
        .setAudience('cavra-approvals')
        .setSubject('carol')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
    await writeFile(join(running.dir, 'other.jwt'), await token('another-key-thumbprint'), { mode: 0o600 });
    const other = await cavra(
      ['approval', 'approve', id, '--id-token', 'other.jwt', '--key', 'eph.pem', '--socket', running.socket],
      running.dir,
    );
    expect([other.code, other.stderr]).toEqual([
      4,
      `cavra: other.jwt: the ID token's nonce is not the key's kid ${kid}; ask the IdP for a token with nonce=${kid}\n`,
    ]);
    await writeFile(join(running.dir, 'token.jwt'), await token(kid), { mode: 0o644 });
    await chmod(join(running.dir, 'token.jwt'), 0o644);
    const open = await cavra(
      ['approval', 'approve', id, '--id-token', 'token.jwt', '--key', 'eph.pem', '--socket', running.socket],
      running.dir,
    );
    expect([open.code, open.stderr]).toEqual([
      4,
      'cavra: token.jwt: the ID token is open to group or others (mode 644); chmod 600 it\n',
    ]);
    await chmod(join(running.dir, 'token.jwt'), 0o600);
    const approved = await cavra(
      [
        'approval',
        'approve',
        id,
        '--id-token',
        'token.jwt',
        '--key',
        'eph.pem',
        '--socket',
        running.socket,
        '--json',
      ],
      running.dir,
    );
    expect(approved.code, approved.stderr).toBe(0);
    const state = JSON.parse(approved.stdout).approval;
    expect([state.outcome.status, state.outcome.by, state.reviews[0].method, state.reviews[0].kid]).toEqual([
      'approved',
      ['carol@example.com'],
      'oidc',
      kid,
    ]);
    // The ID token is a bearer credential: the daemon keeps its hash and claims, never the token or the review JWS.
    expect(JSON.stringify(state)).not.toContain(await readFile(join(running.dir, 'token.jwt'), 'utf8'));
  });
});
