#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { NellieError } from '@nellie/core';
import {
  resolveConfig,
  settingFlags,
  type CommandKind,
  type ResolvedConfig,
  type SettingGroup,
} from './config.ts';
import { exitCodeFor, exitCodes } from './internal/exit-codes.ts';
import { writeStderr } from './internal/output.ts';
import { createAppLogger, type AppLogger } from './logger.ts';
import { version } from './version.ts';

/** What every command receives: its effective configuration and a logger on stderr. */
export interface CommandContext {
  config: ResolvedConfig;
  logger: AppLogger;
  /** The command's own options (not settings), e.g. `--json`. */
  options: Record<string, unknown>;
}

const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new InvalidArgumentError('Expected a positive integer.');
  }
  return Number(value);
}

const groupTitles: Record<SettingGroup, string> = {
  store: 'Configuration:',
  model: 'Model:',
  indexing: 'Indexing:',
  server: 'Server:',
};

/** Adds the flags of a group of settings, as the settings table defines them. */
function addSettingOptions(command: Command, group: SettingGroup): Command {
  const title = groupTitles[group];
  for (const flag of settingFlags(group)) {
    const option = new Option(flag.flags, flag.help).helpGroup(title);
    command.addOption(flag.repeatable ? option.argParser(collect) : option);
    if (flag.negation) {
      command.addOption(new Option(`--no-${flag.flags.slice(2)}`, flag.negation).helpGroup(title));
    }
  }
  return command;
}

function addStoreOptions(command: Command): Command {
  addSettingOptions(command, 'store');
  return command.addOption(
    new Option(
      '--config <file>',
      'JSON config file (env NELLIE_CONFIG; default <data-dir>/config.json when present)',
    ).helpGroup(groupTitles.store),
  );
}

const addModelOptions = (command: Command): Command => addSettingOptions(command, 'model');
const addIndexingOptions = (command: Command): Command => addSettingOptions(command, 'indexing');
const addServerOptions = (command: Command): Command => addSettingOptions(command, 'server');

type Runner = (context: CommandContext, ...args: string[]) => Promise<number>;

/** Commands are imported when run, so `--help` and light commands start fast. */
const commands = {
  serve: async () => (await import('./commands/serve.ts')).runServe,
  index: async () => (await import('./commands/index-repo.ts')).runIndex,
  search: async () => (await import('./commands/search.ts')).runSearch,
  status: async () => (await import('./commands/status.ts')).runStatus,
  backup: async () => (await import('./commands/backup.ts')).runBackup,
  restore: async () => (await import('./commands/backup.ts')).runRestore,
  maintenance: async () => (await import('./commands/maintenance.ts')).runMaintenance,
  migrate: async () => (await import('./commands/migrate.ts')).runMigrate,
  configCheck: async () => (await import('./commands/config-check.ts')).runConfigCheck,
  modelPull: async () => (await import('./commands/model.ts')).runModelPull,
  modelVerify: async () => (await import('./commands/model.ts')).runModelVerify,
  modelImport: async () => (await import('./commands/model.ts')).runModelImport,
  resetVectors: async () => (await import('./commands/model.ts')).runResetVectors,
  modelDistill: async () => (await import('./commands/model.ts')).runModelDistill,
  mcp: async () => (await import('./commands/mcp.ts')).runMcp,
  reposList: async () => (await import('./commands/repos.ts')).runReposList,
  reposRemove: async () => (await import('./commands/repos.ts')).runReposRemove,
  reposRename: async () => (await import('./commands/repos.ts')).runReposRename,
  checkpointsRecent: async () => (await import('./commands/checkpoints.ts')).runCheckpointsRecent,
  keysCreate: async () => (await import('./commands/keys.ts')).runKeysCreate,
  keysList: async () => (await import('./commands/keys.ts')).runKeysList,
  keysRevoke: async () => (await import('./commands/keys.ts')).runKeysRevoke,
  hooksInstall: async () => (await import('./commands/hooks.ts')).runHooksInstall,
  hooksUninstall: async () => (await import('./commands/hooks.ts')).runHooksUninstall,
} satisfies Record<string, () => Promise<Runner>>;

/** Resolves the configuration, creates the logger and runs the command. */
function action(kind: CommandKind, load: () => Promise<Runner>) {
  return async (...received: unknown[]): Promise<void> => {
    const command = received.at(-1) as Command;
    const options = command.opts();
    const args = received
      .slice(0, -2)
      .filter((value): value is string => typeof value === 'string');
    const config = resolveConfig({ flags: options, env: process.env, cwd: process.cwd(), kind });
    const logger = createAppLogger({
      level: config.settings.logLevel,
      base: { command: command.name() },
    });
    const run = await load();
    process.exitCode = await run({ config, logger, options }, ...args);
  };
}

