import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  throwIfAborted,
  type ChunkInput,
  type IndexedFile,
  type IndexProgress,
  type Logger,
  type Repository,
} from '@nellie/core';
import { chunkFile } from '../chunk.ts';
import type { IndexerStore } from '../indexer-options.ts';
import { detectLanguage, extensionOf } from '../language.ts';
import { emptyWalk, walkRoot, type ScanResult, type ScannedFile } from '../scan.ts';
import { decodeText, machineMadeReason, sniffContent } from '../internal/content.ts';
import { binaryExtensions } from '../internal/default-excludes.ts';
import { errorCode } from '../internal/error-code.ts';
import type { IgnoreRules } from '../internal/ignore-rules.ts';
import type { SecretFileMatcher } from '../internal/secret-files.ts';
import { readStable, type ReadOutcome } from './stable-read.ts';

/** Everything one pass over a repository needs. */
export interface PassContext {
  store: IndexerStore;
  repository: Repository;
  root: string;
  rules: IgnoreRules;
  logger: Logger;
  signal?: AbortSignal;
  progress: IndexProgress;
  maxFileBytes: number;
  maxTokens: number;
  followSymlinks: boolean;
  /** Skips files and directories named like secrets; null indexes them. */
  secrets: SecretFileMatcher | null;
  /** Absolute paths never entered or read (the server's data directory). */
  isProtected: (absolutePath: string) => boolean;
  fileConcurrency: number;
  /** `full` re-reads and re-chunks every file. */
  mode: 'incremental' | 'full';
  /** Files read earlier and found not indexable (binary, minified…), by `size:mtime`. */
  skipCache: Map<string, string>;
  /** Called with the content hashes of chunks just written. */
  onChunksWritten: (hashes: readonly string[]) => void;
  /** Called after each file, for progress reporting. */
  onFile?: () => void;
}

/**
 * mtimes are compared at millisecond precision, so a store that keeps whole milliseconds does
 * not make every file look changed.
 */
export function sameStat(
  indexed: Pick<IndexedFile, 'size' | 'mtimeMs'>,
  disk: { size: number; mtimeMs: number },
): boolean {
  return indexed.size === disk.size && Math.trunc(indexed.mtimeMs) === Math.trunc(disk.mtimeMs);
}

function statKey(info: { size: number; mtimeMs: number }): string {
  return `${info.size}:${info.mtimeMs}`;
}

/** What reading and chunking a file decided; applied to the index in path order. */
type FilePlan =
  | { kind: 'failed'; error: unknown }
  | { kind: 'gone' }
  | { kind: 'skip'; reason: string; info?: Stats }
  | { kind: 'unchanged'; info: Stats }
  | {
      kind: 'write';
      info: Stats;
      language: string | null;
      contentHash: string;
      chunks: ChunkInput[];
    };

/**
 * Reads and chunks one file without writing anything: files are prepared concurrently, then
 * written one by one in path order, so two indexings of the same tree give the same chunks in
 * the same order (and the same chunk ids).
 */
async function prepareFile(
  context: PassContext,
  path: string,
  indexed: IndexedFile | undefined,
): Promise<FilePlan> {
  let outcome: ReadOutcome;
  try {
    outcome = await readStable(
      join(context.root, path),
      context.maxFileBytes,
      context.followSymlinks,
    );
  } catch (error) {
    return { kind: 'failed', error };
  }
  if (outcome.kind === 'gone') return { kind: 'gone' };
  if (outcome.kind === 'not-file') return { kind: 'skip', reason: 'not a regular file' };
  if (outcome.kind === 'too-large')
    return { kind: 'skip', reason: 'too large', info: outcome.info };
  const { bytes, info } = outcome;
  if (sniffContent(bytes) === 'binary') return { kind: 'skip', reason: 'binary', info };
  const contentHash = createHash('sha256').update(bytes).digest('hex');
  if (context.mode === 'incremental' && indexed && indexed.contentHash === contentHash) {
    return { kind: 'unchanged', info };
  }
  const { text, encoding } = decodeText(bytes);
  const language = detectLanguage(path, text);
  if (encoding !== 'utf-8') {
    context.logger.info(
      { path, encoding },
      'A file is not valid UTF-8; reading it as Windows-1252.',
    );
  }
  const machineMade = machineMadeReason(text, language);
  if (machineMade) return { kind: 'skip', reason: machineMade, info };
  const chunks = await chunkFile({
    path,
    content: text,
    language,
    maxTokens: context.maxTokens,
    logger: context.logger,
  });
  return { kind: 'write', info, language, contentHash, chunks };
}

