import { type ContractIssue, limitIssues, printableKey } from './contract-issue.js';
import { type FieldSpec, MESSAGE_FIELDS, type MessageName } from './descriptor.js';
import { FIELD_RULES } from './field-rules.js';
import { type ContractLimits, DEFAULT_LIMITS } from './limits.js';
import { foldNestedApproval, NESTED_APPROVAL } from './release-governance-approval.js';
import { RELEASE_GOVERNANCE_ACTION_TYPE } from './release-governance-kind.js';
import { foldUpstreamRecord, UPSTREAM_RECORD } from './upstream-record.js';

export interface ValidateOptions {
  /**
   * Reject unknown fields (JSON keys and binary field numbers) and a legacy `operation` that disagrees with
   * `requested_operation`. Default false: lenient mode reports them as warnings, which `validate`, `parseJSON`,
   * `parseBinary` and `parseRuntimeRequest` return, and drops unknown fields from the message.
   */
  readonly strict?: boolean;
  /** Overrides of DEFAULT_LIMITS. */
  readonly limits?: Partial<ContractLimits>;
}

/** The outcome of validating one message: errors make it unusable, warnings are reported and tolerated. */
export interface ValidationResult {
  readonly ok: boolean;
  readonly errors: readonly ContractIssue[];
  readonly warnings: readonly ContractIssue[];
  /** The message with snake_case keys only, legacy aliases resolved, unknown fields dropped. */
  readonly normalized: Record<string, unknown>;
}

const INT32_MAX = 2 ** 31 - 1;
// A legacy alias of requested_operation, kept outside the proto (see the contracts README).
const LEGACY_OPERATION = 'operation';
/**
 * Keys upstream CAVRA clients send beside the proto fields of an EvaluateRequest (for MCP calls: the server, the
 * tool and the capability used). Not proto fields: known in strict mode, checked as bounded strings, and read by
 * parseRuntimeRequest (see the contracts README).
 */
export const EVALUATE_REQUEST_RUNTIME_KEYS = ['server', 'tool', 'capability'] as const;

// Bounds a runtime key like a short proto string field (it is in no longStringFields list).
const RUNTIME_KEY_FIELD: FieldSpec = {
  name: 'runtime_key',
  jsonName: 'runtimeKey',
  number: 0,
  type: 'string',
  repeated: false,
};

interface Context {
  readonly strict: boolean;
  readonly limits: ContractLimits;
  readonly errors: ContractIssue[];
  readonly warnings: ContractIssue[];
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkString(value: unknown, field: FieldSpec, path: string, ctx: Context): string | undefined {
  if (typeof value !== 'string') {
    ctx.errors.push({ path, code: 'wrong_type', message: `expected a string, got ${describe(value)}` });
    return undefined;
  }
  const limit = ctx.limits.longStringFields.includes(field.name)
    ? ctx.limits.maxLongStringBytes
    : ctx.limits.maxStringBytes;
  // A UTF-16 code unit is at most 3 UTF-8 bytes: most values are shown short enough without counting.
  if (value.length * 3 <= limit) return value;
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > limit) {
    ctx.errors.push({ path, code: 'string_too_long', message: `is ${bytes} bytes; the limit is ${limit}` });
    return undefined;
  }
  return value;
}

function checkInt32(value: unknown, path: string, ctx: Context): number | undefined {
  if (typeof value !== 'number') {
    ctx.errors.push({ path, code: 'wrong_type', message: `expected an integer, got ${describe(value)}` });
    return undefined;
  }
  if (!Number.isInteger(value)) {
    ctx.errors.push({ path, code: 'not_an_integer', message: `expected an integer, got ${value}` });
    return undefined;
  }
  // Every int32 in the contract is a count, so a negative value is always a producer bug.
  if (value < 0) {
    ctx.errors.push({
      path,
      code: 'negative_count',
      message: `is a count and must not be negative, got ${value}`,
    });
    return undefined;
  }
  if (value > INT32_MAX) {
    ctx.errors.push({ path, code: 'out_of_range', message: `exceeds int32 maximum ${INT32_MAX}` });
    return undefined;
  }
  return value;
}

