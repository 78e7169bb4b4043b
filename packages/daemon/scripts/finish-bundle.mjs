// After the bundle build (tsup.bin.config.ts): lists every package whose code went into dist/bin/cavra-daemon.cjs,
// with its version, in dist/bin/bundled-packages.json, for `cavra-daemon --version`; copies the files the bundled
// code reads beside itself (the runtime's shipped policy packs, read from `../policies/` of the code's own file, and
// their precompiled form from `./shipped-packs/`); and
// removes the build's metafile.
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const here = resolve(import.meta.dirname, '..');
const bin = join(here, 'dist', 'bin');
const metafile = join(bin, 'metafile-cjs.json');
const { inputs } = JSON.parse(readFileSync(metafile, 'utf8'));

/** The nearest package.json with a name above `file`, and its folder. */
function owningPackage(file) {
  for (let folder = dirname(file); folder !== dirname(folder); folder = dirname(folder)) {
    const manifest = join(folder, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name, version } = JSON.parse(readFileSync(manifest, 'utf8'));
    if (name && version) return { name, version, folder };
  }
  throw new Error(`no package owns ${file}`);
}

const packages = new Map();
for (const input of Object.keys(inputs)) {
  // The bundler's own helpers (tsup's shims) are no package of ours.
  if (input.includes('/node_modules/tsup/')) continue;
  const owner = owningPackage(resolve(here, input));
  packages.set(owner.name, owner);
}
const runtime = packages.get('@cavra/runtime');
if (!runtime) throw new Error('the bundle holds no @cavra/runtime');
cpSync(join(runtime.folder, 'policies'), join(here, 'dist', 'policies'), { recursive: true });
// The shipped packs precompiled by the runtime's build, read from `./shipped-packs/` of the code's own file (the
// runtime compiles the YAML instead when they are missing or do not match it).
const precompiled = join(runtime.folder, 'dist', 'shipped-packs');
if (existsSync(precompiled)) cpSync(precompiled, join(bin, 'shipped-packs'), { recursive: true });
// The daemon's own code: its version is the first line of --version.
packages.delete('@cavra/daemon');
const listed = Object.fromEntries(
  [...packages.values()]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map(({ name, version }) => [name, version]),
);
writeFileSync(join(bin, 'bundled-packages.json'), `${JSON.stringify(listed, null, 2)}\n`);
rmSync(metafile);
