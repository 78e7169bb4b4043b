// Every fenced code block of every README (the root's, each package's, each example's) is checked here:
// - js / ts: type-checked as an ES module of a strict TypeScript project (`checkJs` for JavaScript), against the
//   built packages; a block marked `run` is also run (Node; tsx for TypeScript) in an empty temp dir.
// - yaml: the daemon's README holds daemon configurations or excerpts of one (validated as the daemon does, with
//   `evidence_log` added when an excerpt leaves it out), the others policy packs (parsed and validated as the
//   engine does). json: parsed.
// - sh: `npm install <packages>` lines name publishable packages (the release dry run installs each by name alone).
//   A block marked `<!-- snippet: run in a new project -->` also runs (new-project.mjs): in a new git project on a
//   feature branch, its install lines become links to the workspace's built packages laid out as npm lays them out
//   (node_modules/@cavra/<name>, node_modules/.bin/<bin>), its other lines run with bash there, then the Claude Code
//   hooks it set up are driven as Claude Code runs them (SessionStart, then PreToolUse calls with asserted
//   answers), and the daemon is stopped at the end.
// Anything else needs a marker on the line just before its fence, saying why it is not run:
//   <!-- snippet: not run: <reason> -->     (shell sessions that need a daemon or CI, sample output, ...)
//   <!-- snippet: continues -->             (the block goes on from the previous js/ts block of the same README)
//   <!-- snippet: run -->                   (also run the block, not only type-check it)
//   <!-- snippet: run against a daemon -->  (run it with a daemon listening on .cavra/run/daemon.sock in its
//                                            directory: the daemon README's example configuration)
//   <!-- snippet: run in a new project -->  (sh: run it in a new project and drive the hooks it sets up, above)
//   <!-- snippet: run against a NATS cluster --> (run it with a real 3-node JetStream cluster on loopback, its
//                                            servers in $NATS_URL, comma-separated: @cavra/fleet's README)
// A run block's output must match what its comments promise: a `console.log(...)` line ending in `// <text>`, or
// followed by a line that is only `// <text>`, expects <text> in the output, in order (whitespace ignored, `...`
// standing for anything).
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { resolveDaemonConfig, startDaemon } from '@cavra/daemon';
import { startNatsCluster } from '@cavra/nats-cluster';
import { parsePolicyPack } from '@cavra/runtime';
import { parse as parseYaml } from 'yaml';
import { NPM_INSTALL, runInNewProject } from './new-project.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const generated = join(here, '.generated');
const require = createRequire(import.meta.url);
const execFileAsync = promisify(execFile);
const TSC = require.resolve('typescript/bin/tsc');
const TSX = join(root, 'node_modules/.bin/tsx');
// What a run block's environment holds: the values its README tells the reader to set.
const RUN_ENV = { CAVRA_RUNNER_KEY: 'a-32-byte-secret-for-readme-runs!' };

const MARKER =
  /^<!-- snippet: (not run: .+|continues|run|run against a daemon|run against a NATS cluster|run in a new project) -->$/;

function readmes() {
  const files = ['README.md'];
  for (const folder of ['packages', 'examples']) {
    for (const name of readdirSync(join(root, folder)).sort()) {
      if (existsSync(join(root, folder, name, 'README.md'))) files.push(`${folder}/${name}/README.md`);
    }
  }
  return files;
}

/** The fenced blocks of a README: { line, lang, code, marker }. */
function blocksOf(file) {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)(.*)$/.exec(lines[i]); // the language, then attributes (`yaml file=team.yaml`)
    if (!open) continue;
    const start = i;
    const body = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    assert.ok(i < lines.length, `${file}:${start + 1}: the code block is never closed`);
    const marker = MARKER.exec(lines[start - 1] ?? '')?.[1];
    blocks.push({ line: start + 1, lang: open[1], code: `${body.join('\n')}\n`, marker });
  }
  return blocks;
}

