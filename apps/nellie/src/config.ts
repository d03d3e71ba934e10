import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { NellieError } from '@nellie/core';
import { z } from 'zod';

/**
 * Nellie's configuration: defaults < config file < `NELLIE_*` environment variables < flags,
 * validated by one zod schema. Every value remembers where it came from, so errors and
 * `nellie config check` can name the source.
 */

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/** The model value that turns semantic search off. */
export const noModel = 'none';
export const defaultModel = 'Xenova/all-MiniLM-L6-v2';

const minApiKeyLength = 16;
const apiKeyIdPattern = /^[A-Za-z0-9_.-]{1,64}$/;

export interface ApiKey {
  /** Public, non-secret id used in logs, metrics and the audit log. */
  id: string;
  /** The secret itself. */
  key: string;
}

/** Derives a short public id from a bare secret (a truncated sha256, which reveals nothing usable). */
export function deriveApiKeyId(secret: string): string {
  return `key-${createHash('sha256').update(secret).digest('hex').slice(0, 10)}`;
}

/** Parses `id:secret` or a bare secret. */
export function parseApiKey(value: string): ApiKey {
  const separator = value.indexOf(':');
  if (separator > 0) {
    const id = value.slice(0, separator);
    const key = value.slice(separator + 1);
    if (apiKeyIdPattern.test(id) && key.length > 0) return { id, key };
  }
  return { id: deriveApiKeyId(value), key: value };
}

const apiKeySchema = z
  .union([
    z.string().transform(parseApiKey),
    z.strictObject({ id: z.string().optional(), key: z.string() }).transform((value) => ({
      id: value.id ?? deriveApiKeyId(value.key),
      key: value.key,
    })),
  ])
  .pipe(
    z.object({
      id: z
        .string()
        .regex(apiKeyIdPattern, 'a key id may use letters, digits, ".", "_" and "-" (at most 64)'),
      key: z
        .string()
        .min(
          minApiKeyLength,
          `an API key must be at least ${minApiKeyLength} characters (generate one with \`openssl rand -hex 24\`)`,
        )
        .refine((key) => !/\s/.test(key), 'an API key may not contain whitespace'),
    }),
  );

const globList = z.array(z.string().min(1));

/** What browsers send in `Origin`: scheme://host[:port], nothing after it. */
const originPattern = /^[a-z][a-z0-9+.-]*:\/\/(\[[0-9a-f:.]+\]|[a-z0-9.-]{1,253})(:\d{1,5})?$/i;
/** A host name or address with an optional port, as in a `Host` header. */
const hostPattern = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]{1,253})(:\d{1,5})?$/i;

/** The one schema of Nellie's settings. */
export const settingsSchema = z.strictObject({
  dataDir: z.string().min(1),
  host: z.string().min(1),
  port: z.number().int().min(0).max(65_535),
  logLevel: z.enum(logLevels),
  watch: z.array(z.string().min(1)),
  embeddingThreads: z.number().int().min(1).max(64),
  apiKeys: z.array(apiKeySchema).superRefine((keys, context) => {
    const seen = new Set<string>();
    for (const key of keys) {
      if (seen.has(key.id)) {
        context.addIssue({ code: 'custom', message: `the key id "${key.id}" is used twice` });
      }
      seen.add(key.id);
    }
  }),
  allowUnauthenticated: z.boolean(),
  model: z.string().min(1),
  modelDir: z.string().min(1).optional(),
  offline: z.boolean(),
  rateLimit: z.number().int().min(0).max(1_000_000),
  rateLimitBurst: z.number().int().min(1).max(1_000_000),
  maxBodyBytes: z
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024),
  requestTimeoutMs: z.number().int().min(100).max(3_600_000),
  shutdownTimeoutMs: z.number().int().min(0).max(600_000),
  corsOrigins: z.array(
    z
      .string()
      .refine(
        (origin) => origin === '*' || originPattern.test(origin),
        'an origin is scheme://host[:port] with no path, such as https://app.example.com (or *)',
      ),
  ),
  allowedHosts: z.array(
    z
      .string()
      .refine(
        (host) => hostPattern.test(host),
        'a host is a DNS name or address, optionally with :port (no scheme or path)',
      ),
  ),
  authFailureLimit: z.number().int().min(0).max(1_000_000),
  mcpSessionIdleMinutes: z.number().int().min(1).max(1440),
  mcpHandshakeTimeoutMs: z.number().int().min(1000).max(600_000),
  mcpMaxSessions: z.number().int().min(1).max(100_000),
  mcpMaxSessionsPerClient: z.number().int().min(1).max(100_000),
  maxFileBytes: z
    .number()
    .int()
    .min(1)
    .max(1024 * 1024 * 1024),
  include: globList,
  exclude: globList,
  repositories: z.record(
    z.string().min(1),
    z.strictObject({ include: globList.optional(), exclude: globList.optional() }),
  ),
  allowRoots: z.array(z.string().min(1)),
  indexSecrets: z.boolean(),
  defaultExcludes: z.boolean(),
});

