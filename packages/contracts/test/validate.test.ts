import { describe, expect, it } from 'vitest';
import {
  type ContractIssue,
  ContractValidationError,
  DEFAULT_LIMITS,
  DecisionResponseCodec,
  EvaluateRequestCodec,
  MAX_REPORTED_ISSUES,
  ReleaseGovernanceEvidenceCodec,
  RunnerAuthenticationCodec,
  validate,
} from '../src/index.js';
import { issuesOf } from './support/issues-of.js';

const validDecision = {
  decision_id: 'd-1',
  decision: 'allow',
  severity: 'info',
  timestamp: '2026-11-25T12:00:00Z',
};

describe('validate reports every issue with its field path and a stable code', () => {
  it.each([
    [
      'an unknown decision string',
      'DecisionResponse',
      { ...validDecision, decision: 'maybe' },
      [
        {
          path: 'decision',
          code: 'unknown_decision',
          message:
            'unknown decision "maybe"; expected one of allow, block, require_approval, warn, audit_only, allow_with_attestation',
        },
      ],
    ],
    [
      'a missing decision',
      'DecisionResponse',
      { decision_id: 'd-1' },
      [
        {
          path: 'decision',
          code: 'unknown_decision',
          message:
            'decision is required; expected one of allow, block, require_approval, warn, audit_only, allow_with_attestation',
        },
      ],
    ],
    [
      'an unknown severity',
      'DecisionResponse',
      { ...validDecision, severity: 'HIGH' },
      [
        {
          path: 'severity',
          code: 'unknown_severity',
          message: 'unknown severity "HIGH"; expected one of info, low, medium, high, critical',
        },
      ],
    ],
    [
      'a timestamp with an offset',
      'DecisionResponse',
      { ...validDecision, timestamp: '2026-11-25T12:00:00+01:00' },
      [
        {
          path: 'timestamp',
          code: 'invalid_timestamp',
          message: 'timestamp must be RFC 3339 in UTC, e.g. 2026-05-01T12:00:00Z',
        },
      ],
    ],
    [
      'a negative count',
      'ReleaseGovernanceEvidence',
      { blocked_count: -1 },
      [
        {
          path: 'blocked_count',
          code: 'negative_count',
          message: 'is a count and must not be negative, got -1',
        },
      ],
    ],
    [
      'a fractional count',
      'ReleaseGovernanceEvidence',
      { critical_count: 1.5 },
      [{ path: 'critical_count', code: 'not_an_integer', message: 'expected an integer, got 1.5' }],
    ],
    [
      'a count beyond int32',
      'ReleaseGovernanceEvidence',
      { breached_count: 2 ** 31 },
      [{ path: 'breached_count', code: 'out_of_range', message: 'exceeds int32 maximum 2147483647' }],
    ],
    [
      'a count given as a string',
      'ReleaseGovernanceEvidence',
      { failed_delivery_count: '1' },
      [{ path: 'failed_delivery_count', code: 'wrong_type', message: 'expected an integer, got string' }],
    ],
    [
      'a bool given as a string',
      'ReleaseGovernanceEvidence',
      { delivery_success: 'true' },
      [{ path: 'delivery_success', code: 'wrong_type', message: 'expected a boolean, got string' }],
    ],
    [
      'a list given as a string',
      'ReleaseGovernanceEvidence',
      { failed_providers: 'servicenow' },
      [{ path: 'failed_providers', code: 'wrong_type', message: 'expected an array, got string' }],
    ],
    [
      'a list item of the wrong type',
      'ReleaseGovernanceEvidence',
      { evidence_refs: ['ok', 7] },
      [{ path: 'evidence_refs[1]', code: 'wrong_type', message: 'expected a string, got number' }],
    ],
    [
      'an oversized string',
      'EvaluateRequest',
      { session_id: 'x'.repeat(1025) },
      [{ path: 'session_id', code: 'string_too_long', message: 'is 1025 bytes; the limit is 1024' }],
    ],
    [
      'an oversized string counted in UTF-8 bytes',
      'EvaluateRequest',
      { actor: 'é'.repeat(513) },
      [{ path: 'actor', code: 'string_too_long', message: 'is 1026 bytes; the limit is 1024' }],
    ],
    [
      'an oversized list',
      'ReleaseGovernanceEvidence',
      { evidence_refs: Array.from({ length: 65 }, (_, i) => `ref-${i}`) },
      [{ path: 'evidence_refs', code: 'list_too_long', message: 'has 65 items; the limit is 64' }],
    ],
    [
      'a nested message that is not an object',
      'EvaluateRequest',
      { release_governance: 'approved' },
      [
        {
          path: 'release_governance',
          code: 'not_an_object',
          message: 'expected a ReleaseGovernanceEvidence object, got string',
        },
      ],
    ],
    [
      'an unknown algorithm',
      'RunnerAuthentication',
      { algorithm: 'HS256' },
      [
        {
          path: 'algorithm',
          code: 'unknown_algorithm',
          message: 'unknown algorithm "HS256"; expected one of HMAC-SHA256, OIDC-JWT',
        },
      ],
    ],
    [
      'a field given twice, snake and camel',
      'EvaluateRequest',
      { session_id: 'a', sessionId: 'b' },
      [{ path: 'session_id', code: 'duplicate_field', message: 'given as both session_id and sessionId' }],
    ],
    [
      'a top-level array',
      'EvaluateRequest',
      [],
      [{ path: '', code: 'not_an_object', message: 'expected a EvaluateRequest object, got array' }],
    ],
  ] as const)('%s', (_, name, value, expected) => {
    const result = validate(name, value);
    expect(result.ok).toBe(false);
    expect(result.errors).toEqual(expected);
  });

  it('collects several issues at once, nested paths included', () => {
    const result = validate('EvaluateRequest', {
      session_id: 5,
      release_governance: { blocked_count: -2, failed_providers: [null] },
      runner_auth: { algorithm: 'OIDC-JWT', identity: { run_id: 123 } },
    });
    expect(result.errors.map((issue) => `${issue.path}:${issue.code}`)).toEqual([
      'session_id:wrong_type',
      'release_governance.failed_providers[0]:wrong_type',
      'release_governance.blocked_count:negative_count',
      'runner_auth.identity.run_id:wrong_type',
    ]);
  });

  it('treats JSON null as "not set", as proto3 JSON does', () => {
    expect(validate('EvaluateRequest', { session_id: null, release_governance: null }).errors).toEqual([]);
  });
});

