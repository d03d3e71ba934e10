import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';
import { alwaysExcludedDirectories, defaultExcludePatterns } from './default-excludes.ts';

/** File names whose change alters which files are indexed. */
export const ignoreFileNames: ReadonlySet<string> = new Set(['.gitignore', '.ignore']);

export interface IgnoreRulesOptions {
  /**
   * Apply the built-in excludes (dependencies, build outputs, lock files…): `true` for the
   * built-in list, `false` for none, or a list of gitignore patterns that replaces it.
   */
  defaultExcludes: boolean | readonly string[];
  /** Globs relative to the root; when non-empty, only matching files are indexed. */
  include: readonly string[];
  /** Globs relative to the root that are never indexed. */
  exclude: readonly string[];
}

/** The rules of one ignore file. */
class RuleSet {
  private readonly text: string;
  private readonly matcher: Ignore;
  /** Variants that re-include given ancestor directories, by parent path. */
  private readonly rebased = new Map<string, Ignore>();

  constructor(text: string) {
    this.text = text;
    this.matcher = ignore({ ignorecase: ignoreCase }).add(text);
  }

  /**
   * Tests a path relative to the rules' directory. The walk only reaches a path when no
   * ancestor directory is excluded overall, yet these rules alone may exclude an ancestor that
   * rules of higher precedence re-included (`!build/` over a default `build/`). Such an
   * inherited verdict is discarded: the path is tested as if its ancestors were re-included.
   */
  test(relative: string): { ignored: boolean; unignored: boolean; rule?: { pattern: string } } {
    const verdict = this.matcher.test(relative);
    if (!verdict.ignored) return verdict;
    const trimmed = relative.endsWith('/') ? relative.slice(0, -1) : relative;
    const slash = trimmed.lastIndexOf('/');
    if (slash === -1) return verdict;
    const parent = trimmed.slice(0, slash);
    if (!this.matcher.test(`${parent}/`).ignored) return verdict;
    let rebased = this.rebased.get(parent);
    if (!rebased) {
      const parts = parent.split('/');
      const reincluded = parts.map((_, index) => `!/${parts.slice(0, index + 1).join('/')}/`);
      rebased = ignore({ ignorecase: ignoreCase }).add(this.text).add(reincluded);
      this.rebased.set(parent, rebased);
    }
    return rebased.test(relative);
  }
}

interface Level {
  /** `.ignore` files override `.gitignore` files in the same directory. */
  matchers: RuleSet[];
}

/**
 * Why a path is not indexed: its repository's ignore files (or `.git/info/exclude`), a built-in
 * default exclude (with its pattern), the `exclude` globs, the `include` globs it does not match,
 * or a version-control directory that is never entered.
 */
export type ExclusionReason =
  | { kind: 'ignore-file' }
  | { kind: 'default'; pattern: string }
  | { kind: 'exclude-glob' }
  | { kind: 'not-included' }
  | { kind: 'version-control' };

const ignoreCase = process.platform === 'darwin' || process.platform === 'win32';

