import picomatch from 'picomatch';

/**
 * Files and directories whose names suggest credentials. They are never read, whatever the
 * ignore files of the repository say, unless the indexer is configured with
 * `excludeSecretFiles: false`. Globs on base names; a trailing `/` names a directory, a leading
 * `!` keeps a file that would otherwise match (templates stay indexed).
 */
export const secretFilePatterns: readonly string[] = [
  // Environment files (templates and examples stay indexed)
  '.env',
  '.env.*',
  '!.env.example',
  '!.env.sample',
  '!.env.template',
  '!.env.dist',
  '!.env.defaults',
  '.envrc',
  // Private keys, certificates with keys, key stores
  '*.pem',
  '*.key',
  '*.p12',
  '*.pfx',
  '*.p8',
  '*.ppk',
  '*.keystore',
  '*.jks',
  '*.kdbx',
  'id_rsa',
  'id_dsa',
  'id_ecdsa',
  'id_ed25519',
  'id_ecdsa_sk',
  'id_ed25519_sk',
  '*_rsa',
  '*_dsa',
  '*_ecdsa',
  '*_ed25519',
  // Credential files of tools
  '.npmrc',
  '.pypirc',
  '.netrc',
  '_netrc',
  '.git-credentials',
  '.pgpass',
  '.my.cnf',
  '.htpasswd',
  '.dockercfg',
  'credentials',
  'credentials.json',
  'credentials.yml',
  'credentials.yaml',
  'secrets.*',
  '*.tfstate',
  '*.tfstate.*',
  '*.tfvars',
  // Directories of credentials (home-directory tool state)
  '.ssh/',
  '.gnupg/',
  '.aws/',
  '.azure/',
  '.kube/',
  '.docker/',
];

const ignoreCase = process.platform === 'darwin' || process.platform === 'win32';

/** One regular expression for all globs: one test per name instead of one per pattern. */
function anyOf(
  globs: readonly string[],
  options: picomatch.PicomatchOptions,
): (name: string) => boolean {
  if (globs.length === 0) return () => false;
  const pattern = new RegExp(
    globs.map((glob) => `(?:${picomatch.makeRe(glob, options).source})`).join('|'),
    ignoreCase ? 'i' : '',
  );
  return (name) => pattern.test(name);
}

function fold(name: string): string {
  return ignoreCase ? name.toLowerCase() : name;
}

/**
 * Tells whether a path (relative to a root, `/`-separated) has the name of a secret. Patterns
 * ending in `/` name directories, whose whole tree is secret; the others name files, matched by
 * their base name only, and `!` patterns keep a file (templates such as `.env.example`).
 */
export class SecretFileMatcher {
  private readonly directoryNames: ReadonlySet<string>;
  private readonly isSecretName: (name: string) => boolean;
  private readonly isKeptName: (name: string) => boolean;

  constructor(patterns: readonly string[] = secretFilePatterns) {
    const options = { dot: true, nocase: ignoreCase };
    this.directoryNames = new Set(
      patterns
        .filter((pattern) => pattern.endsWith('/'))
        .map((pattern) => fold(pattern.slice(0, -1))),
    );
    const files = patterns.filter((pattern) => !pattern.endsWith('/') && !pattern.startsWith('!'));
    const kept = patterns
      .filter((pattern) => pattern.startsWith('!'))
      .map((pattern) => pattern.slice(1));
    this.isSecretName = anyOf(files, options);
    this.isKeptName = anyOf(kept, options);
  }

  /**
   * True when the entry is named like a secret, or lies in a directory that is. Directories
   * must be flagged: only the directory names apply to them.
   */
  matches(path: string, isDirectory: boolean): boolean {
    const parts = path.split('/');
    const name = parts.pop() ?? '';
    if (parts.some((part) => this.directoryNames.has(fold(part)))) return true;
    return this.matchesName(name, isDirectory);
  }

  /** Whether a file or directory name alone is a secret's; for walks, whose parents passed. */
  matchesName(name: string, isDirectory: boolean): boolean {
    if (isDirectory) return this.directoryNames.has(fold(name));
    return this.isSecretName(name) && !this.isKeptName(name);
  }
}
