import ignore from 'ignore';

/**
 * Files and directories whose names suggest credentials. They are never read, whatever the
 * ignore files of the repository say, unless the indexer is configured with
 * `excludeSecretFiles: false`. Written in gitignore syntax; negations keep templates indexed.
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

/** Tells whether a path (relative to a root, `/`-separated) has the name of a secret. */
export class SecretFileMatcher {
  private readonly matcher = ignore({ ignorecase: ignoreCase }).add([...secretFilePatterns]);

  /**
   * True when the entry itself, or a directory above it, is named like a secret. Directories
   * must be flagged, since patterns ending in `/` match only directories.
   */
  matches(path: string, isDirectory: boolean): boolean {
    try {
      return this.matcher.ignores(isDirectory ? `${path}/` : path);
    } catch {
      // A name the ignore library cannot express as a relative path: nothing can match it.
      return false;
    }
  }
}
