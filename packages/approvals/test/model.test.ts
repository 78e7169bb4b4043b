import { describe, expect, it } from 'vitest';
import { conformanceRequest } from '../src/conformance.js';
import {
  APPROVAL_ERROR_CODES,
  ApprovalError,
  actionFingerprint,
  allowedScope,
  isApprovalErrorCode,
  narrowerScope,
  newApprovalRequest,
  parseDuration,
  parseScope,
} from '../src/index.js';

const T0 = new Date('2026-01-05T10:00:00.000Z');

function refusal(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof ApprovalError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('not refused');
}

describe('errors', () => {
  it('one table of codes, each with its public-safe message', () => {
    expect(Object.keys(APPROVAL_ERROR_CODES)).toEqual([
      'unknown_request',
      'request_expired',
      'already_decided',
      'not_in_group',
      'self_review',
      'duplicate_review',
      'wrong_request',
      'invalid_scope',
      'bad_signature',
      'unknown_approver',
      'token_expired',
      'token_invalid',
      'replayed_review',
      'store_unavailable',
      'invalid_review',
    ]);
    const error = new ApprovalError('self_review');
    expect([error.name, error.code, error.message]).toEqual([
      'ApprovalError',
      'self_review',
      'the requester cannot review their own request',
    ]);
    expect(isApprovalErrorCode('self_review')).toBe(true);
    expect(isApprovalErrorCode('toString')).toBe(false);
  });

  it('instanceof holds across copies of the package (the brand, not the class)', () => {
    const branded = Object.create({ [Symbol.for('@cavra/approvals.ApprovalError')]: true });
    expect(branded instanceof ApprovalError).toBe(true);
    expect(new Error('x') instanceof ApprovalError).toBe(false);
  });
});

describe('durations and scopes', () => {
  it('parses <n><s|m|h|d> to seconds', () => {
    expect(['30s', '15m', '2h', '1d', '999999s'].map(parseDuration)).toEqual([
      30, 900, 7200, 86_400, 999_999,
    ]);
  });

  it.each(['', '0m', '01m', '1.5h', '90', '1h30m', ' 2h', '2h ', '2H', '-1m', '1w', '1000000s'])(
    'refuses the duration %j as invalid_scope',
    (text) => {
      expect(refusal(() => parseDuration(text))).toEqual({
        code: 'invalid_scope',
        message: 'a duration is <number><s|m|h|d>, e.g. 30s, 15m, 2h or 1d',
      });
    },
  );

  it('parses once, session and ttl:<duration>', () => {
    expect(parseScope('once')).toEqual({ kind: 'once', text: 'once' });
    expect(parseScope('session')).toEqual({ kind: 'session', text: 'session' });
    expect(parseScope('ttl:2h')).toEqual({ kind: 'ttl', ttlSeconds: 7200, text: 'ttl:2h' });
    for (const bad of ['ONCE', 'ttl', 'ttl:', 'ttl:2x', 'forever', 'session ']) {
      expect(refusal(() => parseScope(bad)).code).toBe('invalid_scope');
    }
  });

  it('checks a scope against what the request allows', () => {
    const request = conformanceRequest('req-1', { scopes: ['once', 'ttl'] });
    expect(allowedScope('ttl:8h', request)).toEqual({ kind: 'ttl', ttlSeconds: 28_800, text: 'ttl:8h' });
    expect(refusal(() => allowedScope('ttl:481m', request))).toEqual({
      code: 'invalid_scope',
      message: 'a ttl for this request is at most 28800 seconds',
    });
    expect(refusal(() => allowedScope('session', request))).toEqual({
      code: 'invalid_scope',
      message: 'this request allows the scopes once, ttl',
    });
  });

  it('the narrowest scope: once < session < ttl, the shorter ttl', () => {
    const [once, session, hour, day] = ['once', 'session', 'ttl:1h', 'ttl:1d'].map(parseScope) as [
      ReturnType<typeof parseScope>,
      ReturnType<typeof parseScope>,
      ReturnType<typeof parseScope>,
      ReturnType<typeof parseScope>,
    ];
    expect(narrowerScope(session, once).text).toBe('once');
    expect(narrowerScope(hour, session).text).toBe('session');
    expect(narrowerScope(day, hour).text).toBe('ttl:1h');
    expect(narrowerScope(hour, day).text).toBe('ttl:1h');
  });
});

describe('requests', () => {
  const init = {
    request_id: 'dec-123',
    requester: { actor: 'alice@example.com', agent_id: 'claude-code', session_id: 'session-1' },
    action: {
      action_type: 'execute_command',
      target: 'npm publish',
      operation: 'npm publish', // a command's operation is its text
      policy_id: 'cavra-ai-agent-baseline',
      rule_id: 'commands.default.require_approval',
      severity: 'medium',
      reason:
        "command 'npm publish' requires approval (pattern 'npm publish*', commands.require_approval[0])",
    },
    approver_group: 'Repository Owners',
  };

  it('fingerprints the canonical JSON array of the seven fields', () => {
    expect(actionFingerprint({ ...init.action, actor: 'alice@example.com', agent_id: 'claude-code' })).toBe(
      '2456f7faa24050fe323b3a04f7c147c3e14a6253023ef6d9e7fae871639993c7',
    );
  });

  it('builds an interactive request with the defaults', () => {
    expect(newApprovalRequest(init, T0)).toEqual({
      ...init,
      created_at: '2026-01-05T10:00:00.000Z',
      expires_at: '2026-01-05T10:15:00.000Z',
      threshold: 1,
      scopes: ['once', 'session', 'ttl'],
      max_ttl_seconds: 28_800,
      fingerprint: '2456f7faa24050fe323b3a04f7c147c3e14a6253023ef6d9e7fae871639993c7',
    });
  });

  it('a request with a runner identity (CI) waits 24 h; the group settings apply', () => {
    const request = newApprovalRequest(
      {
        ...init,
        requester: { ...init.requester, runner: { key_id: 'ci-key', identity: { actor: 'octocat' } } },
        threshold: 2,
        scopes: ['ttl', 'once', 'once'],
        max_ttl_seconds: 3600,
        expiry: { interactive: 60, ci: 7200 },
      },
      T0,
    );
    expect([request.expires_at, request.threshold, request.scopes, request.max_ttl_seconds]).toEqual([
      '2026-01-05T12:00:00.000Z',
      2,
      ['once', 'ttl'],
      3600,
    ]);
    expect(newApprovalRequest({ ...init, expiry: { interactive: 60 } }, T0).expires_at).toBe(
      '2026-01-05T10:01:00.000Z',
    );
  });

  it.each([
    [{ request_id: 'has space' }, 'request_id must be a safe identifier'],
    [{ approver_group: '' }, 'approver_group must be a non-empty single-line name'],
    [{ threshold: 0 }, 'threshold must be a positive integer'],
    [{ scopes: [] }, 'scopes must be a non-empty list of once, session, ttl'],
    [{ scopes: ['forever'] }, 'scopes must be a non-empty list of once, session, ttl'],
    [{ max_ttl_seconds: 1.5 }, 'max_ttl_seconds must be a positive number of seconds'],
    [{ expiry: { interactive: 0 } }, 'expiry.interactive must be a positive number of seconds'],
  ])('refuses %j as a TypeError', (change, message) => {
    expect(() => newApprovalRequest({ ...init, ...change } as typeof init, T0)).toThrow(
      new TypeError(message),
    );
  });
});
