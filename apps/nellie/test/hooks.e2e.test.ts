import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanEnv,
  createSampleRepo,
  fetchJson,
  jsonRequest,
  killAllServers,
  makeTempDir,
  removeTempDirs,
  runCli,
  startServer,
  waitFor,
  type RunningServer,
} from './helpers.ts';

afterAll(async () => {
  await killAllServers();
  removeTempDirs();
});

const apiKey = 'hooks-e2e-secret-0123456789';
const auth = { authorization: `Bearer ${apiKey}` };

/** Settings a user already has, formatted the way each client's files are. */
const userSettings = {
  'claude-code': `${JSON.stringify(
    {
      model: 'opus',
      permissions: { allow: ['Bash(git status)'] },
      hooks: { UserPromptSubmit: [{ hooks: [{ type: 'command', command: 'echo mine' }] }] },
    },
    null,
    2,
  )}\n`,
  codex: `${JSON.stringify(
    { hooks: { Stop: [{ hooks: [{ type: 'command', command: 'echo done', timeout: 3 }] }] } },
    null,
    4,
  )}`,
};
const settingsPath = {
  'claude-code': path.join('.claude', 'settings.json'),
  codex: path.join('.codex', 'hooks.json'),
};

interface HookSettings {
  hooks: Record<string, { matcher?: string; hooks: { type: string; command: string }[] }[]>;
}
interface HookAnswer {
  hookSpecificOutput: { hookEventName: string; additionalContext: string };
}

/** Runs a hook command as the clients do: through the shell, with its JSON on stdin. */
function runHookCommand(
  command: string,
  input: unknown,
  env: Record<string, string> = { NELLIE_API_KEY: apiKey },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { env: cleanEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(JSON.stringify(input));
  });
}

function nellieCommand(settings: HookSettings, event: string): string {
  const command = settings.hooks[event]!.flatMap((group) => group.hooks).find(
    (hook) => !hook.command.startsWith('echo'),
  )?.command;
  if (command === undefined) throw new Error(`No Nellie hook for ${event}.`);
  return command;
}

let server: RunningServer;
let api: string;
let repo: string;

beforeAll(async () => {
  server = await startServer({ args: ['--api-key', apiKey] });
  api = `${server.url}/api/v1`;
  repo = createSampleRepo();
  const job = await fetchJson(`${api}/index/jobs`, jsonRequest('POST', { path: repo }, auth));
  const jobId = (job.body as { id: string }).id;
  await waitFor(
    async () =>
      (
        (await fetchJson(`${api}/index/jobs/${jobId}`, { headers: auth })).body as {
          state: string;
        }
      ).state === 'succeeded',
    { what: 'the index job' },
  );
  const name = path.basename(repo);
  for (const lesson of [
    { title: 'factorial overflows past 170', content: 'Use BigInt.', severity: 'critical' },
    { title: 'addNumbers must stay pure', content: 'No logging inside.', severity: 'warning' },
    { title: 'Prefer small commits', content: 'Reviews go faster.', severity: 'info' },
  ]) {
    const created = await fetchJson(
      `${api}/lessons`,
      jsonRequest('POST', { ...lesson, repository: name }, auth),
    );
    expect(created.status).toBe(201);
  }
  for (const agent of ['claude-code', 'codex']) {
    await fetchJson(
      `${api}/checkpoints`,
      jsonRequest(
        'POST',
        { agent, workingOn: `Speeding up factorial (${agent})`, repository: name },
        auth,
      ),
    );
  }
});

afterAll(async () => {
  if (server) expect(await server.stop()).toBe(0);
});

