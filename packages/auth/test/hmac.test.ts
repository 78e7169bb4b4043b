import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EvaluateRequest, EvaluateRequestCodec, MESSAGE_FIELDS } from '@cavra/contracts';
import { describe, expect, it, onTestFinished } from 'vitest';
import vectors from '../fixtures/hmac-vectors.json' with { type: 'json' };
import { SIGNED_IDENTITY_FIELDS, SIGNED_REQUEST_FIELDS } from '../src/canonical-claims.js';
import {
  canonicalClaims,
  createKeyring,
  type Keyring,
  loadKeyring,
  ReplayCache,
  RunnerAuthError,
  replayKey,
  signRunnerClaims,
  verifyRunnerAuth,
} from '../src/index.js';
import { IDENTITY, NOW, RELEASE_GOVERNANCE_REQUEST, REQUEST, SECRET } from './support/requests.js';

// biome-ignore lint/suspicious/noExplicitAny: tests poke at arbitrary wire fields, as an attacker would.
type WireJson = Record<string, any>;

const keyring: Keyring = createKeyring([{ keyId: 'ci-runner-2026-q2', secret: Buffer.from(SECRET) }]);
const at = (iso: string) => () => new Date(iso);
const sign = (request = REQUEST, secret = SECRET) =>
  signRunnerClaims(request, { keyId: 'ci-runner-2026-q2', secret, now: NOW });
const signRelease = () => sign(RELEASE_GOVERNANCE_REQUEST);

function failure(run: () => unknown): [string, string] {
  try {
    run();
  } catch (error) {
    if (error instanceof RunnerAuthError) return [error.code, error.message];
    throw error;
  }
  throw new Error('expected a RunnerAuthError');
}

/** The 32 HMAC bytes of a request-bound signature (`CAVRA-RUNNER-HMAC-V1:<base64url>`). */
const macOf = (signed: EvaluateRequest) =>
  Buffer.from(String(signed.runner_auth?.signature).slice('CAVRA-RUNNER-HMAC-V1:'.length), 'base64url');

/** Re-reads the signed request through JSON with one field changed, as an attacker on the wire would. */
function tamper(signed: EvaluateRequest, change: (json: WireJson) => void): EvaluateRequest {
  const json = structuredClone(EvaluateRequestCodec.toJSON(signed)) as WireJson;
  change(json);
  return EvaluateRequestCodec.fromJSON(json);
}

describe('HMAC test vectors (fixtures/hmac-vectors.json)', () => {
  it.each(vectors.vectors)('$name', (vector) => {
    const request = EvaluateRequestCodec.fromJSON(vector.request);
    const auth = request.runner_auth as { issued_at: string; expires_at: string; signature: string };
    expect(
      canonicalClaims(request, {
        keyId: vector.key_id,
        issuedAt: auth.issued_at,
        expiresAt: auth.expires_at,
      }),
    ).toBe(vector.canonical);
    const ring = createKeyring([{ keyId: vector.key_id, secret: Buffer.from(vector.secret_utf8) }]);
    expect(verifyRunnerAuth(request, ring, { now: at('2026-11-25T10:01:00Z') }).keyId).toBe(vector.key_id);
    expect(auth.signature).toBe(vector.signature);
  });
});

