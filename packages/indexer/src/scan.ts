import type { Dirent, Stats } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { NellieError, noopLogger, throwIfAborted, type Logger } from '@nellie/core';
import { z } from 'zod';
import { sniffBytes, sniffContent } from './internal/content.ts';
import { binaryExtensions } from './internal/default-excludes.ts';
import { errorCode } from './internal/error-code.ts';
import { IgnoreRules, ignoreFileNames, type ExclusionReason } from './internal/ignore-rules.ts';
import { isWithin } from './internal/root-policy.ts';
import { SecretFileMatcher } from './internal/secret-files.ts';
import { detectLanguage, extensionOf } from './language.ts';

/** Files larger than this are skipped unless configured otherwise (1 MiB). */
export const defaultMaxFileBytes = 1024 * 1024;

export const scanOptionsSchema = z.object({
  /** Skip files larger than this many bytes. Defaults to 1 MiB. */
  maxFileBytes: z.number().int().positive().default(defaultMaxFileBytes),
  /** Globs relative to each root; when given, only matching files are returned. */
  include: z.array(z.string().min(1)).default([]),
  /** Globs relative to each root that are never returned. */
  exclude: z.array(z.string().min(1)).default([]),
  /**
   * The built-in excludes (node_modules, top-level build outputs, lock files…): `true` (the
   * default) applies them, `false` none, and a list of gitignore patterns replaces them.
   */
  defaultExcludes: z.union([z.boolean(), z.array(z.string().min(1))]).default(true),
  /**
   * Descend into symbolic links (loops and links leading outside the root are skipped). Defaults
   * to false.
   */
  followSymlinks: z.boolean().default(false),
  /**
   * Skip files whose names suggest secrets (`.env`, private keys, credential files…). Defaults to
   * true.
   */
  excludeSecretFiles: z.boolean().default(true),
  /**
   * Read the first 8 KiB of each file to skip binary content. Defaults to true; the indexer turns
   * it off and checks content when it reads the file anyway.
   */
  sniffContent: z.boolean().default(true),
});

export type ScanOptions = z.input<typeof scanOptionsSchema> & {
  logger?: Logger;
  signal?: AbortSignal;
};

export interface ScannedFile {
  /** Absolute path of the root the file was found under. */
  root: string;
  /** Relative to the root, with `/` separators. */
  path: string;
  absolutePath: string;
  size: number;
  mtimeMs: number;
  language: string | null;
}

export type SkipReason =
  | 'too-large'
  | 'binary'
  /** A symbolic link, not followed. */
  | 'symlink'
  | 'symlink-loop'
  /** A followed symbolic link whose target lies outside the root. */
  | 'outside-root'
  /** Named like a secret (`.env`, a private key…), or the server's own data: never read. */
  | 'secret'
  | 'special'
  | 'unreadable'
  | 'vanished';

export interface SkippedEntry {
  root: string;
  path: string;
  reason: SkipReason;
}

export interface ScanResult {
  roots: string[];
  files: ScannedFile[];
  /** Files and directories passed over, with why. Ignored paths are only counted. */
  skipped: SkippedEntry[];
  /** Paths excluded by ignore files, default excludes or globs (directories count once). */
  ignored: number;
  /**
   * Of `ignored`, the paths each built-in default exclude pattern passed over, keyed by pattern
   * (`node_modules/`: 1). A directory counts once; nothing below it is read.
   */
  excluded: Record<string, number>;
  directories: number;
}

/** What the walk needs besides the root; shared with the indexer. */
export interface WalkOptions {
  rules: IgnoreRules;
  maxFileBytes: number;
  followSymlinks: boolean;
  sniffContent: boolean;
  /** Skips files and directories named like secrets; null indexes them. */
  secrets: SecretFileMatcher | null;
  /** Absolute paths never entered or read (the server's data directory). */
  isProtected?: (absolutePath: string) => boolean;
  logger: Logger;
  signal?: AbortSignal;
  /** Only walk below this relative directory ('' for all). */
  under?: string;
}

/** Bounded parallelism for file system calls. */
class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolveSlot) => this.queue.push(resolveSlot));
    }
    this.active += 1;
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.queue.shift()?.();
    }
  }
}

/**
 * Walks one root with its ignore rules, calling back for every file kept. Errors on single
 * entries (unreadable, vanished, symlink loops) are recorded and never end the walk.
 */
