/**
 * Embedding benchmark on real source-code chunks with the stand-in model (same cost as the real
 * all-MiniLM-L6-v2). Each scenario runs in its own process so peak RSS is per scenario.
 *
 *   pnpm --filter @nellie/embeddings bench            all scenarios
 *   pnpm --filter @nellie/embeddings bench default    one scenario
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalEmbedder, type LocalEmbedderOptions } from '../src/index.ts';
import { sourceChunks } from './chunks.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const modelDir = path.resolve(
  here,
  '..',
  '..',
  '..',
  '..',
  'shared',
  'models',
  'stand-in',
  'all-MiniLM-L6-v2-random-weights',
);

interface Scenario {
  title: string;
  options: LocalEmbedderOptions;
  kind: 'throughput' | 'query-latency';
  chunks: number;
}

const scenarios: Record<string, Scenario> = {
  default: {
    title: 'default settings (1 bulk worker, ONNX threads = cores, query worker, batch 1)',
    options: {},
    kind: 'throughput',
    chunks: 500,
  },
  'threads-1': {
    title: '1 worker thread with 1 ONNX thread',
    options: { threads: 1, intraOpThreads: 1, queryWorker: false },
    kind: 'throughput',
    chunks: 500,
  },
  'threads-2': {
    title: '2 worker threads (1 ONNX thread each)',
    options: { threads: 2, queryWorker: false },
    kind: 'throughput',
    chunks: 500,
  },
  spinning: {
    title: 'default with spinning ONNX threads',
    options: { allowSpinning: true },
    kind: 'throughput',
    chunks: 500,
  },
  'batch-1': {
    title: 'batch 1 (length-sorted), 250 chunks',
    options: { batchSize: 1 },
    kind: 'throughput',
    chunks: 250,
  },
  'batch-2': {
    title: 'batch 2 (length-sorted), 250 chunks',
    options: { batchSize: 2 },
    kind: 'throughput',
    chunks: 250,
  },
  'batch-4': {
    title: 'batch 4 (length-sorted), 250 chunks',
    options: { batchSize: 4 },
    kind: 'throughput',
    chunks: 250,
  },
  'batch-8': {
    title: 'batch 8 (length-sorted), 250 chunks',
    options: { batchSize: 8 },
    kind: 'throughput',
    chunks: 250,
  },
  'batch-16': {
    title: 'batch 16 (length-sorted), 250 chunks',
    options: { batchSize: 16 },
    kind: 'throughput',
    chunks: 250,
  },
  'query-latency': {
    title: 'query latency during a 2,000-chunk bulk job (default settings)',
    options: {},
    kind: 'query-latency',
    chunks: 2000,
  },
  'query-latency-normal-priority': {
    title: 'query latency during a 2,000-chunk bulk job, bulk workers at normal priority',
    options: { bulkNiceness: 0 },
    kind: 'query-latency',
    chunks: 2000,
  },
  'query-latency-no-query-worker': {
    title: 'query latency during a 2,000-chunk bulk job, without the query worker',
    options: { queryWorker: false },
    kind: 'query-latency',
    chunks: 2000,
  },
};

const queries = [
  'where does the router match a path with parameters',
  'how are cookies parsed',
  'stream a response body',
  'validate a JSON request body',
  'compose middleware handlers',
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function runScenario(name: string): Promise<Record<string, unknown>> {
  const scenario = scenarios[name];
  if (!scenario) throw new Error(`Unknown scenario ${name}`);
  const chunks = sourceChunks(Math.min(scenario.chunks, 500));
  const started = performance.now();
  const embedder = await createLocalEmbedder({ modelDir, ...scenario.options });
  const loadMs = performance.now() - started;
  try {
    if (scenario.kind === 'throughput') {
      await embedder.embed(chunks.slice(0, 4)); // warm-up
      const start = performance.now();
      const cpuBefore = process.cpuUsage();
      await embedder.embed(chunks);
      const cpu = process.cpuUsage(cpuBefore);
      const seconds = (performance.now() - start) / 1000;
      return {
        chunks: chunks.length,
        chunksPerSecond: chunks.length / seconds,
        // CPU time of every thread of the process per chunk: what a chunk costs regardless of
        // how busy the machine is.
        cpuMsPerChunk: (cpu.user + cpu.system) / 1000 / chunks.length,
        loadMs,
        peakRssMb: process.resourceUsage().maxRSS / 1024,
      };
    }
    const bulkTexts = Array.from(
      { length: scenario.chunks },
      (_, index) => `${chunks[index % chunks.length]!}\n// ${index}`,
    );
    const controller = new AbortController();
    const bulk = embedder.embed(bulkTexts, { signal: controller.signal }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // let bulk work get going
    const latencies: number[] = [];
    for (let index = 0; index < 60 && embedder.queueDepth() > 0; index += 1) {
      const start = performance.now();
      await embedder.embed([queries[index % queries.length]!], { priority: 'query' });
      latencies.push(performance.now() - start);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const remaining = embedder.queueDepth();
    controller.abort();
    await bulk;
    latencies.sort((a, b) => a - b);
    return {
      queries: latencies.length,
      p50Ms: percentile(latencies, 50),
      p95Ms: percentile(latencies, 95),
      maxMs: latencies.at(-1),
      bulkTextsLeftWhenDone: remaining,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await embedder.close();
  }
}

async function main(): Promise<void> {
  const [mode, name] = process.argv.slice(2);
  if (mode === '--scenario') {
    const result = await runScenario(name!);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  if (!existsSync(modelDir)) throw new Error(`The stand-in model is missing at ${modelDir}.`);
  const selected = mode ? [mode] : Object.keys(scenarios);
  const load = loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
  process.stdout.write(`Embedding benchmark (stand-in model); load average before: ${load}\n\n`);
  for (const key of selected) {
    const output = execFileSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--scenario', key],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const result = JSON.parse(output.trim().split('\n').at(-1)!) as Record<string, number>;
    const figures =
      scenarios[key]!.kind === 'throughput'
        ? `${result.chunksPerSecond!.toFixed(1)} chunks/s over ${result.chunks} chunks, ` +
          `${result.cpuMsPerChunk!.toFixed(1)} ms of CPU per chunk, ` +
          `peak RSS ${result.peakRssMb!.toFixed(0)} MB (model load ${result.loadMs!.toFixed(0)} ms)`
        : `query p50 ${result.p50Ms!.toFixed(1)} ms, p95 ${result.p95Ms!.toFixed(1)} ms, ` +
          `max ${result.maxMs!.toFixed(1)} ms over ${result.queries} queries ` +
          `(${result.bulkTextsLeftWhenDone} bulk texts still queued), peak RSS ${result.peakRssMb!.toFixed(0)} MB`;
    process.stdout.write(`${scenarios[key]!.title}\n  ${figures}\n`);
  }
  const after = loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
  process.stdout.write(`\nload average after: ${after}\n`);
}

await main();