describe('unknown fields', () => {
  const input = { session_id: 's', sesion_id: 'typo', release_governance: { blokced_count: 1 } };

  it('are errors in strict mode', () => {
    expect(issuesOf(() => EvaluateRequestCodec.fromJSON(input, { strict: true }))).toEqual([
      {
        path: 'release_governance.blokced_count',
        code: 'unknown_field',
        message: 'ReleaseGovernanceEvidence has no field "blokced_count"',
      },
      { path: 'sesion_id', code: 'unknown_field', message: 'EvaluateRequest has no field "sesion_id"' },
    ]);
  });

  it('are echoed bounded and escaped: at most 64 characters, no raw control characters', () => {
    const key = `${'k'.repeat(70)}\n`;
    expect(validate('RunnerIdentity', { [key]: 1, 'a\nb': 2 }, { strict: true }).errors).toEqual([
      {
        path: `${'k'.repeat(64)}…`,
        code: 'unknown_field',
        message: `RunnerIdentity has no field "${'k'.repeat(64)}…"`,
      },
      { path: 'a\\nb', code: 'unknown_field', message: 'RunnerIdentity has no field "a\\nb"' },
    ]);
  });

  it('are reported as warnings, not silently dropped, in lenient mode', () => {
    const { message, warnings } = EvaluateRequestCodec.parseJSON(input);
    expect(message.session_id).toBe('s');
    expect(warnings.map((issue) => issue.path)).toEqual(['release_governance.blokced_count', 'sesion_id']);
  });

  it('are listed up to MAX_REPORTED_ISSUES, the rest counted, so an error stays small', () => {
    const many = Object.fromEntries(Array.from({ length: 5000 }, (_, n) => [`k${n}`, 0]));
    const listed: ContractIssue[] = Array.from({ length: 100 }, (_, n) => ({
      path: `k${n}`,
      code: 'unknown_field',
      message: `EvaluateRequest has no field "k${n}"`,
    }));
    const counted = { path: '', code: 'too_many_issues', message: '4900 more issues not listed' };
    expect(MAX_REPORTED_ISSUES).toBe(100);
    const strict = issuesOf(() => EvaluateRequestCodec.fromJSON(JSON.stringify(many), { strict: true }));
    expect(strict).toEqual([...listed, counted]);
    expect(EvaluateRequestCodec.parseJSON(many).warnings).toEqual([...listed, counted]);
    expect(validate('EvaluateRequest', many, { strict: true }).errors).toEqual([...listed, counted]);
    const error = new ContractValidationError('EvaluateRequest', [...listed, ...listed, ...listed]);
    expect([error.issues.length, error.issues[100], error.message.length]).toEqual([
      101,
      { path: '', code: 'too_many_issues', message: '200 more issues not listed' },
      4139,
    ]);
  });
});

describe('the legacy operation field', () => {
  it('fills requested_operation when that is absent', () => {
    expect(EvaluateRequestCodec.fromJSON({ operation: 'push' }).requested_operation).toBe('push');
  });

  it('is accepted silently when it agrees with requested_operation', () => {
    const { message, warnings } = EvaluateRequestCodec.parseJSON({
      operation: 'push',
      requested_operation: 'push',
    });
    expect([message.requested_operation, warnings]).toEqual(['push', []]);
  });

  it('loses to requested_operation with a warning when they disagree (lenient)', () => {
    const { message, warnings } = EvaluateRequestCodec.parseJSON({
      operation: 'delete',
      requested_operation: 'push',
    });
    expect(message.requested_operation).toBe('push');
    expect(warnings).toEqual([
      {
        path: 'operation',
        code: 'operation_conflict',
        message:
          'legacy operation "delete" disagrees with requested_operation "push"; requested_operation wins',
      },
    ]);
  });

  it('makes a disagreeing request invalid in strict mode', () => {
    expect(
      issuesOf(() =>
        EvaluateRequestCodec.fromJSON({ operation: 'delete', requested_operation: 'push' }, { strict: true }),
      ).map((issue) => issue.code),
    ).toEqual(['operation_conflict']);
  });

  it('is type-checked like requested_operation', () => {
    expect(issuesOf(() => EvaluateRequestCodec.fromJSON({ operation: ['push'] }))).toEqual([
      { path: 'operation', code: 'wrong_type', message: 'expected a string, got array' },
    ]);
  });
});

