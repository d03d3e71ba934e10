import type { AccessScope } from '@nellie/core';

/**
 * The scope each REST operation needs, by `operationId`. Reads need `read`; recording, changing
 * and deleting lessons and checkpoints, and re-indexing or cancelling the jobs of a repository the
 * key sees, need `write`; indexing a new directory (checked by the indexer view), removing and
 * renaming repositories and reading the audit log need `admin`. A route missing here fails at
 * startup, so none can be added without deciding.
 */
export const routeScopes: Readonly<Record<string, AccessScope>> = {
  searchCode: 'read',
  readRepositoryFile: 'read',
  listRepositories: 'read',
  removeRepository: 'admin',
  renameRepository: 'admin',
  startIndexJob: 'write',
  listIndexJobs: 'read',
  getIndexJob: 'read',
  cancelIndexJob: 'write',
  createLesson: 'write',
  searchLessons: 'read',
  listLessons: 'read',
  getLesson: 'read',
  updateLesson: 'write',
  confirmLesson: 'write',
  deleteLesson: 'write',
  createCheckpoint: 'write',
  recentCheckpoints: 'read',
  getCheckpoint: 'read',
  confirmCheckpoint: 'write',
  searchCheckpoints: 'read',
  listAgents: 'read',
  getAgentStatus: 'read',
  getStatus: 'read',
  listAudit: 'admin',
  runClientHook: 'read',
};
