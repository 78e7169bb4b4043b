import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A fenced block of the README: its info string (`yaml file=team.yaml`, `console`) and text. */
export interface Block {
  readonly info: string;
  readonly text: string;
}

export const README = fileURLToPath(new URL('../../README.md', import.meta.url));

/** The README's fenced code blocks in order. */
export function readmeBlocks(): Block[] {
  const text = readFileSync(README, 'utf8');
  return [...text.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)].map((match) => ({
    info: (match[1] ?? '').trim(),
    text: match[2] ?? '',
  }));
}

/** A console block as `$ command` lines, each with the output shown under it. */
export function consoleSteps(block: Block): { command: string; output: string }[] {
  const steps: { command: string; output: string }[] = [];
  for (const line of block.text.split('\n').slice(0, -1)) {
    if (line.startsWith('$ ')) steps.push({ command: line.slice(2), output: '' });
    else {
      const step = steps.at(-1);
      if (!step) throw new Error(`console block starts with output: ${line}`);
      step.output += `${line}\n`;
    }
  }
  return steps;
}

/** The shown output as a whole-text pattern: `…` stands for any text within a line. */
export function outputPattern(shown: string): RegExp {
  const escaped = shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll('…', '[^\\n]+');
  return new RegExp(`^${escaped}$`);
}
