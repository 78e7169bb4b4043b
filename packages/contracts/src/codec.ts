import { scanBinary } from './binary-scan.js';
import { type ContractIssue, ContractValidationError, limitIssues } from './contract-issue.js';
import type { MessageName } from './descriptor.js';
import { DEFAULT_LIMITS } from './limits.js';
import { type JsonObject, messageToJSON } from './message-json.js';
import { MESSAGE_TYPES, type MessageTypes } from './messages.js';
import { type ValidateOptions, type ValidationResult, validate, validateAll } from './validate.js';

export type { JsonObject, JsonValue } from './message-json.js';

export interface ToJSONOptions {
  /** Emit fields that hold their proto3 default ("" / 0 / false / []). Default false, as in proto3 JSON. */
  readonly emitDefaults?: boolean;
}

/** A parse that did not throw: the message, plus the warnings (e.g. unknown fields in lenient mode). */
export interface ParseResult<M> {
  readonly message: M;
  readonly warnings: readonly ContractIssue[];
}

/** Binary and JSON codecs, validation and construction for one contract message. */
export interface MessageCodec<M, I> {
  readonly name: MessageName;
  /** Builds a message after validating `init`; throws ContractValidationError. */
  create(init?: I, options?: ValidateOptions): M;
  /** Protobuf binary encoding; validates first and throws ContractValidationError. */
  encode(message: I, options?: ValidateOptions): Uint8Array;
  /**
   * Decodes protobuf binary (bounded by limits.maxMessageBytes) and validates the result. Wrong wire types,
   * invalid UTF-8 and truncated input are `malformed_binary`; unknown field numbers are errors in strict mode
   * and dropped otherwise (use parseBinary to see them).
   */
  decode(bytes: Uint8Array, options?: ValidateOptions): M;
  /** Like decode, but also returns the warnings lenient mode tolerated (e.g. unknown field numbers). */
  parseBinary(bytes: Uint8Array, options?: ValidateOptions): ParseResult<M>;
  /** JSON with snake_case keys in field-number order. */
  toJSON(message: I, options?: ToJSONOptions): JsonObject;
  /**
   * Accepts a parsed object or JSON text (bounded by limits.maxJsonBytes), with snake_case and lowerCamelCase
   * keys; throws ContractValidationError with every issue. Unknown fields are dropped in lenient mode (use
   * parseJSON to see them).
   */
  fromJSON(json: unknown, options?: ValidateOptions): M;
  /** Like fromJSON, but also returns the warnings lenient mode tolerated. */
  parseJSON(json: unknown, options?: ValidateOptions): ParseResult<M>;
  /** Reports every issue without throwing. */
  validate(value: unknown, options?: ValidateOptions): ValidationResult;
}

interface GeneratedType<M> {
  fromObject(object: Record<string, unknown>): M;
  encode(message: M): { finish(): Uint8Array };
  decode(reader: Uint8Array): M;
}

function tooLarge(name: MessageName, what: string, bytes: number, limit: number): ContractValidationError {
  return new ContractValidationError(name, [
    { path: '', code: 'message_too_large', message: `is ${bytes} bytes${what}; the limit is ${limit}` },
  ]);
}

// A message is never a JSON string, so a string argument can only be JSON text.
function parseText(name: MessageName, json: unknown, options: ValidateOptions | undefined): unknown {
  if (typeof json !== 'string') return json;
  const limit = options?.limits?.maxJsonBytes ?? DEFAULT_LIMITS.maxJsonBytes;
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > limit) throw tooLarge(name, ' of JSON text', bytes, limit);
  try {
    return JSON.parse(json);
  } catch {
    // The parser's message quotes the text around the fault, which may be part of a token or signature.
    throw new ContractValidationError(name, [
      { path: '', code: 'invalid_json', message: 'is not valid JSON' },
    ]);
  }
}

function createCodec<N extends MessageName>(
  name: N,
): MessageCodec<MessageTypes[N]['message'], MessageTypes[N]['init']> {
  type M = MessageTypes[N]['message'];
  type I = MessageTypes[N]['init'];
  const type = MESSAGE_TYPES[name] as unknown as GeneratedType<M>;

  // Unknown binary field numbers follow the same rule as unknown JSON keys: errors when strict, else warnings.
  const parse = (
    value: unknown,
    options: ValidateOptions | undefined,
    unknownFields: readonly ContractIssue[] = [],
  ): ParseResult<M> => {
    const result = validateAll(name, value, options);
    const strict = options?.strict ?? false;
    const errors = strict ? [...unknownFields, ...result.errors] : result.errors;
    if (errors.length > 0) throw new ContractValidationError(name, errors);
    const warnings = strict ? result.warnings : limitIssues([...unknownFields, ...result.warnings]);
    return { message: type.fromObject(result.normalized), warnings };
  };

  const parseBinary = (bytes: Uint8Array, options: ValidateOptions | undefined): ParseResult<M> => {
    const limit = options?.limits?.maxMessageBytes ?? DEFAULT_LIMITS.maxMessageBytes;
    if (bytes.byteLength > limit) throw tooLarge(name, '', bytes.byteLength, limit);
    const scan = scanBinary(name, bytes);
    if (scan.malformed) throw new ContractValidationError(name, [scan.malformed]);
    return parse(type.decode(bytes), options, scan.unknownFields);
  };

  return {
    name,
    create: (init = {} as I, options) => parse(init, options).message,
    encode: (message, options) => type.encode(parse(message, options).message).finish(),
    decode: (bytes, options) => parseBinary(bytes, options).message,
    parseBinary,
    toJSON: (message, options) =>
      messageToJSON(name, message as Record<string, unknown>, options?.emitDefaults ?? false),
    fromJSON: (json, options) => parse(parseText(name, json, options), options).message,
    parseJSON: (json, options) => parse(parseText(name, json, options), options),
    validate: (value, options) => validate(name, value, options),
  };
}

export const EvaluateRequestCodec = createCodec('EvaluateRequest');
export const DecisionResponseCodec = createCodec('DecisionResponse');
export const ReleaseGovernanceEvidenceCodec = createCodec('ReleaseGovernanceEvidence');
export const RunnerAuthenticationCodec = createCodec('RunnerAuthentication');
export const RunnerIdentityCodec = createCodec('RunnerIdentity');
