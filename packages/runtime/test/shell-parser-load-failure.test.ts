import { toRuntimeRequest } from '@cavra/contracts';
import { describe, expect, it, vi } from 'vitest';
import {
  BASELINE_PACK_ID,
  createEngine,
  evaluateWhenReady,
  loadPolicyPack,
  ShellParserNotLoadedError,
} from '../src/index.js';

// A grammar that cannot be loaded (a damaged install): web-tree-sitter, not our code, is made to fail.
const grammarLoads = vi.hoisted(() => ({ count: 0 }));
vi.mock('web-tree-sitter', async (importOriginal) => {
  const real = await importOriginal<typeof import('web-tree-sitter')>();
  return {
    ...real,
    Language: {
      load: () => {
        grammarLoads.count += 1;
        return Promise.reject(new Error('grammar file is damaged'));
      },
    },
  };
});

const command = (text: string) =>
  toRuntimeRequest({
    session_id: 'session-1',
    action_type: 'execute_command',
    target: text,
    requested_operation: text,
    policy_pack: BASELINE_PACK_ID,
  });

describe('a shell grammar that fails to load', () => {
  it('fails every load of a pack that waits for it', async () => {
    await expect(loadPolicyPack(BASELINE_PACK_ID)).rejects.toThrow('grammar file is damaged');
  });

  it('leaves commands that need it undecided (an error, never a decision), each one trying the load again', async () => {
    const pack = await loadPolicyPack(BASELINE_PACK_ID, { awaitShellParser: false });
    const engine = createEngine({ packs: [pack], deferShellParser: true });
    const before = grammarLoads.count;
    for (const text of ['git status && git diff HEAD~1 -- src', 'cat .e\\\nnv']) {
      const failure = evaluateWhenReady(engine, command(text));
      await expect(failure).rejects.toThrow('the shell parser failed to load: grammar file is damaged');
      await expect(failure).rejects.not.toBeInstanceOf(ShellParserNotLoadedError);
      expect(() => engine.evaluate(command(text))).toThrow(ShellParserNotLoadedError);
    }
    expect(grammarLoads.count - before).toBe(2);
    // What needs no parse is still decided.
    expect((await evaluateWhenReady(engine, command('npm test'))).decision).toBe('allow');
  });
});