export async function walkRoot(
  root: string,
  options: WalkOptions,
  result: Omit<ScanResult, 'roots'>,
): Promise<void> {
  const { rules, logger, signal, secrets } = options;
  const isProtected = options.isProtected ?? (() => false);
  const limiter = new Limiter(32);
  const skip = (path: string, reason: SkipReason, detail?: unknown): void => {
    result.skipped.push({ root, path, reason });
    if (reason === 'unreadable' || reason === 'symlink-loop') {
      logger.warn(
        { root, path, reason, error: detail instanceof Error ? detail.message : undefined },
        'Skipped a path while scanning.',
      );
    } else {
      logger.debug({ root, path, reason }, 'Skipped a path while scanning.');
    }
  };

  const visitFile = async (path: string, absolutePath: string, known?: Stats): Promise<void> => {
    let info = known;
    if (!info) {
      try {
        info = await limiter.run(() => stat(absolutePath));
      } catch (error) {
        skip(path, errorCode(error) === 'ENOENT' ? 'vanished' : 'unreadable', error);
        return;
      }
    }
    if (!info.isFile()) {
      skip(path, 'special');
      return;
    }
    if (info.size > options.maxFileBytes) {
      skip(path, 'too-large');
      return;
    }
    if (binaryExtensions.has(extensionOf(path))) {
      skip(path, 'binary');
      return;
    }
    if (options.sniffContent && info.size > 0) {
      try {
        const verdict = await limiter.run(async () => {
          const handle = await open(absolutePath, 'r');
          try {
            const buffer = new Uint8Array(Math.min(sniffBytes, info.size));
            const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
            return sniffContent(buffer.subarray(0, bytesRead));
          } finally {
            await handle.close();
          }
        });
        if (verdict === 'binary') {
          skip(path, 'binary');
          return;
        }
      } catch (error) {
        skip(path, errorCode(error) === 'ENOENT' ? 'vanished' : 'unreadable', error);
        return;
      }
    }
    result.files.push({
      root,
      path,
      absolutePath,
      size: info.size,
      mtimeMs: info.mtimeMs,
      language: detectLanguage(path),
    });
  };

  const visitDirectory = async (
    directory: string,
    absolute: string,
    ancestors: readonly string[],
  ): Promise<void> => {
    throwIfAborted(signal);
    let entries: Dirent[];
    try {
      entries = await limiter.run(() => readdir(absolute, { withFileTypes: true }));
    } catch (error) {
      if (directory === '') {
        throw new NellieError('INDEX_FAILED', `The directory ${root} cannot be read.`, {
          cause: error,
        });
      }
      skip(directory, errorCode(error) === 'ENOENT' ? 'vanished' : 'unreadable', error);
      return;
    }
    result.directories += 1;
    await rules.loadDirectory(directory, {
      gitignore: entries.some((entry) => entry.name === '.gitignore'),
      ignore: entries.some((entry) => entry.name === '.ignore'),
    });
    const work: Promise<void>[] = [];
    for (const entry of entries) {
      const path = directory === '' ? entry.name : `${directory}/${entry.name}`;
      const absolutePath = join(absolute, entry.name);
      let isDirectory = entry.isDirectory();
      let known: Stats | undefined;
      let nextAncestors = ancestors;
      if (isProtected(absolutePath)) {
        skip(path, 'secret');
        continue;
      }
      if (entry.isSymbolicLink()) {
        if (!options.followSymlinks) {
          skip(path, 'symlink');
          continue;
        }
        try {
          known = await limiter.run(() => stat(absolutePath));
        } catch (error) {
          // Dangling links and links to unreadable targets.
          skip(path, errorCode(error) === 'ENOENT' ? 'vanished' : 'unreadable', error);
          continue;
        }
        let target: string;
        try {
          target = await realpath(absolutePath);
        } catch (error) {
          skip(path, 'unreadable', error);
          continue;
        }
        // A link may not lead the walk out of the root it was asked to index.
        if (!isWithin(root, target)) {
          skip(path, 'outside-root');
          continue;
        }
        if (isProtected(target)) {
          skip(path, 'secret');
          continue;
        }
        isDirectory = known.isDirectory();
        if (isDirectory) {
          if (ancestors.includes(target)) {
            skip(path, 'symlink-loop');
            continue;
          }
          nextAncestors = [...ancestors, target];
        }
      } else if (!isDirectory && !entry.isFile()) {
        skip(path, 'special');
        continue;
      }
      const exclusion = explainEntry(rules, path, isDirectory);
      if (exclusion) {
        result.ignored += 1;
        if (exclusion.kind === 'default') {
          result.excluded[exclusion.pattern] = (result.excluded[exclusion.pattern] ?? 0) + 1;
        }
        continue;
      }
      if (secrets?.matchesName(entry.name, isDirectory)) {
        skip(path, 'secret');
        continue;
      }
      if (isDirectory) {
        if (nextAncestors === ancestors) nextAncestors = [...ancestors, absolutePath];
        work.push(visitDirectory(path, absolutePath, nextAncestors));
      } else {
        work.push(visitFile(path, absolutePath, known));
      }
    }
    await Promise.all(work);
  };

  if (options.under) {
    const absolute = join(root, options.under);
    if (await rules.ignores(options.under, true)) return;
    if (secrets?.matches(options.under, true) || isProtected(absolute)) {
      skip(options.under, 'secret');
      return;
    }
    await visitDirectory(options.under, absolute, [root, absolute]);
  } else {
    await visitDirectory('', root, [root]);
  }
}