export type Settings = z.output<typeof settingsSchema>;
export type SettingKey = keyof Settings;

export type SettingSource = 'default' | 'file' | 'env' | 'flag';

export interface SettingOrigin {
  source: SettingSource;
  /** The environment variable, flag or file the value came from; empty for defaults. */
  name: string;
}

type Kind = 'string' | 'integer' | 'boolean' | 'list' | 'keys' | 'object';

interface SettingSpec {
  /** camelCase option name as commander reports it, when there is a flag. */
  flag?: string;
  /** The flag as typed. */
  flagText?: string;
  env?: readonly string[];
  kind: Kind;
  /** What values are allowed, for error messages. */
  allowed: string;
  description: string;
  secret?: boolean;
  /** Values are paths (or lists of paths) resolved against the file's directory or the cwd. */
  path?: boolean;
}

/** Every setting with its flag, environment variable and meaning. */
export const settingSpecs: Record<SettingKey, SettingSpec> = {
  dataDir: {
    flag: 'dataDir',
    flagText: '--data-dir <dir>',
    env: ['NELLIE_DATA_DIR'],
    kind: 'string',
    path: true,
    allowed: 'a directory path',
    description: 'Where the database (nellie.db) and the model cache (models/) live.',
  },
  host: {
    flag: 'host',
    flagText: '--host <address>',
    env: ['NELLIE_HOST'],
    kind: 'string',
    allowed: 'a host name or IP address',
    description: 'Address the HTTP server binds to.',
  },
  port: {
    flag: 'port',
    flagText: '--port <port>',
    env: ['NELLIE_PORT'],
    kind: 'integer',
    allowed: 'an integer from 0 to 65535 (0 picks a free port)',
    description: 'TCP port of the HTTP server.',
  },
  logLevel: {
    flag: 'logLevel',
    flagText: '--log-level <level>',
    env: ['NELLIE_LOG_LEVEL'],
    kind: 'string',
    allowed: logLevels.join(', '),
    description: 'Minimum level of the JSON log lines written to stderr.',
  },
  watch: {
    flag: 'watch',
    flagText: '--watch <dirs>',
    env: ['NELLIE_WATCH_DIRS'],
    kind: 'list',
    path: true,
    allowed: 'a comma-separated list of directories',
    description: 'Repositories to index and keep up to date while the server runs.',
  },
  embeddingThreads: {
    flag: 'embeddingThreads',
    flagText: '--embedding-threads <n>',
    env: ['NELLIE_EMBEDDING_THREADS'],
    kind: 'integer',
    allowed: 'an integer from 1 to 64',
    description: 'Worker threads computing embeddings.',
  },
  apiKeys: {
    flag: 'apiKey',
    flagText: '--api-key <key>',
    env: ['NELLIE_API_KEYS', 'NELLIE_API_KEY'],
    kind: 'keys',
    secret: true,
    allowed: `"id:secret" or a bare secret of at least ${minApiKeyLength} characters; several are separated by commas in the environment`,
    description:
      'API keys; when any is set every route but /health needs `Authorization: Bearer <secret>`.',
  },
  allowUnauthenticated: {
    flag: 'allowUnauthenticated',
    flagText: '--allow-unauthenticated',
    env: ['NELLIE_ALLOW_UNAUTHENTICATED'],
    kind: 'boolean',
    allowed: 'true or false',
    description: 'Allow binding a non-loopback address without API keys.',
  },
  model: {
    flag: 'model',
    flagText: '--model <id>',
    env: ['NELLIE_MODEL'],
    kind: 'string',
    allowed: `a model id such as ${defaultModel}, or "${noModel}" to turn semantic search off`,
    description: 'Embedding model for semantic search.',
  },
  modelDir: {
    flag: 'modelDir',
    flagText: '--model-dir <dir>',
    env: ['NELLIE_MODEL_DIR'],
    kind: 'string',
    path: true,
    allowed: 'a directory holding config.json, tokenizer.json and onnx/',
    description: 'Load the model from this directory instead of the model cache.',
  },
  offline: {
    flag: 'offline',
    flagText: '--offline',
    env: ['NELLIE_OFFLINE'],
    kind: 'boolean',
    allowed: 'true or false',
    description: 'Never download a model; use only local files.',
  },
  rateLimit: {
    flag: 'rateLimit',
    flagText: '--rate-limit <rpm>',
    env: ['NELLIE_RATE_LIMIT'],
    kind: 'integer',
    allowed: 'requests per minute as an integer, 0 to turn rate limiting off',
    description: 'Requests per minute per API key (or per client address without auth).',
  },
  rateLimitBurst: {
    flag: 'rateLimitBurst',
    flagText: '--rate-limit-burst <n>',
    env: ['NELLIE_RATE_LIMIT_BURST'],
    kind: 'integer',
    allowed: 'a positive integer',
    description: 'Requests a client may send at once before the per-minute rate applies.',
  },
  maxBodyBytes: {
    flag: 'maxBodyBytes',
    flagText: '--max-body-bytes <n>',
    env: ['NELLIE_MAX_BODY_BYTES'],
    kind: 'integer',
    allowed: 'an integer from 1024 to 1073741824',
    description: 'Largest accepted request body.',
  },
  requestTimeoutMs: {
    flag: 'requestTimeout',
    flagText: '--request-timeout <ms>',
    env: ['NELLIE_REQUEST_TIMEOUT_MS'],
    kind: 'integer',
    allowed: 'milliseconds from 100 to 3600000',
    description: 'Time limit of one HTTP request.',
  },
  shutdownTimeoutMs: {
    flag: 'shutdownTimeout',
    flagText: '--shutdown-timeout <ms>',
    env: ['NELLIE_SHUTDOWN_TIMEOUT_MS'],
    kind: 'integer',
    allowed: 'milliseconds from 0 to 600000',
    description: 'How long a graceful shutdown may take before Nellie exits anyway.',
  },
  corsOrigins: {
    flag: 'corsOrigin',
    flagText: '--cors-origin <origin>',
    env: ['NELLIE_CORS_ORIGINS'],
    kind: 'list',
    allowed: 'origins such as https://example.com, comma-separated in the environment',
    description: 'Browser origins allowed to call the API (CORS is off when empty).',
  },
  allowedHosts: {
    flag: 'allowedHost',
    flagText: '--allowed-host <host>',
    env: ['NELLIE_ALLOWED_HOSTS'],
    kind: 'list',
    allowed:
      'host names such as nellie.example.com, optionally with :port, comma-separated in the environment',
    description:
      'Host names the server answers to besides loopback names and IP addresses (list the names a reverse proxy or DNS forwards); other Host headers get 403.',
  },
  authFailureLimit: {
    flag: 'authFailureLimit',
    flagText: '--auth-failure-limit <n>',
    env: ['NELLIE_AUTH_FAILURE_LIMIT'],
    kind: 'integer',
    allowed: 'wrong API keys per minute as an integer, 0 to turn the limit off',
    description:
      'Wrong API keys one client address may send per minute before its requests get 429.',
  },
  mcpSessionIdleMinutes: {
    flag: 'mcpSessionIdleMinutes',
    flagText: '--mcp-session-idle-minutes <n>',
    env: ['NELLIE_MCP_SESSION_IDLE_MINUTES'],
    kind: 'integer',
    allowed: 'minutes from 1 to 1440',
    description: 'An MCP session with no request and no open stream for this long is closed.',
  },
  mcpHandshakeTimeoutMs: {
    flag: 'mcpHandshakeTimeout',
    flagText: '--mcp-handshake-timeout <ms>',
    env: ['NELLIE_MCP_HANDSHAKE_TIMEOUT_MS'],
    kind: 'integer',
    allowed: 'milliseconds from 1000 to 600000',
    description: 'An MCP session whose client never completes initialize is closed after this.',
  },
  mcpMaxSessions: {
    flag: 'mcpMaxSessions',
    flagText: '--mcp-max-sessions <n>',
    env: ['NELLIE_MCP_MAX_SESSIONS'],
    kind: 'integer',
    allowed: 'an integer from 1 to 100000',
    description: 'MCP sessions open at once on the whole server.',
  },
  mcpMaxSessionsPerClient: {
    flag: 'mcpMaxSessionsPerClient',
    flagText: '--mcp-max-sessions-per-client <n>',
    env: ['NELLIE_MCP_MAX_SESSIONS_PER_CLIENT'],
    kind: 'integer',
    allowed: 'an integer from 1 to 100000',
    description:
      'MCP sessions one API key (or client address without keys) holds at once; its least recently used idle session makes room for a new one.',
  },
  maxFileBytes: {
    flag: 'maxFileBytes',
    flagText: '--max-file-bytes <n>',
    env: ['NELLIE_MAX_FILE_BYTES'],
    kind: 'integer',
    allowed: 'a positive integer',
    description: 'Files larger than this are not indexed.',
  },
  include: {
    env: ['NELLIE_INCLUDE'],
    kind: 'list',
    allowed: 'a list of globs (comma-separated in the environment)',
    description: 'Only index files matching these globs (on top of .gitignore and defaults).',
  },
  exclude: {
    env: ['NELLIE_EXCLUDE'],
    kind: 'list',
    allowed: 'a list of globs (comma-separated in the environment)',
    description: 'Never index files matching these globs.',
  },
  repositories: {
    kind: 'object',
    path: true,
    allowed: 'an object mapping repository root paths to { "include": [...], "exclude": [...] }',
    description: 'Per-repository include and exclude globs (config file only).',
  },
  allowRoots: {
    flag: 'allowRoot',
    flagText: '--allow-root <dir>',
    env: ['NELLIE_ALLOW_ROOTS'],
    kind: 'list',
    path: true,
    allowed:
      'directories (comma-separated in the environment); never /, /etc, /proc, /var or the data directory',
    description:
      'Directories below which MCP and REST clients may index new repositories, besides the watched and configured ones.',
  },
  indexSecrets: {
    flag: 'indexSecrets',
    flagText: '--index-secrets',
    env: ['NELLIE_INDEX_SECRETS'],
    kind: 'boolean',
    allowed: 'true or false',
    description:
      'Also index files named like secrets (.env, private keys, .npmrc, credential files), which are skipped by default.',
  },
  defaultExcludes: {
    env: ['NELLIE_DEFAULT_EXCLUDES'],
    kind: 'boolean',
    allowed: 'true or false',
    description:
      'Apply the built-in excludes (node_modules, top-level dist/build/out/target, lock files…). false indexes them; list what you still want left out in exclude.',
  },
};