/**
 * Brings one file's index entry up to date from its plan: writes its chunks when its content
 * hash changed (otherwise just records the new size and mtime), and removes it from the index
 * when it is gone or no longer indexable.
 */
async function applyFile(
  context: PassContext,
  path: string,
  indexed: IndexedFile | undefined,
  plan: FilePlan,
): Promise<void> {
  const { store, repository, progress, logger } = context;
  const dropIndexed = async (): Promise<void> => {
    if (indexed) {
      progress.filesDeleted += await store.deleteFiles(repository.id, [path]);
    }
  };
  switch (plan.kind) {
    case 'failed':
      progress.filesFailed += 1;
      logger.warn(
        { path, error: plan.error instanceof Error ? plan.error.message : String(plan.error) },
        'Could not read a file; keeping what was indexed before.',
      );
      return;
    case 'gone':
      await dropIndexed();
      return;
    case 'skip':
      progress.filesSkipped += 1;
      if (plan.info) context.skipCache.set(path, statKey(plan.info));
      logger.debug({ path, reason: plan.reason }, 'Not indexing a file.');
      await dropIndexed();
      return;
    case 'unchanged':
      if (indexed && !sameStat(indexed, plan.info)) {
        await store.touchFile(repository.id, path, {
          size: plan.info.size,
          mtimeMs: plan.info.mtimeMs,
        });
      }
      progress.filesUnchanged += 1;
      context.skipCache.delete(path);
      return;
    case 'write': {
      const { info, language, contentHash, chunks } = plan;
      throwIfAborted(context.signal);
      await store.writeFile(
        repository.id,
        { path, language, size: info.size, mtimeMs: info.mtimeMs, contentHash },
        chunks,
      );
      context.skipCache.delete(path);
      progress.filesIndexed += 1;
      progress.chunksWritten += chunks.length;
      if (chunks.length > 0) {
        context.onChunksWritten(
          chunks.map((chunk) => createHash('sha256').update(chunk.content).digest('hex')),
        );
      }
    }
  }
}

/**
 * Brings the index entries of `paths` up to date: up to `fileConcurrency` files are read and
 * chunked at once, and their results are written in the order of `paths`.
 */
async function indexFiles(
  context: PassContext,
  paths: readonly string[],
  indexed: Map<string, IndexedFile>,
): Promise<void> {
  const { signal } = context;
  const prepared: Promise<FilePlan>[] = [];
  const prepareNext = (): void => {
    if (signal?.aborted || prepared.length >= paths.length) return;
    const path = paths[prepared.length]!;
    const plan = prepareFile(context, path, indexed.get(path));
    // Awaited in order below; this only keeps a failure from being reported as unhandled.
    plan.catch(() => undefined);
    prepared.push(plan);
  };
  for (let started = 0; started < context.fileConcurrency; started += 1) prepareNext();
  for (let index = 0; index < paths.length; index += 1) {
    throwIfAborted(signal);
    const plan = await prepared[index]!;
    prepareNext();
    await applyFile(context, paths[index]!, indexed.get(paths[index]!), plan);
    context.onFile?.();
  }
}

/**
 * Compares the whole tree with the index: removes files that are gone or now ignored, and
 * (re)indexes files whose size or mtime differ — or every file in `full` mode.
 */
export async function reconcileRepository(context: PassContext): Promise<void> {
  const { store, repository, signal } = context;
  const scan = await walkPass(context);
  throwIfAborted(signal);
  const indexed = new Map((await store.listFiles(repository.id)).map((file) => [file.path, file]));
  await applyScan(context, scan, indexed, { prefix: null, verify: false });
}

/** Walks the repository, or only the directory `under` in it, with the pass's rules. */
async function walkPass(context: PassContext, under?: string): Promise<Omit<ScanResult, 'roots'>> {
  const scan = emptyWalk();
  await walkRoot(
    context.root,
    {
      rules: context.rules,
      maxFileBytes: context.maxFileBytes,
      followSymlinks: context.followSymlinks,
      sniffContent: false,
      secrets: context.secrets,
      isProtected: context.isProtected,
      logger: context.logger,
      signal: context.signal,
      under,
    },
    scan,
  );
  return scan;
}

/**
 * Applies a walk's result to the index. Only indexed paths under `prefix` (all when null) are
 * candidates for deletion; paths below unreadable directories are kept.
 */
