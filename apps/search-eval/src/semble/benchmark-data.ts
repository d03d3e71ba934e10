/**
 * Reads semble's benchmark data (`repos.json`, `annotations/<repo>.json`, `splits.json`,
 * `peers-published.json`) and checks its shape, so a damaged file fails with a clear message
 * instead of skewing the scores.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Target } from './scoring.ts';

export interface RepoSpec {
  name: string;
  language: string;
  url: string;
  revision: string;
  /** Subtree that is indexed; null means the whole repository. */
  benchmarkRoot: string | null;
}

export type Category = 'architecture' | 'semantic' | 'symbol' | (string & {});

export interface BenchmarkTask {
  repo: string;
  language: string;
  query: string;
  category: Category;
  /** `relevant` followed by `secondary`, duplicates kept. */
  targets: Target[];
}

export type Split = 'dev' | 'test' | 'all';

export interface PeerMethod {
  id: string;
  /** `chunk` or `file` (file-level tools are scored on distinct files). */
  scoring: string;
  perRepo: Record<string, { ndcg10: number; byCategory: Record<string, number> }>;
}

export interface BenchmarkData {
  dir: string;
  repos: RepoSpec[];
  splits: Record<'dev' | 'test', string[]>;
  peers: PeerMethod[];
  tasksOf(repo: string): BenchmarkTask[];
}

export class BenchmarkDataError extends Error {
  override name = 'BenchmarkDataError';
}

function readJson(path: string): unknown {
  if (!existsSync(path)) throw new BenchmarkDataError(`Missing benchmark file ${path}.`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (error) {
    throw new BenchmarkDataError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new BenchmarkDataError(`${where} must be a non-empty string.`);
  }
  return value;
}

/** semble accepts line numbers as integers or integer strings. */
function optionalLine(value: unknown, where: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const line = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof line !== 'number' || !Number.isInteger(line)) {
    throw new BenchmarkDataError(`${where} must be an integer line number.`);
  }
  return line;
}

function parseTarget(raw: unknown, where: string): Target {
  if (typeof raw === 'string') return { path: requireString(raw, where) };
  if (!isRecord(raw))
    throw new BenchmarkDataError(`${where} must be a path or {path, start_line, end_line}.`);
  const target: Target = { path: requireString(raw.path, `${where}.path`) };
  const startLine = optionalLine(raw.start_line, `${where}.start_line`);
  const endLine = optionalLine(raw.end_line, `${where}.end_line`);
  if (startLine !== undefined) target.startLine = startLine;
  if (endLine !== undefined) target.endLine = endLine;
  return target;
}

/** semble's fallback when an annotation has no category (`infer_category` in data.py). */
export function inferCategory(query: string): Category {
  if (!query.trim().includes(' ')) return 'symbol';
  const lowered = query.toLowerCase();
  return lowered.startsWith('how ') ? 'architecture' : 'semantic';
}

function parseRepos(raw: unknown, path: string): RepoSpec[] {
  if (!Array.isArray(raw))
    throw new BenchmarkDataError(`${path} must hold an array of repositories.`);
  return raw.map((item: unknown, index) => {
    const where = `${path}[${index}]`;
    if (!isRecord(item)) throw new BenchmarkDataError(`${where} must be an object.`);
    const revision = requireString(item.revision, `${where}.revision`);
    if (!/^[0-9a-f]{7,64}$/i.test(revision)) {
      throw new BenchmarkDataError(`${where}.revision must be a git commit id.`);
    }
    const root = item.benchmark_root;
    const benchmarkRoot =
      root === null || root === undefined || root === ''
        ? null
        : requireString(root, `${where}.benchmark_root`);
    if (
      benchmarkRoot !== null &&
      (benchmarkRoot.startsWith('/') || benchmarkRoot.split('/').includes('..'))
    ) {
      throw new BenchmarkDataError(
        `${where}.benchmark_root must be a relative path inside the repository.`,
      );
    }
    return {
      name: requireString(item.name, `${where}.name`),
      language: requireString(item.language, `${where}.language`),
      url: requireString(item.url, `${where}.url`),
      revision,
      benchmarkRoot,
    };
  });
}

