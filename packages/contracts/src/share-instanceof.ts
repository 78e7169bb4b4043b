/**
 * Makes `value instanceof cls` true for instances made by any copy of the class. The ESM and the CommonJS build of a
 * package hold two distinct classes, and one process can load both (an ES module importing the package while one
 * of its CommonJS dependencies requires it); a plain `instanceof` then fails across them. Every copy marks its
 * prototype with the same symbol from the global registry, and the check looks for that mark.
 *
 * `key` names the class process-wide; use the package and class name, e.g. `'@cavra/contracts.ContractValidationError'`.
 * Call it once, right after the class declaration. A subclass keeps the ordinary prototype check.
 */
export function shareInstanceof(cls: abstract new (...args: never[]) => object, key: string): void {
  const brand = Symbol.for(key);
  Object.defineProperty(cls.prototype, brand, { value: true });
  Object.defineProperty(cls, Symbol.hasInstance, {
    value(this: unknown, value: unknown): boolean {
      if (this !== cls) return Function.prototype[Symbol.hasInstance].call(this, value);
      return (
        typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true
      );
    },
  });
}
