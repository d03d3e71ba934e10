import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NellieStore } from '@nellie/core';
import { createSqliteStore } from '@nellie/storage';
import { seedRepository } from '@nellie/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hookPromptMaxChars } from '../src/routes/hooks.ts';
import { createTestApp, type TestApp } from './support/harness.ts';
import { serveOnLoopback } from './support/serve.ts';

let directory: string;
let store: NellieStore;
let app: TestApp;
const roots = { alpha: '', beta: '' };
const staticKey = 'operator-secret-0123456789';

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'nellie-hook-route-'));
  store = await createSqliteStore({ path: join(directory, 'nellie.db') });
  for (const name of ['alpha', 'beta'] as const) {
    roots[name] = join(directory, name);
    mkdirSync(join(roots[name], 'src'), { recursive: true });
    await seedRepository(store, roots[name], { 'src/invoice.ts': 'export {}\n' }, { name });
  }
  for (const [title, severity, repository] of [
    ['Invoice totals round late ALPHAMARK', 'critical', 'alpha'],
    ['Keep invoice ids stable', 'warning', 'alpha'],
    ['Prefer small commits', 'info', 'alpha'],
    ['Invoice totals round early BETAMARK', 'critical', 'beta'],
  ] as const) {
    await store.addLesson({
      title,
      content: `About invoices: ${title}.`,
      severity,
      repository,
      autoAnchor: false,
    });
  }
  await store.addCheckpoint({
    agent: 'codex',
    workingOn: 'Rounding invoices',
    repository: 'alpha',
  });
  app = createTestApp({ store, apiKeys: [{ id: 'operator', key: staticKey }] });
});