function checkScalar(value: unknown, field: FieldSpec, path: string, ctx: Context): unknown {
  switch (field.type) {
    case 'string':
      return checkString(value, field, path, ctx);
    case 'int32':
      return checkInt32(value, path, ctx);
    case 'bool':
      if (typeof value !== 'boolean') {
        ctx.errors.push({ path, code: 'wrong_type', message: `expected a boolean, got ${describe(value)}` });
        return undefined;
      }
      return value;
    default:
      return validateMessage(field.type, value, path, ctx);
  }
}

function checkField(value: unknown, field: FieldSpec, path: string, ctx: Context): unknown {
  if (!field.repeated) return checkScalar(value, field, path, ctx);
  if (!Array.isArray(value)) {
    ctx.errors.push({ path, code: 'wrong_type', message: `expected an array, got ${describe(value)}` });
    return undefined;
  }
  if (value.length > ctx.limits.maxListItems) {
    ctx.errors.push({
      path,
      code: 'list_too_long',
      message: `has ${value.length} items; the limit is ${ctx.limits.maxListItems}`,
    });
    return undefined;
  }
  return value.map((item, index) => checkScalar(item, field, `${path}[${index}]`, ctx));
}

/**
 * Reads a field by its snake_case or lowerCamelCase key: undefined when not set (proto3 JSON: null means "not
 * set"), and when given under both keys, which is an error.
 */
function readField(input: Record<string, unknown>, field: FieldSpec, path: string, ctx: Context): unknown {
  const snake = input[field.name];
  const camel = field.jsonName === field.name ? undefined : input[field.jsonName];
  if (snake !== undefined && snake !== null && camel !== undefined && camel !== null) {
    ctx.errors.push({
      path,
      code: 'duplicate_field',
      message: `given as both ${field.name} and ${field.jsonName}`,
    });
    return undefined;
  }
  return snake ?? camel ?? undefined;
}

function resolveLegacyOperation(
  input: Record<string, unknown>,
  out: Record<string, unknown>,
  path: string,
  ctx: Context,
): void {
  const legacy = input[LEGACY_OPERATION];
  if (legacy === undefined || legacy === null) return;
  const legacyPath = join(path, LEGACY_OPERATION);
  const field = MESSAGE_FIELDS.EvaluateRequest.find((f) => f.name === 'requested_operation') as FieldSpec;
  const operation = checkString(legacy, field, legacyPath, ctx);
  if (operation === undefined) return;
  const requested = out.requested_operation;
  if (requested === undefined || requested === '') {
    out.requested_operation = operation;
  } else if (requested !== operation) {
    const issue: ContractIssue = {
      path: legacyPath,
      code: 'operation_conflict',
      message: `legacy operation ${JSON.stringify(operation)} disagrees with requested_operation ${JSON.stringify(requested)}; requested_operation wins`,
    };
    (ctx.strict ? ctx.errors : ctx.warnings).push(issue);
  }
}

/** Keys read beside a message's fields. */
const EXTRA_KEYS: Partial<Record<MessageName, readonly string[]>> = {
  EvaluateRequest: [LEGACY_OPERATION, UPSTREAM_RECORD, ...EVALUATE_REQUEST_RUNTIME_KEYS],
  ReleaseGovernanceEvidence: [NESTED_APPROVAL],
};

/** Every key a message's JSON may hold: its fields by both names, and its extra keys. */
const KNOWN_KEYS = new Map(
  (Object.keys(MESSAGE_FIELDS) as MessageName[]).map((name) => [
    name,
    new Set([
      ...MESSAGE_FIELDS[name].flatMap((field) => [field.name, field.jsonName]),
      ...(EXTRA_KEYS[name] ?? []),
    ]),
  ]),
);