/** Builds the `nellie` command line. */
export function buildProgram(): Command {
  const program = new Command('nellie')
    .description(
      'Nellie: a self-hosted code memory server for AI coding agents (semantic code search, lessons, checkpoints) over MCP, REST and the command line.',
    )
    .version(version, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeErr: (text) => process.stderr.write(text),
      outputError: (text, write) => write(`nellie: ${text.replace(/^error: /, '')}`),
    });

  const serve = program
    .command('serve')
    .description(
      'Run the server: REST under /api/v1, MCP over Streamable HTTP (/mcp) and SSE (/sse), /health, /ready, /metrics.',
    );
  addServerOptions(addIndexingOptions(addModelOptions(addStoreOptions(serve)))).action(
    action('server', commands.serve),
  );

  const index = program
    .command('index')
    .description(
      'Index a repository (incremental) and wait for its embeddings when a model is available.',
    )
    .argument('<dir>', 'repository root')
    .option('--full', 're-read every file instead of only changed ones')
    .option('--no-wait-embeddings', 'return once files are indexed, without waiting for vectors')
    .option('--json', 'print the result as JSON');
  addIndexingOptions(addModelOptions(addStoreOptions(index))).action(
    action('tool', commands.index),
  );

  const search = program
    .command('search')
    .description('Search indexed code (hybrid keyword + semantic when a model is available).')
    .argument('<query>', 'what to look for: words, identifiers or a question')
    .option('--limit <n>', 'number of results (default 10, at most 100)', positiveInteger)
    .option('--repository <name>', 'only this repository (name or root path)')
    .addOption(new Option('--repo <name>', 'deprecated spelling of --repository').hideHelp())
    .option('--path <glob>', 'only paths matching this glob, e.g. "src/**/*.ts"')
    .option('--language <id>', 'only this language, e.g. typescript')
    .option('--group-by <chunk|file>', 'one result per chunk (default) or per file')
    .option(
      '--mode <auto|keyword>',
      'auto (default): semantic when available; keyword: keyword only',
    )
    .option('--json', 'print the answer as JSON (the same fields as REST and MCP)');
  addModelOptions(addStoreOptions(search)).action(action('tool', commands.search));

  const status = program
    .command('status')
    .description('Show what is indexed, what waits for embeddings, the model state and version.')
    .option('--json', 'print as JSON');
  addModelOptions(addStoreOptions(status)).action(action('tool', commands.status));

  const backup = program
    .command('backup')
    .description('Write a consistent copy of the database to a file (safe while a server runs).')
    .argument('<file>', 'destination file')
    .option('--force', 'overwrite the destination if it exists')
    .option('--json', 'print the result as JSON');
  addStoreOptions(backup).action(action('tool', commands.backup));

  const restore = program
    .command('restore')
    .description(
      'Replace the database with a backup after checking its integrity; the old database is kept as nellie.db.bak-<timestamp>.',
    )
    .argument('<file>', 'backup file written by `nellie backup`')
    .option('--json', 'print the result as JSON');
  addStoreOptions(restore).action(action('tool', commands.restore));

  const migrate = program
    .command('migrate')
    .description(
      'Copy the data directory into PostgreSQL (--to postgres://…), or PostgreSQL into a data directory (--from postgres://… --to <dir>), vectors included; counts every table on both sides.',
    )
    .option('--to <target>', 'PostgreSQL URL, or the data directory to create')
    .option('--from <source>', 'PostgreSQL URL to copy from (default: the data directory)')
    .option('--replace-target', 'delete what the target holds first instead of refusing it')
    .option('--drop-anchors', "copy to PostgreSQL although lessons' anchors to code stay behind")
    .option('--batch-size <rows>', 'rows per batch (default 500)', positiveInteger)
    .option('--json', 'print the result as JSON');
  addStoreOptions(migrate).action(action('tool', commands.migrate));

  const maintenance = program
    .command('maintenance')
    .description(
      'Check integrity, ANALYZE, optimise the full-text index and VACUUM when worthwhile.',
    )
    .addOption(
      new Option('--vacuum <when>', 'when to VACUUM')
        .choices(['auto', 'always', 'never'])
        .default('auto'),
    )
    .option('--json', 'print the report as JSON');
  addStoreOptions(maintenance).action(action('tool', commands.maintenance));

  const repos = program.command('repos').description('List, rename and remove repositories.');
  const reposList = repos
    .command('list')
    .description(
      'Each repository: name, root, files, chunks, last indexed; MISSING when its root is gone.',
    )
    .option('--json', 'print as JSON');
  addStoreOptions(reposList).action(action('tool', commands.reposList));
  const reposRemove = repos
    .command('remove')
    .description('Remove a repository from the index (files on disk are untouched).')
    .argument('<name>', 'repository name or absolute root path')
    .option('--json', 'print as JSON');
  addStoreOptions(reposRemove).action(action('tool', commands.reposRemove));
  const reposRename = repos
    .command('rename')
    .description('Give a repository a new unique name.')
    .argument('<name>', 'repository name or absolute root path')
    .argument('<new-name>', 'the new name')
    .option('--json', 'print as JSON');
  addStoreOptions(reposRename).action(action('tool', commands.reposRename));

  const checkpoints = program.command('checkpoints').description("Read agents' checkpoints.");
  const checkpointsRecent = checkpoints
    .command('recent')
    .description(
      'The latest checkpoints, newest first, with what changed in the files they name (and in git) since.',
    )
    .option('--agent <name>', 'only this agent')
    .option('--repository <name>', 'only this repository (as named when saved, or its root path)')
    .option('--limit <n>', 'how many (default 10, at most 100)', positiveInteger)
    .option('--json', 'print as JSON');
  addStoreOptions(checkpointsRecent).action(action('tool', commands.checkpointsRecent));

  const keys = program
    .command('keys')
    .description(
      'Create, list and revoke API keys of people and services (kept hashed in the database).',
    );
  const keysCreate = keys
    .command('create')
    .description(
      'Create a key and print its secret, once. Scopes: read (search and read), write (also record and change lessons and checkpoints, re-index), admin (also index new directories, remove and rename repositories, read the audit log).',
    )
    .argument('<principal>', 'who the key is for (letters, digits, . _ @ -); the audit actor')
    .addOption(
      new Option('--scope <scope>', 'read, write or admin')
        .choices(['read', 'write', 'admin'])
        .makeOptionMandatory(),
    )
    .option(
      '--repository <name>',
      'limit the key to this repository (repeatable; default: every repository)',
      collect,
    )
    .option('--description <text>', 'a note for operators, e.g. "laptop" or "CI"')
    .option('--json', 'print the key and its secret as JSON');
  addStoreOptions(keysCreate).action(action('tool', commands.keysCreate));
  const keysList = keys
    .command('list')
    .description('List keys: id, principal, scope, repositories, creation; never a secret.')
    .option('--principal <name>', 'only the keys of this principal')
    .option('--all', 'include revoked keys')
    .option('--json', 'print as JSON');
  addStoreOptions(keysList).action(action('tool', commands.keysList));
  const keysRevoke = keys
    .command('revoke')
    .description(
      'Revoke a key by id; every server on the database refuses it from the next request.',
    )
    .argument('<id>', 'the key id `nellie keys list` shows')
    .option('--json', 'print as JSON');
  addStoreOptions(keysRevoke).action(action('tool', commands.keysRevoke));

  const configCommand = program.command('config').description('Inspect the configuration.');
  const check = configCommand
    .command('check')
    .description(
      'Validate the configuration and print each effective value with its source (default, file, env, flag); secrets are redacted.',
    )
    .option('--json', 'print as JSON');
  addServerOptions(addIndexingOptions(addModelOptions(addStoreOptions(check)))).action(
    action('server', commands.configCheck),
  );

  const model = program.command('model').description('Manage the embedding model.');
  const pull = model
    .command('pull')
    .description('Download the model into <data-dir>/models and verify it.')
    .argument('[model]', 'model id (default: the configured model)')
    .option('--revision <rev>', 'model revision (default main)')
    .option('--json', 'print the result as JSON');
  addModelOptions(addStoreOptions(pull)).action(action('tool', commands.modelPull));
  const verify = model
    .command('verify')
    .description('Check that the configured model is complete and loads.')
    .option('--json', 'print the result as JSON');
  addModelOptions(addStoreOptions(verify)).action(action('tool', commands.modelVerify));
  const importCommand = model
    .command('import')
    .description('Copy model files from a directory into <data-dir>/models (for offline machines).')
    .argument('<dir>', 'directory holding config.json, tokenizer.json and onnx/')
    .option(
      '--no-verify',
      'copy without checking known checksums (for converted or fine-tuned models)',
    )
    .option('--json', 'print the result as JSON');
  addModelOptions(addStoreOptions(importCommand)).action(action('tool', commands.modelImport));
  const reset = model
    .command('reset-vectors')
    .description(
      'Delete all stored vectors so another model can be used; they are recomputed by the new model.',
    )
    .option('--yes', 'do not ask for confirmation');
  addStoreOptions(reset).action(action('tool', commands.resetVectors));
  model
    .command('distill')
    .description(
      'Distil a fast static model (one vector per token) from a transformer model directory, optionally tuned on code; resumable.',
    )
    .requiredOption('--from <dir>', 'teacher model directory (config.json, tokenizer.json, onnx/)')
    .requiredOption(
      '--out <dir>',
      'directory to write the static model to; use it with --model-dir',
    )
    .option('--teacher-dtype <dtype>', 'teacher weights: fp32 (better table) or q8 (default fp32)')
    .option('--dimensions <n>', 'table width after PCA (default 256)')
    .option('--batch-size <n>', 'tokens per teacher run (default 1024)')
    .option('--token-limit <n>', 'distil only the first n vocabulary ids (quick trials)')
    .option(
      '--pretokenize <mode>',
      'text preparation before the tokenizer: split-identifiers (camelCase → words) or none',
    )
    .option(
      '--tune-on <dir...>',
      'tune the table on (doc comment → code) pairs mined from these directories; --from may then be a static model',
    )
    .option('--epochs <n>', 'tuning: passes over the pairs (default 4)')
    .option(
      '--tune-batch-size <n>',
      "tuning: pairs per step, each the others' negatives (default 128)",
    )
    .option('--learning-rate <x>', 'tuning: Adagrad step size (default 0.05)')
    .option('--temperature <x>', 'tuning: InfoNCE temperature (default 0.1)')
    .option('--seed <n>', 'tuning: seed of the held-out split and the pair order (default 42)')
    .option('--overwrite', 'replace a static model already in --out')
    .option('--json', 'print the result as JSON')
    .action(action('tool', commands.modelDistill));

  const mcp = program
    .command('mcp')
    .description(
      'Serve MCP over stdio straight from the data directory (safe beside `nellie serve`; starts no watchers), or relay stdio to a running server with --url.',
    )
    .option(
      '--url <url>',
      'relay to the Streamable HTTP endpoint of a running server, e.g. http://127.0.0.1:8080/mcp',
    )
    .option(
      '--api-key <key>',
      'API key for --url ("id:secret" or a bare secret; env NELLIE_API_KEY)',
      collect,
    )
    .addOption(
      new Option(
        '--shutdown-timeout <ms>',
        'how long a graceful shutdown may take (env NELLIE_SHUTDOWN_TIMEOUT_MS)',
      ),
    );
  addIndexingOptions(addModelOptions(addStoreOptions(mcp))).action(action('server', commands.mcp));

  const hooks = program
    .command('hooks')
    .description(
      "Bring lessons to an agent without being asked: install the client's hooks (session start, each prompt).",
    );
  for (const [name, description, runner] of [
    [
      'install',
      "Write the client's hook configuration: the repository's critical and warning lessons and your latest checkpoint at session start, the lessons relevant to each prompt (installing twice changes nothing).",
      commands.hooksInstall,
    ],
    ['uninstall', 'Remove exactly the hooks `install` added.', commands.hooksUninstall],
  ] as const) {
    const sub = hooks
      .command(name)
      .description(description)
      .requiredOption('--client <name>', 'the agent client: claude-code or codex')
      .option(
        '--scope <scope>',
        'user (~/.claude/settings.json or ~/.codex/hooks.json, default) or project (in the current directory)',
      )
      .option('--runner <runner>', 'curl (default where curl runs, not on Windows) or node')
      .option(
        '--agent <name>',
        "the agent name whose checkpoints start a session (default: the client's name)",
      );
    addServerOptions(addStoreOptions(sub)).action(action('server', runner));
  }

  program
    .command('hook')
    .description(
      "Run by the client's hooks: reads its JSON on stdin, prints lessons to add as context.",
    )
    .argument('<event>', 'session-start or user-prompt-submit')
    .allowUnknownOption()
    .helpOption(false)
    .action(async () => {
      const { runHookFromArgs } = await import('./hook-runner.ts');
      const at = process.argv.indexOf('hook');
      process.exitCode = await runHookFromArgs(process.argv.slice(at + 1));
    });

  return program;
}

async function main(argv: readonly string[]): Promise<number> {
  // Run as `pnpm nellie …`, the process starts in the repository root; resolve relative paths
  // against the directory the user ran it from.
  if (process.env.npm_lifecycle_event === 'nellie' && process.env.INIT_CWD) {
    process.chdir(process.env.INIT_CWD);
  }
  const program = buildProgram();
  if (argv.length <= 2) {
    program.outputHelp({ error: true });
    return exitCodes.usage;
  }
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : exitCodes.ok;
    // (Each action stores its exit code in process.exitCode.)
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      ) {
        return exitCodes.ok;
      }
      if (error.code === 'commander.executeSubCommandAsync') return error.exitCode;
      // Commander already printed the message.
      return exitCodes.usage;
    }
    if (NellieError.is(error)) {
      await writeStderr(`nellie: ${error.message}\n`);
    } else {
      await writeStderr(
        `nellie: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
    }
    return exitCodeFor(error);
  }
}

// One-shot commands and the servers alike end here, once their work is done and flushed.
void main(process.argv).then((code) => process.exit(code));