export const settingKeys = Object.keys(settingSpecs) as SettingKey[];

/** Commands differ only in the default log level. */
export type CommandKind = 'server' | 'tool';

export interface ConfigInputs {
  /** Options as commander parsed them (camelCase names); undefined means not given. */
  flags?: Record<string, unknown>;
  env?: Record<string, string | undefined>;
  cwd?: string;
  homeDir?: string;
  /** `server` (serve, mcp) logs at info by default; `tool` (other commands) at warn. */
  kind?: CommandKind;
  /** Reads a config file; injectable for tests. */
  readFile?: (file: string) => string;
}

export interface ResolvedConfig {
  settings: Settings;
  origins: Record<SettingKey, SettingOrigin>;
  /** The config file that was read, if any. */
  configFile: string | null;
  /** Where the config file path came from, if one was read. */
  configFileOrigin: SettingOrigin | null;
}

interface Layer {
  source: SettingSource;
  /** File path for the file layer. */
  file?: string;
  /** Base directory for relative paths. */
  baseDir: string;
  values: Record<string, unknown>;
  names: Record<string, string>;
}

/** The default data directory: systemd's StateDirectory, else XDG, else ~/.local/share/nellie. */
export function defaultDataDir(env: Record<string, string | undefined>, homeDir: string): string {
  const stateDirectory = env.STATE_DIRECTORY?.split(':')[0];
  if (stateDirectory) return stateDirectory;
  if (env.XDG_DATA_HOME) return path.join(env.XDG_DATA_HOME, 'nellie');
  return path.join(homeDir, '.local', 'share', 'nellie');
}