afterEach(async () => {
  await app.close();
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

function hook(route: string, input: unknown, key = staticKey, body?: string) {
  return app.call('POST', `/api/v1/hooks/${route}`, {
    body: body ?? JSON.stringify(input),
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  });
}

interface HookAnswer {
  hookSpecificOutput: { hookEventName: string; additionalContext: string };
}

describe('POST /api/v1/hooks/:client/:event', () => {
  it("answers Claude Code's session start with the repository's critical and warning lessons", async () => {
    const answer = await hook('claude-code/session-start', {
      session_id: 's1',
      hook_event_name: 'SessionStart',
      source: 'startup',
      cwd: join(roots.alpha, 'src'),
    });
    expect(answer.status).toBe(200);
    const { hookSpecificOutput } = (await answer.json()) as HookAnswer;
    expect(hookSpecificOutput.hookEventName).toBe('SessionStart');
    expect(hookSpecificOutput.additionalContext).toContain('[critical] Invoice totals round late');
    expect(hookSpecificOutput.additionalContext).toContain('[warning] Keep invoice ids stable');
    expect(hookSpecificOutput.additionalContext).not.toContain('Prefer small commits');
    expect(hookSpecificOutput.additionalContext).not.toContain('BETAMARK');
    // The checkpoint belongs to the agent codex, not to claude-code.
    expect(hookSpecificOutput.additionalContext).not.toContain('Rounding invoices');
  });

  it("answers Codex's prompt with the lessons relevant to it, and its session start with its checkpoint", async () => {
    const prompt = await hook('codex/user-prompt-submit', {
      session_id: 's1',
      turn_id: 't1',
      hook_event_name: 'UserPromptSubmit',
      model: 'gpt-5-codex',
      permission_mode: 'default',
      transcript_path: null,
      prompt: 'why do invoice totals round late?',
      cwd: roots.alpha,
    });
    expect(prompt.status).toBe(200);
    const context = ((await prompt.json()) as HookAnswer).hookSpecificOutput;
    expect(context.hookEventName).toBe('UserPromptSubmit');
    expect(context.additionalContext).toMatch(/^Nellie: lessons that may apply here:\n/);
    expect(context.additionalContext).toContain('Invoice totals round late');

    const start = await hook('codex/session-start', { cwd: roots.alpha, source: 'startup' });
    expect(((await start.json()) as HookAnswer).hookSpecificOutput.additionalContext).toContain(
      'Your latest checkpoint for alpha',
    );
  });

  it('answers 204 with no body when there is nothing to add', async () => {
    for (const [route, input] of [
      ['claude-code/user-prompt-submit', { cwd: directory, prompt: 'invoice totals' }],
      ['claude-code/user-prompt-submit', { cwd: `${roots.alpha}-other`, prompt: 'invoice' }],
      ['claude-code/user-prompt-submit', { cwd: roots.alpha, prompt: '   ' }],
      ['codex/user-prompt-submit', { cwd: roots.alpha, prompt: 'zebra quantum' }],
    ] as const) {
      const answer = await hook(route, input);
      expect(answer.status, JSON.stringify(input)).toBe(204);
      expect(await answer.text()).toBe('');
    }
  });

  it('refuses bad input with a clear 400', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['vim/session-start', { cwd: roots.alpha }, /client/],
      ['claude-code/stop', { cwd: roots.alpha }, /event/],
      ['claude-code/session-start', { cwd: 'src' }, /cwd: must be an absolute path/],
      ['claude-code/session-start', {}, /cwd/],
      ['claude-code/session-start', [], /expected object/],
      [
        'claude-code/session-start',
        { cwd: roots.alpha, hook_event_name: 'UserPromptSubmit' },
        /hook_event_name is UserPromptSubmit, but this route answers SessionStart/,
      ],
      [
        'codex/user-prompt-submit',
        { cwd: roots.alpha, prompt: 'x'.repeat(hookPromptMaxChars + 1) },
        /prompt/,
      ],
      ['codex/user-prompt-submit?tokenBudget=5', { cwd: roots.alpha, prompt: 'x' }, /tokenBudget/],
      ['codex/user-prompt-submit?color=red', { cwd: roots.alpha, prompt: 'x' }, /color/],
    ];
    for (const [route, input, message] of cases) {
      const answer = await hook(route, input);
      expect(answer.status, route).toBe(400);
      const { error } = (await answer.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.message, route).toMatch(message);
    }
    const notJson = await hook('codex/session-start', undefined, staticKey, '{"cwd":');
    expect(notJson.status).toBe(400);
  });

  it('needs a key like the rest of the API, and a scoped key sees only its repositories', async () => {
    expect((await hook('codex/session-start', { cwd: roots.alpha }, 'wrong-key')).status).toBe(401);
    const { secret } = await store.principals!.createApiKey({
      principal: 'alice',
      scope: 'read',
      repositories: ['alpha'],
    });
    const inBeta = await hook('claude-code/session-start', { cwd: roots.beta }, secret);
    expect(inBeta.status).toBe(204);
    const inAlpha = await hook(
      'claude-code/user-prompt-submit',
      { cwd: roots.alpha, prompt: 'invoice totals round' },
      secret,
    );
    const text = await inAlpha.text();
    expect(text).toContain('ALPHAMARK');
    expect(text).not.toContain('BETAMARK');
  });

  it("over HTTP, says at session start which of the latest checkpoint's anchored files went stale, bounded", async () => {
    const files = Object.fromEntries(
      ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'keep'].map((name) => [
        `src/${name}.ts`,
        `export const ${name} = 1;\n`,
      ]),
    );
    const repository = await seedRepository(store, roots.alpha, files, { name: 'alpha' });
    const checkpoint = await store.addCheckpoint({
      agent: 'claude-code',
      workingOn: 'Splitting the invoice module',
      repository: 'alpha',
      anchors: Object.keys(files).map((path) => ({ repository: 'alpha', path })),
    });
    const served = await serveOnLoopback(app.app);
    const sessionStart = async (): Promise<string> => {
      const answer = await fetch(`${served.url}/api/v1/hooks/claude-code/session-start`, {
        method: 'POST',
        headers: { authorization: `Bearer ${staticKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ hook_event_name: 'SessionStart', cwd: roots.alpha }),
      });
      expect(answer.status).toBe(200);
      return ((await answer.json()) as HookAnswer).hookSpecificOutput.additionalContext;
    };
    try {
      expect(await sessionStart()).not.toContain('stale');

      await seedRepository(store, roots.alpha, { 'src/a0.ts': 'export const a0 = 2;\n' });
      await store.refreshAnchors(repository.id, ['src/a0.ts']);
      const changed = await sessionStart();
      expect(changed).toContain('Splitting the invoice module');
      expect(changed).toContain(
        `Its anchored code is stale (changed): src/a0.ts changed. Check that the checkpoint still holds before resuming; confirm it (confirm_checkpoint ${checkpoint.id}) once it does.`,
      );

      const gone = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map((name) => `src/${name}.ts`);
      await store.deleteFiles(repository.id, gone);
      await store.refreshAnchors(repository.id, gone);
      const staleLine = (await sessionStart())
        .split('\n')
        .find((line) => line.startsWith('Its anchored code is stale'));
      // The worst first, five named, the rest counted; the current file is not named.
      expect(staleLine).toMatch(
        /^Its anchored code is stale \(gone\): (src\/a[1-6]\.ts gone, ){5}2 more\. /,
      );
      expect(staleLine).not.toContain('keep');

      await store.confirmCheckpoint(checkpoint.id);
      expect(await sessionStart()).not.toContain('stale');
    } finally {
      await served.close();
    }
  });
});