describe('the canonical form', () => {
  it('is the worked example of the README, byte for byte', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const example = /\*\*Worked example\*\*[\s\S]*?```text\n([\s\S]*?)```\n\nsignature `([^`]+)`/.exec(
      readme,
    );
    expect([example?.[1], example?.[2]]).toEqual([
      vectors.vectors[0]?.canonical,
      vectors.vectors[0]?.signature,
    ]);
    const digest =
      /payload's canonical JSON is\n\n```json\n(.*)\n```\n\nwhose SHA-256 is `([0-9a-f]{64})`/.exec(readme);
    const vector = vectors.vectors[1];
    expect(digest?.[2]).toBe(
      /release_governance_sha256:64:([0-9a-f]{64})/.exec(vector?.canonical ?? '')?.[1],
    );
    expect(
      createHash('sha256')
        .update(digest?.[1] ?? '')
        .digest('hex'),
    ).toBe(digest?.[2]);
  });

  it('signs exactly the contract fields: a field added to the contract fails here until V2 covers it', () => {
    expect(MESSAGE_FIELDS.RunnerIdentity.map((field) => field.name)).toEqual([...SIGNED_IDENTITY_FIELDS]);
    expect(MESSAGE_FIELDS.EvaluateRequest.map((field) => field.name)).toEqual([
      ...SIGNED_REQUEST_FIELDS,
      'release_governance', // as its digest
      'runner_auth', // key_id, issued_at, expires_at and identity; the signature itself is the output
    ]);
    expect(MESSAGE_FIELDS.RunnerAuthentication.map((field) => field.name)).toEqual([
      'identity',
      'algorithm',
      'key_id',
      'signature',
      'issued_at',
      'expires_at',
    ]);
  });

  it('refuses a lone surrogate, which has no UTF-8 form of its own', () => {
    expect(failure(() => sign({ ...REQUEST, target: 'docs/\ud800.md' }))).toEqual([
      'bad_encoding',
      'target is not well-formed Unicode (lone surrogate)',
    ]);
    const forged = tamper(sign({ ...REQUEST, target: 'docs/\ufffd.md' }), (j) => {
      j.target = 'docs/\udfff.md';
    });
    expect(failure(() => verifyRunnerAuth(forged, keyring, { now: at('2026-11-25T10:01:00Z') }))).toEqual([
      'bad_encoding',
      'target is not well-formed Unicode (lone surrogate)',
    ]);
  });
});

describe('signRunnerClaims and verifyRunnerAuth', () => {
  it('round-trips and returns the public-safe runner', () => {
    const signed = sign();
    expect(signed.runner_auth?.issued_at).toBe('2026-11-25T10:00:00Z');
    expect(signed.runner_auth?.expires_at).toBe('2026-11-25T10:05:00Z');
    const runner = verifyRunnerAuth(signed, keyring, { now: at('2026-11-25T10:02:00Z') });
    expect(runner).toEqual({
      algorithm: 'HMAC-SHA256',
      keyId: 'ci-runner-2026-q2',
      scheme: 'CAVRA-RUNNER-HMAC-V1',
      requestBound: true,
      identity: {
        provider: 'github-actions',
        repository: 'acme/app',
        workflow: 'Release Governance',
        runId: '123456',
        runAttempt: '1',
        ref: 'refs/heads/main',
        sha: 'abc123',
        actor: 'octocat',
        job: 'release',
        runnerName: 'runner-1',
      },
      issuedAt: '2026-11-25T10:00:00Z',
      expiresAt: '2026-11-25T10:05:00Z',
      // SHA-256 of the key id, a newline and the 32 HMAC bytes: what the replay cache and the evidence keep.
      replayKey: createHash('sha256').update('ci-runner-2026-q2\n').update(macOf(signed)).digest('base64url'),
    });
    expect(JSON.stringify(runner)).not.toContain(signed.runner_auth?.signature as string);
  });

  const FIELDS: readonly [string, (json: WireJson) => void][] = [
    [
      'session_id',
      (j) => {
        j.session_id = 'session-2';
      },
    ],
    [
      'agent_id',
      (j) => {
        j.agent_id = 'other-agent';
      },
    ],
    [
      'actor',
      (j) => {
        j.actor = 'mallory@example.com';
      },
    ],
    [
      'action_type',
      (j) => {
        j.action_type = 'write_file';
      },
    ],
    [
      'target',
      (j) => {
        j.target = 'terraform apply';
      },
    ],
    [
      'requested_operation',
      (j) => {
        j.requested_operation = 'apply';
      },
    ],
    [
      'policy_pack',
      (j) => {
        j.policy_pack = 'permissive';
      },
    ],
    [
      'release_governance',
      (j) => {
        j.release_governance = {
          metadata_kind: 'release-channel-promotion-request',
          approval_state: 'approved',
        };
      },
    ],
    [
      'key_id',
      (j) => {
        j.runner_auth.key_id = 'ci-runner-2026-q3';
      },
    ],
    [
      'issued_at',
      (j) => {
        j.runner_auth.issued_at = '2026-11-25T10:00:01Z';
      },
    ],
    [
      'expires_at',
      (j) => {
        j.runner_auth.expires_at = '2026-11-25T10:06:00Z';
      },
    ],
    ...Object.keys(IDENTITY).map(
      (name) =>
        [
          `identity.${name}`,
          (j: WireJson) => {
            j.runner_auth.identity[name] = `${j.runner_auth.identity[name]}x`;
          },
        ] as [string, (json: WireJson) => void],
    ),
  ];

  it.each(FIELDS)('rejects a request whose %s was changed after signing', (_field, change) => {
    const rotated = createKeyring([
      { keyId: 'ci-runner-2026-q2', secret: Buffer.from(SECRET) },
      { keyId: 'ci-runner-2026-q3', secret: Buffer.from(SECRET) },
    ]);
    expect(
      failure(() => verifyRunnerAuth(tamper(sign(), change), rotated, { now: at('2026-11-25T10:01:00Z') })),
    ).toEqual(['bad_signature', 'signature does not match the signed request fields']);
  });

  // Every field of the release-governance payload, each changed on its own, breaks the signature via its digest.
  const RELEASE_FIELDS = MESSAGE_FIELDS.ReleaseGovernanceEvidence.map(
    (field) => [field.name, field] as const,
  );

  it('signs a release-governance payload that sets every field', () => {
    const json = EvaluateRequestCodec.toJSON(signRelease()) as WireJson;
    expect(Object.keys(json.release_governance)).toEqual(RELEASE_FIELDS.map(([name]) => name));
    expect(verifyRunnerAuth(signRelease(), keyring, { now: at('2026-11-25T10:01:00Z') }).keyId).toBe(
      'ci-runner-2026-q2',
    );
  });

  it.each(RELEASE_FIELDS)('rejects a release-governance payload whose %s was changed', (name, field) => {
    const changed = tamper(signRelease(), (j) => {
      const payload = j.release_governance;
      if (field.repeated) payload[name] = [...payload[name], 'extra'];
      else if (field.type === 'int32') payload[name] += 1;
      else if (field.type === 'bool') payload[name] = !payload[name];
      else payload[name] = `${payload[name]}x`;
    });
    expect(failure(() => verifyRunnerAuth(changed, keyring, { now: at('2026-11-25T10:01:00Z') }))).toEqual([
      'bad_signature',
      'signature does not match the signed request fields',
    ]);
  });

  it('rejects a request whose release-governance payload was removed or emptied', () => {
    for (const change of [
      (j: WireJson) => {
        delete j.release_governance;
      },
      (j: WireJson) => {
        j.release_governance = {};
      },
    ]) {
      expect(
        failure(() =>
          verifyRunnerAuth(tamper(signRelease(), change), keyring, { now: at('2026-11-25T10:01:00Z') }),
        ),
      ).toEqual(['bad_signature', 'signature does not match the signed request fields']);
    }
  });

  it('accepts any key of a rotating keyring and rejects unknown keys and wrong secrets', () => {
    const ring = createKeyring([
      { keyId: 'ci-runner-2026-q2', secret: Buffer.from(SECRET) },
      { keyId: 'ci-runner-2026-q3', secret: Buffer.from(`${SECRET}-q3`) },
    ]);
    const next = signRunnerClaims(REQUEST, { keyId: 'ci-runner-2026-q3', secret: `${SECRET}-q3`, now: NOW });
    expect(verifyRunnerAuth(next, ring, { now: at('2026-11-25T10:01:00Z') }).keyId).toBe('ci-runner-2026-q3');
    expect(verifyRunnerAuth(sign(), ring, { now: at('2026-11-25T10:01:00Z') }).keyId).toBe(
      'ci-runner-2026-q2',
    );
    const stranger = signRunnerClaims(REQUEST, { keyId: 'ci-runner-2025', secret: SECRET, now: NOW });
    expect(failure(() => verifyRunnerAuth(stranger, ring))).toEqual([
      'unknown_key',
      "unknown HMAC key id 'ci-runner-2025'",
    ]);
    expect(
      failure(() =>
        verifyRunnerAuth(sign(REQUEST, `${SECRET}-wrong`), ring, { now: at('2026-11-25T10:01:00Z') }),
      ),
    ).toEqual(['bad_signature', 'signature does not match the signed request fields']);
  });

  it('names its scheme on the wire, and still reads the bare MAC of signers from before the name was sent', () => {
    const signed = sign();
    const signature = signed.runner_auth?.signature as string;
    expect(signature).toMatch(/^CAVRA-RUNNER-HMAC-V1:[A-Za-z0-9_-]{43}$/);
    const bare = tamper(signed, (j) => {
      j.runner_auth.signature = signature.slice('CAVRA-RUNNER-HMAC-V1:'.length);
    });
    const options = { now: at('2026-11-25T10:01:00Z'), replayCache: new ReplayCache() };
    expect(verifyRunnerAuth(bare, keyring, options).scheme).toBe('CAVRA-RUNNER-HMAC-V1');
    // One MAC, two spellings: the replay cache holds the MAC's bytes, so the second spelling is a replay.
    expect(failure(() => verifyRunnerAuth(signed, keyring, options))).toEqual([
      'replayed',
      'this signature was already used',
    ]);
  });

  it('refuses hex for this scheme as an identity-only signature, and padded or truncated text as bad encoding', () => {
    const signed = sign();
    const signature = signed.runner_auth?.signature as string;
    const raw = Buffer.from(signature.slice('CAVRA-RUNNER-HMAC-V1:'.length), 'base64url');
    const withSignature = (value: string) =>
      tamper(signed, (j) => {
        j.runner_auth.signature = value;
      });
    const general =
      'signature must be CAVRA-RUNNER-HMAC-V1: followed by the 32-byte HMAC in unpadded base64url (43 characters)';
    const hex =
      "signature is in the identity-only scheme cavra.runner-auth.v1 (hex), which HMAC key 'ci-runner-2026-q2' is not enabled for; sign with CAVRA-RUNNER-HMAC-V1, or mark the key with scheme cavra.runner-auth.v1";
    const cases: [string, string, string][] = [
      [raw.toString('hex'), 'scheme_not_enabled', hex],
      [raw.toString('hex').toUpperCase(), 'scheme_not_enabled', hex],
      [raw.toString('base64'), 'bad_encoding', general],
      [`${signature}=`, 'bad_encoding', general],
      [`CAVRA-RUNNER-HMAC-V1:${raw.toString('hex')}`, 'bad_encoding', general],
      ['abc', 'bad_encoding', general],
      ['', 'bad_encoding', general],
    ];
    for (const [value, code, message] of cases) {
      expect(failure(() => verifyRunnerAuth(withSignature(value), keyring))).toEqual([code, message]);
    }
  });

  it('accepts only the canonical text of a signature, so it cannot be replayed under another spelling', () => {
    const signed = sign();
    const signature = String(signed.runner_auth?.signature).slice('CAVRA-RUNNER-HMAC-V1:'.length);
    // 43 base64url characters hold 258 bits: the last character's two low bits are unused.
    const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(
      signature.at(-1) ?? '',
    );
    const variants = [1, 2, 3].map(
      (bits) =>
        `${signature.slice(0, 42)}${'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[last ^ bits]}`,
    );
    for (const variant of variants)
      expect(Buffer.from(variant, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    const options = { now: at('2026-11-25T10:01:00Z'), replayCache: new ReplayCache() };
    verifyRunnerAuth(signed, keyring, options);
    for (const variant of variants) {
      expect(
        failure(() =>
          verifyRunnerAuth(
            tamper(signed, (j) => {
              j.runner_auth.signature = variant;
            }),
            keyring,
            options,
          ),
        ),
      ).toEqual([
        'bad_encoding',
        'signature is not canonical base64url: the unused low bits of its last character must be zero',
      ]);
    }
  });

  it('refuses a signed identity value that is not a single bounded line, naming the field', () => {
    const signed = signRunnerClaims(REQUEST, {
      keyId: 'ci-runner-2026-q2',
      secret: SECRET,
      now: NOW,
      identity: { ...IDENTITY, runner_name: 'runner-1\nrunner-2' },
    });
    expect(failure(() => verifyRunnerAuth(signed, keyring, { now: at('2026-11-25T10:01:00Z') }))).toEqual([
      'bad_token',
      'runner_auth.identity.runner_name must be a single line of at most 256 bytes without control characters',
    ]);
  });

  it('enforces the time bound with skew', () => {
    const signed = sign();
    expect(verifyRunnerAuth(signed, keyring, { now: at('2026-11-25T10:05:59Z') }).keyId).toBe(
      'ci-runner-2026-q2',
    );
    expect(failure(() => verifyRunnerAuth(signed, keyring, { now: at('2026-11-25T10:06:01Z') }))).toEqual([
      'expired',
      'runner claims have expired',
    ]);
    expect(failure(() => verifyRunnerAuth(signed, keyring, { now: at('2026-11-25T09:58:59Z') }))).toEqual([
      'not_yet_valid',
      'runner claims are issued in the future',
    ]);
    expect(verifyRunnerAuth(signed, keyring, { now: at('2026-11-25T09:59:30Z') }).keyId).toBe(
      'ci-runner-2026-q2',
    );
    expect(
      failure(() =>
        verifyRunnerAuth(signed, keyring, { now: at('2026-11-25T10:05:30Z'), skewSeconds: 0 }),
      )[0],
    ).toBe('expired');
    const long = signRunnerClaims(REQUEST, {
      keyId: 'ci-runner-2026-q2',
      secret: SECRET,
      now: NOW,
      ttlSeconds: 3600,
    });
    expect(failure(() => verifyRunnerAuth(long, keyring, { now: at('2026-11-25T10:01:00Z') }))).toEqual([
      'ttl_too_long',
      'validity window is longer than 600 seconds',
    ]);
  });

  it('refuses a replay within the validity window and a full cache', () => {
    const cache = new ReplayCache({ maxEntries: 2 });
    const options = { now: at('2026-11-25T10:01:00Z'), replayCache: cache };
    const signed = sign();
    verifyRunnerAuth(signed, keyring, options);
    expect(failure(() => verifyRunnerAuth(signed, keyring, options))).toEqual([
      'replayed',
      'this signature was already used',
    ]);
    verifyRunnerAuth(sign({ ...REQUEST, session_id: 'session-2' }), keyring, options);
    expect(
      failure(() => verifyRunnerAuth(sign({ ...REQUEST, session_id: 'session-3' }), keyring, options)),
    ).toEqual(['replay_cache_full', 'too many live signatures to remember; retry shortly']);
    // Once the first signatures expired, the cache makes room again.
    const later = signRunnerClaims(
      { ...REQUEST, session_id: 'session-4' },
      { keyId: 'ci-runner-2026-q2', secret: SECRET, now: new Date('2026-11-25T10:10:00Z') },
    );
    expect(
      verifyRunnerAuth(later, keyring, { now: at('2026-11-25T10:10:30Z'), replayCache: cache }).keyId,
    ).toBe('ci-runner-2026-q2');
    expect(cache.size).toBe(1);
  });

  it('restores signatures remembered by an earlier process: expired ones skipped, live ones refused as replays', () => {
    const now = Date.parse('2026-11-25T10:01:00Z');
    const signed = sign();
    const mac = macOf(signed);
    const cache = new ReplayCache({ maxEntries: 2 });
    cache.restore(replayKey('ci-runner-2026-q2', mac), Date.parse('2026-11-25T10:06:00Z'), now);
    cache.restore('expired-entry', now - 1, now);
    expect(cache.size).toBe(1);
    expect(
      failure(() =>
        verifyRunnerAuth(signed, keyring, { now: at('2026-11-25T10:01:00Z'), replayCache: cache }),
      ),
    ).toEqual(['replayed', 'this signature was already used']);
    cache.restore('second', now + 1000, now);
    expect(failure(() => cache.restore('third', now + 1000, now))).toEqual([
      'replay_cache_full',
      'more than 2 live signatures to restore; raise the cache size',
    ]);
  });

  it('names missing pieces', () => {
    const { runner_auth: _omit, ...bare } = REQUEST;
    expect(failure(() => verifyRunnerAuth(EvaluateRequestCodec.fromJSON(bare), keyring))).toEqual([
      'missing_auth',
      'request carries no runner_auth',
    ]);
    expect(
      failure(() =>
        verifyRunnerAuth(
          tamper(sign(), (j) => {
            j.runner_auth.algorithm = 'OIDC-JWT';
          }),
          keyring,
        ),
      ),
    ).toEqual(['unsupported_algorithm', 'runner_auth algorithm is not HMAC-SHA256']);
    expect(
      failure(() =>
        verifyRunnerAuth(
          tamper(sign(), (j) => {
            delete j.runner_auth.issued_at;
          }),
          keyring,
        ),
      ),
    ).toEqual(['missing_claim', 'runner_auth.issued_at must be an RFC 3339 UTC timestamp']);
  });

  it('refuses to sign with a missing or short secret (an unset env var), naming the problem', () => {
    const signWith = (secret: unknown) => () =>
      signRunnerClaims(REQUEST, { keyId: 'ci-runner-2026-q2', secret: secret as string });
    expect(signWith(undefined)).toThrow(
      new TypeError('secret must be a string or a Uint8Array, got undefined'),
    );
    expect(signWith(null)).toThrow(new TypeError('secret must be a string or a Uint8Array, got null'));
    expect(signWith('')).toThrow(new TypeError('secret is 0 bytes, shorter than 32'));
    expect(signWith(new Uint8Array(31))).toThrow(new TypeError('secret is 31 bytes, shorter than 32'));
  });
});

