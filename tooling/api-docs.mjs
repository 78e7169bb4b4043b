#!/usr/bin/env node
// API reference of every publishable package, generated with TypeDoc from each package's public entry point
// (src/index.ts, as `exports` publishes it). Output: docs/api/ (not committed). Usage: node tooling/api-docs.mjs [OUT]
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application } from 'typedoc';

const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const out = resolve(process.argv[2] ?? join(root, 'docs/api'));
const packages = readdirSync(join(root, 'packages'))
  .map((name) => join(root, 'packages', name))
  .filter(
    (dir) =>
      existsSync(join(dir, 'package.json')) &&
      !JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private,
  );

// One tsconfig over every entry point, so cross-package links resolve.
const tsconfig = join(root, 'node_modules/.cache/typedoc.tsconfig.json');
mkdirSync(dirname(tsconfig), { recursive: true });
writeFileSync(
  tsconfig,
  JSON.stringify({
    extends: join(root, 'tooling/tsconfig.base.json'),
    include: packages.map((dir) => join(dir, 'src')),
  }),
);
const app = await Application.bootstrapWithPlugins({
  name: 'CAVRA for TypeScript',
  entryPoints: packages.map((dir) => join(dir, 'src/index.ts')),
  tsconfig,
  out,
  readme: join(root, 'README.md'),
  excludePrivate: true,
  excludeInternal: true,
  validation: { notExported: false, invalidLink: false, notDocumented: false },
  skipErrorChecking: true,
});
const project = await app.convert();
if (!project) throw new Error('TypeDoc could not convert the packages');
await app.generateDocs(project, out);
console.log(`API reference of ${packages.length} packages in ${out}`);