function validateMessage(
  name: MessageName,
  input: unknown,
  path: string,
  ctx: Context,
): Record<string, unknown> | undefined {
  if (!isPlainObject(input)) {
    ctx.errors.push({
      path,
      code: 'not_an_object',
      message: `expected a ${name} object, got ${describe(input)}`,
    });
    return undefined;
  }
  const rules = FIELD_RULES[name] ?? {};
  const out: Record<string, unknown> = {};
  for (const field of MESSAGE_FIELDS[name]) {
    const fieldPath = join(path, field.name);
    const value = readField(input, field, fieldPath, ctx);
    const present = value !== undefined;
    const checked = present ? checkField(value, field, fieldPath, ctx) : undefined;
    if (checked !== undefined) out[field.name] = checked;
    const rule = rules[field.name];
    if (rule && (checked !== undefined || !present)) {
      const issue = rule(typeof checked === 'string' ? checked : '', fieldPath);
      if (issue) ctx.errors.push(issue);
    }
  }
  if (name === 'EvaluateRequest') {
    resolveLegacyOperation(input, out, path, ctx);
    for (const key of EVALUATE_REQUEST_RUNTIME_KEYS) {
      const value = input[key];
      if (value === undefined || value === null) continue;
      // Checked like any short string field; the value stays out of the proto message.
      checkString(value, RUNTIME_KEY_FIELD, join(path, key), ctx);
    }
    const record = input[UPSTREAM_RECORD];
    if (record !== undefined && record !== null) {
      const recordPath = join(path, UPSTREAM_RECORD);
      if (out.action_type !== RELEASE_GOVERNANCE_ACTION_TYPE) {
        // Upstream's engine reads `record` for release_governance_record requests only.
        (ctx.strict ? ctx.errors : ctx.warnings).push({
          path: recordPath,
          code: 'unknown_field',
          message: `EvaluateRequest has no field "record" unless action_type is ${RELEASE_GOVERNANCE_ACTION_TYPE}`,
        });
      } else {
        const errorsBefore = ctx.errors.length;
        const normalized = validateMessage('ReleaseGovernanceEvidence', record, recordPath, ctx);
        if (normalized && ctx.errors.length === errorsBefore)
          foldUpstreamRecord(normalized, out, path, ctx.errors);
      }
    }
  }
  if (name === 'ReleaseGovernanceEvidence') foldNestedApproval(input, out, path, ctx);
  const known = KNOWN_KEYS.get(name) as ReadonlySet<string>;
  for (const key of Object.keys(input)) {
    if (known.has(key)) continue;
    const shown = printableKey(key);
    const issue: ContractIssue = {
      path: join(path, shown),
      code: 'unknown_field',
      message: `${name} has no field "${shown}"`,
    };
    (ctx.strict ? ctx.errors : ctx.warnings).push(issue);
  }
  return out;
}

/**
 * Validates a message given as JSON-shaped data (snake_case or lowerCamelCase keys) or as a
 * decoded message, and reports every issue with its field path (at most MAX_REPORTED_ISSUES per list).
 */
export function validate(name: MessageName, value: unknown, options: ValidateOptions = {}): ValidationResult {
  const result = validateAll(name, value, options);
  return { ...result, errors: limitIssues(result.errors), warnings: limitIssues(result.warnings) };
}

/** validate without the cap on reported issues, for callers that merge lists before capping them once. */
export function validateAll(
  name: MessageName,
  value: unknown,
  options: ValidateOptions = {},
): ValidationResult {
  const ctx: Context = {
    strict: options.strict ?? false,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    errors: [],
    warnings: [],
  };
  const normalized = validateMessage(name, value, '', ctx) ?? {};
  return { ok: ctx.errors.length === 0, errors: ctx.errors, warnings: ctx.warnings, normalized };
}