describe('keyrings', () => {
  it('loads secrets from env vars and files, never inline', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cavra-keys-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'q3.key'), `${SECRET}-q3\n`);
    await chmod(join(dir, 'q3.key'), 0o600);
    await writeFile(join(dir, 'shared.key'), SECRET);
    await chmod(join(dir, 'shared.key'), 0o640); // explicit: writeFile's mode is subject to the umask
    const ring = await loadKeyring(
      [
        { keyId: 'q2', secretEnv: 'CAVRA_KEY_Q2' },
        { keyId: 'q3', secretFile: join(dir, 'q3.key') },
      ],
      { CAVRA_KEY_Q2: SECRET },
    );
    expect(ring.keyIds).toEqual(['q2', 'q3']);
    expect(Buffer.from(ring.get('q3')?.secret ?? []).toString()).toBe(`${SECRET}-q3`);
    await expect(loadKeyring([{ keyId: 'q2', secretEnv: 'MISSING' }], {})).rejects.toThrow(
      "HMAC key 'q2': environment variable MISSING is not set",
    );
    await expect(loadKeyring([{ keyId: 'q2', secretFile: join(dir, 'nope') }], {})).rejects.toThrow(
      "HMAC key 'q2': cannot read its secret file (ENOENT)",
    );
    await expect(loadKeyring([{ keyId: 'q2', secretFile: join(dir, 'shared.key') }], {})).rejects.toThrow(
      "HMAC key 'q2': its secret file is open to group or others (mode 640); chmod 600 it",
    );
    await expect(loadKeyring([{ keyId: 'q2' }], {})).rejects.toThrow(
      "HMAC key 'q2' needs exactly one of secretEnv or secretFile",
    );
    expect(() => createKeyring([{ keyId: 'short', secret: Buffer.from('too-short') }])).toThrow(
      "HMAC key 'short' is shorter than 32 bytes",
    );
    expect(() =>
      createKeyring([
        { keyId: 'k', secret: Buffer.from(SECRET) },
        { keyId: 'k', secret: Buffer.from(SECRET) },
      ]),
    ).toThrow("HMAC key 'k' is given twice");
  });
});
