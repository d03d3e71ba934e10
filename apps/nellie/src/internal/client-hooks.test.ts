import { describe, expect, it } from 'vitest';
import { installHooks, uninstallHooks } from './client-hooks.ts';
import { curlHookCommand, nodeHookCommand } from './hook-commands.ts';

const options = {
  client: 'codex',
  url: 'http://127.0.0.1:8080',
  agent: "o'brien",
  timeoutMs: 1500,
} as const;
const curl = (event: string) => curlHookCommand({ ...options, event });
const node = (event: string) => nodeHookCommand({ ...options, event }, '/opt/nellie/dist/hook.js');
const olderHook = '/usr/bin/node --no-warnings /opt/nellie/dist/hook.js session-start --url x';

describe('client hook settings', () => {
  it('replaces what any runner (or an older version) installed, and keeps the rest', () => {
    const mine = { hooks: [{ type: 'command', command: 'echo mine' }] };
    const older = { hooks: [{ type: 'command', command: olderHook }] };
    const user = `${JSON.stringify({ hooks: { SessionStart: [older, mine] } }, null, 2)}\n`;
    const withNode = installHooks('codex', user, 'hooks.json', (event) =>
      node(event === 'SessionStart' ? 'session-start' : 'user-prompt-submit'),
    );
    const withCurl = installHooks('codex', withNode, 'hooks.json', (event) =>
      curl(event === 'SessionStart' ? 'session-start' : 'user-prompt-submit'),
    );
    const settings = JSON.parse(withCurl) as {
      hooks: Record<string, { matcher?: string; hooks: { command: string; timeout: number }[] }[]>;
    };
    expect(settings.hooks.SessionStart!.map((group) => group.hooks[0]!.command)).toEqual([
      'echo mine',
      curl('session-start'),
    ]);
    expect(settings.hooks.SessionStart![1]).not.toHaveProperty('matcher');
    expect(settings.hooks.UserPromptSubmit).toEqual([
      { hooks: [{ type: 'command', command: curl('user-prompt-submit'), timeout: 2 }] },
    ]);
    expect(uninstallHooks(withCurl, 'hooks.json')).toBe(
      `${JSON.stringify({ hooks: { SessionStart: [mine] } }, null, 2)}\n`,
    );
  });

  it('writes a curl line that names no key and quotes what the shell must not read', () => {
    const command = curl('user-prompt-submit');
    expect(command).toContain(
      `'http://127.0.0.1:8080/api/v1/hooks/codex/user-prompt-submit?agent=o%27brien'`,
    );
    expect(command).toContain('"${NELLIE_API_KEY:+Authorization: Bearer $NELLIE_API_KEY}"');
    expect(command).toMatch(/ \|\| true$/);
    expect(node('session-start')).toContain(`--agent 'o'\\''brien'`);
  });

  it('refuses a settings file that is not a JSON object', () => {
    expect(() => installHooks('codex', '[1]', 'hooks.json', curl)).toThrow(
      'hooks.json does not hold a JSON object.',
    );
    expect(() => installHooks('claude-code', '{', 'settings.json', curl)).toThrow(
      /settings\.json is not valid JSON/,
    );
  });
});
