import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import registry from '../schema/mcp-registry.schema.json' with { type: 'json' };
import pack from '../schema/policy-pack.schema.json' with { type: 'json' };
import signature from '../schema/policy-signature.schema.json' with { type: 'json' };

// The runtime compiles these without checking them against the meta-schema (start-up time): this is that check.
describe('the runtime schemas', () => {
  it.each([
    ['policy-pack', pack],
    ['policy-signature', signature],
    ['mcp-registry', registry],
  ])('%s is a valid draft-07 schema', (_name, schema) => {
    const ajv = new Ajv({ allErrors: true, strict: true });
    expect(ajv.validateSchema(schema)).toBe(true);
    expect(ajv.errors).toBeNull();
  });
});
