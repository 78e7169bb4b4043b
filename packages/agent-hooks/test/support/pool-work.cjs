// Preloaded (NODE_OPTIONS=--require) into a hook process by hook-start.test.ts: writes the types of the asynchronous
// resources the process made to the file named by CAVRA_TEST_OUTPUT when it exits.
const { createHook } = require('node:async_hooks');
const { writeFileSync } = require('node:fs');

const types = new Set();
createHook({
  init(_id, type) {
    types.add(type);
  },
}).enable();
process.on('exit', () => writeFileSync(process.env.CAVRA_TEST_OUTPUT, JSON.stringify([...types].sort())));