function defaults(
  env: Record<string, string | undefined>,
  homeDir: string,
  kind: CommandKind,
): Settings {
  return {
    dataDir: defaultDataDir(env, homeDir),
    host: '127.0.0.1',
    port: 8080,
    logLevel: kind === 'server' ? 'info' : 'warn',
    watch: [],
    embeddingThreads: Math.max(1, Math.min(4, Math.floor(availableParallelism() / 2))),
    apiKeys: [],
    allowUnauthenticated: false,
    model: defaultModel,
    modelDir: undefined,
    offline: false,
    rateLimit: 1200,
    rateLimitBurst: 200,
    maxBodyBytes: 1024 * 1024,
    requestTimeoutMs: 30_000,
    shutdownTimeoutMs: 10_000,
    corsOrigins: [],
    allowedHosts: [],
    authFailureLimit: 30,
    mcpSessionIdleMinutes: 10,
    mcpHandshakeTimeoutMs: 30_000,
    mcpMaxSessions: 1000,
    mcpMaxSessionsPerClient: 50,
    maxFileBytes: 1024 * 1024,
    include: [],
    exclude: [],
    repositories: {},
    allowRoots: [],
    indexSecrets: false,
    defaultExcludes: true,
  };
}

function fromString(kind: Kind, raw: string): unknown {
  const text = raw.trim();
  switch (kind) {
    case 'integer':
      return /^-?\d+$/.test(text) ? Number(text) : raw;
    case 'boolean': {
      const lower = text.toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(lower)) return false;
      return raw;
    }
    case 'list':
    case 'keys':
      return text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0);
    case 'object':
      return raw;
    case 'string':
      return text;
  }
}

