import { Option } from 'commander';
import type { CommandKind, SettingGroup } from '../config.ts';
import type { Runner } from './command-context.ts';
import { collect, positiveInteger } from './setting-options.ts';

/** A command that runs: its help, arguments, own options and the groups of settings it takes. */
export interface CommandSpec {
  name: string;
  description: string;
  arguments?: readonly (readonly [name: string, description: string])[];
  options?: readonly Option[];
  settings: readonly SettingGroup[];
  kind: CommandKind;
  /** Commands are imported when run, so `--help` and light commands start fast. */
  load: () => Promise<Runner>;
}

/** A command that only groups subcommands, e.g. `repos`. */
export interface CommandGroupSpec {
  name: string;
  description: string;
  subcommands: readonly CommandSpec[];
}

function option<T>(
  flags: string,
  description: string,
  parse?: (value: string, previous: T) => T,
): Option {
  return parse ? new Option(flags, description).argParser(parse) : new Option(flags, description);
}

const json = (description: string) => option('--json', description);

const store: readonly SettingGroup[] = ['store'];
const storeModel: readonly SettingGroup[] = ['store', 'model'];
const storeModelIndexing: readonly SettingGroup[] = ['store', 'model', 'indexing'];
const allSettings: readonly SettingGroup[] = ['store', 'model', 'indexing', 'server'];

const hookOptions = () => [
  option('--client <name>', 'the agent client: claude-code or codex').makeOptionMandatory(),
  option(
    '--scope <scope>',
    'user (~/.claude/settings.json or ~/.codex/hooks.json, default) or project (in the current directory)',
  ),
  option('--runner <runner>', 'curl (default where curl runs, not on Windows) or node'),
  option(
    '--agent <name>',
    "the agent name whose checkpoints start a session (default: the client's name)",
  ),
];

