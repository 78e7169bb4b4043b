import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES, readLines } from '../src/log-lines.js';
import { removeTempDirs, tempDir } from './support/daemon-fixture.js';

afterAll(removeTempDirs);

async function linesOf(content: string | Buffer, start = 0, end?: number) {
  const path = join(tempDir(), 'lines.txt');
  await writeFile(path, content);
  const file = await open(path, 'r');
  try {
    const seen: [string, number][] = [];
    const read = await readLines(file, start, end ?? (await file.stat()).size, (line, offset) =>
      seen.push([line, offset]),
    );
    return { seen, ...read };
  } finally {
    await file.close();
  }
}

describe('readLines', () => {
  it('gives each complete line with its offset, across chunk boundaries and multi-byte characters', async () => {
    // Lines of many lengths, some longer than the 1 MiB chunk, with 2-, 3- and 4-byte characters placed so that
    // some straddle a chunk boundary.
    const lines = Array.from({ length: 40 }, (_, n) => `${n}:${'é€𝄞x'.repeat(n * 9_000)}`);
    const text = `${lines.join('\n')}\n`;
    const { seen, end, trailingBytes } = await linesOf(text);
    expect(seen.map(([line]) => line)).toEqual(lines);
    let offset = 0;
    for (const [index, [, at]] of seen.entries()) {
      expect(at).toBe(offset);
      offset += Buffer.byteLength(`${lines[index]}\n`);
    }
    expect([end, trailingBytes]).toEqual([Buffer.byteLength(text), 0]);
  });

  it('reports a last line without its newline as trailing bytes, and reads only the range asked', async () => {
    expect(await linesOf('a\nbb\nccc')).toEqual({
      seen: [
        ['a', 0],
        ['bb', 2],
      ],
      end: 5,
      trailingBytes: 3,
    });
    expect(await linesOf('a\nbb\nccc\n', 2, 9)).toEqual({
      seen: [
        ['bb', 2],
        ['ccc', 5],
      ],
      end: 9,
      trailingBytes: 0,
    });
    expect(await linesOf('', 0, 0)).toEqual({ seen: [], end: 0, trailingBytes: 0 });
  });

  it('with a marker, gives only the lines that contain it, at their offsets', async () => {
    const long = `x${'é'.repeat(700_000)}"key":`; // 1.4 MB: its marker arrives in the second chunk
    const path = join(tempDir(), 'marked.txt');
    const text = `a "key": 1\nb\n${long}\nc "key"\n`;
    await writeFile(path, text);
    const file = await open(path, 'r');
    const seen: [string, number][] = [];
    await readLines(file, 0, Buffer.byteLength(text), (line, offset) => seen.push([line, offset]), '"key":');
    await file.close();
    expect(seen).toEqual([
      ['a "key": 1', 0],
      [long, 13],
    ]);
  });

  it('refuses a line longer than any record, and a file shorter than the range', async () => {
    await expect(linesOf(Buffer.alloc(MAX_LINE_BYTES + 1, 0x61))).rejects.toThrow(
      `a line starting at byte 0 is longer than ${MAX_LINE_BYTES} bytes`,
    );
    await expect(linesOf('a\nb\n', 0, 10)).rejects.toThrow(
      'the file ended at byte 4, before 10: it changed while read',
    );
  });
});
