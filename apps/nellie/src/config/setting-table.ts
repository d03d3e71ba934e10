import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { apiKeySchema, minApiKeyLength } from './api-keys.ts';
import { defaultDataDir } from './data-dir.ts';

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/** Where embeddings are computed: in this process, or by an OpenAI-compatible endpoint. */
export const embeddingProviders = ['local', 'openai'] as const;

/** The model value that turns semantic search off. */
export const noModel = 'none';
export const defaultModel = 'Xenova/all-MiniLM-L6-v2';

const globList = z.array(z.string().min(1));

/** What browsers send in `Origin`: scheme://host[:port], nothing after it. */
const originPattern = /^[a-z][a-z0-9+.-]*:\/\/(\[[0-9a-f:.]+\]|[a-z0-9.-]{1,253})(:\d{1,5})?$/i;
/** A host name or address with an optional port, as in a `Host` header. */
const hostPattern = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]{1,253})(:\d{1,5})?$/i;

/** Commands differ only in the default log level. */
export type CommandKind = 'server' | 'tool';

export type Kind = 'string' | 'integer' | 'boolean' | 'list' | 'keys' | 'object';

/** The groups of settings; commands take the flags of the groups they use. */
export type SettingGroup = 'store' | 'model' | 'indexing' | 'server';

/** Where a computed default comes from. */
export interface DefaultContext {
  env: Record<string, string | undefined>;
  homeDir: string;
  kind: CommandKind;
}

/** One setting: its schema, default, flag, environment variables and meaning, in one place. */
interface SettingDefinition<Schema extends z.ZodType> {
  /** Validates and types the value (the config-file key is the setting's name). */
  schema: Schema;
  /** The default, or how it is computed; `undefined` for settings that are unset by default. */
  default: z.output<Schema> | ((context: DefaultContext) => z.output<Schema>);
  /** The default as the docs state it, when it is computed or not a plain value. */
  defaultText?: string;
  /** The flag as typed, e.g. `--data-dir <dir>`; settings without one are set elsewhere. */
  flag?: string;
  /** The flag may be given several times (each value may also be comma-separated). */
  repeatable?: boolean;
  /** Help of the `--no-…` flag that sets a boolean back to false. */
  negation?: string;
  /** Environment variables, in order of precedence; several add up for `keys`. */
  env?: readonly string[];
  /** How environment and flag strings become values. */
  kind: Kind;
  group?: SettingGroup;
  /** What values are allowed, for error messages. */
  allowed: string;
  /** One line on what it does, for --help and the docs. */
  description: string;
  /** Never printed: redacted in errors and `config check`. */
  secret?: boolean;
  /** Values are paths (or lists of paths) resolved against the file's directory or the cwd. */
  path?: boolean;
}

function setting<Schema extends z.ZodType>(
  definition: SettingDefinition<Schema>,
): SettingDefinition<Schema> {
  return definition;
}

const positive = (max: number) => z.number().int().min(1).max(max);

/**
 * Every setting of Nellie, defined once. The schema, the defaults, the CLI flags, the environment
 * variables, the config-file keys, `nellie config check` and the settings reference in the docs
 * all come from this table.
 */
