// Preloaded (NODE_OPTIONS=--require) into a hook process by hook-start.test.ts: writes the built-in modules the
// process loaded (process.moduleLoadList) to the file named by CAVRA_TEST_OUTPUT when it exits.
const { writeFileSync } = require('node:fs');

process.on('exit', () =>
  writeFileSync(process.env.CAVRA_TEST_OUTPUT, JSON.stringify(process.moduleLoadList)),
);
