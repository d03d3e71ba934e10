import type { AgentStatus, Anchor, Checkpoint, Lesson } from '@nellie/core';
import { compactJson, preview } from './format.ts';

/** `[warning] Title (id L1; tags a, b; repository api)` */
export function lessonHeadline(lesson: Lesson): string {
  const facts = [`id ${lesson.id}`];
  if (lesson.tags.length > 0) facts.push(`tags ${lesson.tags.join(', ')}`);
  if (lesson.repository !== null) facts.push(`repository ${lesson.repository}`);
  if (lesson.staleness !== null && lesson.staleness !== 'current') {
    facts.push(`${lesson.staleness}: its code ${stalenessPhrase[lesson.staleness]}`);
  }
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
  const anchors =
    lesson.anchors.length === 0
      ? []
      : [
          '',
          `Anchored to (${lesson.staleness ?? 'current'}):`,
          ...lesson.anchors.map(describeAnchor),
        ];
  return [
    `Lesson ${lesson.id}: ${lesson.title}`,
    facts.join(' · '),
    '',
    lesson.content,
    ...anchors,
  ].join('\n');
}

const stalenessPhrase = {
  current: 'is unchanged',
  moved: 'moved',
  changed: 'changed since; check it still holds (update_lesson confirm)',
  gone: 'is gone; check it still holds (update_lesson confirm, or delete_lesson)',
} as const;

/** `- src/upload.ts:5-9 retryUpload: changed (+3/-2 lines, signature changed)` */
export function describeAnchor(anchor: Anchor): string {
  const where = `${anchor.repository}:${anchor.path}:${anchor.startLine}-${anchor.endLine}`;
  const what = anchor.symbol === null ? '' : ` ${anchor.symbol}`;
  let state: string = anchor.state;
  if (anchor.change !== null) {
    state += ` (+${anchor.change.linesAdded}/-${anchor.change.linesRemoved} lines${anchor.change.signatureChanged ? ', signature changed' : ''})`;
  }
  if (anchor.movedFrom !== null) state += ` from ${anchor.movedFrom}`;
  return `- ${where}${what}: ${state}`;
}

export function lessonPreview(lesson: Lesson): string {
  return preview(lesson.content, 240);
}

/** `C1 2024-… [in_progress] claude: working on X (repository api; session s1)` */
export function checkpointHeadline(checkpoint: Checkpoint): string {
  const facts: string[] = [];
  if (checkpoint.repository !== null) facts.push(`repository ${checkpoint.repository}`);
  if (checkpoint.sessionId !== null) facts.push(`session ${checkpoint.sessionId}`);
  if (checkpoint.staleness !== undefined && checkpoint.staleness !== 'current') {
    facts.push(`anchored code ${checkpoint.staleness}`);
  }
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
    ...(checkpoint.anchors
      ? [
          `Anchored to (${checkpoint.staleness ?? 'current'}):`,
          ...checkpoint.anchors.map(describeAnchor),
        ]
      : []),
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
