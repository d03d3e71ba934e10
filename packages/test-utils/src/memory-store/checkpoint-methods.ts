/* eslint-disable @typescript-eslint/require-await -- an in-memory fake of asynchronous contracts */
import {
  formatCheckpointForEmbedding,
  limits,
  NellieError,
  type AgentStatus,
  type Checkpoint,
  type CheckpointInput,
} from '@nellie/core';
import type { MemoryAnchors } from './anchors.ts';
import { checkQuery, fuse } from './hybrid-search.ts';
import type { CheckpointRecord, MemoryState, StoreMethods } from './state.ts';
import { checkKeys, invalid, limitOf, optionalText, sha256, text } from './validation.ts';

export type CheckpointMethod =
  | 'addCheckpoint'
  | 'getCheckpoint'
  | 'countCheckpoints'
  | 'getRecentCheckpoints'
  | 'searchCheckpoints'
  | 'deleteCheckpoint'
  | 'confirmCheckpoint'
  | 'getAgentStatus'
  | 'listAgents';

/**
 * The checkpoint as the store answers it: a copy without the store's bookkeeping, with its anchors
 * and their worst state when it has any.
 */
export function publicCheckpointOf(
  anchors: MemoryAnchors,
): (record: CheckpointRecord) => Checkpoint {
  return ({ seq: _seq, contentHash: _hash, ...checkpoint }) => {
    const staleness = anchors.stalenessOf(checkpoint.id);
    const copy = structuredClone(checkpoint);
    return staleness === null
      ? copy
      : { ...copy, anchors: anchors.anchorsOf(checkpoint.id), staleness };
  };
}

/** Checkpoints, checkpoint search and the agent status drawn from them. */
export function checkpointMethods(state: MemoryState): StoreMethods<CheckpointMethod> {
  const { checkpoints, newId, nextSeq, now, collectVectors, checkpointAnchors } = state;
  const publicCheckpoint = publicCheckpointOf(checkpointAnchors);
  const agentStatus = (agent: string): AgentStatus => {
    const latest = checkpoints.filter((checkpoint) => checkpoint.agent === agent).at(-1);
    if (!latest) {
      return { agent, status: 'idle', currentTask: null, lastCheckpointId: null, updatedAt: null };
    }
    return {
      agent,
      status: latest.status === 'done' ? 'idle' : 'in_progress',
      currentTask: latest.status === 'done' ? null : latest.workingOn,
      lastCheckpointId: latest.id,
      updatedAt: latest.createdAt,
    };
  };

  return {
    async addCheckpoint(input: CheckpointInput) {
      if (typeof input !== 'object' || input === null) throw invalid('Give a checkpoint.');
      checkKeys(
        input,
        ['agent', 'workingOn', 'state', 'repository', 'sessionId', 'status', 'anchors'],
        'checkpoint',
      );
      const state = input.state ?? {};
      if (typeof state !== 'object' || state === null || Array.isArray(state)) {
        throw invalid('state must be a JSON object.');
      }
      if (Buffer.byteLength(JSON.stringify(state)) > limits.checkpointStateBytes) {
        throw invalid(`state must be at most ${limits.checkpointStateBytes} bytes as JSON.`);
      }
      const status = input.status ?? 'in_progress';
      if (status !== 'in_progress' && status !== 'done') {
        throw invalid('status must be in_progress or done.');
      }
      const workingOn = text(input.workingOn, 'workingOn', limits.checkpointWorkingOnLength);
      const checkpoint = {
        id: `checkpoint_${newId().toString().padStart(6, '0')}`,
        agent: text(input.agent, 'agent', limits.agentLength),
        workingOn,
        state: structuredClone(state),
        repository: optionalText(input.repository, 'repository', limits.repositoryLength),
        sessionId: optionalText(input.sessionId, 'sessionId', limits.sessionIdLength),
        status,
        createdAt: now(),
        seq: nextSeq(),
        contentHash: sha256(`checkpoint\n${formatCheckpointForEmbedding({ workingOn, state })}`),
      };
      const anchors = checkpointAnchors.resolve(input.anchors);
      checkpoints.push(checkpoint);
      checkpointAnchors.replace(checkpoint.id, anchors);
      return publicCheckpoint(checkpoint);
    },
    async getCheckpoint(id) {
      const checkpoint = checkpoints.find((entry) => entry.id === id);
      return checkpoint ? publicCheckpoint(checkpoint) : null;
    },
    async countCheckpoints(request = {}) {
      checkKeys(request, ['agent', 'repository'], 'checkpoint count');
      return checkpoints.filter(
        (checkpoint) =>
          (request.agent === undefined || checkpoint.agent === request.agent) &&
          (request.repository === undefined || checkpoint.repository === request.repository),
      ).length;
    },
    async getRecentCheckpoints(request = {}) {
      checkKeys(request, ['agent', 'repository', 'limit'], 'checkpoint list');
      const limit = limitOf(request.limit, limits.pageSize, 10);
      return checkpoints
        .filter(
          (checkpoint) =>
            (request.agent === undefined || checkpoint.agent === request.agent) &&
            (request.repository === undefined || checkpoint.repository === request.repository),
        )
        .reverse()
        .slice(0, limit)
        .map(publicCheckpoint);
    },
    async searchCheckpoints(request) {
      if (typeof request !== 'object' || request === null) throw invalid('Give a search request.');
      checkKeys(
        request,
        ['query', 'queryVector', 'limit', 'agent', 'repository'],
        'checkpoint search',
      );
      const queryVector = checkQuery(state, request.query, request.queryVector);
      const limit = limitOf(request.limit, limits.searchResults, 10);
      const candidates = checkpoints.filter(
        (checkpoint) =>
          (request.agent === undefined || checkpoint.agent === request.agent) &&
          (request.repository === undefined || checkpoint.repository === request.repository),
      );
      return fuse(
        state,
        request.query,
        queryVector,
        candidates,
        (checkpoint) => checkpoint.id,
        (checkpoint) => `${checkpoint.workingOn} ${JSON.stringify(checkpoint.state)}`,
        (checkpoint) => checkpoint.contentHash,
        limit,
      ).map(({ item, score, scores }) => ({ checkpoint: publicCheckpoint(item), score, scores }));
    },
    async deleteCheckpoint(id) {
      const index = checkpoints.findIndex((checkpoint) => checkpoint.id === id);
      if (index === -1) return false;
      checkpoints.splice(index, 1);
      checkpointAnchors.delete(id);
      collectVectors();
      return true;
    },
    async confirmCheckpoint(id) {
      const checkpoint = checkpoints.find((candidate) => candidate.id === id);
      if (!checkpoint) throw new NellieError('NOT_FOUND', `No checkpoint with id ${id}.`);
      checkpointAnchors.confirm(id);
      return publicCheckpoint(checkpoint);
    },
    async getAgentStatus(agent) {
      return agentStatus(text(agent, 'agent', limits.agentLength));
    },
    async listAgents() {
      return [...new Set(checkpoints.map((checkpoint) => checkpoint.agent))]
        .sort()
        .map(agentStatus);
    },
  };
}
