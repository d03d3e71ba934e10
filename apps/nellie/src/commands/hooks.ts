import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { NellieError } from '@nellie/core';
import type { CommandContext } from '../cli.ts';
import {
  claudeSettingsPath,
  hookEvents,
  installClaudeHooks,
  shellQuote,
  uninstallClaudeHooks,
} from '../internal/claude-hooks.ts';
import { exitCodes } from '../internal/exit-codes.ts';
import { writeStdout } from '../internal/output.ts';

function scopeOf(options: Record<string, unknown>): 'user' | 'project' {
  const scope = options.scope ?? 'user';
  if (scope !== 'user' && scope !== 'project') {
    throw new NellieError('INVALID_INPUT', '--scope must be user or project.');
  }
  return scope;
}

function clientOf(options: Record<string, unknown>): void {
  if (options.client !== 'claude-code') {
    throw new NellieError(
      'INVALID_INPUT',
      '--client must be claude-code (other clients: see docs/OPERATOR_GUIDE.md, "Memories in every prompt").',
    );
  }
}

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** `nellie hooks install --client claude-code [--scope user|project]` */
export async function runHooksInstall(context: CommandContext): Promise<number> {
  const { config, options } = context;
  clientOf(options);
  const file = claudeSettingsPath(scopeOf(options), process.cwd());
  const host = ['0.0.0.0', '::'].includes(config.settings.host)
    ? '127.0.0.1'
    : config.settings.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.settings.port}`;
  const agent = typeof options.agent === 'string' ? options.agent : 'claude-code';
  // The hook's own entry point beside the CLI: each prompt starts Node and one small file, not
  // the whole CLI. --no-warnings: nothing of Node's but the context reaches the client.
  const hookScript = path.join(path.dirname(process.argv[1] ?? '.'), 'hook.js');
  const commandFor = (event: keyof typeof hookEvents): string =>
    [
      process.execPath,
      '--no-warnings',
      hookScript,
      hookEvents[event],
      '--url',
      url,
      '--agent',
      agent,
    ]
      .map(shellQuote)
      .join(' ');
  const before = await readText(file);
  const after = installClaudeHooks(before, file, commandFor);
  await mkdir(path.dirname(file), { recursive: true });
  if (after !== before) await writeFile(file, after);
  await writeStdout(
    `Installed Nellie's SessionStart and UserPromptSubmit hooks in ${file} (server ${url}).\n`,
  );
  return exitCodes.ok;
}

/** `nellie hooks uninstall --client claude-code [--scope user|project]` */
export async function runHooksUninstall(context: CommandContext): Promise<number> {
  clientOf(context.options);
  const file = claudeSettingsPath(scopeOf(context.options), process.cwd());
  const before = await readText(file);
  const after = uninstallClaudeHooks(before, file);
  if (after !== null && after !== before) await writeFile(file, after);
  await writeStdout(`Removed Nellie's hooks from ${file}.\n`);
  return exitCodes.ok;
}
