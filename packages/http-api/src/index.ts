export { apiBasePath, createHttpApp } from './app.ts';
export type { HttpApp } from './app.ts';
export { httpAppOptionsSchema } from './app-options.ts';
export type { HttpAppCollaborators, HttpAppOptions, StoreDescription } from './app-options.ts';
export type { McpSessionContext } from './internal/mcp-sessions.ts';
export type { HttpErrorBody, HttpErrorCode, HttpOnlyErrorCode } from './internal/http-error.ts';
