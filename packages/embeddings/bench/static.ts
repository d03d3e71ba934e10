/**
 * Static model figures: distillation time (with --distill-from), embedding throughput on one
 * core for ~800-character source chunks, CPU time per chunk, the longest event-loop stall,
 * model size on disk and peak RSS.
 *
 *   node --expose-gc --conditions=@nellie/source --import tsx bench/static.ts --model-dir <static dir>
 *   node --conditions=@nellie/source --import tsx bench/static.ts --distill-from <teacher dir> --model-dir <out> [--teacher-dtype q8]
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createStaticEmbedder, distillStaticModel } from '../src/index.ts';
import { sourceChunks } from './chunks.ts';

const { values } = parseArgs({
  options: {
    'model-dir': { type: 'string' },
    'distill-from': { type: 'string' },
    'teacher-dtype': { type: 'string', default: 'fp32' },
    chunks: { type: 'string', default: '10000' },
  },
});
const modelDir = values['model-dir'];
if (!modelDir)
  throw new Error('Pass --model-dir <static model dir> (the output with --distill-from).');

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

function directoryBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((total, entry) => {
    const full = path.join(dir, entry.name);
    return total + (entry.isDirectory() ? directoryBytes(full) : statSync(full).size);
  }, 0);
}

const figures: Record<string, string | number> = {};
if (values['distill-from']) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await distillStaticModel({
    teacherDir: values['distill-from'],
    outDir: modelDir,
    teacherDtype: values['teacher-dtype'] === 'q8' ? 'q8' : 'fp32',
    overwrite: true,
  });
  figures['distill wall s'] = ((performance.now() - started) / 1000).toFixed(1);
  figures['distill CPU s (all threads)'] = cpuSeconds(cpu).toFixed(1);
  figures['PCA explained variance'] = result.explainedVariance?.toFixed(3) ?? 'n/a';
}

// ~800-character chunks of real source code, as the indexer cuts them.
const count = Number(values.chunks);
const chunks = sourceChunks(count, 20).map((chunk) => chunk.slice(0, 800));
const averageChars = chunks.reduce((sum, chunk) => sum + chunk.length, 0) / chunks.length;
// Reading the source files for the chunks is the bench's own cost; start from a collected heap.
(globalThis as { gc?: () => void }).gc?.();
const rss = (): number => Math.round(process.memoryUsage.rss() / 1e6);
figures['RSS before loading MB'] = rss();

const loadStarted = performance.now();
const embedder = await createStaticEmbedder({ modelDir });
figures['load ms'] = Math.round(performance.now() - loadStarted);
figures['model id'] = embedder.modelId;
figures['model size on disk MB'] = (directoryBytes(modelDir) / 1e6).toFixed(1);
figures['RSS after loading MB'] = rss();
let peakWhileEmbedding = 0;

// Warm up the JIT and the word cache on other chunks than the measured ones would be unfair in
// the other direction; a short warm-up on the first 500 is what a long indexing run sees.
await embedder.embed(chunks.slice(0, 500));
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const cpu = process.cpuUsage();
const started = performance.now();
for (let start = 0; start < chunks.length; start += 1000) {
  await embedder.embed(chunks.slice(start, start + 1000));
  peakWhileEmbedding = Math.max(peakWhileEmbedding, rss());
}
const wall = (performance.now() - started) / 1000;
const cpuUsed = cpuSeconds(cpu);
delay.disable();
figures['chunks'] = chunks.length;
figures['average chunk chars'] = Math.round(averageChars);
figures['chunks/s (wall)'] = Math.round(chunks.length / wall);
figures['chunks per CPU-second (one core)'] = Math.round(chunks.length / cpuUsed);
figures['CPU µs per chunk'] = Math.round((cpuUsed / chunks.length) * 1e6);
figures['longest event-loop stall ms'] = (delay.max / 1e6).toFixed(1);
figures['RSS while embedding (max) MB'] = peakWhileEmbedding;
figures['peak RSS of the process MB'] = Math.round(process.resourceUsage().maxRSS / 1024);
await embedder.close();

for (const [name, value] of Object.entries(figures)) console.log(`${name.padEnd(36)} ${value}`);