/** The output a run block's comments promise, in order. */
function promisedOutput(code) {
  const lines = code.split('\n');
  const promised = [];
  lines.forEach((line, index) => {
    if (!line.includes('console.log(')) return;
    const trailing = /\);\s*\/\/ (.+)$/.exec(line)?.[1] ?? /^\s*\/\/ (.+)$/.exec(lines[index + 1] ?? '')?.[1];
    if (trailing) promised.push(trailing);
  });
  return promised;
}

/** The promises the output does not keep. */
function brokenPromises(output, promised) {
  const squeeze = (text) => text.replace(/\s+/g, '');
  const literal = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const seen = squeeze(output);
  let from = 0;
  const broken = [];
  for (const text of promised) {
    const pattern = new RegExp(squeeze(text).split('...').map(literal).join('.*?'), 'g');
    pattern.lastIndex = from;
    const match = pattern.exec(seen);
    if (match) from = match.index + match[0].length;
    else broken.push(text);
  }
  return broken;
}

const slug = (file) => file.replace(/\/?README\.md$/, '').replace(/\W+/g, '-') || 'root';
const publishable = new Set(
  readdirSync(join(root, 'packages'))
    .map((name) => join(root, 'packages', name, 'package.json'))
    .filter((file) => existsSync(file))
    .map((file) => JSON.parse(readFileSync(file, 'utf8')))
    .filter((manifest) => !manifest.private)
    .map((manifest) => manifest.name),
);

/** Turns a README's blocks into checks: modules to type-check (and run), and immediate checks. */
function plan(file) {
  const modules = [];
  const checks = [];
  const skipped = [];
  const problems = [];
  for (const block of blocksOf(file)) {
    const where = `${file}:${block.line}`;
    if (block.marker === 'run in a new project' && block.lang !== 'sh') {
      problems.push(`${where}: only sh blocks run in a new project`);
      continue;
    }
    if (block.marker?.startsWith('not run: ')) {
      skipped.push(`${where} (${block.lang}): ${block.marker.slice('not run: '.length)}`);
      continue;
    }
    if (block.lang === 'js' || block.lang === 'ts') {
      if (block.marker === 'continues') {
        const previous = modules.at(-1);
        if (!previous) {
          problems.push(`${where}: marked "continues" but no js/ts block comes before it`);
          continue;
        }
        previous.code += block.code;
        previous.lines.push(block.line);
        continue;
      }
      modules.push({
        where,
        lang: block.lang,
        code: block.code,
        lines: [block.line],
        run: block.marker?.startsWith('run'),
        daemon: block.marker === 'run against a daemon',
        nats: block.marker === 'run against a NATS cluster',
      });
    } else if (block.lang === 'yaml') {
      checks.push(() => {
        const value = parseYaml(block.code);
        // A config excerpt names the keys it is about; the one required key is added when it leaves it out.
        if (file.startsWith('packages/daemon/'))
          resolveDaemonConfig(
            { evidence_log: 'evidence.jsonl', ...value },
            { source: where, baseDir: tmpdir() },
          );
        else parsePolicyPack(block.code, { format: 'yaml', source: where });
      });
    } else if (block.lang === 'json') {
      checks.push(() => JSON.parse(block.code));
    } else if (block.lang === 'sh') {
      const inNewProject = block.marker === 'run in a new project';
      checks.push(async (t) => {
        for (const line of block.code.split('\n').filter((text) => text.trim() !== '')) {
          const install = NPM_INSTALL.exec(line.replace(/\s+#.*$/, '').trim());
          if (inNewProject && !install) continue;
          assert.ok(
            install,
            `${where}: \`${line.trim()}\` is not run here; mark the block <!-- snippet: not run: why -->`,
          );
          for (const name of install[1].trim().split(' ')) {
            assert.ok(publishable.has(name), `${where}: ${name} is not a publishable package`);
          }
        }
        if (inNewProject) {
          const checked = await runInNewProject(block.code, { where, root });
          t.diagnostic(`${where}: ran in a new project; hook answers:\n  ${checked.join('\n  ')}`);
        }
      });
    } else {
      problems.push(
        `${where}: a \`${block.lang || 'plain'}\` block is not checked; mark it <!-- snippet: not run: why -->`,
      );
    }
  }
  return { modules, checks, skipped, problems };
}

const plans = new Map(readmes().map((file) => [file, plan(file)]));

// One strict TypeScript project holds every js/ts block, each its own ES module.
rmSync(generated, { recursive: true, force: true });
mkdirSync(generated, { recursive: true });
const moduleFiles = new Map();
for (const [file, { modules }] of plans) {
  modules.forEach((module, index) => {
    const name = `${slug(file)}-${index + 1}.${module.lang === 'ts' ? 'mts' : 'mjs'}`;
    writeFileSync(join(generated, name), `// ${module.where}\n${module.code}export {};\n`);
    moduleFiles.set(module, join(generated, name));
  });
}
writeFileSync(
  join(generated, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      strict: true,
      module: 'node16',
      moduleResolution: 'node16',
      target: 'es2022',
      lib: ['es2023'],
      types: ['node'],
      allowJs: true,
      checkJs: true,
      noEmit: true,
      skipLibCheck: true,
    },
    include: ['*.mjs', '*.mts'],
  }),
);
let typeErrors = '';
try {
  execFileSync(process.execPath, [TSC, '-p', '.', '--pretty', 'false'], { cwd: generated, encoding: 'utf8' });
} catch (error) {
  typeErrors = `${error.stdout}${error.stderr}`;
}