describe.each([
  ['claude-code', 'curl'],
  ['claude-code', 'node'],
  ['codex', 'curl'],
  ['codex', 'node'],
] as const)('nellie hooks for %s with the %s runner', (client, runner) => {
  let home: string;
  let settingsFile: string;

  beforeAll(() => {
    home = makeTempDir('nellie-home-');
    settingsFile = path.join(home, settingsPath[client]);
    mkdirSync(path.dirname(settingsFile), { recursive: true });
    writeFileSync(settingsFile, userSettings[client]);
  });

  const hooks = (verb: string, extra: string[] = []) =>
    runCli(
      [
        'hooks',
        verb,
        '--client',
        client,
        '--port',
        String(server.port),
        ...(verb === 'install' ? ['--runner', runner] : []),
        ...extra,
      ],
      { env: cleanEnv({ HOME: home }) },
    );

  it('installs once however often it runs, and uninstalls to the very same bytes', async () => {
    expect((await hooks('install')).code).toBe(0);
    const once = readFileSync(settingsFile, 'utf8');
    expect((await hooks('install')).code).toBe(0);
    expect(readFileSync(settingsFile, 'utf8')).toBe(once);
    const settings = JSON.parse(once) as HookSettings;
    const start = nellieCommand(settings, 'SessionStart');
    expect(start).toContain(`http://127.0.0.1:${server.port}`);
    expect(start).toMatch(runner === 'curl' ? /^\{ printf .* \| curl / : /hook\.js session-start/);
    expect(once).not.toContain(apiKey);
    expect(Object.keys(settings.hooks).sort()).toEqual(
      client === 'codex'
        ? ['SessionStart', 'Stop', 'UserPromptSubmit']
        : ['SessionStart', 'UserPromptSubmit'],
    );

    const removed = await hooks('uninstall');
    expect(removed.code, removed.stderr).toBe(0);
    expect(readFileSync(settingsFile, 'utf8')).toBe(userSettings[client]);

    expect((await hooks('install', ['--scope', 'team'])).code).toBe(2);
    expect((await hooks('install', ['--runner', 'python'])).code).toBe(2);
  });

  it('brings lessons and the checkpoint at session start, relevant lessons with each prompt, and nothing when it cannot', async () => {
    expect((await hooks('install')).code).toBe(0);
    const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as HookSettings;
    const startCommand = nellieCommand(settings, 'SessionStart');
    const promptCommand = nellieCommand(settings, 'UserPromptSubmit');

    const start = await runHookCommand(startCommand, {
      session_id: 's1',
      hook_event_name: 'SessionStart',
      source: 'startup',
      cwd: path.join(repo, 'src'),
    });
    expect(start).toMatchObject({ code: 0, stderr: '' });
    const startContext = (JSON.parse(start.stdout) as HookAnswer).hookSpecificOutput;
    expect(startContext.hookEventName).toBe('SessionStart');
    expect(startContext.additionalContext).toContain('[critical] factorial overflows past 170');
    expect(startContext.additionalContext).toContain('[warning] addNumbers must stay pure');
    expect(startContext.additionalContext).not.toContain('Prefer small commits');
    expect(startContext.additionalContext).toContain(`Speeding up factorial (${client})`);

    const prompt = await runHookCommand(promptCommand, {
      session_id: 's1',
      hook_event_name: 'UserPromptSubmit',
      prompt: 'make factorial handle large inputs',
      cwd: repo,
    });
    expect(prompt).toMatchObject({ code: 0, stderr: '' });
    const promptContext = (JSON.parse(prompt.stdout) as HookAnswer).hookSpecificOutput;
    expect(promptContext.hookEventName).toBe('UserPromptSubmit');
    expect(promptContext.additionalContext).toContain('factorial overflows past 170');

    const silent = { code: 0, stdout: '', stderr: '' };
    // Outside any indexed repository there is nothing to add.
    expect(await runHookCommand(promptCommand, { prompt: 'factorial', cwd: home })).toMatchObject(
      silent,
    );
    // Without the key (authentication is on), nothing either, and no error.
    expect(
      await runHookCommand(promptCommand, { prompt: 'factorial', cwd: repo }, {}),
    ).toMatchObject(silent);
    // With no server answering, the hook adds nothing and does not fail the prompt.
    const down = promptCommand.replace(`127.0.0.1:${server.port}`, '127.0.0.1:9');
    expect(down).not.toBe(promptCommand);
    expect(await runHookCommand(down, { prompt: 'factorial', cwd: repo })).toMatchObject(silent);
    expect((await hooks('uninstall')).code).toBe(0);
  });
});

it('refuses a client it does not know', async () => {
  const answer = await runCli(['hooks', 'install', '--client', 'vim'], { env: cleanEnv() });
  expect(answer.code).toBe(2);
  expect(answer.stderr).toContain('--client must be claude-code or codex');
});
