import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ContractValidationError,
  DEFAULT_LIMITS,
  EvaluateRequestCodec,
  MESSAGE_FIELDS,
  type MessageName,
  ReleaseGovernanceEvidenceCodec,
} from '../src/index.js';
import { issuesOf } from './support/issues-of.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../fixtures');
const goldenBinaries = readdirSync(fixtures)
  .filter((file) => file.endsWith('.pb.hex'))
  .map((file) => Buffer.from(readFileSync(join(fixtures, file), 'utf8').trim(), 'hex'));

function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s/g, ''), 'hex'));
}

describe('decode refuses bytes a plain protobuf decoder would misread, naming the field', () => {
  it.each([
    [
      'a truncated string',
      '0a05 61',
      'session_id',
      'is truncated or malformed (index out of range: 2 + 5 > 3)',
    ],
    [
      'a string sent as a varint (would decode as session_id "A")',
      '0801 41',
      'session_id',
      'has wire type 0; string fields use wire type 2',
    ],
    [
      'a count sent as a string',
      '4203 7201 31',
      'release_governance.blocked_count',
      'has wire type 2; int32 fields use wire type 0',
    ],
    ['invalid UTF-8 (would decode as U+FFFD)', '0a01 ff', 'session_id', 'is not valid UTF-8'],
    ['the invalid wire type 7', '0f', 'session_id', 'has wire type 7; string fields use wire type 2'],
    ['field number 0', '0200', '', 'has a field numbered 0, which protobuf does not allow'],
    [
      'a truncated varint inside a nested message',
      '4203 708080',
      'release_governance.blocked_count',
      'is truncated or malformed (index out of range: 5 + 1 > 5)',
    ],
    [
      'a 6-byte varint (protobufjs would read 5 bytes and skip 5)',
      '4207 70808080808001',
      'release_governance.blocked_count',
      'is a 6-byte varint; int32 takes 1 to 5 bytes, or 10 when negative',
    ],
    [
      'a nested length past the end of the input',
      '4a05 0a02',
      'runner_auth',
      'declares 5 bytes but only 2 remain',
    ],
    [
      'a field that runs past the end of its nested message',
      '4a04 0a02 0a05 6769746875',
      'runner_auth.identity.provider',
      'runs past the end of its enclosing RunnerIdentity',
    ],
    [
      'a repeated item with the wrong wire type, by index',
      '4207 9a01 0161 9801 01',
      'release_governance.evidence_refs[1]',
      'has wire type 0; string fields use wire type 2',
    ],
    [
      'a truncated unknown field',
      '4202 9203',
      'release_governance.#50',
      'is truncated or malformed (index out of range: 4 + 1 > 4)',
    ],
  ])('%s', (_, bytes, path, message) => {
    expect(issuesOf(() => EvaluateRequestCodec.decode(hex(bytes)))).toEqual([
      { path, code: 'malformed_binary', message },
    ]);
  });

  it('accepts a negative int32 written as 10 bytes, then validate rejects the negative count', () => {
    const bytes = hex('70 ffffffffffffffffff01');
    expect(issuesOf(() => ReleaseGovernanceEvidenceCodec.decode(bytes))).toEqual([
      {
        path: 'blocked_count',
        code: 'negative_count',
        message: 'is a count and must not be negative, got -1',
      },
    ]);
  });
});

describe('unknown field numbers are reported, never silently dropped', () => {
  // session_id = "s", then field 50 (length-delimited "x") inside release_governance, then field 51 (varint 1).
  const bytes = hex('0a01 73  4204 92030178  9803 01');

  it('are errors in strict mode', () => {
    expect(issuesOf(() => EvaluateRequestCodec.decode(bytes, { strict: true }))).toEqual([
      {
        path: 'release_governance.#50',
        code: 'unknown_field',
        message: 'ReleaseGovernanceEvidence has no field number 50',
      },
      { path: '#51', code: 'unknown_field', message: 'EvaluateRequest has no field number 51' },
    ]);
  });

  it('are warnings from parseBinary in lenient mode, and the known fields decode', () => {
    const { message, warnings } = EvaluateRequestCodec.parseBinary(bytes);
    expect(EvaluateRequestCodec.toJSON(message)).toEqual({ session_id: 's', release_governance: {} });
    expect(warnings.map((issue) => issue.path)).toEqual(['release_governance.#50', '#51']);
  });

  it('skips unknown groups too (deprecated wire types 3 and 4)', () => {
    // field 51 start-group, field 1 varint inside it, field 51 end-group.
    expect(EvaluateRequestCodec.parseBinary(hex('9b03 0801 9c03')).warnings).toEqual([
      { path: '#51', code: 'unknown_field', message: 'EvaluateRequest has no field number 51' },
    ]);
  });
});

