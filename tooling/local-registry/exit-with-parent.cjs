// Preloaded into verdaccio (`node --require`): it stops when the script that started it is gone, however that ended.
require('./parent-watch.cjs').watchParent(() => process.exit(0));
