import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { binDir, removeTempDirs, shell, tempDir } from './support/cavra.js';
import { consoleSteps, outputPattern, readmeBlocks } from './support/readme.js';

afterAll(removeTempDirs);

describe('the README', () => {
  it('runs its examples as written: files written, each command run in a shell with cavra on the PATH', async () => {
    const dir = tempDir();
    const bin = binDir();
    const ran: string[] = [];
    for (const block of readmeBlocks()) {
      const file = /^yaml file=(\S+)$/.exec(block.info)?.[1];
      if (file) writeFileSync(join(dir, file), block.text);
      if (block.info !== 'console') continue;
      for (const { command, output } of consoleSteps(block)) {
        const actual = await shell(command, dir, bin);
        expect({ command, output: actual }).toEqual({
          command,
          output: expect.stringMatching(outputPattern(output)),
        });
        ran.push(command.split(' ').slice(0, 3).join(' '));
      }
    }
    // Every command of the walkthrough ran: a README edit that drops a block fails here.
    expect(ran).toEqual([
      'cavra policy validate',
      'cavra policy test',
      'cavra eval --pack',
      'cavra eval --pack',
      'cavra policy validate',
      'cavra policy lint',
      'cavra policy diff',
      'cavra policy keygen',
      'cavra policy sign',
      'cavra policy verify',
      'echo "# edited"',
      'cavra policy test',
      'cavra policy lint',
    ]);
  });
});
