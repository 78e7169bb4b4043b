import type { ErrorObject } from 'ajv';

/** One problem in a schema-validated document, at a JSON-pointer-like path. */
export interface SchemaIssue {
  /** e.g. `/commands/allow/2`; for an unknown key, the key's own path (`/filesystem/block_exec`); empty for the root. */
  readonly path: string;
  readonly message: string;
  /** Where in the text the path is (1-based), when the document was read from text that says (see `issuePositions`). */
  readonly line?: number;
  /** The column (1-based) of `line`. */
  readonly column?: number;
}

/**
 * Ajv's errors (compiled with `allErrors`) as issues naming their paths: an unknown key is reported at its own
 * path as `is not a known key`, every other error at its instance path with Ajv's message. An enum error lists the
 * allowed values; given the schema validated against, an unknown key lists the keys allowed there, so a typo shows
 * its fix.
 */
export function schemaIssues(
  errors: readonly ErrorObject[] | null | undefined,
  schema?: object,
): SchemaIssue[] {
  return (errors ?? []).map((error) => {
    if (error.keyword === 'additionalProperties') {
      const known = schema ? knownKeys(schema, error.schemaPath) : [];
      return {
        path: `${error.instancePath}/${escapePointer((error.params as { additionalProperty: string }).additionalProperty)}`,
        message: `is not a known key${known.length > 0 ? ` (known: ${known.join(', ')})` : ''}`,
      };
    }
    if (error.keyword === 'enum') {
      const allowed = (error.params as { allowedValues: readonly unknown[] }).allowedValues;
      return {
        path: error.instancePath,
        message: `must be one of: ${allowed.map((value) => String(value)).join(', ')}`,
      };
    }
    return { path: error.instancePath, message: error.message ?? 'is invalid' };
  });
}

/** The `properties` of the schema object holding the failed `additionalProperties` (its `schemaPath` minus one). */
function knownKeys(schema: object, schemaPath: string): string[] {
  const segments = schemaPath.replace(/^#\/?/, '').split('/').slice(0, -1).map(unescapePointer);
  let node: unknown = schema;
  for (const segment of segments) node = (node as Record<string, unknown> | undefined)?.[segment];
  const properties = (node as { properties?: object } | undefined)?.properties;
  return properties ? Object.keys(properties) : [];
}

const escapePointer = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');
const unescapePointer = (segment: string) => segment.replaceAll('~1', '/').replaceAll('~0', '~');

/** A JSON pointer's segments (`/a~1b/0` → `['a/b', '0']`). */
export function pointerSegments(path: string): string[] {
  return path === '' ? [] : path.slice(1).split('/').map(unescapePointer);
}

/** An issue as one line: `/commands/allow (line 3, column 3): must be array`; the path and position when known. */
export function issueText(issue: SchemaIssue): string {
  const at = issue.line === undefined ? '' : `line ${issue.line}, column ${issue.column}`;
  const where = issue.path && at ? `${issue.path} (${at})` : issue.path || at;
  return `${where ? `${where}: ` : ''}${issue.message}`;
}
