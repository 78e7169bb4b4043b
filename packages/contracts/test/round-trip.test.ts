import { describe, expect, it } from 'vitest';
import {
  DecisionResponseCodec,
  EvaluateRequestCodec,
  MESSAGE_FIELDS,
  ReleaseGovernanceEvidenceCodec,
  RunnerAuthenticationCodec,
  RunnerIdentityCodec,
} from '../src/index.js';
import { fullySet } from './support/samples.js';

// The only fields whose empty value the contract rejects.
const REQUIRED: Record<string, Record<string, string>> = {
  DecisionResponse: { decision: 'allow' },
  RunnerAuthentication: { algorithm: 'OIDC-JWT' },
};

const codecs = [
  EvaluateRequestCodec,
  DecisionResponseCodec,
  ReleaseGovernanceEvidenceCodec,
  RunnerAuthenticationCodec,
  RunnerIdentityCodec,
];

describe.each(codecs.map((codec) => [codec.name, codec] as const))('%s', (name, codec) => {
  const sample = fullySet(name);

  it('round-trips every field through protobuf binary', () => {
    const bytes = codec.encode(sample);
    expect(codec.toJSON(codec.decode(bytes))).toEqual(sample);
  });

  it('round-trips every field through snake_case JSON, in field-number order', () => {
    const json = codec.toJSON(codec.fromJSON(sample));
    expect(json).toEqual(sample);
    expect(Object.keys(json)).toEqual(MESSAGE_FIELDS[name].map((field) => field.name));
  });

  it('round-trips through JSON text', () => {
    expect(codec.toJSON(codec.fromJSON(JSON.stringify(sample)))).toEqual(sample);
  });

  it('accepts proto3 lowerCamelCase keys and answers in snake_case', () => {
    const camel = Object.fromEntries(
      MESSAGE_FIELDS[name].map((field) => [field.jsonName, sample[field.name]]),
    );
    expect(codec.toJSON(codec.fromJSON(camel))).toEqual(sample);
  });

  it('omits proto3 defaults unless asked to emit them', () => {
    const required = REQUIRED[name] ?? {};
    const empty = codec.create(required);
    expect(codec.toJSON(empty)).toEqual(required);
    const withDefaults = codec.toJSON(empty, { emitDefaults: true });
    const scalarFields = MESSAGE_FIELDS[name].filter((field) =>
      ['string', 'int32', 'bool'].includes(field.type),
    );
    expect(Object.keys(withDefaults)).toEqual(scalarFields.map((field) => field.name));
  });
});

it('decodes the binary written by a plain protobuf encoder (wire compatibility)', () => {
  // session_id=1 "s", action_type=4 "read_file", release_governance=8 { blocked_count=14: 3 }
  const bytes = Uint8Array.from([
    0x0a,
    0x01,
    0x73,
    0x22,
    0x09,
    ...Buffer.from('read_file'),
    0x42,
    0x02,
    0x70,
    0x03,
  ]);
  expect(EvaluateRequestCodec.toJSON(EvaluateRequestCodec.decode(bytes))).toEqual({
    session_id: 's',
    action_type: 'read_file',
    release_governance: { blocked_count: 3 },
  });
});