function originText(origin: SettingOrigin): string {
  switch (origin.source) {
    case 'default':
      return 'the default';
    case 'file':
      return `config file ${origin.name}`;
    case 'env':
      return `environment variable ${origin.name}`;
    case 'flag':
      return `flag ${origin.name}`;
  }
}

function shown(key: string, value: unknown): string {
  if (settingSpecs[key as SettingKey]?.secret) return '(redacted)';
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}

const layerSchema = settingsSchema.partial();

function configError(message: string, cause?: unknown): NellieError {
  return new NellieError('INVALID_OPTIONS', message, cause === undefined ? undefined : { cause });
}

/** Validates one layer; throws naming the setting, the source and what is allowed. */
function parseLayer(layer: Layer): Partial<Settings> {
  const result = layerSchema.safeParse(layer.values);
  if (result.success) return result.data;
  const messages = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys
        .map((unknown) => {
          const suggestion = closest(unknown, settingKeys);
          return `Unknown setting "${unknown}" in ${originText({ source: layer.source, name: layer.file ?? '' })}${
            suggestion ? ` (did you mean "${suggestion}"?)` : ''
          }. Known settings: ${settingKeys.join(', ')}.`;
        })
        .join('\n');
    }
    const key = String(issue.path[0] ?? '');
    const spec = settingSpecs[key as SettingKey];
    const origin: SettingOrigin = { source: layer.source, name: layer.names[key] ?? '' };
    const detail = issue.path.length > 1 ? ` (at ${issue.path.slice(1).join('.')})` : '';
    return `Invalid ${key} ${shown(key, layer.values[key])} from ${originText(origin)}${detail}: ${issue.message}. Allowed: ${spec?.allowed ?? 'see `nellie config check --help`'}.`;
  });
  throw configError([...new Set(messages)].join('\n'), result.error);
}

