import pkg from '../package.json' with { type: 'json' };

/** This package's version, as reported by health and `cavra-daemon --version`. */
export const DAEMON_VERSION: string = pkg.version;
