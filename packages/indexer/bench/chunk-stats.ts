// Chunk shape of real trees: how many chunks, how long, how fast.
//   pnpm --filter @nellie/indexer chunk-stats [--max-chars N] <dir> [<dir> …]
// Reports chunk counts, line and character percentiles, the share of 1–2-line chunks (over
// files longer than that) and chunking speed, overall and per language.
import { readFile } from 'node:fs/promises';
import { chunkFile, detectLanguage, scanDirectory } from '../src/index.ts';

interface Tally {
  files: number;
  chunks: number;
  lines: number[];
  chars: number[];
  fragments: number;
}

function percentile(sorted: number[], share: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))]!;
}

function describe(name: string, tally: Tally): string {
  const lines = [...tally.lines].sort((a, b) => a - b);
  const chars = [...tally.chars].sort((a, b) => a - b);
  const mean = (values: number[]): string =>
    (values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length)).toFixed(1);
  return [
    name.padEnd(12),
    String(tally.files).padStart(6),
    String(tally.chunks).padStart(7),
    `${percentile(lines, 0.1)}/${percentile(lines, 0.5)}/${percentile(lines, 0.9)}`.padStart(12),
    mean(lines).padStart(6),
    `${percentile(chars, 0.1)}/${percentile(chars, 0.5)}/${percentile(chars, 0.9)}`.padStart(16),
    mean(chars).padStart(7),
    `${((100 * tally.fragments) / Math.max(1, tally.chunks)).toFixed(1)}%`.padStart(7),
  ].join(' ');
}

const args = process.argv.slice(2);
let maxChars: number | undefined;
const roots: string[] = [];
for (let index = 0; index < args.length; index += 1) {
  if (args[index] === '--max-chars') maxChars = Number(args[++index]);
  else roots.push(args[index]!);
}
if (roots.length === 0) {
  console.error('usage: chunk-stats [--max-chars N] <dir> [<dir> …]');
  process.exit(2);
}

const all: Tally = { files: 0, chunks: 0, lines: [], chars: [], fragments: 0 };
const byLanguage = new Map<string, Tally>();
let chunkingMs = 0;
for (const root of roots) {
  const { files } = await scanDirectory(root);
  for (const file of files) {
    const content = await readFile(file.absolutePath, 'utf8');
    const started = performance.now();
    const chunks = await chunkFile({ path: file.path, content, maxChars });
    chunkingMs += performance.now() - started;
    const language = detectLanguage(file.path) ?? 'other';
    let tally = byLanguage.get(language);
    if (!tally) {
      tally = { files: 0, chunks: 0, lines: [], chars: [], fragments: 0 };
      byLanguage.set(language, tally);
    }
    const fileLines = content.split('\n').filter((line) => line.trim() !== '').length;
    for (const target of [all, tally]) {
      target.files += 1;
      for (const chunk of chunks) {
        const lineCount = chunk.endLine - chunk.startLine + 1;
        target.chunks += 1;
        target.lines.push(lineCount);
        target.chars.push(chunk.content.length);
        if (lineCount <= 2 && fileLines > 2) target.fragments += 1;
      }
    }
  }
}

console.log(
  `${'language'.padEnd(12)} ${'files'.padStart(6)} ${'chunks'.padStart(7)} ${'lines p10/50/90'.padStart(12)} ${'mean'.padStart(6)} ${'chars p10/50/90'.padStart(16)} ${'mean'.padStart(7)} ${'≤2 ln'.padStart(7)}`,
);
const languages = [...byLanguage.entries()].sort((a, b) => b[1].chunks - a[1].chunks);
for (const [language, tally] of languages) console.log(describe(language, tally));
console.log(describe('all', all));
console.log(
  `chunking: ${(chunkingMs / 1000).toFixed(1)} s, ${Math.round(all.chunks / (chunkingMs / 1000))} chunks/s, ${Math.round((all.files / chunkingMs) * 60_000)} files/min`,
);
