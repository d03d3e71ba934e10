import { createMemoryStore } from '@nellie/test-utils';
import { auditOf, requestsTo } from '../../test/support/store.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, disabledModel, textOf, type Harness } from '../../test/support/harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start() {
  const store = createMemoryStore();
  harness = await connect({ store, modelStatus: disabledModel, version: '1.0.0' });
  return { harness, store };
}

interface CheckpointData {
  checkpoint: { id: string; status: string; state: Record<string, unknown> };
  agentStatus: { status: string; currentTask: string | null };
}

describe('checkpoint tools', () => {
  it('agent status follows checkpoints: in_progress while working, idle once done', async () => {
    const { harness, store } = await start();

    const never = await harness.call('get_agent_status', { agent: 'claude' });
    expect(textOf(never)).toBe('Agent "claude" has no checkpoints yet; its status is idle.');
    expect(never.structuredContent).toMatchObject({
      agents: [{ status: 'idle', updatedAt: null }],
    });

    const working = await harness.call('add_checkpoint', {
      agent: 'claude',
      working_on: 'Migrating auth to OAuth',
      state: { step: 2, files: ['src/auth.ts'] },
      repository: 'api',
      session_id: 's-1',
    });
    const saved = working.structuredContent as unknown as CheckpointData;
    expect(saved.checkpoint).toMatchObject({ status: 'in_progress', state: { step: 2 } });
    expect(saved.agentStatus).toMatchObject({
      status: 'in_progress',
      currentTask: 'Migrating auth to OAuth',
    });
    expect(textOf(working)).toMatch(
      /^Saved checkpoint \S+ \(in_progress\)\. Agent "claude" is in_progress: Migrating auth to OAuth/,
    );

    const busy = await harness.call('get_agent_status', { agent: 'claude' });
    expect(busy.structuredContent).toMatchObject({
      agents: [{ status: 'in_progress', lastCheckpointId: saved.checkpoint.id }],
    });

    const done = await harness.call('add_checkpoint', {
      agent: 'claude',
      working_on: 'OAuth migration finished',
      status: 'done',
    });
    const doneData = done.structuredContent as unknown as CheckpointData;
    expect(doneData.agentStatus).toMatchObject({ status: 'idle', currentTask: null });
    expect(textOf(await harness.call('get_agent_status', { agent: 'claude' }))).toMatch(
      /^Agent "claude" is idle: its last checkpoint \S+ at .* marked its work done\.$/,
    );

    expect(
      (await auditOf(store)).map((entry) => [entry.action, entry.actor, entry.details]),
    ).toEqual([
      ['checkpoint.create', 'local', { agent: 'claude', status: 'in_progress', repository: 'api' }],
      ['checkpoint.create', 'local', { agent: 'claude', status: 'done', repository: null }],
    ]);
  });

  it('get_agent_status without an agent lists every agent', async () => {
    const { harness } = await start();
    await harness.call('add_checkpoint', { agent: 'b-agent', working_on: 'Writing docs' });
    await harness.call('add_checkpoint', {
      agent: 'a-agent',
      working_on: 'Fixing tests',
      status: 'done',
    });

    const result = await harness.call('get_agent_status');
    expect(textOf(result)).toMatch(
      /^2 agents:\n- Agent "a-agent" is idle.*\n- Agent "b-agent" is in_progress: Writing docs/,
    );
    expect(result.structuredContent).toMatchObject({
      agents: [
        { agent: 'a-agent', status: 'idle' },
        { agent: 'b-agent', status: 'in_progress' },
      ],
    });
  });

  it('get_recent_checkpoints returns the newest first, filtered and limited', async () => {
    const { harness } = await start();
    for (let step = 1; step <= 4; step += 1) {
      await harness.call('add_checkpoint', {
        agent: 'claude',
        working_on: `Step ${step}`,
        state: { step },
      });
    }
    await harness.call('add_checkpoint', { agent: 'other', working_on: 'Unrelated' });

    const result = await harness.call('get_recent_checkpoints', { agent: 'claude', limit: 2 });
    const text = textOf(result);
    expect(text).toMatch(/^2 most recent checkpoints of agent "claude", newest first:/);
    expect(text).toMatch(/1\. \S+ \S+ \[in_progress\] claude: Step 4\n {3}state: \{"step":4\}/);
    expect(text).toContain('claude: Step 3');
    expect(text).not.toContain('Step 2');
    expect(result.structuredContent).toMatchObject({
      checkpoints: [{ workingOn: 'Step 4' }, { workingOn: 'Step 3' }],
    });

    const none = await harness.call('get_recent_checkpoints', { agent: 'nobody' });
    expect(textOf(none)).toBe(
      'No checkpoints of agent "nobody" yet. Save one with add_checkpoint.',
    );
  });

  it('get_checkpoint returns the full state, and NOT_FOUND for an unknown id', async () => {
    const { harness } = await start();
    const state = { plan: ['a', 'b'], nested: { deep: { value: 42 } }, note: 'x'.repeat(500) };
    const added = await harness.call('add_checkpoint', {
      agent: 'claude',
      working_on: 'Big task',
      state,
    });
    const { id } = (added.structuredContent as unknown as CheckpointData).checkpoint;

    const got = await harness.call('get_checkpoint', { id });
    expect(textOf(got)).toContain(`Checkpoint ${id}`);
    expect(textOf(got)).toContain('"value": 42');
    expect(textOf(got)).toContain('x'.repeat(500));
    expect(got.structuredContent).toMatchObject({ checkpoint: { id, state } });

    const missing = await harness.call('get_checkpoint', { id: 'nope' });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toBe(
      'NOT_FOUND: No checkpoint with id "nope". Find checkpoint ids with get_recent_checkpoints or search_checkpoints.',
    );
  });

  it('search_checkpoints finds by working_on and state, with filters', async () => {
    const { harness, store } = await start();
    await harness.call('add_checkpoint', {
      agent: 'claude',
      working_on: 'Auth migration',
      repository: 'api',
    });
    await harness.call('add_checkpoint', {
      agent: 'claude',
      working_on: 'Docs',
      state: { topic: 'auth' },
    });
    await harness.call('add_checkpoint', { agent: 'other', working_on: 'Auth review' });

    const result = await harness.call('search_checkpoints', {
      query: 'auth',
      agent: 'claude',
      limit: 5,
    });
    expect(textOf(result)).toMatch(/^2 checkpoints for "auth":/);
    expect(requestsTo(store, 'searchCheckpoints')[0]).toMatchObject({
      query: 'auth',
      agent: 'claude',
      limit: 5,
    });
    expect(result.structuredContent).toMatchObject({ mode: 'keyword', hits: [{}, {}] });
  });

  it('rejects an oversized state with INVALID_INPUT and stores nothing', async () => {
    const { harness, store } = await start();
    const result = await harness.call('add_checkpoint', {
      agent: 'claude',
      working_on: 'Huge',
      state: { blob: 'x'.repeat(300 * 1024) },
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(
      /^INVALID_INPUT: state is 301 KiB as JSON; the limit is 256 KiB/,
    );
    expect(await store.getRecentCheckpoints()).toEqual([]);
    expect(await auditOf(store)).toEqual([]);
  });
});
