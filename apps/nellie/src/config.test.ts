import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  allowedHostsFor,
  checkServeSafety,
  deriveApiKeyId,
  describeConfig,
  indexingRoots,
  parseApiKey,
  resolveConfig,
  type ConfigInputs,
} from './config.ts';

let root: string;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'nellie-config-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const secretA = 'a'.repeat(24);
const secretB = 'b'.repeat(24);

function resolve(inputs: ConfigInputs = {}) {
  return resolveConfig({ cwd: root, homeDir: path.join(root, 'home'), ...inputs });
}

function writeJson(file: string, value: unknown): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

function errorOf(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected an error');
}

describe('resolveConfig', () => {
  it('uses defaults when nothing is configured', () => {
    const { settings, origins, configFile } = resolve();
    expect(settings).toMatchObject({
      dataDir: path.join(root, 'home', '.local', 'share', 'nellie'),
      host: '127.0.0.1',
      port: 8080,
      logLevel: 'warn',
      watch: [],
      apiKeys: [],
      model: 'Xenova/all-MiniLM-L6-v2',
      offline: false,
      allowUnauthenticated: false,
      rateLimit: 1200,
      rateLimitBurst: 200,
      maxBodyBytes: 1024 * 1024,
      requestTimeoutMs: 30_000,
      shutdownTimeoutMs: 10_000,
      maxFileBytes: 1024 * 1024,
      corsOrigins: [],
      allowedHosts: [],
      authFailureLimit: 30,
      mcpSessionIdleMinutes: 10,
      mcpHandshakeTimeoutMs: 30_000,
      mcpMaxSessions: 1000,
      mcpMaxSessionsPerClient: 50,
    });
    expect(settings.modelDir).toBeUndefined();
    expect(origins.port).toEqual({ source: 'default', name: '' });
    expect(configFile).toBeNull();
    expect(resolve({ kind: 'server' }).settings.logLevel).toBe('info');
  });

  it('follows XDG_DATA_HOME and systemd STATE_DIRECTORY for the default data directory', () => {
    expect(resolve({ env: { XDG_DATA_HOME: '/xdg' } }).settings.dataDir).toBe('/xdg/nellie');
    expect(
      resolve({ env: { XDG_DATA_HOME: '/xdg', STATE_DIRECTORY: '/var/lib/nellie' } }).settings
        .dataDir,
    ).toBe('/var/lib/nellie');
  });

  it('applies defaults < file < env < flags and remembers each source', () => {
    const file = writeJson(path.join(root, 'conf', 'nellie.json'), {
      port: 7000,
      host: '127.0.0.2',
      logLevel: 'debug',
      model: 'from-file/model',
      watch: ['repo-a'],
    });
    const { settings, origins, configFile, configFileOrigin } = resolve({
      flags: { config: file, port: '9000' },
      env: { NELLIE_PORT: '8000', NELLIE_LOG_LEVEL: 'error' },
    });
    expect(configFile).toBe(file);
    expect(configFileOrigin).toEqual({ source: 'flag', name: '--config' });
    expect(settings.port).toBe(9000);
    expect(origins.port).toEqual({ source: 'flag', name: '--port' });
    expect(settings.logLevel).toBe('error');
    expect(origins.logLevel).toEqual({ source: 'env', name: 'NELLIE_LOG_LEVEL' });
    expect(settings.host).toBe('127.0.0.2');
    expect(origins.host).toEqual({ source: 'file', name: file });
    expect(settings.model).toBe('from-file/model');
    // Paths in a config file are relative to the file.
    expect(settings.watch).toEqual([path.join(root, 'conf', 'repo-a')]);
    expect(origins.dataDir.source).toBe('default');
  });

  it('reads NELLIE_CONFIG, and <dataDir>/config.json when no file is named', () => {
    const named = writeJson(path.join(root, 'named.json'), { port: 1234 });
    expect(resolve({ env: { NELLIE_CONFIG: named } }).settings.port).toBe(1234);

    const dataDir = path.join(root, 'data');
    writeJson(path.join(dataDir, 'config.json'), { port: 4321 });
    const fromDataDir = resolve({ flags: { dataDir } });
    expect(fromDataDir.settings.port).toBe(4321);
    expect(fromDataDir.configFile).toBe(path.join(dataDir, 'config.json'));
    // An explicit file wins over the data directory's.
    expect(resolve({ flags: { dataDir, config: named } }).settings.port).toBe(1234);
  });

  it('parses environment strings: integers, booleans, comma lists and paths', () => {
    const { settings } = resolve({
      env: {
        NELLIE_PORT: ' 0 ',
        NELLIE_OFFLINE: 'yes',
        NELLIE_WATCH_DIRS: 'a, b ,,c',
        NELLIE_DATA_DIR: 'data',
        NELLIE_EMBEDDING_THREADS: '2',
        NELLIE_CORS_ORIGINS: 'https://a.example,https://b.example',
        NELLIE_RATE_LIMIT: '0',
      },
    });
    expect(settings.port).toBe(0);
    expect(settings.offline).toBe(true);
    expect(settings.watch).toEqual(['a', 'b', 'c'].map((name) => path.join(root, name)));
    expect(settings.dataDir).toBe(path.join(root, 'data'));
    expect(settings.embeddingThreads).toBe(2);
    expect(settings.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(settings.rateLimit).toBe(0);
    expect(resolve({ env: { NELLIE_OFFLINE: 'false' } }).settings.offline).toBe(false);
    expect(
      resolve({ env: { NELLIE_OFFLINE: '1' }, flags: { offline: false } }).settings.offline,
    ).toBe(false);
  });

  it('expands ~ in paths and splits repeated comma-separated flags', () => {
    const { settings } = resolve({ flags: { dataDir: '~/nellie', watch: ['x,y', 'z'] } });
    expect(settings.dataDir).toBe(path.join(root, 'home', 'nellie'));
    expect(settings.watch).toEqual(['x', 'y', 'z'].map((name) => path.join(root, name)));
  });

  it('accepts API keys as id:secret or bare secrets from every source', () => {
    const file = writeJson(path.join(root, 'keys.json'), {
      apiKeys: [{ id: 'ci', key: 'c'.repeat(20) }, 'd'.repeat(20)],
    });
    expect(resolve({ flags: { config: file } }).settings.apiKeys).toEqual([
      { id: 'ci', key: 'c'.repeat(20) },
      { id: deriveApiKeyId('d'.repeat(20)), key: 'd'.repeat(20) },
    ]);
    const fromEnv = resolve({
      env: { NELLIE_API_KEYS: `ops:${secretA}`, NELLIE_API_KEY: secretB },
    });
    expect(fromEnv.settings.apiKeys).toEqual([
      { id: 'ops', key: secretA },
      { id: deriveApiKeyId(secretB), key: secretB },
    ]);
    expect(fromEnv.origins.apiKeys).toEqual({
      source: 'env',
      name: 'NELLIE_API_KEYS and NELLIE_API_KEY',
    });
    // Flags replace the environment's keys.
    expect(
      resolve({ env: { NELLIE_API_KEY: secretB }, flags: { apiKey: [`dev:${secretA}`] } }).settings
        .apiKeys,
    ).toEqual([{ id: 'dev', key: secretA }]);
  });

  it('derives short public ids that do not reveal the secret', () => {
    const id = deriveApiKeyId(secretA);
    expect(id).toMatch(/^key-[0-9a-f]{10}$/);
    expect(id).not.toContain(secretA.slice(0, 4));
    expect(deriveApiKeyId(secretA)).toBe(id);
    expect(deriveApiKeyId(secretB)).not.toBe(id);
    // A colon inside a bare secret that does not start with a valid id keeps it whole.
    expect(parseApiKey(`:${secretA}`)).toEqual({
      id: deriveApiKeyId(`:${secretA}`),
      key: `:${secretA}`,
    });
  });
});

describe('resolveConfig errors', () => {
  it('names the setting, the environment variable and what is allowed', () => {
    const error = errorOf(() => resolve({ env: { NELLIE_PORT: 'eighty' } }));
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toContain('Invalid port "eighty" from environment variable NELLIE_PORT');
    expect(error.message).toContain('an integer from 0 to 65535');
  });

  it('rejects a CORS origin that is not scheme://host[:port], naming the setting and flag', () => {
    const error = errorOf(() => resolve({ flags: { corsOrigin: ['not a url'] } }));
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toContain('Invalid corsOrigins ["not a url"] from flag --cors-origin');
    expect(error.message).toContain('scheme://host[:port]');
    for (const origin of ['https://app.example.com/', 'app.example.com', 'https://a.example/x']) {
      expect(errorOf(() => resolve({ env: { NELLIE_CORS_ORIGINS: origin } })).message).toContain(
        'from environment variable NELLIE_CORS_ORIGINS',
      );
    }
    expect(
      resolve({ env: { NELLIE_CORS_ORIGINS: 'https://app.example.com,http://localhost:3000,*' } })
        .settings.corsOrigins,
    ).toEqual(['https://app.example.com', 'http://localhost:3000', '*']);
  });

  it('reads allowed hosts and session and auth limits, and adds a named bind host', () => {
    const { settings } = resolve({
      flags: { allowedHost: ['nellie.example.com', 'alt.example.com:8443'], mcpMaxSessions: '20' },
      env: {
        NELLIE_AUTH_FAILURE_LIMIT: '0',
        NELLIE_MCP_SESSION_IDLE_MINUTES: '5',
        NELLIE_MCP_MAX_SESSIONS_PER_CLIENT: '4',
        NELLIE_MCP_HANDSHAKE_TIMEOUT_MS: '5000',
      },
    });
    expect(settings).toMatchObject({
      allowedHosts: ['nellie.example.com', 'alt.example.com:8443'],
      authFailureLimit: 0,
      mcpSessionIdleMinutes: 5,
      mcpMaxSessions: 20,
      mcpMaxSessionsPerClient: 4,
      mcpHandshakeTimeoutMs: 5000,
    });
    expect(
      errorOf(() => resolve({ flags: { allowedHost: ['https://x.example'] } })).message,
    ).toContain('Invalid allowedHosts');
    expect(allowedHostsFor({ host: 'nellie.lan', allowedHosts: ['a.example'] })).toEqual([
      'a.example',
      'nellie.lan',
    ]);
    expect(allowedHostsFor({ host: '0.0.0.0', allowedHosts: [] })).toEqual([]);
    expect(allowedHostsFor({ host: '::', allowedHosts: [] })).toEqual([]);
    expect(allowedHostsFor({ host: 'localhost', allowedHosts: [] })).toEqual([]);
  });

  it('names the flag for a bad flag value', () => {
    const error = errorOf(() => resolve({ flags: { logLevel: 'loud' } }));
    expect(error.message).toContain('Invalid logLevel "loud" from flag --log-level');
    expect(error.message).toContain('trace, debug, info, warn, error, fatal, silent');
    expect(errorOf(() => resolve({ flags: { port: '70000' } })).message).toContain(
      'from flag --port',
    );
  });

  it('names the config file for bad values and unknown settings', () => {
    const file = writeJson(path.join(root, 'bad.json'), { port: 'x', prot: 1 });
    const error = errorOf(() => resolve({ flags: { config: file } }));
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toContain(`Unknown setting "prot" in config file ${file}`);
    expect(error.message).toContain('did you mean "port"?');
    expect(error.message).toContain(`Invalid port "x" from config file ${file}`);
  });

  it('explains unreadable, malformed and non-object config files', () => {
    const missing = path.join(root, 'missing.json');
    expect(errorOf(() => resolve({ flags: { config: missing } })).message).toBe(
      `Config file ${missing} (from flag --config) does not exist.`,
    );
    expect(errorOf(() => resolve({ env: { NELLIE_CONFIG: missing } })).message).toContain(
      'from environment variable NELLIE_CONFIG',
    );
    const broken = writeJson(path.join(root, 'broken.json'), '{"port": 80,');
    const brokenError = errorOf(() => resolve({ flags: { config: broken } }));
    expect(brokenError.code).toBe('INVALID_OPTIONS');
    expect(brokenError.message).toContain(`Config file ${broken} is not valid JSON`);
    const array = writeJson(path.join(root, 'array.json'), [1]);
    expect(errorOf(() => resolve({ flags: { config: array } })).message).toContain(
      'must hold a JSON object',
    );
    expect(errorOf(() => resolve({ flags: { config: root } })).message).toContain('is a directory');
  });

  it('redacts secrets in errors and rejects short or duplicate keys', () => {
    const short = errorOf(() => resolve({ env: { NELLIE_API_KEY: 'hunter2' } }));
    expect(short.message).toContain('from environment variable NELLIE_API_KEY');
    expect(short.message).toContain('at least 16 characters');
    expect(short.message).not.toContain('hunter2');
    const duplicate = errorOf(() =>
      resolve({ flags: { apiKey: [`same:${secretA}`, `same:${secretB}`] } }),
    );
    expect(duplicate.message).toContain('the key id "same" is used twice');
    expect(duplicate.message).not.toContain(secretA);
  });

  it('reports an invalid boolean with its variable', () => {
    const error = errorOf(() => resolve({ env: { NELLIE_OFFLINE: 'maybe' } }));
    expect(error.message).toContain(
      'Invalid offline "maybe" from environment variable NELLIE_OFFLINE',
    );
    expect(error.message).toContain('true or false');
  });
});

describe('checkServeSafety', () => {
  it('refuses a reachable address without keys unless allowed', () => {
    expect(() => checkServeSafety(resolve({ kind: 'server' }))).not.toThrow();
    const open = resolve({ flags: { host: '0.0.0.0' } });
    const error = errorOf(() => checkServeSafety(open));
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toContain('0.0.0.0 (from flag --host)');
    expect(error.message).toContain('--allow-unauthenticated');
    expect(error.message).toContain('nellie keys create');
    expect(() => checkServeSafety(open, { storedKeys: true })).not.toThrow();
    expect(() =>
      checkServeSafety(resolve({ flags: { host: '0.0.0.0', apiKey: [secretA] } })),
    ).not.toThrow();
    expect(() =>
      checkServeSafety(
        resolve({ flags: { host: '0.0.0.0' }, env: { NELLIE_ALLOW_UNAUTHENTICATED: 'true' } }),
      ),
    ).not.toThrow();
    expect(() => checkServeSafety(resolve({ flags: { host: '::1' } }))).not.toThrow();
  });
});

describe('describeConfig', () => {
  it('lists every setting with its source and never prints a secret', () => {
    const rows = describeConfig(
      resolve({ flags: { apiKey: [`ops:${secretA}`] }, env: { NELLIE_PORT: '9999' } }),
    );
    expect(rows.find((row) => row.setting === 'port')).toEqual({
      setting: 'port',
      value: 9999,
      source: 'env',
      from: 'NELLIE_PORT',
    });
    expect(rows.find((row) => row.setting === 'apiKeys')).toEqual({
      setting: 'apiKeys',
      value: [{ id: 'ops', key: '(redacted)' }],
      source: 'flag',
      from: '--api-key',
    });
    expect(JSON.stringify(rows)).not.toContain(secretA);
  });
});

describe('the openai embedding provider', () => {
  const endpoint = {
    NELLIE_EMBEDDING_PROVIDER: 'openai',
    NELLIE_EMBEDDING_URL: 'http://127.0.0.1:11434/v1',
    NELLIE_MODEL: 'nomic-embed-text',
    NELLIE_EMBEDDING_DIMENSIONS: '768',
    NELLIE_EMBEDDING_API_KEY: secretB,
  };

  it('reads the endpoint settings and redacts its key', () => {
    const config = resolve({ env: endpoint });
    expect(config.settings).toMatchObject({
      embeddingProvider: 'openai',
      embeddingUrl: 'http://127.0.0.1:11434/v1',
      model: 'nomic-embed-text',
      embeddingDimensions: 768,
      embeddingApiKey: secretB,
    });
    const row = describeConfig(config).find((entry) => entry.setting === 'embeddingApiKey');
    expect(row).toMatchObject({ value: '(redacted)', from: 'NELLIE_EMBEDDING_API_KEY' });
  });

  it('names every missing endpoint setting, and the model left at its default', () => {
    const error = errorOf(() =>
      resolve({ env: { NELLIE_EMBEDDING_PROVIDER: 'openai', NELLIE_EMBEDDING_DIMENSIONS: '8' } }),
    );
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toContain('environment variable NELLIE_EMBEDDING_PROVIDER');
    expect(error.message).toContain('NELLIE_EMBEDDING_URL');
    expect(error.message).toContain("the endpoint's model name");
    expect(error.message).not.toContain('NELLIE_EMBEDDING_DIMENSIONS');
  });

  it('rejects an unknown provider and an endpoint that is not http(s)', () => {
    expect(
      errorOf(() => resolve({ env: { NELLIE_EMBEDDING_PROVIDER: 'cohere' } })).message,
    ).toContain('Allowed: local or openai');
    expect(
      errorOf(() => resolve({ env: { ...endpoint, NELLIE_EMBEDDING_URL: 'ftp://x/v1' } })).message,
    ).toContain('Invalid embeddingUrl');
  });
});

describe('indexing roots', () => {
  it('come from --allow-root, NELLIE_ALLOW_ROOTS and allowRoots, resolved like other paths', () => {
    const configFile = writeJson(path.join(root, 'etc', 'nellie.json'), {
      allowRoots: ['repos', '~/src'],
      indexSecrets: true,
    });
    const fromFile = resolve({ flags: { config: configFile } });
    expect(fromFile.settings.allowRoots).toEqual([
      path.join(root, 'etc', 'repos'),
      path.join(root, 'home', 'src'),
    ]);
    expect(fromFile.settings.indexSecrets).toBe(true);

    const fromEnv = resolve({ env: { NELLIE_ALLOW_ROOTS: '/srv/git, work' } });
    expect(fromEnv.settings.allowRoots).toEqual(['/srv/git', path.join(root, 'work')]);
    expect(fromEnv.origins.allowRoots).toEqual({ source: 'env', name: 'NELLIE_ALLOW_ROOTS' });

    const fromFlags = resolve({ flags: { allowRoot: ['/srv/a', '/srv/b'], indexSecrets: true } });
    expect(fromFlags.settings.allowRoots).toEqual(['/srv/a', '/srv/b']);
    expect(fromFlags.origins.allowRoots).toEqual({ source: 'flag', name: '--allow-root' });
    expect(fromFlags.settings.indexSecrets).toBe(true);
  });

  it('apply the built-in excludes unless NELLIE_DEFAULT_EXCLUDES or the config file turns them off', () => {
    expect(resolve().settings.defaultExcludes).toBe(true);
    const fromEnv = resolve({ env: { NELLIE_DEFAULT_EXCLUDES: 'false' } });
    expect(fromEnv.settings.defaultExcludes).toBe(false);
    expect(fromEnv.origins.defaultExcludes).toEqual({
      source: 'env',
      name: 'NELLIE_DEFAULT_EXCLUDES',
    });
    const configFile = writeJson(path.join(root, 'nellie.json'), { defaultExcludes: false });
    expect(resolve({ flags: { config: configFile } }).settings.defaultExcludes).toBe(false);
  });

  it('default to the watched directories and configured repositories, and nothing else', () => {
    const { settings } = resolve();
    expect(settings.allowRoots).toEqual([]);
    expect(settings.indexSecrets).toBe(false);
    expect(indexingRoots(settings)).toEqual([]);
    expect(
      indexingRoots(
        { allowRoots: ['/srv/git'], watch: ['/home/me/api'], repositories: { '/home/me/web': {} } },
        ['/home/me/cli'],
      ),
    ).toEqual(['/srv/git', '/home/me/api', '/home/me/web', '/home/me/cli']);
  });

  it('reject a non-boolean NELLIE_INDEX_SECRETS naming the variable', () => {
    const error = errorOf(() => resolve({ env: { NELLIE_INDEX_SECRETS: 'sometimes' } }));
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toContain('environment variable NELLIE_INDEX_SECRETS');
  });
});
