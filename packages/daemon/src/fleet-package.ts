/**
 * `@cavra/fleet` for the commands that need it, which import this module lazily. Not `import('@cavra/fleet')`: the
 * installed `cavra-daemon` runs its bundle (which leaves `@cavra/fleet` outside) in a `vm.Script`, where `import()`
 * of a package throws ("A dynamic import callback was not specified"; V8 drops the callback for code read from the
 * code cache). A static import here becomes the bundle's `require`, which works there.
 */
export * as fleet from '@cavra/fleet';
