import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = path.resolve(appDir, '..', '..');
export const cliPath = path.join(appDir, 'dist', 'cli.js');

/** The stand-in model (random weights, real architecture); tests that need it fail without it. */
export const standInModelDir = path.resolve(
  repoRoot,
  '..',
  'shared',
  'models',
  'stand-in',
  'all-MiniLM-L6-v2-random-weights',
);

export function requireStandInModel(): string {
  if (!existsSync(path.join(standInModelDir, 'onnx', 'model_quantized.onnx'))) {
    throw new Error(
      `The stand-in model is missing at ${standInModelDir}; the model tests cannot run without it.`,
    );
  }
  return standInModelDir;
}

const temporaryDirectories: string[] = [];

export function makeTempDir(prefix = 'nellie-e2e-'): string {
  const directory = mkdtempSync(path.join(tmpdir(), prefix));
  temporaryDirectories.push(directory);
  return directory;
}

export function removeTempDirs(): void {
  for (const directory of temporaryDirectories.splice(0)) {
    rmSync(directory, { recursive: true, force: true });
  }
  reposRoot = undefined;
}

let reposRoot: string | undefined;

/**
 * The directory the sample repositories are created in. Servers started by `startServer` allow
 * indexing below it (`--allow-root`) unless the test gives its own roots.
 */
export function sampleReposRoot(): string {
  reposRoot ??= makeTempDir('nellie-repos-');
  return reposRoot;
}

/** An environment without the developer's NELLIE_* settings, offline, with a private HOME. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('NELLIE_') && !key.startsWith('VITEST')) {
      env[key] = value;
    }
  }
  return { ...env, HOME: makeTempDir('nellie-home-'), NELLIE_OFFLINE: '1', ...extra };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI to completion. */
export function runCli(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: options.env ?? cleanEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nellie ${args.join(' ')} timed out.\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 45_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** Parses the JSON log lines of stderr (ignoring anything else). */
export function parseLogs(stderr: string): LogLine[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });
}

export interface RunningServer {
  url: string;
  port: number;
  child: ChildProcess;
  dataDir: string;
  /** stderr so far. */
  stderr(): string;
  logs(): LogLine[];
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Sends a signal and resolves with the exit code once the process ends. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

/** Starts `nellie serve --port 0` and resolves once it logs the address it listens on. */
export async function startServer(options: {
  dataDir?: string;
  args?: readonly string[];
  env?: Record<string, string>;
  timeoutMs?: number;
}): Promise<RunningServer> {
  const dataDir = options.dataDir ?? makeTempDir('nellie-data-');
  const args = options.args ?? [];
  const roots = args.includes('--allow-root') ? [] : ['--allow-root', sampleReposRoot()];
  const child = spawn(
    process.execPath,
    [cliPath, 'serve', '--data-dir', dataDir, '--port', '0', ...roots, ...args],
    { cwd: repoRoot, env: options.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  let stderr = '';
  let stdout = '';
  const listeners = new Set<() => void>();
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const listener of listeners) listener();
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  let exitedAlready = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    // 'close' (not 'exit') so that all of stderr has been read.
    child.on('close', (code, signal) => {
      exitedAlready = true;
      running.delete(child);
      resolve({ code, signal });
      for (const listener of listeners) listener();
    }),
  );

  const waitForLog = (
    predicate: (line: LogLine) => boolean,
    timeoutMs = options.timeoutMs ?? 30_000,
  ): Promise<LogLine> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = parseLogs(stderr).find(predicate);
        if (found) {
          cleanup();
          resolve(found);
        } else if (exitedAlready) {
          cleanup();
          reject(new Error(`The server exited before the expected log line.\nstderr:\n${stderr}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`Timed out waiting for a log line.\nstderr:\n${stderr}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  const listening = await waitForLog((line) => line.msg === 'Nellie is listening');
  if (stdout.length > 0) throw new Error(`serve wrote to stdout: ${stdout}`);
  return {
    url: String(listening.url),
    port: Number(listening.port),
    child,
    dataDir,
    stderr: () => stderr,
    logs: () => parseLogs(stderr),
    waitForLog,
    exited,
    async stop(signal = 'SIGTERM') {
      if (!exitedAlready) child.kill(signal);
      return (await exited).code;
    },
  };
}

/** Kills any server a failed test left behind. */
export async function killAllServers(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** A small repository with TypeScript, Python and Markdown, plus an ignored build directory. */
export function createSampleRepo(
  root = mkdtempSync(path.join(sampleReposRoot(), 'repo-')),
): string {
  const files: Record<string, string> = {
    '.gitignore': 'build/\n',
    'src/math.ts': [
      '/** Adds two numbers. */',
      'export function addNumbers(a: number, b: number): number {',
      '  return a + b;',
      '}',
      '',
      '/** Computes the factorial of n recursively. */',
      'export function factorial(n: number): number {',
      '  return n <= 1 ? 1 : n * factorial(n - 1);',
      '}',
      '',
    ].join('\n'),
    'src/user-service.ts': [
      'export interface User { id: string; name: string }',
      '',
      'export class UserService {',
      '  private readonly users = new Map<string, User>();',
      '',
      '  getUserById(id: string): User | undefined {',
      '    return this.users.get(id);',
      '  }',
      '',
      '  registerUser(user: User): void {',
      '    this.users.set(user.id, user);',
      '  }',
      '}',
      '',
    ].join('\n'),
    'tools/parse_config.py': [
      'import json',
      '',
      'def parse_config(path):',
      '    """Reads the zebracorn configuration file."""',
      '    with open(path) as handle:',
      '        return json.load(handle)',
      '',
    ].join('\n'),
    'README.md': [
      '# Sample',
      '',
      'A sample repository for Nellie tests.',
      '',
      '## Usage',
      '',
      'Call `addNumbers` to add two numbers.',
      '',
    ].join('\n'),
    'build/bundle.js': 'function ignoredBuildOutput() { return "ignored"; }\n',
  };
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(root, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return root;
}

/** A repository with many small files, so indexing takes a while. */
export function createLargeRepo(
  fileCount: number,
  root = mkdtempSync(path.join(sampleReposRoot(), 'large-')),
): string {
  for (let index = 0; index < fileCount; index += 1) {
    const directory = path.join(root, 'src', `module${Math.floor(index / 100)}`);
    mkdirSync(directory, { recursive: true });
    const lines: string[] = [];
    for (let fn = 0; fn < 4; fn += 1) {
      lines.push(
        `export function handler${index}x${fn}(input: string): string {`,
        `  const value = input.trim() + '${index}-${fn}';`,
        `  return value.toUpperCase();`,
        '}',
        '',
      );
    }
    writeFileSync(path.join(directory, `file${index}.ts`), lines.join('\n'));
  }
  return root;
}

export async function fetchJson(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON; keep the text.
  }
  return { status: response.status, headers: response.headers, body };
}

export function jsonRequest(method: string, body?: unknown, headers: Record<string, string> = {}) {
  return {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  } satisfies RequestInit;
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false>,
  { timeoutMs = 30_000, intervalMs = 100, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
