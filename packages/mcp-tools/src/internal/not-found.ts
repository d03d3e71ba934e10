import { NellieError } from '@nellie/core';

export function lessonNotFound(id: string): NellieError {
  return new NellieError(
    'NOT_FOUND',
    `No lesson with id "${id}". Find lesson ids with search_lessons or list_lessons.`,
  );
}

export function checkpointNotFound(id: string): NellieError {
  return new NellieError(
    'NOT_FOUND',
    `No checkpoint with id "${id}". Find checkpoint ids with get_recent_checkpoints or search_checkpoints.`,
  );
}