function parseRules(text: string): RuleSet | null {
  return text.trim() === '' ? null : new RuleSet(text);
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/**
 * The ignore rules of one repository, with git's precedence: a `.gitignore` (or `.ignore`)
 * deeper in the tree overrides those above it, those override `.git/info/exclude`, and that
 * overrides the built-in excludes. Patterns apply relative to the directory of their file;
 * negations, directory-only and anchored patterns follow gitignore(5). Include and exclude globs
 * from the configuration apply on top of all that.
 */
export class IgnoreRules {
  readonly root: string;
  private readonly levels = new Map<string, Level | null>();
  private readonly pending = new Map<string, Promise<void>>();
  /** `.git/info/exclude`, then the default excludes (marked), highest precedence first. */
  private readonly base: { rules: RuleSet; defaults: boolean }[] = [];
  private readonly includeMatcher: ((path: string) => boolean) | null;
  private readonly excludeMatcher: ((path: string) => boolean) | null;

  private constructor(root: string, options: IgnoreRulesOptions) {
    this.root = root;
    const defaults =
      options.defaultExcludes === true
        ? defaultExcludePatterns
        : options.defaultExcludes === false
          ? []
          : options.defaultExcludes;
    if (defaults.length > 0) {
      this.base.push({ rules: new RuleSet(defaults.join('\n')), defaults: true });
    }
    const globOptions = { dot: true, nocase: ignoreCase };
    this.includeMatcher =
      options.include.length > 0 ? picomatch([...options.include], globOptions) : null;
    this.excludeMatcher =
      options.exclude.length > 0 ? picomatch([...options.exclude], globOptions) : null;
  }

  static async load(root: string, options: IgnoreRulesOptions): Promise<IgnoreRules> {
    const rules = new IgnoreRules(root, options);
    const exclude = await readOptional(join(await gitDirectory(root), 'info', 'exclude'));
    const matcher = exclude === null ? null : parseRules(exclude);
    // Highest precedence first.
    if (matcher) rules.base.unshift({ rules: matcher, defaults: false });
    return rules;
  }

  /** Reads the ignore files of a directory (relative, '' for the root) once. */
  loadDirectory(
    directory: string,
    present?: { gitignore: boolean; ignore: boolean },
  ): Promise<void> {
    if (this.levels.has(directory)) return Promise.resolve();
    let loading = this.pending.get(directory);
    if (!loading) {
      loading = (async () => {
        const absolute = directory === '' ? this.root : join(this.root, directory);
        const [ignoreText, gitignoreText] = await Promise.all([
          present && !present.ignore ? null : readOptional(join(absolute, '.ignore')),
          present && !present.gitignore ? null : readOptional(join(absolute, '.gitignore')),
        ]);
        const matchers = [ignoreText, gitignoreText]
          .map((text) => (text === null ? null : parseRules(text)))
          .filter((matcher): matcher is RuleSet => matcher !== null);
        this.levels.set(directory, matchers.length > 0 ? { matchers } : null);
        this.pending.delete(directory);
      })();
      this.pending.set(directory, loading);
    }
    return loading;
  }

  /** Loads the ignore files of every directory above `path`, for checks outside a walk. */
  async loadAncestors(path: string): Promise<void> {
    const parts = path.split('/');
    const loads: Promise<void>[] = [this.loadDirectory('')];
    for (let index = 1; index < parts.length; index += 1) {
      loads.push(this.loadDirectory(parts.slice(0, index).join('/')));
    }
    await Promise.all(loads);
  }

  /**
   * Whether a path (relative, `/`-separated) is excluded by its own name. Directories must be
   * flagged, since patterns ending in `/` match only directories. Assumes the ignore files of
   * its ancestors are loaded; does not check whether an ancestor directory is excluded.
   */
  ignoresEntry(path: string, isDirectory: boolean): boolean {
    return this.explainEntry(path, isDirectory) !== null;
  }

  /** As `ignoresEntry`, saying why: null when the path is not excluded. */
  explainEntry(path: string, isDirectory: boolean): ExclusionReason | null {
    const name = path.slice(path.lastIndexOf('/') + 1);
    // Also a worktree's `.git` file.
    if (alwaysExcludedDirectories.has(name)) return { kind: 'version-control' };
    const tested = isDirectory ? `${path}/` : path;
    let directory = path;
    for (;;) {
      const slash = directory.lastIndexOf('/');
      directory = slash === -1 ? '' : directory.slice(0, slash);
      const level = this.levels.get(directory);
      if (level) {
        const relative = directory === '' ? tested : tested.slice(directory.length + 1);
        for (const matcher of level.matchers) {
          const verdict = matcher.test(relative);
          if (verdict.ignored) return { kind: 'ignore-file' };
          if (verdict.unignored) return this.excludedByGlobs(path, isDirectory);
        }
      }
      if (directory === '') break;
    }
    for (const { rules, defaults } of this.base) {
      const verdict = rules.test(tested);
      if (verdict.ignored) {
        return defaults
          ? { kind: 'default', pattern: verdict.rule?.pattern ?? '' }
          : { kind: 'ignore-file' };
      }
      if (verdict.unignored) break;
    }
    return this.excludedByGlobs(path, isDirectory);
  }

  private excludedByGlobs(path: string, isDirectory: boolean): ExclusionReason | null {
    if (this.excludeMatcher?.(path)) return { kind: 'exclude-glob' };
    if (!isDirectory && this.includeMatcher && !this.includeMatcher(path)) {
      return { kind: 'not-included' };
    }
    return null;
  }

  /** Whether a path or any directory above it is excluded (loads the ignore files it needs). */
  async ignores(path: string, isDirectory: boolean): Promise<boolean> {
    await this.loadAncestors(path);
    const parts = path.split('/');
    for (let index = 1; index < parts.length; index += 1) {
      if (this.ignoresEntry(parts.slice(0, index).join('/'), true)) return true;
    }
    return this.ignoresEntry(path, isDirectory);
  }
}

/** The repository's git directory (`.git`, or where a worktree's `.git` file points). */
async function gitDirectory(root: string): Promise<string> {
  const dotGit = join(root, '.git');
  const pointer = await readOptional(dotGit);
  const match = pointer === null ? null : /^gitdir:\s*(.+)$/m.exec(pointer);
  if (!match) return dotGit;
  const target = match[1]!.trim();
  return target.startsWith('/') ? target : join(root, target);
}
