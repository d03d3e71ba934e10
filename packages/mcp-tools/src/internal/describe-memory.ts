import type { AgentStatus, Checkpoint, Lesson } from '@nellie/core';
import { compactJson, preview } from './format.ts';

/** `[warning] Title (id L1; tags a, b; repository api)` */
export function lessonHeadline(lesson: Lesson): string {
  const facts = [`id ${lesson.id}`];
  if (lesson.tags.length > 0) facts.push(`tags ${lesson.tags.join(', ')}`);
  if (lesson.repository !== null) facts.push(`repository ${lesson.repository}`);
  return `[${lesson.severity}] ${lesson.title} (${facts.join('; ')})`;
}

/** A lesson in full, for get_lesson and writes. */
export function lessonFull(lesson: Lesson): string {
  const facts = [
    `Severity: ${lesson.severity}`,
    `Tags: ${lesson.tags.length > 0 ? lesson.tags.join(', ') : 'none'}`,
  ];
  if (lesson.repository !== null) facts.push(`Repository: ${lesson.repository}`);
  if (lesson.agent !== null) facts.push(`Agent: ${lesson.agent}`);
  facts.push(`Created: ${lesson.createdAt}`, `Updated: ${lesson.updatedAt}`);
  return [`Lesson ${lesson.id}: ${lesson.title}`, facts.join(' · '), '', lesson.content].join('\n');
}

export function lessonPreview(lesson: Lesson): string {
  return preview(lesson.content, 240);
}

/** `C1 2024-… [in_progress] claude: working on X (repository api; session s1)` */
export function checkpointHeadline(checkpoint: Checkpoint): string {
  const facts: string[] = [];
  if (checkpoint.repository !== null) facts.push(`repository ${checkpoint.repository}`);
  if (checkpoint.sessionId !== null) facts.push(`session ${checkpoint.sessionId}`);
  const suffix = facts.length > 0 ? ` (${facts.join('; ')})` : '';
  return (
    `${checkpoint.id} ${checkpoint.createdAt} [${checkpoint.status}] ${checkpoint.agent}: ` +
    `${preview(checkpoint.workingOn, 200)}${suffix}`
  );
}

export function checkpointStatePreview(checkpoint: Checkpoint): string | null {
  return Object.keys(checkpoint.state).length === 0
    ? null
    : `state: ${compactJson(checkpoint.state, 300)}`;
}

export function checkpointFull(checkpoint: Checkpoint): string {
  const facts = [`Agent: ${checkpoint.agent}`, `Status: ${checkpoint.status}`];
  if (checkpoint.repository !== null) facts.push(`Repository: ${checkpoint.repository}`);
  if (checkpoint.sessionId !== null) facts.push(`Session: ${checkpoint.sessionId}`);
  facts.push(`Created: ${checkpoint.createdAt}`);
  return [
    `Checkpoint ${checkpoint.id}`,
    facts.join(' · '),
    `Working on: ${checkpoint.workingOn}`,
    `State: ${JSON.stringify(checkpoint.state, null, 2)}`,
  ].join('\n');
}

export function describeAgentStatus(status: AgentStatus): string {
  if (status.updatedAt === null) {
    return `Agent "${status.agent}" has no checkpoints yet; its status is idle.`;
  }
  if (status.status === 'in_progress') {
    return (
      `Agent "${status.agent}" is in_progress: ${preview(status.currentTask ?? '(no task given)', 300)} ` +
      `(last checkpoint ${status.lastCheckpointId ?? 'unknown'} at ${status.updatedAt}).`
    );
  }
  const last =
    status.lastCheckpointId === null
      ? 'its last checkpoint'
      : `its last checkpoint ${status.lastCheckpointId}`;
  return `Agent "${status.agent}" is idle: ${last} at ${status.updatedAt} marked its work done.`;
}
