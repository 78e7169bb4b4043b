import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createKeyring, verifyRunnerAuth } from '@cavra/auth';
import { EvaluateRequestCodec } from '@cavra/contracts';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createClient, withRunnerAuth } from '../src/index.js';
import { ProtocolPeer, removePeerDirs } from './support/protocol-peer.js';

afterAll(removePeerDirs);

const SECRET = 'test-only-secret-0123456789abcdef-not-for-production';
const REQUEST = {
  session_id: 's-1',
  action_type: 'execute_command',
  target: 'npm test',
  policy_pack: 'cavra-ai-agent-baseline',
};

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0)) await step();
});

async function peer() {
  const started = await new ProtocolPeer().start();
  cleanup.push(() => started.stop());
  return started;
}

describe('withRunnerAuth', () => {
  it('signs every request with HMAC so the daemon side verifies it', async () => {
    const daemon = await peer();
    const client = withRunnerAuth(
      createClient({ socketPath: daemon.socketPath }),
      { hmac: { keyId: 'ci-runner', secret: SECRET } },
      { identity: { provider: 'github-actions', repository: 'acme/app' } },
    );
    cleanup.push(() => client.close());
    await client.evaluate(REQUEST);
    await client.evaluate(REQUEST);
    const keyring = createKeyring([{ keyId: 'ci-runner', secret: Buffer.from(SECRET) }]);
    const signatures = daemon.frames.map((frame) => {
      const request = EvaluateRequestCodec.fromJSON(frame.request);
      expect(verifyRunnerAuth(request, keyring).identity.repository).toBe('acme/app');
      return request.runner_auth?.signature;
    });
    expect(signatures).toHaveLength(2);
  });

  it('attaches the CI job token, fetched once and reused while it is fresh', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const token = [
      Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'k1' })).toString('base64url'),
      Buffer.from(JSON.stringify({ exp })).toString('base64url'),
      'sig',
    ].join('.');
    let fetches = 0;
    const oidc = createServer((_request, response) => {
      fetches += 1;
      response.end(JSON.stringify({ value: token }));
    });
    await new Promise<void>((resolve) => oidc.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => oidc.close(() => resolve())));
    const env = {
      GITHUB_ACTIONS: 'true',
      ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${(oidc.address() as AddressInfo).port}/token?x=1`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token',
      GITHUB_REPOSITORY: 'acme/app',
    };
    const daemon = await peer();
    const client = withRunnerAuth(
      createClient({ socketPath: daemon.socketPath }),
      {
        oidc: { audience: 'cavra', fromEnvironment: true, env },
      },
      { identity: { provider: 'github-actions', repository: 'acme/app' } },
    );
    cleanup.push(() => client.close());
    await client.evaluate(REQUEST);
    await client.evaluate(REQUEST);
    expect(fetches).toBe(1);
    expect(
      daemon.frames.map((frame) => (frame.request?.runner_auth as Record<string, unknown>)?.algorithm),
    ).toEqual(['OIDC-JWT', 'OIDC-JWT']);
    expect((daemon.frames[0]?.request?.runner_auth as Record<string, unknown>)?.key_id).toBe('k1');
  });

  it('takes the identity from the CI variables of the env it was given, or from the request', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const token = [
      Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'k1' })).toString('base64url'),
      Buffer.from(JSON.stringify({ exp })).toString('base64url'),
      'sig',
    ].join('.');
    const oidc = createServer((_request, response) => response.end(JSON.stringify({ value: token })));
    await new Promise<void>((resolve) => oidc.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => oidc.close(() => resolve())));
    const env = {
      GITHUB_ACTIONS: 'true',
      ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${(oidc.address() as AddressInfo).port}/token`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token',
      GITHUB_REPOSITORY: 'acme/app',
      GITHUB_RUN_ID: '42',
    };
    const daemon = await peer();
    const client = withRunnerAuth(createClient({ socketPath: daemon.socketPath }), {
      oidc: { audience: 'cavra', fromEnvironment: true, env },
    });
    cleanup.push(() => client.close());
    await client.evaluate(REQUEST);
    await client.evaluate({
      ...REQUEST,
      runner_auth: { identity: { provider: 'gitlab-ci', repository: 'acme/lib' } },
    });
    expect(
      daemon.frames.map((frame) => (frame.request?.runner_auth as Record<string, unknown>)?.identity),
    ).toEqual([
      { provider: 'github-actions', repository: 'acme/app', run_id: '42' },
      { provider: 'gitlab-ci', repository: 'acme/lib' },
    ]);
  });
});