describe('truncated input', () => {
  const golden = hex(readFileSync(join(fixtures, 'runner-auth-hmac.pb.hex'), 'utf8'));
  const json = JSON.parse(readFileSync(join(fixtures, 'runner-auth-hmac.json'), 'utf8')) as Record<
    string,
    unknown
  >;

  it('every cut either fails as malformed_binary or ends exactly between top-level fields', () => {
    const decodedKeys: string[][] = [];
    let malformed = 0;
    for (let cut = 0; cut < golden.length; cut += 1) {
      try {
        decodedKeys.push(
          Object.keys(EvaluateRequestCodec.toJSON(EvaluateRequestCodec.decode(golden.subarray(0, cut)))),
        );
      } catch (error) {
        expect((error as ContractValidationError).issues.map((issue) => issue.code)).toEqual([
          'malformed_binary',
        ]);
        malformed += 1;
      }
    }
    // Protobuf has no end marker: a cut between fields is a shorter valid message, every other cut is refused.
    const keys = Object.keys(json);
    expect(decodedKeys).toEqual(keys.slice(0, 8).map((_, count) => keys.slice(0, count)));
    expect(malformed).toBe(golden.length - 8);
  });
});

// Deterministic pseudo-random bytes (mulberry32), so a failure reproduces.
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('garbage', () => {
  it('random and mutated bytes give a message or a ContractValidationError, never another error', () => {
    const next = random(20261125);
    const byte = () => Math.floor(next() * 256);
    const inputs: Uint8Array[] = [];
    for (let i = 0; i < 1000; i += 1) inputs.push(Uint8Array.from({ length: Math.floor(next() * 64) }, byte));
    for (const golden of goldenBinaries) {
      for (let i = 0; i < 300; i += 1) {
        const mutated = Uint8Array.from(golden);
        for (let flips = 1 + Math.floor(next() * 3); flips > 0; flips -= 1) {
          mutated[Math.floor(next() * mutated.length)] = byte();
        }
        inputs.push(mutated);
      }
    }
    const outcomes = { decoded: 0, refused: 0, other: [] as string[] };
    for (const bytes of inputs) {
      try {
        const message = EvaluateRequestCodec.decode(bytes);
        // What decoded must survive its own round trip unchanged.
        expect(
          EvaluateRequestCodec.toJSON(EvaluateRequestCodec.decode(EvaluateRequestCodec.encode(message))),
        ).toEqual(EvaluateRequestCodec.toJSON(message));
        outcomes.decoded += 1;
      } catch (error) {
        if (error instanceof ContractValidationError) outcomes.refused += 1;
        else outcomes.other.push(`${Buffer.from(bytes).toString('hex')}: ${String(error)}`);
      }
    }
    expect(outcomes.other).toEqual([]);
    expect(outcomes.decoded + outcomes.refused).toBe(1000 + 300 * goldenBinaries.length);
  });
});

// Every field at its bound: strings at maxStringBytes (or maxLongStringBytes), lists at maxListItems,
// counts at the int32 maximum; closed-set fields take their longest valid value.
const LONGEST_VALID: Record<string, string> = {
  algorithm: 'HMAC-SHA256',
  issued_at: '2026-11-25T12:00:00.123456789Z',
  expires_at: '2026-11-25T12:05:00.123456789Z',
};
const LARGEST_BINARY_BYTES = 215_788;
const LARGEST_JSON_BYTES = 216_775;

function largest(name: MessageName): Record<string, unknown> {
  return Object.fromEntries(
    MESSAGE_FIELDS[name].map((field) => {
      const stringBytes = DEFAULT_LIMITS.longStringFields.includes(field.name)
        ? DEFAULT_LIMITS.maxLongStringBytes
        : DEFAULT_LIMITS.maxStringBytes;
      const value =
        field.type === 'int32'
          ? 2 ** 31 - 1
          : field.type === 'bool'
            ? true
            : field.type === 'string'
              ? (LONGEST_VALID[field.name] ?? 'x'.repeat(stringBytes))
              : largest(field.type);
      return [
        field.name,
        field.repeated ? Array.from({ length: DEFAULT_LIMITS.maxListItems }, () => value) : value,
      ];
    }),
  );
}

describe('size bounds', () => {
  it('decode accepts exactly maxMessageBytes and refuses one byte more before reading it', () => {
    const bytes = ReleaseGovernanceEvidenceCodec.encode({ release_channel: 'x'.repeat(98) });
    expect(bytes.length).toBe(100);
    expect(
      ReleaseGovernanceEvidenceCodec.decode(bytes, { limits: { maxMessageBytes: 100 } }).release_channel,
    ).toBe('x'.repeat(98));
    expect(
      issuesOf(() => ReleaseGovernanceEvidenceCodec.decode(bytes, { limits: { maxMessageBytes: 99 } })),
    ).toEqual([{ path: '', code: 'message_too_large', message: 'is 100 bytes; the limit is 99' }]);
  });

  it('the largest valid EvaluateRequest fits both default bounds, binary and JSON', () => {
    const message = largest('EvaluateRequest');
    const binary = EvaluateRequestCodec.encode(message);
    const text = JSON.stringify(message);
    expect([binary.length, Buffer.byteLength(text)]).toEqual([LARGEST_BINARY_BYTES, LARGEST_JSON_BYTES]);
    expect(binary.length).toBeLessThan(DEFAULT_LIMITS.maxMessageBytes);
    expect(Buffer.byteLength(text)).toBeLessThan(DEFAULT_LIMITS.maxJsonBytes);
    expect(EvaluateRequestCodec.toJSON(EvaluateRequestCodec.decode(binary))).toEqual(message);
    expect(EvaluateRequestCodec.toJSON(EvaluateRequestCodec.fromJSON(text))).toEqual(message);
  });
});
