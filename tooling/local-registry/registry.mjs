// A real npm registry on loopback (verdaccio) holding the @cavra packages, so that they install by name with plain
// npm before they are on the public registry: what `pnpm release` installs from, and what `pnpm registry` serves.
// Only the @cavra scope is served; a project points that scope at it (`@cavra:registry=<url>` in its .npmrc) and
// gets every other package from its usual registry.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '..', '..');
const VERDACCIO = join(here, 'node_modules/verdaccio/bin/verdaccio');
// Stops verdaccio when the script that started it is gone (see parent-watch.cjs).
const EXIT_WITH_PARENT = join(here, 'exit-with-parent.cjs');
const START_TIMEOUT_MS = 60_000;

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

export function run(command, args, cwd, { capture = true, env } = {}) {
  console.log(`$ ${[command, ...args].join(' ')}  (in ${cwd})`);
  return execFileSync(command, args, {
    cwd,
    env: env ?? process.env,
    stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'],
    encoding: 'utf8',
  });
}

/** The publishable packages: every packages/* whose package.json is not private. */
export function publishablePackages() {
  return readdirSync(join(root, 'packages'))
    .map((name) => join(root, 'packages', name))
    .filter((dir) => existsSync(join(dir, 'package.json')) && !readJson(join(dir, 'package.json')).private)
    .map((dir) => ({ dir, manifest: readJson(join(dir, 'package.json')) }));
}

/** `pnpm pack` (workspace:^ ranges become real versions) of every publishable package; returns name → tarball. */
export function packAll(destination) {
  const pnpm = join(root, 'node_modules/.bin/pnpm');
  const tarballs = new Map();
  for (const { dir, manifest } of publishablePackages()) {
    const tarball = run(pnpm, ['pack', '--pack-destination', destination], dir).trim().split('\n').at(-1);
    tarballs.set(manifest.name, tarball);
  }
  return tarballs;
}

/** Installs verdaccio from the committed lockfile, once (npm ci; the npm registry is the only network used). */
function ensureVerdaccio() {
  if (existsSync(VERDACCIO)) return;
  run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], here, { capture: false });
}

async function freePort() {
  const server = createServer();
  await new Promise((done, fail) => server.once('error', fail).listen(0, '127.0.0.1', done));
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}

/**
 * Starts verdaccio on 127.0.0.1 with its config, storage and user in `workDir`; resolves when it answers.
 * Returns { url, npmrc (a userconfig holding the publish token), stop() }.
 */
export async function startRegistry(workDir, { port } = {}) {
  ensureVerdaccio();
  mkdirSync(workDir, { recursive: true });
  const listen = `127.0.0.1:${port ?? (await freePort())}`;
  const url = `http://${listen}/`;
  const config = join(workDir, 'verdaccio.yaml');
  writeFileSync(
    config,
    [
      `storage: ${JSON.stringify(join(workDir, 'storage'))}`,
      'auth:',
      '  htpasswd:',
      `    file: ${JSON.stringify(join(workDir, 'htpasswd'))}`,
      'uplinks: {}',
      'packages:',
      "  '@cavra/*':",
      '    access: $all',
      '    publish: $authenticated',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  const child = spawn(
    process.execPath,
    ['--require', EXIT_WITH_PARENT, VERDACCIO, '--config', config, '--listen', listen],
    {
      cwd: workDir,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  let exited = null;
  child.once('exit', (code, signal) => {
    exited = signal ?? code;
  });
  const stop = async () => {
    if (exited !== null) return;
    const gone = new Promise((done) => child.once('exit', done));
    child.kill('SIGTERM');
    await gone;
  };
  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (exited !== null) throw new Error(`verdaccio exited (${exited}) before it answered on ${url}`);
      if (Date.now() > deadline)
        throw new Error(`verdaccio did not answer on ${url} within ${START_TIMEOUT_MS} ms`);
      const answered = await fetch(new URL('-/ping', url)).then(
        (response) => response.ok,
        () => false,
      );
      if (answered) break;
      await new Promise((done) => setTimeout(done, 200));
    }
    // A publisher account: what `npm adduser` does, without the prompt.
    const response = await fetch(new URL('-/user/org.couchdb.user:cavra-release', url), {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'cavra-release', password: 'local-registry-only' }),
    });
    const { token } = await response.json();
    if (!response.ok || typeof token !== 'string')
      throw new Error(`verdaccio refused the publisher account (${response.status})`);
    const npmrc = join(workDir, 'publish.npmrc');
    writeFileSync(npmrc, `//${listen}/:_authToken=${token}\n`);
    return { url, npmrc, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Publishes every tarball to the registry. */
export function publishAll(registry, tarballs) {
  for (const [name, tarball] of tarballs) {
    run(
      'npm',
      [
        'publish',
        tarball,
        '--registry',
        registry.url,
        '--userconfig',
        registry.npmrc,
        '--access',
        'public',
        '--loglevel=warn',
      ],
      root,
    );
    console.log(`published ${name} to ${registry.url}`);
  }
}

/** The .npmrc line that sends the @cavra scope to this registry. */
export const scopeLine = (registry) => `@cavra:registry=${registry.url}\n`;
