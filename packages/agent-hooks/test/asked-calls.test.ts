import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { askedCallsIn, defaultStateDir, MAX_AGE_MS, MAX_ENTRIES } from '../src/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cavra-asked-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const CALL = { sessionId: 'session-7', toolUseId: 'toolu_01' };
const ASKED = { decisionId: 'dec_1', tool: 'Bash' };

describe('askedCallsIn', () => {
  it('keeps an asked call in an owner-only folder, and gives it back once', async () => {
    const calls = askedCallsIn(join(dir, 'state'));
    await calls.remember(CALL, ASKED);
    expect((await stat(join(dir, 'state'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'state', 'asked'))).mode & 0o777).toBe(0o700);
    const [name] = await readdir(join(dir, 'state', 'asked'));
    expect(name).toMatch(/^[0-9a-f]{64}\.json$/);
    const file = join(dir, 'state', 'asked', name as string);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ decision_id: 'dec_1', tool: 'Bash' });
    // Another session's call with the same tool_use_id is another call.
    expect(await calls.take({ ...CALL, sessionId: 'session-8' })).toBeUndefined();
    expect(await calls.take(CALL)).toEqual(ASKED);
    expect(await calls.take(CALL)).toBeUndefined();
    expect(await readdir(join(dir, 'state', 'asked'))).toEqual([]);
  });

  it('takes nothing, and creates nothing, where nothing was asked', async () => {
    expect(await askedCallsIn(join(dir, 'none')).take(CALL)).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
  });

  it('the same call asked again replaces its entry', async () => {
    const calls = askedCallsIn(dir);
    await calls.remember(CALL, ASKED);
    await calls.remember(CALL, { decisionId: 'dec_2', tool: 'Bash' });
    expect(await calls.take(CALL)).toEqual({ decisionId: 'dec_2', tool: 'Bash' });
  });

  it('refuses a state folder others can write, an asked folder others can read, and links', async () => {
    await chmod(dir, 0o777);
    await expect(askedCallsIn(dir).remember(CALL, ASKED)).rejects.toThrow(
      `${dir} must be a folder of this user (no symbolic link) that others cannot write`,
    );
    await chmod(dir, 0o700);
    await mkdir(join(dir, 'asked'), { mode: 0o755 });
    await chmod(join(dir, 'asked'), 0o755);
    await expect(askedCallsIn(dir).take(CALL)).rejects.toThrow(
      `${join(dir, 'asked')} must be a folder of this user (no symbolic link) that others cannot read or write (mode 0700)`,
    );
    await rm(join(dir, 'asked'), { recursive: true });
    const elsewhere = mkdtempSync(join(tmpdir(), 'cavra-asked-elsewhere-'));
    try {
      await symlink(elsewhere, join(dir, 'asked'));
      await expect(askedCallsIn(dir).remember(CALL, ASKED)).rejects.toThrow(/must be a folder of this user/);
      expect(await readdir(elsewhere)).toEqual([]);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('never follows a link put in place of an entry, and removes it', async () => {
    const calls = askedCallsIn(dir);
    await calls.remember(CALL, ASKED);
    const [name] = await readdir(join(dir, 'asked'));
    const entry = join(dir, 'asked', name as string);
    const target = join(dir, 'target.json');
    await writeFile(target, JSON.stringify({ decision_id: 'dec_forged', tool: 'Bash' }));
    await rm(entry);
    await symlink(target, entry);
    await expect(calls.take(CALL)).rejects.toMatchObject({ code: 'ELOOP' });
    // remember replaces the link by a file of its own; the link's target is untouched.
    await calls.remember(CALL, ASKED);
    expect(await calls.take(CALL)).toEqual(ASKED);
    expect(JSON.parse(await readFile(target, 'utf8'))).toEqual({ decision_id: 'dec_forged', tool: 'Bash' });
  });

  it('refuses an entry that holds no decision id, and removes it', async () => {
    const calls = askedCallsIn(dir);
    await calls.remember(CALL, ASKED);
    const [name] = await readdir(join(dir, 'asked'));
    const entry = join(dir, 'asked', name as string);
    await writeFile(entry, JSON.stringify({ decision_id: '../../x', tool: 'Bash' }));
    await expect(calls.take(CALL)).rejects.toThrow(`${entry} holds no decision id and tool`);
    expect(await readdir(join(dir, 'asked'))).toEqual([]);
  });

  it(`keeps at most ${MAX_ENTRIES} calls (the oldest go) and none older than a day`, async () => {
    const calls = askedCallsIn(dir);
    await calls.remember(CALL, ASKED);
    await calls.take(CALL);
    const asked = join(dir, 'asked');
    // A full folder, each entry a second older than the next (toolu_0 the oldest), written as remember names them.
    const base = Date.now() / 1000 - 3600;
    for (let at = 0; at < MAX_ENTRIES; at++) {
      const file = join(asked, entryName({ sessionId: 's', toolUseId: `toolu_${at}` }));
      await writeFile(file, JSON.stringify({ decision_id: `dec_${at}`, tool: 'Read' }), { mode: 0o600 });
      await utimes(file, base + at, base + at);
    }
    await calls.remember({ sessionId: 's', toolUseId: 'toolu_new' }, { decisionId: 'dec_new', tool: 'Read' });
    expect((await readdir(asked)).length).toBe(MAX_ENTRIES);
    expect(await calls.take({ sessionId: 's', toolUseId: 'toolu_0' })).toBeUndefined();
    expect(await calls.take({ sessionId: 's', toolUseId: 'toolu_1' })).toEqual({
      decisionId: 'dec_1',
      tool: 'Read',
    });
    // An entry older than MAX_AGE_MS goes at the next ask.
    const old = Date.now() / 1000 - MAX_AGE_MS / 1000 - 60;
    await utimes(join(asked, entryName({ sessionId: 's', toolUseId: 'toolu_2' })), old, old);
    await calls.remember(CALL, ASKED);
    expect(await calls.take({ sessionId: 's', toolUseId: 'toolu_2' })).toBeUndefined();
    expect(await calls.take({ sessionId: 's', toolUseId: 'toolu_3' })).toEqual({
      decisionId: 'dec_3',
      tool: 'Read',
    });
  });
});

/** The file name remember gives a call: the SHA-256 of its session and tool_use_id (asked-calls.ts). */
function entryName(call: { sessionId: string; toolUseId: string }): string {
  return `${createHash('sha256').update(`${call.sessionId}\0${call.toolUseId}`).digest('hex')}.json`;
}

describe('defaultStateDir', () => {
  it('is $CAVRA_HOOK_STATE_DIR, else $XDG_STATE_HOME/cavra-hook, else ~/.local/state/cavra-hook', () => {
    expect(defaultStateDir({ CAVRA_HOOK_STATE_DIR: '/s', XDG_STATE_HOME: '/x', HOME: '/h' })).toBe('/s');
    expect(defaultStateDir({ XDG_STATE_HOME: '/x', HOME: '/h' })).toBe('/x/cavra-hook');
    expect(defaultStateDir({ HOME: '/h' })).toBe('/h/.local/state/cavra-hook');
  });
});
