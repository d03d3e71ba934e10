import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { NellieError } from '@nellie/core';

/**
 * System directories: never indexed, nor anything inside them, nor any root that contains them
 * (so `/` is refused too). Pseudo file systems, configuration with secrets, boot files.
 */
export const systemDirectories: readonly string[] = [
  '/etc',
  '/proc',
  '/sys',
  '/dev',
  '/boot',
  '/run',
  '/private/etc',
  '/private/var/run',
  '/System',
];

/**
 * Directories far too broad to index as a whole; a repository inside them may be indexed when
 * it is allowed.
 */
export const broadDirectories: readonly string[] = [
  '/',
  '/root',
  '/home',
  '/Users',
  '/var',
  '/var/lib',
  '/var/log',
  '/var/tmp',
  '/var/cache',
  '/usr',
  '/usr/local',
  '/opt',
  '/srv',
  '/mnt',
  '/media',
  '/tmp',
  '/bin',
  '/sbin',
  '/lib',
  '/lib64',
  '/snap',
  '/nix',
  '/private',
  '/private/var',
  '/private/tmp',
  '/Library',
  '/Applications',
  '/Volumes',
];

/** Parents of home directories: a directory right below one of these is someone's home. */
const homeParents: readonly string[] = ['/home', '/Users'];

/** True when `child` is `parent` or lies below it. Both must be absolute and normalised. */
export function isWithin(parent: string, child: string): boolean {
  const path = relative(parent, child);
  return path === '' || (!path.startsWith('..') && !isAbsolute(path));
}

export interface RootPolicyOptions {
  /**
   * Directories (as configured and as resolved with realpath) below which new roots may be
   * indexed; `undefined` allows any directory the other rules allow.
   */
  allowedRoots: readonly string[] | undefined;
  /** Never indexed, nor anything inside them (the server's data directory, its config file). */
  protectedPaths: readonly string[];
  /** Home directories of this machine's users, as resolved with realpath. */
  homeDirectories: readonly string[];
  /** Appended to allow-list refusals: which setting to change. */
  hint: string;
}

/**
 * Decides which directories may be indexed. Paths given to it are absolute and normalised; the
 * indexer checks each request both as given (before touching the file system) and after
 * resolving symbolic links, so neither `..` nor a link can lead outside an allowed root.
 */
export class RootPolicy {
  private readonly allowedRoots: readonly string[] | undefined;
  private readonly protectedPaths: readonly string[];
  private readonly homeDirectories: ReadonlySet<string>;
  private readonly hint: string;

  constructor(options: RootPolicyOptions) {
    this.allowedRoots = options.allowedRoots?.map((root) => resolve(root));
    this.protectedPaths = options.protectedPaths.map((path) => resolve(path));
    this.homeDirectories = new Set(options.homeDirectories.map((path) => resolve(path)));
    this.hint = options.hint;
    for (const root of this.allowedRoots ?? []) {
      const refusal = this.fixedRefusal(root);
      if (refusal !== null) {
        throw new NellieError('INVALID_OPTIONS', `Cannot allow ${root} as a root: ${refusal}`);
      }
    }
  }

  /** True for a path never read: a protected path (the data directory, its config file) or inside one. */
  isProtected(absolutePath: string): boolean {
    return this.protectedPaths.some((path) => isWithin(path, absolutePath));
  }

  /** True when `root` is exactly one of the configured roots. */
  isConfiguredRoot(root: string): boolean {
    return this.allowedRoots?.includes(root) ?? false;
  }

  /**
   * Why `root` may never be indexed, whatever the configuration: a system or overly broad
   * directory, or inside the data directory. Null when none of these applies.
   */
  fixedRefusal(root: string): string | null {
    if (systemDirectories.some((system) => isWithin(system, root) || isWithin(root, system))) {
      return 'it is a system directory or contains one, and Nellie never indexes those.';
    }
    if (broadDirectories.includes(root)) {
      return 'it is too broad to index as a whole; index a repository inside it instead.';
    }
    if (this.protectedPaths.some((path) => isWithin(path, root))) {
      return "it is inside Nellie's data directory, which holds its database and configuration (including API keys) and is never indexed.";
    }
    return null;
  }

  /**
   * Why `root` may not be indexed now, or null when it may. `trusted` roots (configured exactly,
   * or repositories already in the index) may contain the data directory, which the scan then
   * passes over, and may be a home directory.
   */
  refusal(root: string, options: { registered: boolean }): NellieError | null {
    const fixed = this.fixedRefusal(root);
    if (fixed !== null) return notAllowed(root, fixed);
    const trusted = options.registered || this.isConfiguredRoot(root);
    if (!trusted && this.protectedPaths.some((path) => isWithin(root, path))) {
      return notAllowed(
        root,
        `it contains Nellie's data directory, which holds its database and configuration (including API keys). Index a directory that does not contain it, or configure exactly this directory as a root (the scan then passes over the data directory). ${this.hint}`,
      );
    }
    if (!trusted && this.isHomeDirectory(root)) {
      return notAllowed(
        root,
        `it is a home directory, which is indexed as a whole only when configured exactly as a root. Index a repository inside it instead. ${this.hint}`,
      );
    }
    if (
      !options.registered &&
      this.allowedRoots !== undefined &&
      !this.allowedRoots.some((allowed) => isWithin(allowed, root))
    ) {
      return notAllowed(root, `it is outside the directories this server may index. ${this.hint}`);
    }
    return null;
  }

  private isHomeDirectory(root: string): boolean {
    return this.homeDirectories.has(root) || homeParents.includes(dirname(root));
  }
}

function notAllowed(root: string, reason: string): NellieError {
  return new NellieError('PATH_NOT_ALLOWED', `Nellie does not index ${root}: ${reason}`);
}