function resolvePaths(layer: Layer, homeDir: string): void {
  const resolve = (item: string): string =>
    item === '~' || item.startsWith('~/')
      ? path.join(homeDir, item.slice(1))
      : path.resolve(layer.baseDir, item);
  for (const key of Object.keys(layer.values)) {
    if (!settingSpecs[key as SettingKey]?.path) continue;
    const value = layer.values[key];
    if (typeof value === 'string' && value.length > 0) layer.values[key] = resolve(value);
    else if (Array.isArray(value)) {
      layer.values[key] = value.map((item: unknown) =>
        typeof item === 'string' && item.length > 0 ? resolve(item) : item,
      );
    } else if (key === 'repositories' && value && typeof value === 'object') {
      layer.values[key] = Object.fromEntries(
        Object.entries(value).map(([root, rules]) => [resolve(root), rules as unknown]),
      );
    }
  }
}

function envLayer(env: Record<string, string | undefined>, cwd: string): Layer {
  const layer: Layer = { source: 'env', baseDir: cwd, values: {}, names: {} };
  for (const key of settingKeys) {
    const spec = settingSpecs[key];
    for (const name of spec.env ?? []) {
      const raw = env[name];
      if (raw === undefined) continue;
      if (key === 'apiKeys' && layer.values[key] !== undefined) {
        // NELLIE_API_KEYS and NELLIE_API_KEY both add keys.
        layer.values[key] = [
          ...(layer.values[key] as string[]),
          ...(fromString(spec.kind, raw) as string[]),
        ];
        layer.names[key] = `${layer.names[key]} and ${name}`;
        continue;
      }
      layer.values[key] = fromString(spec.kind, raw);
      layer.names[key] = name;
      if (key !== 'apiKeys') break;
    }
  }
  return layer;
}

function flagLayer(flags: Record<string, unknown>, cwd: string): Layer {
  const layer: Layer = { source: 'flag', baseDir: cwd, values: {}, names: {} };
  for (const key of settingKeys) {
    const spec = settingSpecs[key];
    if (!spec.flag) continue;
    let value = flags[spec.flag];
    if (value === undefined) continue;
    if (typeof value === 'string' && spec.kind !== 'string') value = fromString(spec.kind, value);
    if (Array.isArray(value) && (spec.kind === 'list' || spec.kind === 'keys')) {
      value = value.flatMap((item: unknown) =>
        typeof item === 'string' ? (fromString(spec.kind, item) as string[]) : [item],
      );
    }
    layer.values[key] = value;
    layer.names[key] = (spec.flagText ?? `--${spec.flag}`).split(' ')[0]!;
  }
  return layer;
}

