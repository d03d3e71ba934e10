import { homedir } from 'node:os';
import path from 'node:path';

/** The clients whose hooks Nellie installs; both read the same `hooks` object and answer shape. */
export const hookClients = ['claude-code', 'codex'] as const;
export type HookClient = (typeof hookClients)[number];

/** The client events Nellie hooks into, and the hook event each runs. */
export const hookEvents = {
  SessionStart: 'session-start',
  UserPromptSubmit: 'user-prompt-submit',
} as const;
export type HookEventName = keyof typeof hookEvents;

/**
 * Where the client reads hooks: Claude Code `~/.claude/settings.json` or
 * `<project>/.claude/settings.json`, Codex `~/.codex/hooks.json` or `<repo>/.codex/hooks.json`.
 */
export function hookSettingsPath(
  client: HookClient,
  scope: 'user' | 'project',
  cwd: string,
): string {
  const base = scope === 'user' ? (process.env.HOME ?? homedir()) : cwd;
  return client === 'codex'
    ? path.join(base, '.codex', 'hooks.json')
    : path.join(base, '.claude', 'settings.json');
}

interface HookCommand {
  type: string;
  command?: string;
  [key: string]: unknown;
}
interface MatcherGroup {
  matcher?: string;
  hooks?: HookCommand[];
  [key: string]: unknown;
}
type Settings = Record<string, unknown> & { hooks?: Record<string, MatcherGroup[]> };

/**
 * Commands Nellie installed: `… nellie … hook[.js] session-start|user-prompt-submit …` (the Node
 * runner) or `… curl … /api/v1/hooks/<client>/session-start|user-prompt-submit …`.
 */
function isNellieCommand(command: unknown): boolean {
  return (
    typeof command === 'string' &&
    ((/nellie/.test(command) &&
      /\bhook(?:\.js)? (?:session-start|user-prompt-submit)\b/.test(command)) ||
      /\bcurl\b.*\/api\/v1\/hooks\/(?:claude-code|codex)\/(?:session-start|user-prompt-submit)\b/.test(
        command,
      ))
  );
}

/** The file's indentation (so a rewrite keeps the user's formatting), two spaces by default. */
function indentationOf(text: string): string | number {
  const indented = /^([ \t]+)\S/m.exec(text);
  return indented?.[1] ?? 2;
}

function parseSettings(text: string | null, file: string): Settings {
  if (text === null || text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${String(error)}); fix it first.`, {
      cause: error,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${file} does not hold a JSON object.`);
  }
  return parsed as Settings;
}

function serialize(settings: Settings, original: string | null): string {
  const trailing = original === null || original.endsWith('\n') ? '\n' : '';
  return JSON.stringify(settings, null, indentationOf(original ?? '')) + trailing;
}

/** Removes Nellie's hook commands, and the groups and events left empty by that. */
function withoutNellie(settings: Settings): Settings {
  const hooks = settings.hooks;
  if (typeof hooks !== 'object' || hooks === null) return settings;
  const kept: Record<string, MatcherGroup[]> = {};
  for (const [event, groups] of Object.entries(hooks)) {
    if (!Array.isArray(groups)) {
      kept[event] = groups;
      continue;
    }
    const remaining = groups.filter(
      (group) =>
        !(
          Array.isArray(group.hooks) &&
          group.hooks.length > 0 &&
          group.hooks.every((hook) => isNellieCommand(hook.command))
        ),
    );
    if (remaining.length > 0) kept[event] = remaining;
  }
  const { hooks: _hooks, ...rest } = settings;
  return Object.keys(kept).length === 0 ? rest : { ...rest, hooks: kept };
}

/**
 * The client's hook settings with Nellie's hooks added (replacing any it added before, so
 * installing twice writes the same file as once). `commandFor` gives the shell command of each
 * event; `timeout` is in seconds for both clients.
 */
export function installHooks(
  client: HookClient,
  text: string | null,
  file: string,
  commandFor: (event: HookEventName) => string,
): string {
  const settings = withoutNellie(parseSettings(text, file));
  const hooks: Record<string, MatcherGroup[]> = { ...(settings.hooks ?? {}) };
  for (const event of Object.keys(hookEvents) as HookEventName[]) {
    const group: MatcherGroup = {
      // Claude Code matches SessionStart on its source; '' matches them all. Codex runs a group
      // without a matcher for every source.
      ...(event === 'SessionStart' && client === 'claude-code' ? { matcher: '' } : {}),
      hooks: [
        { type: 'command', command: commandFor(event), timeout: event === 'SessionStart' ? 5 : 2 },
      ],
    };
    hooks[event] = [...(hooks[event] ?? []), group];
  }
  return serialize({ ...settings, hooks }, text);
}

/** The hook settings without Nellie's hooks; everything else is kept as it was. */
export function uninstallHooks(text: string | null, file: string): string | null {
  if (text === null) return null;
  return serialize(withoutNellie(parseSettings(text, file)), text);
}

/** Quotes a word for the POSIX shell the clients run hook commands with. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
