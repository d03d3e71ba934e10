import type { NellieErrorCode } from '@nellie/core';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Codes of HTTP failures that have no `NellieError` counterpart. */
export type HttpOnlyErrorCode =
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'TIMEOUT'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export type HttpErrorCode = NellieErrorCode | HttpOnlyErrorCode;

/** The body of every error response (outside the MCP protocol endpoints). */
export interface HttpErrorBody {
  error: { code: HttpErrorCode; message: string };
}

/** An HTTP failure with a code and a message safe to show to the client. */
export class HttpError extends HTTPException {
  readonly code: HttpErrorCode;
  readonly headers: Record<string, string>;

  constructor(
    status: ContentfulStatusCode,
    code: HttpErrorCode,
    message: string,
    options: { headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(status, { message, cause: options.cause });
    this.name = 'HttpError';
    this.code = code;
    this.headers = options.headers ?? {};
  }
}