for (const [file, { modules, checks, skipped, problems }] of plans) {
  test(`${file}: every code block checks`, async (t) => {
    assert.deepEqual(problems, []);
    for (const module of modules) {
      const generatedFile = moduleFiles.get(module);
      const errors = typeErrors
        .split('\n')
        .filter((line) => line.startsWith(`${relative(generated, generatedFile)}(`));
      assert.deepEqual(errors, [], `${module.where}: type errors (the generated module is ${generatedFile})`);
      if (module.run) {
        const cwd = mkdtempSync(join(tmpdir(), 'cavra-readme-'));
        let output = '';
        const daemon = module.daemon
          ? await startDaemon(
              resolveDaemonConfig(
                {
                  socket_path: '.cavra/run/daemon.sock',
                  evidence_log: '.cavra/evidence.jsonl',
                  mode: 'enforce',
                },
                { source: 'the daemon README example', baseDir: cwd },
              ),
            )
          : undefined;
        const cluster = module.nats ? await startNatsCluster({ nodes: 3 }) : undefined;
        try {
          const runner = module.lang === 'ts' ? [TSX, generatedFile] : [process.execPath, generatedFile];
          // Asynchronous: the daemon answering the block lives in this process.
          ({ stdout: output } = await execFileAsync(runner[0], runner.slice(1), {
            cwd,
            env: { ...process.env, ...RUN_ENV, ...(cluster ? { NATS_URL: cluster.servers.join(',') } : {}) },
            encoding: 'utf8',
          }));
        } catch (error) {
          assert.fail(`${module.where}: the block failed when run: ${error.stderr || error.message}`);
        } finally {
          await daemon?.close();
          await cluster?.stop();
          rmSync(cwd, { recursive: true, force: true });
        }
        const promised = promisedOutput(module.code);
        assert.deepEqual(
          brokenPromises(output, promised),
          [],
          `${module.where}: the output does not match the comments; it was:\n${output}`,
        );
        t.diagnostic(`${module.where}: ran; ${promised.length} promised outputs seen`);
      }
    }
    for (const check of checks) await check(t);
    if (skipped.length > 0) t.diagnostic(`not run:\n  ${skipped.join('\n  ')}`);
  });
}

test('the type check covered every js/ts block', () => {
  const unattributed = typeErrors
    .split('\n')
    .filter((line) => /error TS\d+/.test(line))
    .filter((line) => ![...moduleFiles.values()].some((path) => line.includes(relative(generated, path))));
  assert.deepEqual(unattributed, []);
});