describe('codec entry points refuse bad input with a ContractValidationError', () => {
  it('fromJSON: invalid JSON text', () => {
    expect(issuesOf(() => EvaluateRequestCodec.fromJSON('{"session_id":'))).toEqual([
      { path: '', code: 'invalid_json', message: 'is not valid JSON' },
    ]);
  });

  it('fromJSON: the error never quotes the text (the JSON parser would)', () => {
    const text = '{"runner_auth":{"signature": eyJhbGciOiJSUzI1NiJ9.c2VjcmV0}}';
    expect(() => EvaluateRequestCodec.fromJSON(text)).toThrow(
      /^invalid EvaluateRequest: \(root\): is not valid JSON$/,
    );
  });

  it('fromJSON: JSON text over maxJsonBytes is refused before it is parsed', () => {
    const text = `{"session_id":"${'é'.repeat(40)}"}`;
    expect(Buffer.byteLength(text)).toBe(97);
    expect(EvaluateRequestCodec.fromJSON(text, { limits: { maxJsonBytes: 97 } }).session_id).toBe(
      'é'.repeat(40),
    );
    expect(issuesOf(() => EvaluateRequestCodec.parseJSON(text, { limits: { maxJsonBytes: 96 } }))).toEqual([
      { path: '', code: 'message_too_large', message: 'is 97 bytes of JSON text; the limit is 96' },
    ]);
  });

  it('fromJSON: the default JSON bound is 1 MiB', () => {
    const text = `${' '.repeat(1024 * 1024 - 2)}{}`;
    expect(EvaluateRequestCodec.toJSON(EvaluateRequestCodec.fromJSON(text))).toEqual({});
    expect(issuesOf(() => EvaluateRequestCodec.fromJSON(` ${text}`))).toEqual([
      { path: '', code: 'message_too_large', message: 'is 1048577 bytes of JSON text; the limit is 1048576' },
    ]);
  });

  it('decode: bytes that are not protobuf', () => {
    expect(
      issuesOf(() => EvaluateRequestCodec.decode(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0x0f])))[0]?.code,
    ).toBe('malformed_binary');
  });

  it('decode: a message over the size limit', () => {
    expect(
      issuesOf(() => EvaluateRequestCodec.decode(new Uint8Array(101), { limits: { maxMessageBytes: 100 } })),
    ).toEqual([{ path: '', code: 'message_too_large', message: 'is 101 bytes; the limit is 100' }]);
  });

  it('decode: bounds apply to decoded binary too', () => {
    const bytes = ReleaseGovernanceEvidenceCodec.encode({ release_channel: 'x'.repeat(200) });
    expect(
      issuesOf(() => ReleaseGovernanceEvidenceCodec.decode(bytes, { limits: { maxStringBytes: 100 } })),
    ).toEqual([
      { path: 'release_channel', code: 'string_too_long', message: 'is 200 bytes; the limit is 100' },
    ]);
  });

  it('encode: validates before encoding', () => {
    expect(issuesOf(() => DecisionResponseCodec.encode({ decision: 'deny' }))[0]?.code).toBe(
      'unknown_decision',
    );
  });

  it('the error message names every field', () => {
    expect(() => RunnerAuthenticationCodec.fromJSON({ algorithm: 'none', key_id: 3 })).toThrow(
      'invalid RunnerAuthentication: algorithm: unknown algorithm "none"; expected one of HMAC-SHA256, OIDC-JWT; key_id: expected a string, got number',
    );
  });

  it('long-string fields get the larger limit (JWTs, command lines)', () => {
    const token = 'a'.repeat(5000);
    expect(RunnerAuthenticationCodec.fromJSON({ algorithm: 'OIDC-JWT', signature: token }).signature).toBe(
      token,
    );
    expect(
      issuesOf(() => RunnerAuthenticationCodec.fromJSON({ algorithm: 'OIDC-JWT', key_id: token }))[0]?.code,
    ).toBe('string_too_long');
  });
});

it('DEFAULT_LIMITS are the documented bounds', () => {
  expect(DEFAULT_LIMITS).toEqual({
    maxStringBytes: 1024,
    maxLongStringBytes: 16384,
    longStringFields: ['target', 'requested_operation', 'signature'],
    maxListItems: 64,
    maxMessageBytes: 262144,
    maxJsonBytes: 1048576,
  });
  expect(Object.isFrozen(DEFAULT_LIMITS)).toBe(true);
});
