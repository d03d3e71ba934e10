import type { AccessScope } from '@nellie/core';

/**
 * The scope each tool needs. Reads need `read`; recording, changing and deleting lessons and
 * checkpoints, and re-indexing a repository the key sees, need `write` (indexing a new directory
 * needs `admin`, checked by the indexer view); removing and renaming repositories need `admin`.
 */
export const toolScopes: Readonly<Record<string, AccessScope>> = {
  search_code: 'read',
  read_file: 'read',
  list_repositories: 'read',
  remove_repository: 'admin',
  rename_repository: 'admin',
  index_repo: 'write',
  get_index_status: 'read',
  add_lesson: 'write',
  search_lessons: 'read',
  list_lessons: 'read',
  get_lesson: 'read',
  update_lesson: 'write',
  delete_lesson: 'write',
  add_checkpoint: 'write',
  get_recent_checkpoints: 'read',
  get_checkpoint: 'read',
  search_checkpoints: 'read',
  confirm_checkpoint: 'write',
  get_agent_status: 'read',
  get_status: 'read',
};