function parseTasks(
  raw: unknown,
  path: string,
  defaultRepo: string,
  languageOf: (repo: string) => string | undefined,
): BenchmarkTask[] {
  if (!Array.isArray(raw)) throw new BenchmarkDataError(`${path} must hold an array of queries.`);
  const tasks: BenchmarkTask[] = [];
  raw.forEach((item: unknown, index) => {
    const where = `${path}[${index}]`;
    if (!isRecord(item)) throw new BenchmarkDataError(`${where} must be an object.`);
    const repo = item.repo === undefined ? defaultRepo : requireString(item.repo, `${where}.repo`);
    const language = languageOf(repo);
    if (language === undefined) return; // like semble: queries of unknown repositories are left out
    const query = requireString(item.query, `${where}.query`);
    const list = (key: 'relevant' | 'secondary'): Target[] => {
      const value = item[key] ?? [];
      if (!Array.isArray(value)) throw new BenchmarkDataError(`${where}.${key} must be an array.`);
      return value.map((target: unknown, targetIndex) =>
        parseTarget(target, `${where}.${key}[${targetIndex}]`),
      );
    };
    tasks.push({
      repo,
      language,
      query,
      category: typeof item.category === 'string' ? item.category : inferCategory(query),
      targets: [...list('relevant'), ...list('secondary')],
    });
  });
  return tasks;
}

function parseSplits(raw: unknown, path: string): Record<'dev' | 'test', string[]> {
  if (!isRecord(raw)) throw new BenchmarkDataError(`${path} must be an object with dev and test.`);
  const names = (key: 'dev' | 'test'): string[] => {
    const value = raw[key];
    if (!Array.isArray(value))
      throw new BenchmarkDataError(`${path}.${key} must be an array of names.`);
    return value.map((name: unknown, index) => requireString(name, `${path}.${key}[${index}]`));
  };
  return { dev: names('dev'), test: names('test') };
}

function parsePeers(raw: unknown, path: string): PeerMethod[] {
  if (!isRecord(raw) || !isRecord(raw.methods)) {
    throw new BenchmarkDataError(`${path} must be an object with "methods".`);
  }
  return Object.entries(raw.methods).map(([id, method]) => {
    if (!isRecord(method) || !isRecord(method.per_repo)) {
      throw new BenchmarkDataError(`${path}.methods.${id} must have "per_repo".`);
    }
    const perRepo: PeerMethod['perRepo'] = {};
    for (const [repo, entry] of Object.entries(method.per_repo)) {
      if (!isRecord(entry) || typeof entry.ndcg10 !== 'number') {
        throw new BenchmarkDataError(
          `${path}.methods.${id}.per_repo.${repo}.ndcg10 must be a number.`,
        );
      }
      const byCategory: Record<string, number> = {};
      if (isRecord(entry.by_category)) {
        for (const [category, value] of Object.entries(entry.by_category)) {
          if (typeof value === 'number') byCategory[category] = value;
        }
      }
      perRepo[repo] = { ndcg10: entry.ndcg10, byCategory };
    }
    return { id, scoring: typeof method.scoring === 'string' ? method.scoring : 'chunk', perRepo };
  });
}

/** Loads the benchmark from a directory laid out like `../shared/benchmarks/semble`. */
export function loadBenchmarkData(dir: string): BenchmarkData {
  const repos = parseRepos(readJson(join(dir, 'repos.json')), join(dir, 'repos.json'));
  const splits = parseSplits(readJson(join(dir, 'splits.json')), join(dir, 'splits.json'));
  const peersPath = join(dir, 'peers-published.json');
  const peers = existsSync(peersPath) ? parsePeers(readJson(peersPath), peersPath) : [];
  const languages = new Map(repos.map((repo) => [repo.name, repo.language]));
  const cache = new Map<string, BenchmarkTask[]>();
  return {
    dir,
    repos,
    splits,
    peers,
    tasksOf(repo) {
      let tasks = cache.get(repo);
      if (!tasks) {
        const path = join(dir, 'annotations', `${repo}.json`);
        tasks = existsSync(path)
          ? parseTasks(readJson(path), path, repo, (name) => languages.get(name)).filter(
              (task) => task.repo === repo,
            )
          : [];
        cache.set(repo, tasks);
      }
      return tasks;
    },
  };
}

/** The repositories of a split, in `repos.json` order, optionally narrowed to `only`. */
export function selectRepos(
  data: BenchmarkData,
  split: Split,
  only: readonly string[] = [],
): RepoSpec[] {
  const known = new Set(data.repos.map((repo) => repo.name));
  const unknown = only.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new BenchmarkDataError(
      `Unknown repositories: ${unknown.join(', ')} (see ${join(data.dir, 'repos.json')}).`,
    );
  }
  const inSplit = split === 'all' ? known : new Set(data.splits[split]);
  return data.repos.filter((repo) =>
    only.length > 0 ? only.includes(repo.name) : inSplit.has(repo.name),
  );
}
