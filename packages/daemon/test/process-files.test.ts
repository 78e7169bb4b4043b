import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from './support/daemon-fixture.js';
import { cli, DaemonProcess, killDaemons } from './support/daemon-process.js';

const bystanders = new Set<ChildProcess>();
afterEach(() => {
  killDaemons();
  for (const child of bystanders) child.kill('SIGKILL');
  bystanders.clear();
});
afterAll(removeTempDirs);

/** An unrelated live process of this user, as a reused pid would be. */
function bystander(): ChildProcess & { pid: number } {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  bystanders.add(child);
  return child as ChildProcess & { pid: number };
}

/** Whether a SIGTERM waits in the process's shared pending set (bit 15 of ShdPnd in /proc/<pid>/status). */
function sigtermPending(pid: number): boolean {
  const mask = /^ShdPnd:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '0';
  return (BigInt(`0x${mask}`) & (1n << 14n)) !== 0n;
}

async function setup(extra = '') {
  const dir = tempDir();
  const configFile = join(dir, 'cavra-daemon.yaml');
  await writeFile(configFile, `socket_path: run/d.sock\nevidence_log: evidence.jsonl\n${extra}`);
  await mkdir(join(dir, 'run'), { mode: 0o700 });
  return {
    dir,
    configFile,
    socketPath: join(dir, 'run', 'd.sock'),
    pidFile: join(dir, 'run', 'daemon.pid'),
    run: (...args: string[]) => cli([...args, '--config', configFile], dir),
  };
}

describe('a stale pid file', () => {
  it('naming an unrelated live process: stop, reload and start never signal it, and recover', async () => {
    const { pidFile, run } = await setup();
    const other = bystander();
    await writeFile(pidFile, `${other.pid}\n`, { mode: 0o600 });
    const stale = `removed the stale pid file ${pidFile} (pid ${other.pid}: that process is not our cavra-daemon)\n`;

    expect(await run('stop')).toEqual({
      code: 0,
      stdout: `cavra-daemon is not running; ${stale}`,
      stderr: '',
    });
    expect(existsSync(pidFile)).toBe(false);
    await writeFile(pidFile, `${other.pid}\n`, { mode: 0o600 });
    expect(await run('reload')).toEqual({
      code: 3,
      stdout: '',
      stderr: `cavra-daemon is not running: nothing to reload; ${stale}`,
    });
    await writeFile(pidFile, `${other.pid}\n`, { mode: 0o600 });
    const started = await run('start');
    expect([started.code, started.stderr]).toEqual([0, stale]);
    const pid = Number(/\(pid (\d+)\)/.exec(started.stdout)?.[1]);
    expect(await readFile(pidFile, 'utf8')).toBe(`${pid}\n`);
    expect(await run('stop')).toEqual({ code: 0, stdout: `cavra-daemon stopped (pid ${pid})\n`, stderr: '' });
    // Never signalled: still running (a SIGTERM would have ended sleep).
    expect([other.exitCode, other.signalCode]).toEqual([null, null]);
  });

  it('naming a process that is gone, or holding no pid: removed, and the daemon starts', async () => {
    const { pidFile, run } = await setup();
    const gone = bystander();
    gone.kill('SIGKILL');
    await new Promise((resolve) => gone.once('exit', resolve));
    await writeFile(pidFile, `${gone.pid}\n`, { mode: 0o600 });
    expect(await run('stop')).toEqual({
      code: 0,
      stdout: `cavra-daemon is not running; removed the stale pid file ${pidFile} (pid ${gone.pid}: that process is gone)\n`,
      stderr: '',
    });
    await writeFile(pidFile, 'garbage\n', { mode: 0o600 });
    expect(await run('stop')).toEqual({ code: 0, stdout: 'cavra-daemon is not running\n', stderr: '' });
  });

  it('naming a hung daemon that does not answer: proven ours by its command line, and stopped', async () => {
    const { configFile, socketPath, pidFile, run } = await setup();
    const daemon = await DaemonProcess.start(configFile, socketPath);
    // The pid file is written just after the socket answers: a daemon stopped before that has none to find.
    while (!existsSync(pidFile)) await new Promise((resolve) => setTimeout(resolve, 20));
    daemon.child.kill('SIGSTOP'); // alive, not answering
    try {
      let answered = false;
      const stopping = run('stop').finally(() => {
        answered = true;
      });
      // Resumed only once the CLI's SIGTERM is pending: it was sent while the daemon could not answer health. A CLI
      // that answers without signalling ends the wait, and the assertion below says what it answered.
      while (!answered && !sigtermPending(daemon.pid))
        await new Promise((resolve) => setTimeout(resolve, 20));
      daemon.child.kill('SIGCONT');
      expect(await stopping).toEqual({
        code: 0,
        stdout: `cavra-daemon stopped (pid ${daemon.pid})\n`,
        stderr: '',
      });
    } finally {
      daemon.child.kill('SIGCONT');
    }
    expect(await daemon.exited).toBe(0);
    expect(existsSync(pidFile)).toBe(false);
  });
});