/** Every command of `nellie` but `hook`, in the order of the help; built afresh for each program. */
export function commandTable(): readonly (CommandSpec | CommandGroupSpec)[] {
  return [
    {
      name: 'serve',
      description:
        'Run the server: REST under /api/v1, MCP over Streamable HTTP (/mcp) and SSE (/sse), /health, /ready, /metrics.',
      settings: allSettings,
      kind: 'server',
      load: async () => (await import('../commands/serve.ts')).runServe,
    },
    {
      name: 'index',
      description:
        'Index a repository (incremental) and wait for its embeddings when a model is available.',
      arguments: [['<dir>', 'repository root']],
      options: [
        option('--full', 're-read every file instead of only changed ones'),
        option(
          '--no-wait-embeddings',
          'return once files are indexed, without waiting for vectors',
        ),
        option(
          '--no-wait',
          'with --database: queue the job for the servers and return at once, without following it',
        ),
        option(
          '--in-process',
          'with --database: run the job in this process now instead of queuing it for the servers',
        ),
        json('print the result as JSON'),
      ],
      settings: storeModelIndexing,
      kind: 'tool',
      load: async () => (await import('../commands/index-repo.ts')).runIndex,
    },
    {
      name: 'search',
      description: 'Search indexed code (hybrid keyword + semantic when a model is available).',
      arguments: [['<query>', 'what to look for: words, identifiers or a question']],
      options: [
        option('--limit <n>', 'number of results (default 10, at most 100)', positiveInteger),
        option('--repository <name>', 'only this repository (name or root path)'),
        option('--repo <name>', 'deprecated spelling of --repository').hideHelp(),
        option('--path <glob>', 'only paths matching this glob, e.g. "src/**/*.ts"'),
        option('--language <id>', 'only this language, e.g. typescript'),
        option('--group-by <chunk|file>', 'one result per chunk (default) or per file'),
        option(
          '--mode <auto|keyword>',
          'auto (default): semantic when available; keyword: keyword only',
        ),
        json('print the answer as JSON (the same fields as REST and MCP)'),
      ],
      settings: storeModel,
      kind: 'tool',
      load: async () => (await import('../commands/search.ts')).runSearch,
    },
    {
      name: 'status',
      description: 'Show what is indexed, what waits for embeddings, the model state and version.',
      options: [json('print as JSON')],
      settings: storeModel,
      kind: 'tool',
      load: async () => (await import('../commands/status.ts')).runStatus,
    },
    {
      name: 'backup',
      description: 'Write a consistent copy of the database to a file (safe while a server runs).',
      arguments: [['<file>', 'destination file']],
      options: [
        option('--force', 'overwrite the destination if it exists'),
        json('print the result as JSON'),
      ],
      settings: store,
      kind: 'tool',
      load: async () => (await import('../commands/backup.ts')).runBackup,
    },
    {
      name: 'restore',
      description:
        'Replace the database with a backup after checking its integrity; the old database is kept as nellie.db.bak-<timestamp>.',
      arguments: [['<file>', 'backup file written by `nellie backup`']],
      options: [json('print the result as JSON')],
      settings: store,
      kind: 'tool',
      load: async () => (await import('../commands/backup.ts')).runRestore,
    },
    {
      name: 'migrate',
      description:
        'Copy the data directory into PostgreSQL (--to postgres://…), or PostgreSQL into a data directory (--from postgres://… --to <dir>), vectors included; counts every table on both sides.',
      options: [
        option('--to <target>', 'PostgreSQL URL, or the data directory to create'),
        option('--from <source>', 'PostgreSQL URL to copy from (default: the data directory)'),
        option('--replace-target', 'delete what the target holds first instead of refusing it'),
        option(
          '--drop-anchors',
          "copy although a target that keeps no anchors to code leaves lessons' and checkpoints' anchors behind (SQLite and PostgreSQL both keep them)",
        ),
        option('--batch-size <rows>', 'rows per batch (default 500)', positiveInteger),
        json('print the result as JSON'),
      ],
      settings: store,
      kind: 'tool',
      load: async () => (await import('../commands/migrate.ts')).runMigrate,
    },
    {
      name: 'maintenance',
      description:
        'Check integrity, ANALYZE, optimise the full-text index and VACUUM when worthwhile.',
      options: [
        option('--vacuum <when>', 'when to VACUUM')
          .choices(['auto', 'always', 'never'])
          .default('auto'),
        json('print the report as JSON'),
      ],
      settings: store,
      kind: 'tool',
      load: async () => (await import('../commands/maintenance.ts')).runMaintenance,
    },
    {
      name: 'repos',
      description: 'List, rename and remove repositories.',
      subcommands: [
        {
          name: 'list',
          description:
            'Each repository: name, root, files, chunks, last indexed; MISSING when its root is gone.',
          options: [json('print as JSON')],
          settings: store,
          kind: 'tool',
          load: async () => (await import('../commands/repos.ts')).runReposList,
        },
        {
          name: 'remove',
          description: 'Remove a repository from the index (files on disk are untouched).',
          arguments: [['<name>', 'repository name or absolute root path']],
          options: [json('print as JSON')],
          settings: store,
          kind: 'tool',
          load: async () => (await import('../commands/repos.ts')).runReposRemove,
        },
        {
          name: 'rename',
          description: 'Give a repository a new unique name.',
          arguments: [
            ['<name>', 'repository name or absolute root path'],
            ['<new-name>', 'the new name'],
          ],
          options: [json('print as JSON')],
          settings: store,
          kind: 'tool',
          load: async () => (await import('../commands/repos.ts')).runReposRename,
        },
      ],
    },
    {
      name: 'checkpoints',
      description: "Read agents' checkpoints.",
      subcommands: [
        {
          name: 'recent',
          description:
            'The latest checkpoints, newest first, with what changed in the files they name (and in git) since.',
          options: [
            option('--agent <name>', 'only this agent'),
            option(
              '--repository <name>',
              'only this repository (as named when saved, or its root path)',
            ),
            option('--limit <n>', 'how many (default 10, at most 100)', positiveInteger),
            json('print as JSON'),
          ],
          settings: store,
          kind: 'tool',
          load: async () => (await import('../commands/checkpoints.ts')).runCheckpointsRecent,
        },
      ],
    },
    {
      name: 'keys',
      description:
        'Create, list and revoke API keys of people and services (kept hashed in the database).',
      subcommands: [
        {
          name: 'create',
          description:
            'Create a key and print its secret, once. Scopes: read (search and read), write (also record and change lessons and checkpoints, re-index), admin (also index new directories, remove and rename repositories, read the audit log).',
          arguments: [
            ['<principal>', 'who the key is for (letters, digits, . _ @ -); the audit actor'],
          ],
          options: [
            option('--scope <scope>', 'read, write or admin')
              .choices(['read', 'write', 'admin'])
              .makeOptionMandatory(),
            option(
              '--repository <name>',
              'limit the key to this repository (repeatable; default: every repository)',
              collect,
            ),
            option('--description <text>', 'a note for operators, e.g. "laptop" or "CI"'),
            json('print the key and its secret as JSON'),
          ],
          settings: store,
          kind: 'tool',
          load: async () => (await import('../commands/keys.ts')).runKeysCreate,
        },
        {
          name: 'list',
          description: 'List keys: id, principal, scope, repositories, creation; never a secret.',
          options: [
            option('--principal <name>', 'only the keys of this principal'),
            option('--all', 'include revoked keys'),
            json('print as JSON'),
          ],
          settings: store,
          kind: 'tool',
          load: async () => (await import('../commands/keys.ts')).runKeysList,
        },
        {
          name: 'revoke',
          description:
            'Revoke a key by id; every server on the database refuses it from the next request.',
          arguments: [['<id>', 'the key id `nellie keys list` shows']],
          options: [json('print as JSON')],
          settings: store,
          kind: 'tool',
          load: async () => (await import('../commands/keys.ts')).runKeysRevoke,
        },
      ],
    },
    {
      name: 'config',
      description: 'Inspect the configuration.',
      subcommands: [
        {
          name: 'check',
          description:
            'Validate the configuration and print each effective value with its source (default, file, env, flag); secrets are redacted.',
          options: [json('print as JSON')],
          settings: allSettings,
          kind: 'server',
          load: async () => (await import('../commands/config-check.ts')).runConfigCheck,
        },
      ],
    },
    {
      name: 'model',
      description: 'Manage the embedding model.',
      subcommands: [
        {
          name: 'pull',
          description: 'Download the model into <data-dir>/models and verify it.',
          arguments: [['[model]', 'model id (default: the configured model)']],
          options: [
            option('--revision <rev>', 'model revision (default main)'),
            json('print the result as JSON'),
          ],
          settings: storeModel,
          kind: 'tool',
          load: async () => (await import('../commands/model.ts')).runModelPull,
        },
        {
          name: 'verify',
          description: 'Check that the configured model is complete and loads.',
          options: [json('print the result as JSON')],
          settings: storeModel,
          kind: 'tool',
          load: async () => (await import('../commands/model.ts')).runModelVerify,
        },
        {
          name: 'import',
          description:
            'Copy model files from a directory into <data-dir>/models (for offline machines).',
          arguments: [['<dir>', 'directory holding config.json, tokenizer.json and onnx/']],
          options: [
            option(
              '--no-verify',
              'copy without checking known checksums (for converted or fine-tuned models)',
            ),
            json('print the result as JSON'),
          ],
          settings: storeModel,
          kind: 'tool',
          load: async () => (await import('../commands/model.ts')).runModelImport,
        },
        {
          name: 'reset-vectors',
          description:
            'Delete all stored vectors so another model can be used; they are recomputed by the new model.',
          options: [option('--yes', 'do not ask for confirmation')],
          settings: store,
          kind: 'tool',
          load: async () => (await import('../commands/model.ts')).runResetVectors,
        },
        {
          name: 'distill',
          description:
            'Distil a fast static model (one vector per token) from a transformer model directory, optionally tuned on code; resumable.',
          options: [
            option(
              '--from <dir>',
              'teacher model directory (config.json, tokenizer.json, onnx/)',
            ).makeOptionMandatory(),
            option(
              '--out <dir>',
              'directory to write the static model to; use it with --model-dir',
            ).makeOptionMandatory(),
            option(
              '--teacher-dtype <dtype>',
              'teacher weights: fp32 (better table) or q8 (default fp32)',
            ),
            option('--dimensions <n>', 'table width after PCA (default 256)'),
            option('--batch-size <n>', 'tokens per teacher run (default 1024)'),
            option('--token-limit <n>', 'distil only the first n vocabulary ids (quick trials)'),
            option(
              '--pretokenize <mode>',
              'text preparation before the tokenizer: split-identifiers (camelCase → words) or none',
            ),
            option(
              '--tune-on <dir...>',
              'tune the table on (doc comment → code) pairs mined from these directories; --from may then be a static model',
            ),
            option('--epochs <n>', 'tuning: passes over the pairs (default 2)'),
            option(
              '--tune-batch-size <n>',
              "tuning: pairs per step, each the others' negatives (default 128)",
            ),
            option('--learning-rate <x>', 'tuning: Adagrad step size (default 0.2)'),
            option('--temperature <x>', 'tuning: InfoNCE temperature (default 0.1)'),
            option(
              '--hard-negatives <n>',
              'tuning: pairs keyword search ranks highest for each query, trained as its negatives in the same batch (default 0)',
            ),
            option(
              '--vocabulary-words <n>',
              'tuning: give up to n frequent words of the tuning code that the tokenizer cuts into pieces a row of their own (default 0; 1 KB each at 256 dimensions)',
            ),
            option(
              '--vocabulary-min-texts <n>',
              'tuning: distinct pair texts a word must occur in to get a row with --vocabulary-words (default 5)',
            ),
            option(
              '--extra-pairs <kinds>',
              'tuning: more pairs besides doc comments and names, comma-separated: tests (test names → the functions they call), markdown (sentences naming a symbol → its definition)',
            ),
            option(
              '--seed <n>',
              'tuning: seed of the held-out split and the pair order (default 42)',
            ),
            option(
              '--seeds <n>',
              'tuning: tune n times (seeds --seed, --seed + 1, …) and write the mean table (default 3)',
            ),
            option('--overwrite', 'replace a static model already in --out'),
            json('print the result as JSON'),
          ],
          settings: [],
          kind: 'tool',
          load: async () => (await import('../commands/model.ts')).runModelDistill,
        },
        {
          name: 'compose',
          description:
            'Write a composite model that joins the vectors of several models (a transformer and a static table), each with its share of the similarity.',
          options: [
            option(
              '--out <dir>',
              'directory to write the composite model to; use it with --model-dir',
            ).makeOptionMandatory(),
            option(
              '--part <dir=weight>',
              'a model directory and its weight; give two or more, the weights adding up to 1',
              collect,
            ),
            option('--overwrite', 'replace a composite model already in --out'),
            json('print the result as JSON'),
          ],
          settings: storeModel,
          kind: 'tool',
          load: async () => (await import('../commands/model.ts')).runModelCompose,
        },
      ],
    },
    {
      name: 'mcp',
      description:
        'Serve MCP over stdio straight from the data directory (safe beside `nellie serve`; starts no watchers), or relay stdio to a running server with --url.',
      options: [
        option(
          '--url <url>',
          'relay to the Streamable HTTP endpoint of a running server, e.g. http://127.0.0.1:8080/mcp',
        ),
        option(
          '--api-key <key>',
          'API key for --url ("id:secret" or a bare secret; env NELLIE_API_KEY)',
          collect,
        ),
        option(
          '--shutdown-timeout <ms>',
          'how long a graceful shutdown may take (env NELLIE_SHUTDOWN_TIMEOUT_MS)',
        ),
      ],
      settings: storeModelIndexing,
      kind: 'server',
      load: async () => (await import('../commands/mcp.ts')).runMcp,
    },
    {
      name: 'hooks',
      description:
        "Bring lessons to an agent without being asked: install the client's hooks (session start, each prompt).",
      subcommands: [
        {
          name: 'install',
          description:
            "Write the client's hook configuration: the repository's critical and warning lessons and your latest checkpoint at session start, the lessons relevant to each prompt (installing twice changes nothing).",
          options: hookOptions(),
          settings: ['store', 'server'],
          kind: 'server',
          load: async () => (await import('../commands/hooks.ts')).runHooksInstall,
        },
        {
          name: 'uninstall',
          description: 'Remove exactly the hooks `install` added.',
          options: hookOptions(),
          settings: ['store', 'server'],
          kind: 'server',
          load: async () => (await import('../commands/hooks.ts')).runHooksUninstall,
        },
      ],
    },
  ];
}