function fileLayer(file: string, readFile: (file: string) => string, origin: SettingOrigin): Layer {
  let text: string;
  try {
    text = readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EISDIR'
          ? 'is a directory, not a JSON file'
          : code === 'EACCES'
            ? 'is not readable (permission denied)'
            : `cannot be read (${(error as Error).message})`;
    throw configError(`Config file ${file} (from ${originText(origin)}) ${reason}.`, error);
  }
  let parsed: unknown;
  try {
    // Editors on Windows save UTF-8 with a byte order mark, which JSON.parse refuses.
    parsed = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (error) {
    throw configError(
      `Config file ${file} is not valid JSON: ${(error as Error).message}. It must hold one JSON object such as {"port": 8080}.`,
      error,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw configError(
      `Config file ${file} must hold a JSON object such as {"port": 8080}, not ${Array.isArray(parsed) ? 'an array' : JSON.stringify(parsed)}.`,
    );
  }
  const values = { ...(parsed as Record<string, unknown>) };
  delete values.$schema;
  return {
    source: 'file',
    file,
    baseDir: path.dirname(file),
    values,
    names: Object.fromEntries(Object.keys(values).map((key) => [key, file])),
  };
}

function defaultReadFile(file: string): string {
  return readFileSync(file, 'utf8');
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Merges defaults < config file < environment < flags and validates the result.
 * Throws `INVALID_OPTIONS` with a message naming the setting, its source and what is allowed.
 */
export function resolveConfig(inputs: ConfigInputs = {}): ResolvedConfig {
  const env = inputs.env ?? {};
  const cwd = inputs.cwd ?? process.cwd();
  const homeDir = inputs.homeDir ?? env.HOME ?? cwd;
  const flags = inputs.flags ?? {};
  const readFile = inputs.readFile ?? defaultReadFile;

  const defaultValues = defaults(env, homeDir, inputs.kind ?? 'tool');
  const environment = envLayer(env, cwd);
  const flagValues = flagLayer(flags, cwd);
  resolvePaths(environment, homeDir);
  resolvePaths(flagValues, homeDir);
  const parsedEnv = parseLayer(environment);
  const parsedFlags = parseLayer(flagValues);

  // The config file: --config, else NELLIE_CONFIG, else <dataDir>/config.json when it exists.
  let configFile: string | null = null;
  let configFileOrigin: SettingOrigin | null = null;
  const explicitFlag = flags.config;
  if (typeof explicitFlag === 'string' && explicitFlag.length > 0) {
    configFile = path.resolve(cwd, explicitFlag);
    configFileOrigin = { source: 'flag', name: '--config' };
  } else if (env.NELLIE_CONFIG) {
    configFile = path.resolve(cwd, env.NELLIE_CONFIG);
    configFileOrigin = { source: 'env', name: 'NELLIE_CONFIG' };
  } else {
    const dataDir = parsedFlags.dataDir ?? parsedEnv.dataDir ?? defaultValues.dataDir;
    const candidate = path.join(dataDir, 'config.json');
    if (isFile(candidate)) {
      configFile = candidate;
      configFileOrigin = { source: 'default', name: '' };
    }
  }
  let parsedFile: Partial<Settings> = {};
  let file: Layer | null = null;
  if (configFile && configFileOrigin) {
    file = fileLayer(configFile, readFile, configFileOrigin);
    resolvePaths(file, homeDir);
    parsedFile = parseLayer(file);
  }

  const merged: Record<string, unknown> = { ...defaultValues };
  const origins = Object.fromEntries(
    settingKeys.map((key) => [key, { source: 'default', name: '' } satisfies SettingOrigin]),
  ) as Record<SettingKey, SettingOrigin>;
  const layers: [Layer | null, Partial<Settings>][] = [
    [file, parsedFile],
    [environment, parsedEnv],
    [flagValues, parsedFlags],
  ];
  for (const [layer, parsed] of layers) {
    if (!layer) continue;
    for (const [key, value] of Object.entries(parsed)) {
      if (value === undefined) continue;
      merged[key] = value;
      origins[key as SettingKey] = { source: layer.source, name: layer.names[key] ?? '' };
    }
  }
  const final = settingsSchema.safeParse(merged);
  if (!final.success) {
    // Each layer was valid on its own; this only guards the defaults.
    throw configError(z.prettifyError(final.error), final.error);
  }
  return { settings: final.data, origins, configFile, configFileOrigin };
}

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const normalized = host.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    normalized === 'localhost' ||
    normalized === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(normalized) ||
    normalized === '::ffff:127.0.0.1'
  );
}

/**
 * Host names the HTTP server answers to besides loopback names and IP addresses: the configured
 * ones, plus the bind address when it is a DNS name (`--host nellie.lan`).
 */
export function allowedHostsFor(settings: Pick<Settings, 'host' | 'allowedHosts'>): string[] {
  const bindName = settings.host.replace(/^\[|\]$/g, '');
  const extra = isIP(bindName) === 0 && !isLoopbackHost(bindName) ? [settings.host] : [];
  return [...new Set([...settings.allowedHosts, ...extra])];
}

/**
 * Refuses to serve without authentication on an address other machines can reach, unless the
 * operator opted in.
 */
export function checkServeSafety(config: ResolvedConfig): void {
  const { settings, origins } = config;
  if (
    settings.apiKeys.length === 0 &&
    !settings.allowUnauthenticated &&
    !isLoopbackHost(settings.host)
  ) {
    throw configError(
      `The server would listen on ${settings.host} (from ${originText(origins.host)}) with no API key, so anyone who can reach it could read and change your data. ` +
        'Set an API key (--api-key or NELLIE_API_KEY), bind to 127.0.0.1, or pass --allow-unauthenticated (NELLIE_ALLOW_UNAUTHENTICATED=true) if something in front of Nellie handles authentication.',
    );
  }
}

export interface ConfigRow {
  setting: SettingKey;
  value: unknown;
  source: SettingSource;
  /** The env variable, flag or file; empty for defaults. */
  from: string;
}

/** Effective values with their sources, secrets redacted, for `nellie config check`. */
export function describeConfig(config: ResolvedConfig): ConfigRow[] {
  return settingKeys.map((key) => {
    const value = config.settings[key];
    const redacted =
      key === 'apiKeys'
        ? config.settings.apiKeys.map((apiKey) => ({ id: apiKey.id, key: '(redacted)' }))
        : value;
    return {
      setting: key,
      value: redacted ?? null,
      source: config.origins[key].source,
      from: config.origins[key].name,
    };
  });
}

/**
 * The directories new repositories may be indexed below: the allowed roots, the watched
 * directories and the repositories of the config file, plus any the command line names.
 */
export function indexingRoots(
  settings: Pick<Settings, 'allowRoots' | 'watch' | 'repositories'>,
  extra: readonly string[] = [],
): string[] {
  return [
    ...new Set([
      ...settings.allowRoots,
      ...settings.watch,
      ...Object.keys(settings.repositories),
      ...extra,
    ]),
  ];
}

/** How to let Nellie index another directory; shown when a path is refused. */
export const allowRootHint =
  'To allow it, add it (or a directory above it) with --allow-root <dir> or NELLIE_ALLOW_ROOTS (allowRoots in the config file) and restart Nellie.';

/** The database file of a data directory. */
export function databasePath(settings: Pick<Settings, 'dataDir'>): string {
  return path.join(settings.dataDir, 'nellie.db');
}

/** The model cache of a data directory. */
export function modelCacheDir(settings: Pick<Settings, 'dataDir'>): string {
  return path.join(settings.dataDir, 'models');
}
