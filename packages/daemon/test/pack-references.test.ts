import { loadDeveloperPack } from '@cavra/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveDaemonConfig, startDaemon } from '../src/index.js';
import { removeTempDirs, tempDir } from './support/daemon-fixture.js';

afterAll(removeTempDirs);

describe('packs named by a shipped id', () => {
  it('load the shipped pack, and the listening log lists what each pack loosens', async () => {
    const dir = tempDir();
    const config = resolveDaemonConfig(
      {
        evidence_log: 'evidence.jsonl',
        socket_path: 'run/d.sock',
        policy_packs: ['cavra-ai-agent-baseline', 'cavra-developer'],
      },
      { baseDir: dir },
    );
    expect(config.policyPacks).toEqual(['cavra-ai-agent-baseline', 'cavra-developer']);
    const logged: Record<string, unknown>[] = [];
    const logger = {
      info(msg: string, fields?: Record<string, unknown>) {
        if (msg === 'listening') logged.push(fields ?? {});
      },
      warn() {},
      error() {},
    };
    const daemon = await startDaemon(config, { logger });
    const health = daemon.health();
    await daemon.close();
    const developer = await loadDeveloperPack();
    expect(Object.keys(health.policy_digests)).toEqual(['cavra-ai-agent-baseline', 'cavra-developer']);
    expect(logged.map((fields) => fields.policy_loosens)).toEqual([
      { 'cavra-developer': developer.resolved.metadata.loosens },
    ]);
    expect(developer.resolved.metadata.loosens).toContain(
      "commands.allow: 'git status' is not allowed by parent cavra-ai-agent-baseline",
    );
  });
});
