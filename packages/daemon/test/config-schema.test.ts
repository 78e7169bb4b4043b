import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import schema from '../schema/daemon-config.schema.json' with { type: 'json' };

// The daemon compiles its config schema without checking it against the meta-schema (start-up time): this is that
// check.
describe('the daemon config schema', () => {
  it('is a valid draft-07 schema', () => {
    const ajv = new Ajv({ allErrors: true, strict: true });
    expect(ajv.validateSchema(schema)).toBe(true);
    expect(ajv.errors).toBeNull();
  });
});