function explainEntry(
  rules: IgnoreRules,
  path: string,
  isDirectory: boolean,
): ExclusionReason | null {
  try {
    return rules.explainEntry(path, isDirectory);
  } catch {
    // A name the ignore library cannot express as a relative path: nothing can match it.
    return null;
  }
}

/** An empty walk result, to pass to `walkRoot`. */
export function emptyWalk(): Omit<ScanResult, 'roots'> {
  return { files: [], skipped: [], ignored: 0, excluded: {}, directories: 0 };
}

/**
 * Lists the indexable files under one or more roots: gitignore semantics (nested `.gitignore`
 * and `.ignore` files, negations, directory-only patterns, `.git/info/exclude`), the built-in
 * excludes, include and exclude globs, a size cap and binary detection. Problems with single
 * paths are reported in `skipped`, never thrown; a root that cannot be read rejects with
 * `INVALID_INPUT`.
 */
export async function scanDirectory(
  roots: string | readonly string[],
  options: ScanOptions = {},
): Promise<ScanResult> {
  const parsed = scanOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new NellieError('INVALID_OPTIONS', z.prettifyError(parsed.error), {
      cause: parsed.error,
    });
  }
  const settings = parsed.data;
  const list = typeof roots === 'string' ? [roots] : [...roots];
  if (list.length === 0) throw new NellieError('INVALID_INPUT', 'Give at least one directory.');
  const result: ScanResult = { roots: [], ...emptyWalk() };
  for (const input of list) {
    const root = await resolveRoot(input);
    result.roots.push(root);
    const rules = await IgnoreRules.load(root, {
      defaultExcludes: settings.defaultExcludes,
      include: settings.include,
      exclude: settings.exclude,
    });
    await walkRoot(
      root,
      {
        rules,
        maxFileBytes: settings.maxFileBytes,
        followSymlinks: settings.followSymlinks,
        sniffContent: settings.sniffContent,
        secrets: settings.excludeSecretFiles ? new SecretFileMatcher() : null,
        logger: options.logger ?? noopLogger,
        signal: options.signal,
      },
      result,
    );
  }
  result.files.sort((a, b) =>
    a.root === b.root ? compare(a.path, b.path) : compare(a.root, b.root),
  );
  return result;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The canonical absolute path of a readable directory, or `INVALID_INPUT`. */
export async function resolveRoot(input: string): Promise<string> {
  if (typeof input !== 'string' || input.trim() === '') {
    throw new NellieError('INVALID_INPUT', 'The directory path is empty.');
  }
  const absolute = resolve(input);
  let canonical: string;
  try {
    canonical = await realpath(absolute);
    const info = await stat(canonical);
    if (!info.isDirectory()) {
      throw new NellieError('INVALID_INPUT', `${absolute} is not a directory.`);
    }
    await readdir(canonical);
  } catch (error) {
    if (NellieError.is(error)) throw error;
    const code = errorCode(error);
    const reason =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES' || code === 'EPERM'
          ? 'cannot be read (permission denied)'
          : 'cannot be read';
    throw new NellieError('INVALID_INPUT', `The directory ${absolute} ${reason}.`, {
      cause: error,
    });
  }
  return canonical;
}

/** True for `.gitignore` and `.ignore` files. */
export function isIgnoreFile(path: string): boolean {
  return ignoreFileNames.has(path.slice(path.lastIndexOf('/') + 1));
}
