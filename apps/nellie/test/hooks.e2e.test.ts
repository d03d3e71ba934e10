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

/** Settings a user already has, formatted the way Claude Code writes them. */
const userSettings = `${JSON.stringify(
  {
    model: 'opus',
    permissions: { allow: ['Bash(git status)'] },
    hooks: {
      UserPromptSubmit: [{ hooks: [{ type: 'command', command: 'echo mine' }] }],
    },
  },
  null,
  2,
)}\n`;

interface HookSettings {
  hooks: Record<string, { matcher?: string; hooks: { type: string; command: string }[] }[]>;
}

/** Runs a hook command as Claude Code does: through the shell, with its JSON on stdin. */
function runHookCommand(
  command: string,
  input: unknown,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { env: cleanEnv() });
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
  const command = settings.hooks[event]!.flatMap((group) => group.hooks).find((hook) =>
    hook.command.includes('hook.js'),
  )?.command;
  if (command === undefined) throw new Error(`No Nellie hook for ${event}.`);
  return command;
}

describe('nellie hooks for Claude Code', () => {
  let server: RunningServer;
  let api: string;
  let repo: string;
  let home: string;
  let settingsFile: string;

  beforeAll(async () => {
    server = await startServer({});
    api = `${server.url}/api/v1`;
    repo = createSampleRepo();
    const job = await fetchJson(`${api}/index/jobs`, jsonRequest('POST', { path: repo }));
    const jobId = (job.body as { id: string }).id;
    await waitFor(
      async () =>
        ((await fetchJson(`${api}/index/jobs/${jobId}`)).body as { state: string }).state ===
        'succeeded',
      { what: 'the index job' },
    );
    home = makeTempDir('nellie-home-');
    settingsFile = path.join(home, '.claude', 'settings.json');
    mkdirSync(path.dirname(settingsFile), { recursive: true });
    writeFileSync(settingsFile, userSettings);
  });

  afterAll(async () => {
    if (server) expect(await server.stop()).toBe(0);
  });

  const hooks = (verb: string, extra: string[] = []) =>
    runCli(['hooks', verb, '--client', 'claude-code', '--port', String(server.port), ...extra], {
      env: cleanEnv({ HOME: home }),
    });

  it('installs once however often it runs, and uninstalls to the very same bytes', async () => {
    expect((await hooks('install')).code).toBe(0);
    const once = readFileSync(settingsFile, 'utf8');
    expect((await hooks('install')).code).toBe(0);
    expect(readFileSync(settingsFile, 'utf8')).toBe(once);
    const settings = JSON.parse(once) as HookSettings & { model: string };
    expect(settings.model).toBe('opus');
    expect(settings.hooks.UserPromptSubmit).toHaveLength(2);
    expect(settings.hooks.UserPromptSubmit![0]!.hooks[0]!.command).toBe('echo mine');
    expect(nellieCommand(settings, 'SessionStart')).toContain(
      `--url http://127.0.0.1:${server.port}`,
    );

    const removed = await hooks('uninstall');
    expect(removed.code, removed.stderr).toBe(0);
    expect(readFileSync(settingsFile, 'utf8')).toBe(userSettings);

    const unknown = await hooks('install', ['--scope', 'team']);
    expect(unknown.code).toBe(2);
    const otherClient = await runCli(['hooks', 'install', '--client', 'vim'], {
      env: cleanEnv({ HOME: home }),
    });
    expect(otherClient.code).toBe(2);
  });

  it('brings the repository lessons and the latest checkpoint at session start, relevant lessons with each prompt', async () => {
    const name = path.basename(repo);
    for (const lesson of [
      {
        title: 'factorial overflows past 170',
        content: 'Use BigInt for large inputs.',
        severity: 'critical',
      },
      { title: 'addNumbers must stay pure', content: 'No logging inside.', severity: 'warning' },
      { title: 'Prefer small commits', content: 'Reviews go faster.', severity: 'info' },
    ]) {
      const created = await fetchJson(
        `${api}/lessons`,
        jsonRequest('POST', { ...lesson, repository: name }),
      );
      expect(created.status).toBe(201);
    }
    await fetchJson(
      `${api}/checkpoints`,
      jsonRequest('POST', {
        agent: 'claude-code',
        workingOn: 'Speeding up factorial',
        repository: name,
      }),
    );
    expect((await hooks('install')).code).toBe(0);
    const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as HookSettings;

    const start = await runHookCommand(nellieCommand(settings, 'SessionStart'), {
      hook_event_name: 'SessionStart',
      source: 'startup',
      cwd: path.join(repo, 'src'),
    });
    expect(start.code).toBe(0);
    const startContext = (
      JSON.parse(start.stdout) as {
        hookSpecificOutput: { hookEventName: string; additionalContext: string };
      }
    ).hookSpecificOutput;
    expect(startContext.hookEventName).toBe('SessionStart');
    expect(startContext.additionalContext).toContain('[critical] factorial overflows past 170');
    expect(startContext.additionalContext).toContain('[warning] addNumbers must stay pure');
    expect(startContext.additionalContext).not.toContain('Prefer small commits');
    expect(startContext.additionalContext).toContain('Speeding up factorial');

    const prompt = await runHookCommand(nellieCommand(settings, 'UserPromptSubmit'), {
      hook_event_name: 'UserPromptSubmit',
      prompt: 'make factorial handle large inputs',
      cwd: repo,
    });
    expect(prompt.code).toBe(0);
    const promptContext = JSON.parse(prompt.stdout) as {
      hookSpecificOutput: { additionalContext: string };
    };
    expect(promptContext.hookSpecificOutput.additionalContext).toContain(
      'factorial overflows past 170',
    );

    // Outside any indexed repository there is nothing to add.
    const elsewhere = await runHookCommand(nellieCommand(settings, 'UserPromptSubmit'), {
      prompt: 'factorial',
      cwd: home,
    });
    expect(elsewhere).toMatchObject({ code: 0, stdout: '' });

    // With no server answering, the hook adds nothing and does not fail the prompt.
    const down = nellieCommand(settings, 'UserPromptSubmit').replace(
      `--url http://127.0.0.1:${server.port}`,
      '--url http://127.0.0.1:9',
    );
    const silent = await runHookCommand(down, { prompt: 'factorial', cwd: repo });
    expect(silent).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });
});
