import { NellieError, type Logger } from '@nellie/core';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { HttpAppEnv } from './internal/env.ts';
import { HttpError, type HttpErrorBody, type HttpErrorCode } from './internal/http-error.ts';

interface MappedError {
  status: ContentfulStatusCode;
  code: HttpErrorCode;
  message: string;
  headers: Record<string, string>;
  /** True when the client sees a generic message and the details go to the log only. */
  internal: boolean;
}

const unavailableMessage = 'The database is not available right now; try again later.';

/** Maps any thrown value to a status, code and a message safe for clients. The one place this happens. */
export function mapError(error: unknown, requestId: string): MappedError {
  if (error instanceof HttpError) {
    return {
      status: error.status,
      code: error.code,
      message: error.message,
      headers: error.headers,
      internal: false,
    };
  }
  if (NellieError.is(error)) {
    const mapped = (
      status: ContentfulStatusCode,
      headers: Record<string, string> = {},
    ): MappedError => ({
      status,
      code: error.code,
      message: error.message,
      headers,
      internal: false,
    });
    switch (error.code) {
      case 'INVALID_INPUT':
      case 'INVALID_OPTIONS':
        return mapped(400);
      case 'PATH_NOT_ALLOWED':
        return mapped(403);
      case 'NOT_FOUND':
        return mapped(404);
      case 'FORBIDDEN':
        return mapped(403);
      case 'CONFLICT':
      case 'DIMENSION_MISMATCH':
        return mapped(409);
      case 'QUEUE_FULL':
        return mapped(503, { 'Retry-After': '5' });
      case 'ABORTED':
        return mapped(503);
      case 'STORE_CLOSED':
      case 'STORE_UNAVAILABLE':
        return {
          status: 503,
          code: error.code,
          message: unavailableMessage,
          headers: { 'Retry-After': '5' },
          internal: true,
        };
      default:
        break;
    }
  }
  if (error instanceof HTTPException) {
    // Raised by Hono itself (e.g. a body it could not parse); keep the status, hide the details.
    const status = error.status;
    if (status < 500) {
      return {
        status,
        code: status === 413 ? 'PAYLOAD_TOO_LARGE' : 'INVALID_INPUT',
        message: error.message || 'The request was rejected.',
        headers: {},
        internal: false,
      };
    }
  }
  const code: HttpErrorCode = NellieError.is(error) ? error.code : 'INTERNAL';
  return {
    status: 500,
    code,
    message: `An internal error occurred; the server log has the details (request id ${requestId}).`,
    headers: {},
    internal: true,
  };
}

/** A JSON error response of the one error shape (keeps headers already set on the context). */
export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: HttpErrorCode,
  message: string,
  headers: Record<string, string> = {},
): Response {
  const body: HttpErrorBody = { error: { code, message } };
  return c.json(body, status, headers);
}

/** `app.onError`: every thrown error becomes `{ error: { code, message } }`; no stack traces leave. */
export function createErrorHandler(logger: Logger): ErrorHandler<HttpAppEnv> {
  return (thrown, c) => {
    const requestId = c.get('requestId');
    // Work cancelled by the request timeout reports the timeout, whichever error arrives first.
    const reason: unknown = c.get('signal')?.reason;
    const error =
      NellieError.is(thrown) && thrown.code === 'ABORTED' && reason instanceof HttpError
        ? reason
        : thrown;
    const mapped = mapError(error, requestId);
    const fields = {
      requestId,
      method: c.req.method,
      path: c.req.path,
      status: mapped.status,
      code: mapped.code,
      err: error,
    };
    if (mapped.internal) logger.error(fields, 'request failed');
    else logger.debug(fields, 'request rejected');
    return errorResponse(c, mapped.status, mapped.code, mapped.message, mapped.headers);
  };
}

/** `app.notFound`: unknown routes answer `404` in the one error shape. */
export const notFoundHandler: NotFoundHandler<HttpAppEnv> = (c) =>
  errorResponse(c, 404, 'NOT_FOUND', `No route for ${c.req.method} ${c.req.path}.`);
