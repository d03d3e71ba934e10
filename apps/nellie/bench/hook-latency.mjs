/* global process, console, performance, fetch, setTimeout, URL */
// What the UserPromptSubmit hook adds to each prompt: the wall time of the command `nellie hooks
// install` writes, run as the clients run it (`/bin/sh -c`, the prompt's JSON on stdin, asking a
// running server), p50/p95 for each runner (`curl`, and Node with hook.js), the same with no
// server answering, and Node starting an empty script on the same machine at the same time, with
// the load average and the CPU time (the wall times mean little without them).
//
//   pnpm build && pnpm --filter nellie bench:hooks        (NELLIE_BENCH_RUNS=40 by default)
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliPath = path.join(appDir, 'dist', 'cli.js');
const runs = Number(process.env.NELLIE_BENCH_RUNS ?? 40);
const work = mkdtempSync(path.join(tmpdir(), 'nellie-hook-bench-'));
const repo = path.join(work, 'shop');
const dataDir = path.join(work, 'data');

/** CPU time of the finished child processes (Linux `/proc`), in ms; null elsewhere. */
function childrenCpuMs() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    // cutime and cstime (fields 16 and 17 of stat), in clock ticks of 10 ms.
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return null;
  }
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The UserPromptSubmit command `nellie hooks install --runner <runner>` writes. */
function installedCommand(runner, port) {
  const home = path.join(work, `home-${runner}`);
  mkdirSync(home, { recursive: true });
  execFileSync(
    process.execPath,
    [
      cliPath,
      'hooks',
      'install',
      '--client',
      'claude-code',
      '--runner',
      runner,
      '--port',
      String(port),
    ],
    { env: { ...process.env, HOME: home }, stdio: 'ignore' },
  );
  const settings = JSON.parse(readFileSync(path.join(home, '.claude', 'settings.json'), 'utf8'));
  return settings.hooks.UserPromptSubmit[0].hooks[0].command;
}

function hook(command, prompt) {
  return timed('/bin/sh', ['-c', command], prompt);
}

/** Node alone: the floor under any hook written for Node. */
function emptyNode() {
  return timed(process.execPath, ['-e', '0'], '');
}

function timed(file, args, prompt) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, args);
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
  const port = new URL(server.url).port;
  const commands = { curl: installedCommand('curl', port), node: installedCommand('node', port) };
  const loadBefore = loadavg();
  const cpu = { curl: 0, node: 0 };
  const up = { curl: [], node: [] };
  const down = { curl: [], node: [] };
  const nodeAlone = [];
  for (let index = 0; index < runs; index += 1) {
    nodeAlone.push((await emptyNode()).ms);
    for (const runner of ['curl', 'node']) {
      const cpuBefore = childrenCpuMs();
      const result = await hook(commands[runner], `change handler${index % 40} to trim input`);
      cpu[runner] += (childrenCpuMs() ?? 0) - (cpuBefore ?? 0);
      if (index === 0 && !result.stdout.includes('additionalContext')) {
        throw new Error(`The ${runner} hook added nothing: ${result.stdout}`);
      }
      up[runner].push(result.ms);
    }
  }
  for (let index = 0; index < Math.min(runs, 20); index += 1) {
    for (const runner of ['curl', 'node']) {
      const command = commands[runner].replace(`127.0.0.1:${port}`, '127.0.0.1:9');
      const result = await hook(command, 'anything');
      if (result.stdout !== '') throw new Error(`No server, yet: ${result.stdout}`);
      down[runner].push(result.ms);
    }
  }
  const routeOnly = [];
  for (let index = 0; index < runs; index += 1) {
    const started = performance.now();
    await (
      await fetch(
        `${api}/hooks/claude-code/user-prompt-submit`,
        json({ prompt: `change handler${index % 40} to trim input`, cwd: repo }),
      )
    ).text();
    routeOnly.push(performance.now() - started);
  }
  const row = (name, values) =>
    console.log(
      `${name.padEnd(38)} p50 ${percentile(values, 50).toFixed(0).padStart(5)} ms   p95 ${percentile(values, 95).toFixed(0).padStart(5)} ms`,
    );
  const load = (values) => values.map((value) => value.toFixed(2)).join(' ');
  console.log(`hook user-prompt-submit as installed, ${runs} runs, 200 lessons, 40 files`);
  console.log(
    `load average ${load(loadBefore)} before, ${load(loadavg())} after (1/5/15 min), Node ${process.version}, ${new Date().toISOString()}`,
  );
  if (childrenCpuMs() !== null) {
    const perRun = (runner) => (cpu[runner] / runs).toFixed(1);
    console.log(
      `CPU time of the hook command per run, server up: curl ${perRun('curl')} ms, node ${perRun('node')} ms`,
    );
  }
  row('curl hook, server up', up.curl);
  row('curl hook, no server', down.curl);
  row('node hook.js, server up', up.node);
  row('node hook.js, no server', down.node);
  row('node -e 0 (Node start alone)', nodeAlone);
  row('the hook route alone (in-process fetch)', routeOnly);
} finally {
  server.child.kill('SIGTERM');
  await new Promise((resolve) => server.child.on('close', resolve));
  rmSync(work, { recursive: true, force: true });
}