export const settingTable = {
  dataDir: setting({
    schema: z.string().min(1),
    default: ({ env, homeDir }) => defaultDataDir(env, homeDir),
    defaultText: '`~/.local/share/nellie` (`/var/lib/nellie` under systemd)',
    flag: '--data-dir <dir>',
    env: ['NELLIE_DATA_DIR'],
    kind: 'string',
    group: 'store',
    path: true,
    allowed: 'a directory path',
    description: 'Where the database (nellie.db) and the model cache (models/) live.',
  }),
  database: setting({
    schema: z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// connection string')
      .optional(),
    default: undefined,
    defaultText: 'none (SQLite: nellie.db in the data directory)',
    flag: '--database <url>',
    env: ['NELLIE_DATABASE_URL'],
    kind: 'string',
    group: 'store',
    secret: true,
    allowed: 'a connection string postgres://user:password@host:5432/database',
    description:
      'PostgreSQL database holding everything instead of nellie.db; several servers can share it.',
  }),
  databaseSchema: setting({
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase SQL identifier, e.g. nellie'),
    default: 'nellie',
    flag: '--database-schema <name>',
    env: ['NELLIE_DATABASE_SCHEMA'],
    kind: 'string',
    group: 'store',
    allowed: 'a lowercase SQL identifier, e.g. nellie',
    description: "PostgreSQL schema holding Nellie's tables (created when missing).",
  }),
  databaseMaxConnections: setting({
    schema: positive(100),
    default: 10,
    flag: '--database-max-connections <n>',
    env: ['NELLIE_DATABASE_MAX_CONNECTIONS'],
    kind: 'integer',
    group: 'store',
    allowed: 'an integer from 1 to 100',
    description: 'Connections each Nellie process keeps open to PostgreSQL at most.',
  }),
  databaseIdleConnectionSeconds: setting({
    schema: z.number().int().min(0).max(86_400),
    default: 600,
    flag: '--database-idle-connection-seconds <n>',
    env: ['NELLIE_DATABASE_IDLE_CONNECTION_SECONDS'],
    kind: 'integer',
    group: 'store',
    allowed: 'an integer from 0 to 86400',
    description:
      'Seconds an unused PostgreSQL connection stays open (0: until the process stops); a search on new connections takes about twice as long.',
  }),
  databaseVectorIndex: setting({
    schema: z.enum(['auto', 'pgvector', 'memory']),
    default: 'auto',
    flag: '--database-vector-index <mode>',
    env: ['NELLIE_DATABASE_VECTOR_INDEX'],
    kind: 'string',
    group: 'store',
    allowed: 'auto, pgvector or memory',
    description:
      'Vector search on PostgreSQL: pgvector (HNSW in the database; required), memory (each server holds the vectors) or auto (pgvector when available).',
  }),
  databaseVectorIndexDir: setting({
    schema: z.string().min(1).optional(),
    default: undefined,
    defaultText: 'none (the index is kept in memory only)',
    flag: '--database-vector-index-dir <dir>',
    env: ['NELLIE_DATABASE_VECTOR_INDEX_DIR'],
    kind: 'string',
    group: 'store',
    path: true,
    allowed: 'a directory path',
    description:
      'With the memory vector index on PostgreSQL: a directory where each server saves its HNSW index and loads it at start, catching up instead of rebuilding.',
  }),
  host: setting({
    schema: z.string().min(1),
    default: '127.0.0.1',
    flag: '--host <address>',
    env: ['NELLIE_HOST'],
    kind: 'string',
    group: 'server',
    allowed: 'a host name or IP address',
    description: 'Address the HTTP server binds to.',
  }),
  port: setting({
    schema: z.number().int().min(0).max(65_535),
    default: 8080,
    flag: '--port <port>',
    env: ['NELLIE_PORT'],
    kind: 'integer',
    group: 'server',
    allowed: 'an integer from 0 to 65535 (0 picks a free port)',
    description: 'TCP port of the HTTP server (0 picks a free one).',
  }),
  logLevel: setting({
    schema: z.enum(logLevels),
    default: ({ kind }) => (kind === 'server' ? 'info' : 'warn'),
    defaultText: '`info` (`warn` for one-shot commands)',
    flag: '--log-level <level>',
    env: ['NELLIE_LOG_LEVEL'],
    kind: 'string',
    group: 'store',
    allowed: logLevels.join(', '),
    description: `Minimum level of the JSON log lines written to stderr: ${logLevels.join(', ')}.`,
  }),
  watch: setting({
    schema: z.array(z.string().min(1)),
    default: [],
    flag: '--watch <dirs>',
    repeatable: true,
    env: ['NELLIE_WATCH_DIRS'],
    kind: 'list',
    group: 'server',
    path: true,
    allowed: 'a comma-separated list of directories',
    description: 'Repositories to index and keep up to date while the server runs.',
  }),
  watchLeaseSeconds: setting({
    schema: z.number().int().min(1).max(3600),
    default: 30,
    flag: '--watch-lease-seconds <n>',
    env: ['NELLIE_WATCH_LEASE_SECONDS'],
    kind: 'integer',
    group: 'server',
    allowed: 'an integer from 1 to 3600',
    description:
      'With --database: a watched repository is watched by one server at a time, and another takes it over this long after that server stops.',
  }),
  jobLeaseSeconds: setting({
    schema: z.number().int().min(1).max(3600),
    default: 30,
    flag: '--job-lease-seconds <n>',
    env: ['NELLIE_JOB_LEASE_SECONDS'],
    kind: 'integer',
    group: 'server',
    allowed: 'an integer from 1 to 3600',
    description:
      'With --database: an index job runs on the one server that claimed it from the database, and another takes it over this long after that server stops.',
  }),
  embeddingThreads: setting({
    schema: positive(64),
    default: () => Math.max(1, Math.min(4, Math.floor(availableParallelism() / 2))),
    defaultText: 'half the cores, 1 to 4',
    flag: '--embedding-threads <n>',
    env: ['NELLIE_EMBEDDING_THREADS'],
    kind: 'integer',
    group: 'model',
    allowed: 'an integer from 1 to 64',
    description: 'Worker threads computing embeddings with a local model.',
  }),
  apiKeys: setting({
    schema: z.array(apiKeySchema).superRefine((keys, context) => {
      const seen = new Set<string>();
      for (const key of keys) {
        if (seen.has(key.id)) {
          context.addIssue({ code: 'custom', message: `the key id "${key.id}" is used twice` });
        }
        seen.add(key.id);
      }
    }),
    default: [],
    defaultText: 'none (auth off)',
    flag: '--api-key <key>',
    repeatable: true,
    env: ['NELLIE_API_KEYS', 'NELLIE_API_KEY'],
    kind: 'keys',
    group: 'server',
    secret: true,
    allowed: `"id:secret" or a bare secret of at least ${minApiKeyLength} characters; several are separated by commas in the environment`,
    description:
      'API keys; when any is set every route but /health needs `Authorization: Bearer <secret>`.',
  }),
  allowUnauthenticated: setting({
    schema: z.boolean(),
    default: false,
    flag: '--allow-unauthenticated',
    env: ['NELLIE_ALLOW_UNAUTHENTICATED'],
    kind: 'boolean',
    group: 'server',
    allowed: 'true or false',
    description: 'Allow binding a non-loopback address without API keys.',
  }),
  model: setting({
    schema: z.string().min(1),
    default: defaultModel,
    flag: '--model <id>',
    env: ['NELLIE_MODEL'],
    kind: 'string',
    group: 'model',
    allowed: `a model id such as ${defaultModel}, or "${noModel}" to turn semantic search off`,
    description: `Embedding model for semantic search ("${noModel}": keyword search only); with the openai provider, the endpoint's model name.`,
  }),
  modelDir: setting({
    schema: z.string().min(1).optional(),
    default: undefined,
    flag: '--model-dir <dir>',
    env: ['NELLIE_MODEL_DIR'],
    kind: 'string',
    group: 'model',
    path: true,
    allowed:
      'a directory holding config.json, tokenizer.json and onnx/, a distilled static model, or a composite model (nellie model compose)',
    description: 'Load the model from this directory instead of the model cache.',
  }),
  offline: setting({
    schema: z.boolean(),
    default: false,
    flag: '--offline',
    negation: 'Allow downloading the model when it is missing.',
    env: ['NELLIE_OFFLINE'],
    kind: 'boolean',
    group: 'model',
    allowed: 'true or false',
    description: 'Never download a model; use only local files.',
  }),
  embeddingProvider: setting({
    schema: z.enum(embeddingProviders),
    default: 'local',
    flag: '--embedding-provider <name>',
    env: ['NELLIE_EMBEDDING_PROVIDER'],
    kind: 'string',
    group: 'model',
    allowed: embeddingProviders.join(' or '),
    description:
      'Where embeddings are computed: `local` (an ONNX or static model in this process) or `openai` (an OpenAI-compatible endpoint).',
  }),
  embeddingUrl: setting({
    schema: z.url({ protocol: /^https?$/ }).optional(),
    default: undefined,
    flag: '--embedding-url <url>',
    env: ['NELLIE_EMBEDDING_URL'],
    kind: 'string',
    group: 'model',
    allowed:
      'an http(s) URL ending where `/embeddings` is appended, e.g. http://127.0.0.1:11434/v1',
    description: 'Base URL of the OpenAI-compatible endpoint (openai provider).',
  }),
  embeddingDimensions: setting({
    schema: positive(16_384).optional(),
    default: undefined,
    flag: '--embedding-dimensions <n>',
    env: ['NELLIE_EMBEDDING_DIMENSIONS'],
    kind: 'integer',
    group: 'model',
    allowed: 'an integer from 1 to 16384',
    description: "Width of the endpoint model's vectors (openai provider).",
  }),
  embeddingApiKey: setting({
    schema: z.string().min(1).optional(),
    default: undefined,
    env: ['NELLIE_EMBEDDING_API_KEY'],
    kind: 'string',
    secret: true,
    allowed: 'the API key of the endpoint',
    description:
      'Sent to the endpoint as `Authorization: Bearer <key>` (openai provider); never on the command line.',
  }),
  rateLimit: setting({
    schema: z.number().int().min(0).max(1_000_000),
    default: 1200,
    flag: '--rate-limit <rpm>',
    env: ['NELLIE_RATE_LIMIT'],
    kind: 'integer',
    group: 'server',
    allowed: 'requests per minute as an integer, 0 to turn rate limiting off',
    description: 'Requests per minute per API key (or per client address without auth); 0 = off.',
  }),
  rateLimitBurst: setting({
    schema: positive(1_000_000),
    default: 200,
    flag: '--rate-limit-burst <n>',
    env: ['NELLIE_RATE_LIMIT_BURST'],
    kind: 'integer',
    group: 'server',
    allowed: 'a positive integer',
    description: 'Requests a client may send at once before the per-minute rate applies.',
  }),
  maxBodyBytes: setting({
    schema: z
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024 * 1024),
    default: 1024 * 1024,
    flag: '--max-body-bytes <n>',
    env: ['NELLIE_MAX_BODY_BYTES'],
    kind: 'integer',
    group: 'server',
    allowed: 'an integer from 1024 to 1073741824',
    description: 'Largest accepted request body in bytes.',
  }),
  requestTimeoutMs: setting({
    schema: z.number().int().min(100).max(3_600_000),
    default: 30_000,
    flag: '--request-timeout <ms>',
    env: ['NELLIE_REQUEST_TIMEOUT_MS'],
    kind: 'integer',
    group: 'server',
    allowed: 'milliseconds from 100 to 3600000',
    description: 'Time limit of one HTTP request.',
  }),
  shutdownTimeoutMs: setting({
    schema: z.number().int().min(0).max(600_000),
    default: 10_000,
    flag: '--shutdown-timeout <ms>',
    env: ['NELLIE_SHUTDOWN_TIMEOUT_MS'],
    kind: 'integer',
    group: 'server',
    allowed: 'milliseconds from 0 to 600000',
    description: 'How long a graceful shutdown may take before Nellie exits anyway.',
  }),
  corsOrigins: setting({
    schema: z.array(
      z
        .string()
        .refine(
          (origin) => origin === '*' || originPattern.test(origin),
          'an origin is scheme://host[:port] with no path, such as https://app.example.com (or *)',
        ),
    ),
    default: [],
    defaultText: 'none (CORS off)',
    flag: '--cors-origin <origin>',
    repeatable: true,
    env: ['NELLIE_CORS_ORIGINS'],
    kind: 'list',
    group: 'server',
    allowed: 'origins such as https://example.com, comma-separated in the environment',
    description:
      'Browser origins (`scheme://host[:port]`) allowed to call the API; others cannot write or use MCP.',
  }),
  allowedHosts: setting({
    schema: z.array(
      z
        .string()
        .refine(
          (host) => hostPattern.test(host),
          'a host is a DNS name or address, optionally with :port (no scheme or path)',
        ),
    ),
    default: [],
    defaultText: 'none (loopback names and IP addresses only)',
    flag: '--allowed-host <host>',
    repeatable: true,
    env: ['NELLIE_ALLOWED_HOSTS'],
    kind: 'list',
    group: 'server',
    allowed:
      'host names such as nellie.example.com, optionally with :port, comma-separated in the environment',
    description:
      'Host names the server answers to besides loopback names and IP addresses (a reverse proxy or DNS name); other Host headers get 403.',
  }),
  authFailureLimit: setting({
    schema: z.number().int().min(0).max(1_000_000),
    default: 30,
    flag: '--auth-failure-limit <n>',
    env: ['NELLIE_AUTH_FAILURE_LIMIT'],
    kind: 'integer',
    group: 'server',
    allowed: 'wrong API keys per minute as an integer, 0 to turn the limit off',
    description:
      'Wrong API keys one client address may send per minute before its requests get 429; 0 = off.',
  }),
  mcpSessionIdleMinutes: setting({
    schema: positive(1440),
    default: 10,
    flag: '--mcp-session-idle-minutes <n>',
    env: ['NELLIE_MCP_SESSION_IDLE_MINUTES'],
    kind: 'integer',
    group: 'server',
    allowed: 'minutes from 1 to 1440',
    description: 'An MCP session with no request and no open stream for this long is closed.',
  }),
  mcpHandshakeTimeoutMs: setting({
    schema: z.number().int().min(1000).max(600_000),
    default: 30_000,
    flag: '--mcp-handshake-timeout <ms>',
    env: ['NELLIE_MCP_HANDSHAKE_TIMEOUT_MS'],
    kind: 'integer',
    group: 'server',
    allowed: 'milliseconds from 1000 to 600000',
    description: 'An MCP session whose client never completes initialize is closed after this.',
  }),
  mcpMaxSessions: setting({
    schema: positive(100_000),
    default: 1000,
    flag: '--mcp-max-sessions <n>',
    env: ['NELLIE_MCP_MAX_SESSIONS'],
    kind: 'integer',
    group: 'server',
    allowed: 'an integer from 1 to 100000',
    description: 'MCP sessions open at once on the whole server.',
  }),
  mcpMaxSessionsPerClient: setting({
    schema: positive(100_000),
    default: 50,
    flag: '--mcp-max-sessions-per-client <n>',
    env: ['NELLIE_MCP_MAX_SESSIONS_PER_CLIENT'],
    kind: 'integer',
    group: 'server',
    allowed: 'an integer from 1 to 100000',
    description:
      'MCP sessions one API key (or client address without keys) holds at once; its least recently used idle session makes room for a new one.',
  }),
  maxFileBytes: setting({
    schema: positive(1024 * 1024 * 1024),
    default: 1024 * 1024,
    flag: '--max-file-bytes <n>',
    env: ['NELLIE_MAX_FILE_BYTES'],
    kind: 'integer',
    group: 'indexing',
    allowed: 'a positive integer',
    description: 'Files larger than this many bytes are not indexed.',
  }),
  include: setting({
    schema: globList,
    default: [],
    env: ['NELLIE_INCLUDE'],
    kind: 'list',
    allowed: 'a list of globs (comma-separated in the environment)',
    description: 'Only index files matching these globs (on top of .gitignore and defaults).',
  }),
  exclude: setting({
    schema: globList,
    default: [],
    env: ['NELLIE_EXCLUDE'],
    kind: 'list',
    allowed: 'a list of globs (comma-separated in the environment)',
    description: 'Never index files matching these globs.',
  }),
  repositories: setting({
    schema: z.record(
      z.string().min(1),
      z.strictObject({ include: globList.optional(), exclude: globList.optional() }),
    ),
    default: {},
    defaultText: 'none',
    kind: 'object',
    path: true,
    allowed: 'an object mapping repository root paths to { "include": [...], "exclude": [...] }',
    description: 'Per-repository include and exclude globs (config file only).',
  }),
  allowRoots: setting({
    schema: z.array(z.string().min(1)),
    default: [],
    defaultText: 'the `--watch` directories and configured `repositories`',
    flag: '--allow-root <dir>',
    repeatable: true,
    env: ['NELLIE_ALLOW_ROOTS'],
    kind: 'list',
    group: 'indexing',
    path: true,
    allowed:
      'directories (comma-separated in the environment); never /, /etc, /proc, /var or the data directory',
    description:
      'Directories below which MCP and REST clients may index new repositories, besides the watched and configured ones.',
  }),
  indexSecrets: setting({
    schema: z.boolean(),
    default: false,
    flag: '--index-secrets',
    env: ['NELLIE_INDEX_SECRETS'],
    kind: 'boolean',
    group: 'indexing',
    allowed: 'true or false',
    description:
      'Also index files named like secrets (.env, private keys, .npmrc, credential files), which are skipped by default.',
  }),
  defaultExcludes: setting({
    schema: z.boolean(),
    default: true,
    env: ['NELLIE_DEFAULT_EXCLUDES'],
    kind: 'boolean',
    allowed: 'true or false',
    description:
      'Apply the built-in excludes (node_modules, top-level dist/build/out/target, lock files…); false indexes them, and `exclude` lists what to leave out instead.',
  }),
};

type SettingTable = typeof settingTable;
export type SettingKey = keyof SettingTable;
export type AnySetting = SettingDefinition<z.ZodType>;

export const settingKeys = Object.keys(settingTable) as SettingKey[];

export function definitionOf(key: string): AnySetting | undefined {
  return Object.hasOwn(settingTable, key) ? settingTable[key as SettingKey] : undefined;
}

/** The one schema of Nellie's settings, from the table. */
export const settingsSchema = z.strictObject(
  Object.fromEntries(settingKeys.map((key) => [key, settingTable[key].schema])) as {
    [Key in SettingKey]: SettingTable[Key]['schema'];
  },
);

export type Settings = z.output<typeof settingsSchema>;

export type SettingSource = 'default' | 'file' | 'env' | 'flag';

export interface SettingOrigin {
  source: SettingSource;
  /** The environment variable, flag or file the value came from; empty for defaults. */
  name: string;
}

/** commander's option name of a flag: `--data-dir <dir>` → `dataDir`. */
export function flagName(flags: string): string {
  return flags
    .split(' ')[0]!
    .replace(/^--/, '')
    .replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
