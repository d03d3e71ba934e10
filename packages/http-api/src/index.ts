export { apiBasePath, createHttpApp } from './app.ts';
export type { HttpApp } from './app.ts';
export { httpAppOptionsSchema } from './app-options.ts';
export type {
  HttpAppCollaborators,
  HttpAppOptions,
  McpSessionContext,
  StoreDescription,
} from './app-options.ts';
export type { HttpErrorBody, HttpErrorCode, HttpOnlyErrorCode } from './error-handler.ts';
