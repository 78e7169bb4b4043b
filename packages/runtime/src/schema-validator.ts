import { Ajv, type ValidateFunction } from 'ajv';

let ajv: Ajv | undefined;

/**
 * A validator for one of the runtime's own schemas, compiled on first use by one Ajv shared by all of them. Compiling
 * was most of the cost of importing the runtime (each Ajv also compiles the JSON Schema meta-schema once), paid at
 * every daemon start even for the schemas a configuration never uses (MCP registry, pack signatures). The schemas
 * are fixed files of this package, so checking them against the meta-schema is a test (test/own-schemas.test.ts),
 * not work for every start; input is validated exactly as before.
 */
export function schemaValidator(schema: object): () => ValidateFunction {
  let validate: ValidateFunction | undefined;
  return () => {
    if (!validate) {
      ajv ??= new Ajv({ allErrors: true, strict: true, validateSchema: false });
      validate = ajv.compile(schema);
    }
    return validate;
  };
}
