/** A command line the CLI cannot run: printed with the usage, exit 2. */
export class UsageError extends Error {}
