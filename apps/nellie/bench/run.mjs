/* global process, console, performance, fetch, setTimeout, setInterval, clearInterval */
// Benchmark of the nellie server, through its real CLI and HTTP API:
//   1. cold start to /health 200 and to the first answered search,
//   2. search p50/p95 with 8 concurrent clients while a full re-index of the corpus runs,
//   3. resident memory.
// The corpus is the source of a few real npm packages, installed once into a temp directory.
//
//   pnpm --filter nellie bench            (builds nothing; run `pnpm build` first)
//   NELLIE_BENCH_SECONDS=20 NELLIE_BENCH_MODEL=1 pnpm --filter nellie bench
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliPath = path.join(appDir, 'dist', 'cli.js');
const standInModel = path.resolve(
  appDir,
  '../../../shared/models/stand-in/all-MiniLM-L6-v2-random-weights',
);
const corpusPackages = [
  'express@5',
  'lodash@4',
  'rxjs@7',
  'date-fns@4',
  'axios@1',
  'zod@4',
  'commander@14',
  'yargs@17',
];
const clients = 8;
const seconds = Number(process.env.NELLIE_BENCH_SECONDS ?? 15);
const withModel = process.env.NELLIE_BENCH_MODEL === '1';
const queries = [
  'createServer',
  'parse query string',
  'debounce function calls',
  'format a date with a pattern',
  'router middleware next',
  'observable subscribe unsubscribe',
  'http request interceptor',
  'validate an object schema',
  'deep clone',
  'isEqual',
  'add days to a date',
  'merge default options',
  'parse command line arguments',
  'retry on network error',
  'throttle',
  'timezone offset',
];

if (!existsSync(cliPath)) {
  console.error(`${cliPath} is missing; run \`pnpm build\` first.`);
  process.exit(1);
}

function uptime() {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average: ${loadavg()
      .map((value) => value.toFixed(2))
      .join(', ')}`;
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

function ms(value) {
  return `${value.toFixed(1)} ms`;
}

function rssMiB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Installs the corpus packages once and copies them out of node_modules (which indexing skips). */
function prepareCorpus() {
  const base = path.join(tmpdir(), 'nellie-app-bench-corpus');
  const corpus = path.join(base, 'packages');
  if (!existsSync(corpus)) {
    mkdirSync(base, { recursive: true });
    console.log(`Installing the corpus (${corpusPackages.join(', ')}) into ${base} ...`);
    execFileSync(
      'npm',
      [
        'install',
        '--prefix',
        base,
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--no-save',
        ...corpusPackages,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    cpSync(path.join(base, 'node_modules'), corpus, { recursive: true });
  }
  return corpus;
}

function baseEnv() {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('NELLIE_')) env[key] = value;
  }
  return { ...env, NELLIE_OFFLINE: '1' };
}

function modelArgs() {
  return withModel ? ['--model-dir', standInModel] : ['--model', 'none'];
}

function runCli(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: baseEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`nellie ${args.join(' ')} failed (${code}):\n${stderr}`)),
    );
  });
}

/** Starts `nellie serve` and measures time to /health and to the first answered search. */
async function startServer(dataDir) {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [cliPath, 'serve', '--data-dir', dataDir, '--port', '0', '--rate-limit', '0', ...modelArgs()],
    { env: baseEnv(), stdio: ['ignore', 'ignore', 'pipe'] },
  );
  // The default log level (info) logs every request, as in production; keep only the start.
  let stderr = '';
  let url;
  let onListening = () => {};
  const listening = new Promise((resolve) => (onListening = resolve));
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    if (url) return;
    stderr += chunk;
    const match = /"url":"(http:[^"]+)"[^\n]*"msg":"Nellie is listening"/.exec(stderr);
    if (match) {
      url = match[1];
      onListening();
    }
  });
  const exited = new Promise((resolve) => child.once('close', resolve));
  await Promise.race([
    listening,
    exited.then(() => {
      throw new Error(`the server did not start:\n${stderr}`);
    }),
  ]);
  let healthAt;
  for (;;) {
    try {
      const response = await fetch(`${url}/health`);
      if (response.status === 200) {
        healthAt = performance.now();
        break;
      }
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const search = await fetch(`${url}/api/v1/search/code`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'createServer', limit: 10 }),
  });
  const body = await search.json();
  if (search.status !== 200 || body.hits.length === 0) {
    throw new Error(
      `the first search failed: ${search.status} ${JSON.stringify(body).slice(0, 300)}`,
    );
  }
  const searchAt = performance.now();
  return {
    child,
    url,
    toHealthMs: healthAt - started,
    toSearchMs: searchAt - started,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

async function jsonFetch(url, init) {
  const response = await fetch(url, init);
  return { status: response.status, body: await response.json() };
}

const finished = new Set(['succeeded', 'failed', 'cancelled']);

/** Waits until no index job runs (the server re-checks registered repositories on start). */
async function waitForIdleIndexer(url) {
  for (;;) {
    const { body: jobs } = await jsonFetch(`${url}/api/v1/index/jobs`);
    if (jobs.every((job) => finished.has(job.state))) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * 8 clients search in a closed loop for `duration` seconds. With `reindex`, full re-indexes of the
 * corpus run back to back for the whole window, and only searches that ended while one was
 * running are counted.
 */
async function loadTest(url, corpus, pid, { reindex = true, duration = seconds } = {}) {
  const deadline = performance.now() + duration * 1000;
  const jobs = [];
  let current;
  const startReindex = async () => {
    const { status, body } = await jsonFetch(`${url}/api/v1/index/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: corpus, mode: 'full' }),
    });
    if (status !== 202 || body.mode !== 'full') {
      throw new Error(`a full re-index did not start: ${JSON.stringify(body)}`);
    }
    current = body;
    jobs.push(body.id);
  };
  let reindexRunning = false;
  let watcher = Promise.resolve();
  if (reindex) {
    await startReindex();
    reindexRunning = true;
    watcher = (async () => {
      while (performance.now() < deadline) {
        const { body } = await jsonFetch(`${url}/api/v1/index/jobs/${current.id}`);
        if (finished.has(body.state)) {
          reindexRunning = false;
          current = body;
          if (body.state !== 'succeeded') throw new Error(`re-index ${body.state}: ${body.error}`);
          if (performance.now() < deadline) {
            await startReindex();
            reindexRunning = true;
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
  }
  const latencies = [];
  const errors = [];
  let rssPeak = 0;
  const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, rssMiB(pid))), 200);
  let counter = 0;
  const client = async () => {
    while (performance.now() < deadline) {
      const query = queries[counter++ % queries.length];
      const started = performance.now();
      const response = await fetch(`${url}/api/v1/search/code`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, limit: 10 }),
      });
      await response.arrayBuffer();
      const elapsed = performance.now() - started;
      if (response.status !== 200) errors.push(response.status);
      else if (!reindex || reindexRunning) latencies.push(elapsed);
    }
  };
  await Promise.all([...Array.from({ length: clients }, client), watcher]);
  clearInterval(rssTimer);
  if (current) current = (await jsonFetch(`${url}/api/v1/index/jobs/${current.id}`)).body;
  latencies.sort((a, b) => a - b);
  return { latencies, errors, rssPeak, reindexJobs: jobs.length, lastJob: current };
}

