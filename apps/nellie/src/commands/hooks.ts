import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { NellieError } from '@nellie/core';
import type { CommandContext } from '../cli.ts';
import {
  hookClients,
  hookEvents,
  hookSettingsPath,
  installHooks,
  uninstallHooks,
  type HookClient,
} from '../internal/client-hooks.ts';
import {
  curlHookCommand,
  defaultHookRunner,
  hookRunners,
  nodeHookCommand,
  type HookRunner,
} from '../internal/hook-commands.ts';
import { exitCodes } from '../internal/exit-codes.ts';
import { writeStdout } from '../internal/output.ts';

function scopeOf(options: Record<string, unknown>): 'user' | 'project' {
  const scope = options.scope ?? 'user';
  if (scope !== 'user' && scope !== 'project') {
    throw new NellieError('INVALID_INPUT', '--scope must be user or project.');
  }
  return scope;
}

function clientOf(options: Record<string, unknown>): HookClient {
  const client = hookClients.find((name) => name === options.client);
  if (client === undefined) {
    throw new NellieError(
      'INVALID_INPUT',
      `--client must be ${hookClients.join(' or ')} (other clients: see docs/OPERATOR_GUIDE.md, "Memories in every prompt").`,
    );
  }
  return client;
}

function runnerOf(options: Record<string, unknown>): HookRunner {
  if (options.runner === undefined) return defaultHookRunner();
  const runner = hookRunners.find((name) => name === options.runner);
  if (runner === undefined) {
    throw new NellieError('INVALID_INPUT', `--runner must be ${hookRunners.join(' or ')}.`);
  }
  return runner;
}

/** Gives up, adding nothing, after this long (within the clients' own hook timeouts). */
const hookTimeoutMs = 1500;

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** `nellie hooks install --client claude-code|codex [--scope user|project] [--runner curl|node]` */
export async function runHooksInstall(context: CommandContext): Promise<number> {
  const { config, options } = context;
  const client = clientOf(options);
  const runner = runnerOf(options);
  const file = hookSettingsPath(client, scopeOf(options), process.cwd());
  const host = ['0.0.0.0', '::'].includes(config.settings.host)
    ? '127.0.0.1'
    : config.settings.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.settings.port}`;
  const agent = typeof options.agent === 'string' ? options.agent : client;
  // The Node runner's own entry point beside the CLI: one small file, not the whole CLI.
  const hookScript = path.join(path.dirname(process.argv[1] ?? '.'), 'hook.js');
  const commandFor = (event: keyof typeof hookEvents): string => {
    const command = { client, event: hookEvents[event], url, agent, timeoutMs: hookTimeoutMs };
    return runner === 'curl' ? curlHookCommand(command) : nodeHookCommand(command, hookScript);
  };
  const before = await readText(file);
  const after = installHooks(client, before, file, commandFor);
  await mkdir(path.dirname(file), { recursive: true });
  if (after !== before) await writeFile(file, after);
  await writeStdout(
    `Installed Nellie's SessionStart and UserPromptSubmit hooks in ${file} (server ${url}, runner ${runner}).\n`,
  );
  return exitCodes.ok;
}

/** `nellie hooks uninstall --client claude-code|codex [--scope user|project]` */
export async function runHooksUninstall(context: CommandContext): Promise<number> {
  const client = clientOf(context.options);
  const file = hookSettingsPath(client, scopeOf(context.options), process.cwd());
  const before = await readText(file);
  const after = uninstallHooks(before, file);
  if (after !== null && after !== before) await writeFile(file, after);
  await writeStdout(`Removed Nellie's hooks from ${file}.\n`);
  return exitCodes.ok;
}
