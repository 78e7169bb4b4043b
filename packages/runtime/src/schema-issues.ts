import type { ErrorObject } from 'ajv';

/** One problem in a schema-validated document, at a JSON-pointer-like path. */
export interface SchemaIssue {
  /** e.g. `/commands/allow/2`; for an unknown key, the key's own path (`/filesystem/block_exec`); empty for the root. */
  readonly path: string;
  readonly message: string;
}

/**
 * Ajv's errors (compiled with `allErrors`) as issues naming their paths: an unknown key is reported at its own
 * path as `is not a known key`, every other error at its instance path with Ajv's message.
 */
export function schemaIssues(errors: readonly ErrorObject[] | null | undefined): SchemaIssue[] {
  return (errors ?? []).map((error) => ({
    path:
      error.keyword === 'additionalProperties'
        ? `${error.instancePath}/${(error.params as { additionalProperty: string }).additionalProperty}`
        : error.instancePath,
    message:
      error.keyword === 'additionalProperties' ? 'is not a known key' : (error.message ?? 'is invalid'),
  }));
}