async function main() {
  console.log(`nellie bench — ${cpus().length} CPUs, Node ${process.version}`);
  console.log(`load before: ${uptime()}`);
  const corpus = prepareCorpus();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'nellie-bench-data-'));
  try {
    const indexStarted = performance.now();
    const indexed = JSON.parse(
      await runCli([
        'index',
        corpus,
        '--data-dir',
        dataDir,
        '--json',
        '--no-wait-embeddings',
        ...modelArgs(),
      ]),
    );
    const indexSeconds = (performance.now() - indexStarted) / 1000;
    console.log(
      `corpus: ${indexed.store.files} files, ${indexed.store.chunks} chunks from ${corpusPackages.length} packages and their dependencies; first index ${indexSeconds.toFixed(1)} s`,
    );

    // Cold starts on the existing index (the median of three).
    const starts = [];
    for (let run = 0; run < 3; run += 1) {
      const server = await startServer(dataDir);
      starts.push({
        health: server.toHealthMs,
        search: server.toSearchMs,
        rss: rssMiB(server.child.pid),
      });
      await server.stop();
    }
    const median = (values) => [...values].sort((a, b) => a - b)[1];
    const coldHealth = median(starts.map((start) => start.health));
    const coldSearch = median(starts.map((start) => start.search));

    const server = await startServer(dataDir);
    const idleRss = rssMiB(server.child.pid);
    await waitForIdleIndexer(server.url);
    // A baseline without the re-index, then the measurement the target is about.
    const baseline = await loadTest(server.url, corpus, server.child.pid, {
      reindex: false,
      duration: 5,
    });
    const { latencies, errors, rssPeak, reindexJobs, lastJob } = await loadTest(
      server.url,
      corpus,
      server.child.pid,
    );
    const loadAfter = uptime();
    await server.stop();

    const p50 = percentile(latencies, 50);
    const p95 = percentile(latencies, 95);
    const p99 = percentile(latencies, 99);
    const results = {
      mode: withModel ? 'hybrid (stand-in model)' : 'keyword-only',
      files: indexed.store.files,
      chunks: indexed.store.chunks,
      coldStartToHealthMs: Math.round(coldHealth),
      coldStartToFirstSearchMs: Math.round(coldSearch),
      searches: latencies.length,
      searchesPerSecond: Math.round(latencies.length / seconds),
      errors: errors.length,
      p50Ms: Number(p50.toFixed(1)),
      p95Ms: Number(p95.toFixed(1)),
      p99Ms: Number(p99.toFixed(1)),
      reindexDuringLoad: `${reindexJobs} full re-index job(s) back to back, the last ${lastJob.state} at ${lastJob.progress.filesIndexed + lastJob.progress.filesUnchanged}/${lastJob.progress.filesSeen} files; searches counted only while one ran`,
      baselineP50Ms: Number(percentile(baseline.latencies, 50).toFixed(1)),
      baselineP95Ms: Number(percentile(baseline.latencies, 95).toFixed(1)),
      rssIdleMiB: Math.round(idleRss),
      rssPeakMiB: Math.round(rssPeak),
    };
    console.log('');
    console.log(`mode: ${results.mode}`);
    console.log(`cold start to /health 200:      ${ms(coldHealth)}   (target ≤ 1000 ms)`);
    console.log(`cold start to first search:     ${ms(coldSearch)}   (target ≤ 3000 ms)`);
    console.log(
      `search, ${clients} clients, ${seconds} s:     p50 ${ms(p50)}, p95 ${ms(p95)} (target ≤ 100 ms), p99 ${ms(p99)}; ${results.searchesPerSecond}/s, ${errors.length} errors`,
    );
    console.log(`re-index during the load:       ${results.reindexDuringLoad}`);
    console.log(
      `baseline without re-index (5 s): p50 ${ms(percentile(baseline.latencies, 50))}, p95 ${ms(percentile(baseline.latencies, 95))}; ${Math.round(baseline.latencies.length / 5)}/s`,
    );
    console.log(`RSS: idle ${results.rssIdleMiB} MiB, peak under load ${results.rssPeakMiB} MiB`);
    console.log(`load after: ${loadAfter}`);
    console.log(JSON.stringify(results));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
