import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { MESSAGE_FIELDS, MESSAGE_NAMES } from '../src/index.js';
import { SPEC_FIELD_TYPES, SPEC_FIELDS } from './spec-fields.js';

const protoPath = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../../proto/cavra/enforcement/v1/enforcement.proto',
);
const root = new protobuf.Root().loadSync(protoPath, { keepCase: true });

function declaredType(field: protobuf.Field): string {
  return field.repeated ? `repeated ${field.type}` : field.type;
}

describe('the proto declares every field of the spec', () => {
  it('has exactly the five contract messages and the Enforcement service', () => {
    const pkg = root.lookup('cavra.enforcement.v1') as protobuf.Namespace;
    expect(Object.keys(pkg.nested ?? {}).sort()).toEqual([...MESSAGE_NAMES, 'Enforcement'].sort());
    const service = root.lookupService('cavra.enforcement.v1.Enforcement');
    expect(service.methods.Evaluate?.requestType).toBe('EvaluateRequest');
    expect(service.methods.Evaluate?.responseType).toBe('DecisionResponse');
  });

  for (const [message, fields] of Object.entries(SPEC_FIELDS)) {
    it(`${message}: every field name and number matches the spec, nothing extra`, () => {
      const type = root.lookupType(`cavra.enforcement.v1.${message}`);
      const actual = Object.fromEntries(type.fieldsArray.map((field) => [field.name, field.id]));
      expect(actual).toEqual(fields);
    });

    it(`${message}: field types match the spec (int32 counts, strings otherwise)`, () => {
      const type = root.lookupType(`cavra.enforcement.v1.${message}`);
      for (const field of type.fieldsArray) {
        const expected =
          SPEC_FIELD_TYPES[`${message}.${field.name}`] ??
          (field.name.endsWith('_count') ? 'int32' : 'string');
        expect(`${field.name}: ${declaredType(field)}`).toBe(`${field.name}: ${expected}`);
      }
    });

    it(`${message}: the generated descriptor the package ships agrees with the proto`, () => {
      const generated = Object.fromEntries(
        MESSAGE_FIELDS[message as keyof typeof MESSAGE_FIELDS].map((field) => [field.name, field.number]),
      );
      expect(generated).toEqual(fields);
    });
  }

  it('gives every field a comment in the proto', () => {
    const text = protobuf.parse(readFileSync(protoPath, 'utf8'), {
      keepCase: true,
      alternateCommentMode: true,
    }).root;
    for (const message of MESSAGE_NAMES) {
      for (const field of text.lookupType(`cavra.enforcement.v1.${message}`).fieldsArray) {
        expect(field.comment, `${message}.${field.name} has no comment`).toBeTruthy();
      }
    }
  });
});
