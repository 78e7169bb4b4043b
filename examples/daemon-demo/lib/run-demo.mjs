import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { verifyEvidenceLog } from '@cavra/daemon';
import { createClient } from '@cavra/daemon-client';
import { DrillHistory } from '@cavra/release-governance';
import { AGENT_SESSION } from './agent-session.mjs';
import { RELEASE_PROMOTION, recentDrill } from './release-promotion.mjs';

const run = promisify(execFile);

/** The `cavra-daemon` executable of the installed @cavra/daemon package. */
function daemonBin() {
  const manifest = createRequire(import.meta.url).resolve('@cavra/daemon/package.json');
  return join(dirname(manifest), 'dist', 'cli.js');
}

/**
 * Starts a daemon with the baseline pack in a temp dir, sends the agent session and the release promotion through
 * @cavra/daemon-client, stops the daemon and verifies its evidence log.
 */
export async function runDemo({ keep = false } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'cavra-demo-'));
  const config = join(dir, 'cavra-daemon.yaml');
  await writeFile(
    config,
    [
      'socket_path: run/daemon.sock',
      'evidence_log: evidence.jsonl',
      'mode: enforce',
      'release_governance:',
      '  drill_history: drills.jsonl',
      '  max_drill_age_days: 30',
      '',
    ].join('\n'),
  );
  await (await DrillHistory.open(join(dir, 'drills.jsonl'))).record(recentDrill());
  const cavraDaemon = (...args) => run(process.execPath, [daemonBin(), ...args, '--config', config]);
  await cavraDaemon('start');
  const client = createClient({ socketPath: join(dir, 'run', 'daemon.sock') });
  try {
    const session = [];
    for (const request of AGENT_SESSION) session.push(await client.evaluate(request));
    const promotion = [];
    for (const request of RELEASE_PROMOTION) promotion.push(await client.evaluate(request));
    const health = await client.health();
    await client.close();
    await cavraDaemon('stop');
    const verification = await verifyEvidenceLog(join(dir, 'evidence.jsonl'));
    return { session, promotion, health, verification, dir };
  } finally {
    await client.close();
    await run(process.execPath, [daemonBin(), 'stop', '--config', config]).catch(() => undefined);
    if (!keep) await rm(dir, { recursive: true, force: true });
  }
}