describe('symbolic links planted at the daemon’s file paths', () => {
  it('pid file: refused, never followed, and its target is left as it was', async () => {
    const { dir, configFile, socketPath, pidFile, run } = await setup();
    const target = join(dir, 'precious.txt');
    await writeFile(target, 'precious\n');
    await symlink(target, pidFile);
    const refusal = `pid file ${pidFile} is a symbolic link; refusing to follow it (remove it if you did not make it)`;

    const daemon = await DaemonProcess.start(configFile);
    expect(await daemon.exited).toBe(1);
    expect(daemon.logs()).toEqual([{ level: 'error', msg: 'failed to start', error: refusal }]);
    expect(await run('start')).toEqual({ code: 1, stdout: '', stderr: `cavra-daemon: ${refusal}\n` });
    expect(await run('stop')).toEqual({ code: 1, stdout: '', stderr: `cavra-daemon: ${refusal}\n` });
    expect(await readFile(target, 'utf8')).toBe('precious\n');
    expect(existsSync(socketPath)).toBe(false);
  });

  it('evidence log, its lock and the background log: refused, never followed', async () => {
    const { dir, configFile, socketPath, run } = await setup();
    const target = join(dir, 'precious.txt');
    await writeFile(target, 'precious\n', { mode: 0o600 });
    const failedStart = async () => {
      const daemon = await DaemonProcess.start(configFile);
      expect(await daemon.exited).toBe(1);
      return daemon.logs();
    };

    await symlink(target, join(dir, 'evidence.jsonl'));
    expect(await failedStart()).toEqual([
      {
        level: 'error',
        msg: 'failed to start',
        error: `evidence log ${join(dir, 'evidence.jsonl')} is a symbolic link; refusing to follow it (remove it if you did not make it)`,
      },
    ]);
    await rm(join(dir, 'evidence.jsonl'));
    await symlink(target, join(dir, 'evidence.jsonl.lock'));
    expect(await failedStart()).toEqual([
      {
        level: 'error',
        msg: 'failed to start',
        error: `lock file ${join(dir, 'evidence.jsonl.lock')} is a symbolic link; refusing to follow it (remove it if you did not make it)`,
      },
    ]);
    await rm(join(dir, 'evidence.jsonl.lock'));
    await symlink(target, join(dir, 'run', 'daemon.log'));
    expect(await run('start')).toEqual({
      code: 1,
      stdout: '',
      stderr: `cavra-daemon: log file ${join(dir, 'run', 'daemon.log')} is a symbolic link; refusing to follow it (remove it if you did not make it)\n`,
    });
    expect(await readFile(target, 'utf8')).toBe('precious\n');
    expect(existsSync(socketPath)).toBe(false);
  });
});

