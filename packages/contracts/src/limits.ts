/** Bounds applied to every decoded or validated message. All sizes are UTF-8 bytes. */
export interface ContractLimits {
  /** Largest string field, except those listed in `longStringFields`. */
  readonly maxStringBytes: number;
  /** Largest value of a field named in `longStringFields` (JWTs and command lines can be long). */
  readonly maxLongStringBytes: number;
  /** Fields that may use `maxLongStringBytes`. */
  readonly longStringFields: readonly string[];
  /** Most items in a repeated field. */
  readonly maxListItems: number;
  /** Largest binary message accepted by `decode` and `parseBinary`. */
  readonly maxMessageBytes: number;
  /** Largest JSON text (UTF-8 bytes) accepted by `fromJSON` and `parseJSON`; JSON is wordier than binary. */
  readonly maxJsonBytes: number;
}

export const DEFAULT_LIMITS: ContractLimits = Object.freeze({
  maxStringBytes: 1024,
  maxLongStringBytes: 16384,
  longStringFields: Object.freeze(['target', 'requested_operation', 'signature']),
  maxListItems: 64,
  maxMessageBytes: 256 * 1024,
  maxJsonBytes: 1024 * 1024,
});
