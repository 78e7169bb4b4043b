import pkg from '../package.json' with { type: 'json' };

/** This package's version, as `cavra --version` prints it. */
export const CLI_VERSION: string = pkg.version;