async function applyScan(
  context: PassContext,
  scan: Omit<ScanResult, 'roots'>,
  indexed: Map<string, IndexedFile>,
  options: { prefix: string | null; verify: boolean },
): Promise<void> {
  const { store, repository, progress, signal } = context;
  const onDisk = new Set(scan.files.map((file) => file.path));
  const unreadable: string[] = [];
  for (const entry of scan.skipped) {
    if (entry.reason === 'unreadable') {
      unreadable.push(entry.path);
      progress.filesFailed += 1;
    } else if (entry.reason !== 'vanished') {
      progress.filesSeen += 1;
      progress.filesSkipped += 1;
      if (entry.reason === 'secret') progress.filesSkippedSecret += 1;
    }
  }
  for (const [pattern, count] of Object.entries(scan.excluded)) {
    progress.filesSkippedExcluded += count;
    progress.excludedBy[pattern] = (progress.excludedBy[pattern] ?? 0) + count;
  }
  const keep = (path: string): boolean =>
    unreadable.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  const deleted: string[] = [];
  for (const path of indexed.keys()) {
    if (onDisk.has(path)) continue;
    if (
      options.prefix !== null &&
      path !== options.prefix &&
      !path.startsWith(`${options.prefix}/`)
    ) {
      continue;
    }
    if (!keep(path)) deleted.push(path);
  }
  for (let start = 0; start < deleted.length; start += 500) {
    throwIfAborted(signal);
    progress.filesDeleted += await store.deleteFiles(
      repository.id,
      deleted.slice(start, start + 500),
    );
  }
  const changed: ScannedFile[] = [];
  for (const file of scan.files) {
    progress.filesSeen += 1;
    const previous = indexed.get(file.path);
    if (context.mode === 'incremental' && !options.verify && previous && sameStat(previous, file)) {
      progress.filesUnchanged += 1;
      continue;
    }
    if (context.skipCache.get(file.path) === statKey(file)) {
      progress.filesSkipped += 1;
      if (previous) progress.filesDeleted += await store.deleteFiles(repository.id, [file.path]);
      continue;
    }
    changed.push(file);
  }
  await indexFiles(context, changed.map((file) => file.path).sort(compare), indexed);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Indexes the given paths (files or directories, relative to the root) as reported by the
 * watcher: each is re-read and compared by content, deleted when gone or now ignored, and
 * walked when it is a directory.
 */
export async function reconcilePaths(context: PassContext, paths: Iterable<string>): Promise<void> {
  const { store, repository, rules, progress, signal, logger } = context;
  const indexed = new Map((await store.listFiles(repository.id)).map((file) => [file.path, file]));
  // Parents first, so a directory's walk covers the files below it.
  const sorted = [...new Set(paths)].sort();
  const covered: string[] = [];
  const files: string[] = [];
  for (const path of sorted) {
    throwIfAborted(signal);
    if (covered.some((directory) => path.startsWith(`${directory}/`))) continue;
    let info: Stats | null;
    try {
      info = await lstat(join(context.root, path));
    } catch (error) {
      if (errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ENOTDIR') {
        logger.warn({ path, error: String(error) }, 'Could not inspect a changed path.');
        continue;
      }
      info = null;
    }
    const isDirectory = info?.isDirectory() ?? false;
    const secret =
      info !== null &&
      (context.secrets?.matches(path, isDirectory) === true ||
        context.isProtected(join(context.root, path)));
    if (secret && !isDirectory) {
      progress.filesSeen += 1;
      progress.filesSkipped += 1;
      progress.filesSkippedSecret += 1;
    }
    if (info === null || secret || (await rules.ignores(path, isDirectory))) {
      // Gone, a secret or now ignored: the path itself and anything indexed below it.
      const gone = [...indexed.keys()].filter((key) => key === path || key.startsWith(`${path}/`));
      if (gone.length > 0) progress.filesDeleted += await store.deleteFiles(repository.id, gone);
      if (isDirectory) covered.push(path);
      continue;
    }
    if (isDirectory) {
      covered.push(path);
      const scan = await walkPass(context, path);
      await applyScan(context, scan, indexed, { prefix: path, verify: false });
      continue;
    }
    if (info.isSymbolicLink() && !context.followSymlinks) continue;
    if (binaryExtensions.has(extensionOf(path))) continue;
    files.push(path);
  }
  progress.filesSeen += files.length;
  await indexFiles(context, files, indexed);
}
