/* global process, console, performance, fetch, setTimeout */
// What the UserPromptSubmit hook adds to each prompt: the wall time of `node --no-warnings hook.js
// user-prompt-submit` as Claude Code runs it (a new process reading the prompt on stdin, asking a
// running server), p50/p95, the same with no server answering, and Node starting an empty script
// on the same machine at the same time, with the load average (the figures mean little without it).
//
//   pnpm build && pnpm --filter nellie bench:hooks        (NELLIE_BENCH_RUNS=40 by default)
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliPath = path.join(appDir, 'dist', 'cli.js');
const hookPath = path.join(appDir, 'dist', 'hook.js');
const runs = Number(process.env.NELLIE_BENCH_RUNS ?? 40);
const work = mkdtempSync(path.join(tmpdir(), 'nellie-hook-bench-'));
const repo = path.join(work, 'shop');
const dataDir = path.join(work, 'data');

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function hook(url, prompt) {
  return timed([hookPath, 'user-prompt-submit', '--url', url], prompt);
}

/** Node alone: the floor under any hook written for Node. */
function emptyNode() {
  return timed(['-e', '0'], '');
}

function timed(args, prompt) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--no-warnings', ...args]);
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', () => resolve({ ms: performance.now() - started, stdout }));
    child.stdin.end(JSON.stringify({ hook_event_name: 'UserPromptSubmit', prompt, cwd: repo }));
  });
}

async function startServer() {
  const child = spawn(
    process.execPath,
    [cliPath, 'serve', '--data-dir', dataDir, '--port', '0', '--allow-root', work],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NELLIE_OFFLINE: '1' } },
  );
  let stderr = '';
  const url = await new Promise((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
      const match = /"url":"(http:\/\/[^"]+)"/.exec(stderr);
      if (match) resolve(match[1]);
    });
    child.on('close', () => reject(new Error(`server exited:\n${stderr}`)));
  });
  return { child, url };
}

const json = (body) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

mkdirSync(path.join(repo, 'src'), { recursive: true });
for (let index = 0; index < 40; index += 1) {
  writeFileSync(
    path.join(repo, 'src', `module${index}.ts`),
    `export function handler${index}(input: string): string {\n  return input.trim() + '${index}';\n}\n`,
  );
}
const server = await startServer();
try {
  const api = `${server.url}/api/v1`;
  const job = await (await fetch(`${api}/index/jobs`, json({ path: repo }))).json();
  for (;;) {
    const state = (await (await fetch(`${api}/index/jobs/${job.id}`)).json()).state;
    if (state === 'succeeded') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (let index = 0; index < 200; index += 1) {
    await fetch(
      `${api}/lessons`,
      json({
        title: `handler${index % 40} lesson ${index}`,
        content: `When changing handler${index % 40}, keep trimming input; case ${index}.`,
        severity: ['critical', 'warning', 'info'][index % 3],
        repository: 'shop',
      }),
    );
  }
  const loadBefore = loadavg();
  const withServer = [];
  const nodeAlone = [];
  for (let index = 0; index < runs; index += 1) {
    nodeAlone.push((await emptyNode()).ms);
    const result = await hook(server.url, `change handler${index % 40} to trim input`);
    if (index === 0 && !result.stdout.includes('additionalContext')) {
      throw new Error(`The hook added nothing: ${result.stdout}`);
    }
    withServer.push(result.ms);
  }
  const down = [];
  for (let index = 0; index < Math.min(runs, 20); index += 1) {
    down.push((await hook('http://127.0.0.1:9', 'anything')).ms);
  }
  const fetchOnly = [];
  for (let index = 0; index < runs; index += 1) {
    const started = performance.now();
    await (await fetch(`${api}/repositories`)).json();
    await (
      await fetch(`${api}/lessons/search`, json({ query: `handler${index}`, repository: 'shop' }))
    ).json();
    fetchOnly.push(performance.now() - started);
  }
  const row = (name, values) =>
    console.log(
      `${name.padEnd(34)} p50 ${percentile(values, 50).toFixed(0).padStart(5)} ms   p95 ${percentile(values, 95).toFixed(0).padStart(5)} ms`,
    );
  const load = (values) => values.map((value) => value.toFixed(2)).join(' ');
  console.log(`nellie hook user-prompt-submit, ${runs} runs, 200 lessons, 40 files`);
  console.log(
    `load average ${load(loadBefore)} before, ${load(loadavg())} after (1/5/15 min), Node ${process.version}`,
  );
  row('hook process, server up', withServer);
  row('hook process, no server', down);
  row('node -e 0 (Node start alone)', nodeAlone);
  row('its two requests alone (in-process)', fetchOnly);
  const added = withServer.map((ms, index) => ms - (nodeAlone[index] ?? 0));
  row('hook minus Node start (paired runs)', added);
} finally {
  server.child.kill('SIGTERM');
  await new Promise((resolve) => server.child.on('close', resolve));
  rmSync(work, { recursive: true, force: true });
}
