#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { NellieError } from '@nellie/core';
import type { Runner } from './cli/command-context.ts';
import { commandTable, type CommandSpec } from './cli/command-table.ts';
import { addSettingOptions } from './cli/setting-options.ts';
import { resolveConfig, type CommandKind } from './config.ts';
import { exitCodeFor, exitCodes } from './internal/exit-codes.ts';
import { writeStderr } from './internal/output.ts';
import { createAppLogger } from './logger.ts';
import { version } from './version.ts';

export type { CommandContext } from './cli/command-context.ts';

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

/** Adds a command of the table under `parent`. */
function addCommand(parent: Command, spec: CommandSpec): void {
  const command = parent.command(spec.name).description(spec.description);
  for (const [name, description] of spec.arguments ?? []) command.argument(name, description);
  for (const option of spec.options ?? []) command.addOption(option);
  addSettingOptions(command, spec.settings);
  command.action(action(spec.kind, spec.load));
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

  for (const entry of commandTable()) {
    if ('subcommands' in entry) {
      const group = program.command(entry.name).description(entry.description);
      for (const spec of entry.subcommands) addCommand(group, spec);
    } else {
      addCommand(program, entry);
    }
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