describe('operator CLI', () => {
  it('reload reports the daemon’s verdict: applied (exit 0) or rejected with the reason (exit 1)', async () => {
    const { dir, configFile, run } = await setup();
    const started = await run('start');
    const pid = Number(/\(pid (\d+)\)/.exec(started.stdout)?.[1]);
    await writeFile(
      configFile,
      'socket_path: run/d.sock\nevidence_log: evidence.jsonl\npolicy_packs: [missing.yaml]\n',
    );
    expect(await run('reload')).toEqual({
      code: 1,
      stdout: '',
      stderr: `reload rejected (pid ${pid}); the current policy and keys stay in force: policy pack ${join(dir, 'missing.yaml')}: io: cannot read: no such file or directory (ENOENT)\n`,
    });
    await writeFile(
      join(dir, 'team.yaml'),
      'metadata: {id: team, version: "1", inherits: cavra-ai-agent-baseline}\n',
    );
    await writeFile(
      configFile,
      'socket_path: run/d.sock\nevidence_log: evidence.jsonl\npolicy_packs: [team.yaml]\n',
    );
    const applied = await run('reload');
    expect([applied.code, applied.stderr]).toEqual([0, '']);
    expect(applied.stdout).toMatch(
      new RegExp(`^reload applied \\(pid ${pid}\\): team sha256:[0-9a-f]{64}\\n$`),
    );
    expect(await run('stop')).toEqual({ code: 0, stdout: `cavra-daemon stopped (pid ${pid})\n`, stderr: '' });
    expect(await run('reload')).toEqual({
      code: 3,
      stdout: '',
      stderr: 'cavra-daemon is not running: nothing to reload\n',
    });
  });

  it('a failed start prints the daemon’s reason; errors name the file and say what is wrong in words', async () => {
    const { dir, configFile, run } = await setup('policy_packs: [nope.yaml]\n');
    expect(await run('start')).toEqual({
      code: 1,
      stdout: '',
      stderr: `cavra-daemon failed to start: policy pack ${join(dir, 'nope.yaml')}: io: cannot read: no such file or directory (ENOENT)\n(log: ${join(dir, 'run', 'daemon.log')})\n`,
    });
    expect(await cli(['status', '--config', join(dir, 'absent.yaml')])).toEqual({
      code: 1,
      stdout: '',
      stderr: `cavra-daemon: ${join(dir, 'absent.yaml')}: cannot read the config file: no such file or directory (ENOENT)\n`,
    });
    await writeFile(configFile, 'evidence_log: {a: b: c}\n');
    expect(await run('status')).toEqual({
      code: 1,
      stdout: '',
      stderr: `cavra-daemon: ${configFile}: YAML BLOCK_IN_FLOW: Block collections are not allowed within flow collections at line 1, column 19\n`,
    });
  });

  it('refuses an evidence log or folder others can write, saying how to fix it', async () => {
    const { dir, configFile } = await setup();
    const log = join(dir, 'evidence.jsonl');
    await writeFile(log, '', { mode: 0o600 });
    await chmod(log, 0o666);
    const daemon = await DaemonProcess.start(configFile);
    expect(await daemon.exited).toBe(1);
    expect(daemon.logs()).toEqual([
      {
        level: 'error',
        msg: 'failed to start',
        error: `evidence log ${log} is writable by group or others (mode 666): whoever can write it can rewrite it; check it, then chmod 600 it`,
      },
    ]);
    await chmod(log, 0o600);
    await chmod(dir, 0o777);
    const again = await DaemonProcess.start(configFile);
    expect(await again.exited).toBe(1);
    expect(again.logs()).toEqual([
      {
        level: 'error',
        msg: 'failed to start',
        error: `the folder of evidence log ${log} is writable by others or belongs to another user (mode 777, uid ${process.getuid?.()}); use a folder only you can write`,
      },
    ]);
    await chmod(dir, 0o700);
  });
});
