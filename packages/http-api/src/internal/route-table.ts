import { requireScope, type AccessScope } from '@nellie/core';
import type { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { HttpError } from './http-error.ts';
import { accessOf, type AppContext, type HttpAppEnv } from './env.ts';
import { requireJsonContentType } from './request-guard.ts';

export type HttpMethod = 'get' | 'post' | 'patch' | 'delete';

type Output<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;

export interface RouteInput<P, Q, B> {
  params: Output<P>;
  query: Output<Q>;
  body: Output<B>;
  c: AppContext;
}

export interface RouteResult {
  status: 200 | 201 | 202 | 204;
  body?: unknown;
}

export interface ResponseSpec {
  description: string;
  /** JSON body schema (documentation only); absent for empty bodies. */
  schema?: z.ZodType;
}

/**
 * One REST operation: its schemas validate the request and generate the OpenAPI document, so the
 * two cannot drift apart.
 */
export interface RouteDefinition<
  P extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
> {
  method: HttpMethod;
  /** Hono path relative to the API base, e.g. `/lessons/:id`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  responses: Partial<Record<number, ResponseSpec>>;
  handler: (input: RouteInput<P, Q, B>) => RouteResult | Promise<RouteResult>;
}

/** Keeps the schema types of a route for its handler. */
export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(route: RouteDefinition<P, Q, B>): RouteDefinition {
  return route;
}

/** `a.b[0]: message; c: message`, naming every field that failed. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length > 0 ? z.core.toDotPath(issue.path) : '';
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

function validate<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new HttpError(400, 'INVALID_INPUT', `Invalid ${where}: ${describeIssues(result.error)}`, {
      cause: result.error,
    });
  }
  return result.data;
}

/** Query parameters as an object; a repeated parameter is joined with commas (`tags=a&tags=b`). */
function queryObject(c: AppContext): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, values] of Object.entries(c.req.queries())) {
    query[name] = values.join(',');
  }
  return query;
}

async function jsonBody(c: AppContext): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') {
    throw new HttpError(400, 'INVALID_INPUT', 'The request body is empty; send a JSON object.');
  }
  requireJsonContentType(c);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof SyntaxError ? `: ${error.message}` : '';
    throw new HttpError(400, 'INVALID_INPUT', `The request body is not valid JSON${reason}.`, {
      cause: error,
    });
  }
}

export interface RouteAuthorization {
  /** The scope each operation needs, by `operationId`. */
  scopes: Readonly<Record<string, AccessScope>>;
  /**
   * The handler to run for this request: the route's own for full access, otherwise the same
   * route built over views of the store and indexer narrowed to the caller's access.
   */
  handlerFor: (route: RouteDefinition, c: AppContext) => Promise<RouteDefinition['handler']>;
}

/**
 * Registers every route under `base`. Each checks the caller's scope, then validates its input,
 * then runs its handler. Throws at once for a route whose scope is not declared.
 */
export function registerRoutes(
  app: Hono<HttpAppEnv>,
  base: string,
  routes: readonly RouteDefinition[],
  authorization: RouteAuthorization,
): void {
  for (const route of routes) {
    const scope = authorization.scopes[route.operationId];
    if (scope === undefined) {
      throw new Error(`The route ${route.operationId} has no scope in the route scope table.`);
    }
    app.on(route.method.toUpperCase(), base + route.path, async (c) => {
      requireScope(accessOf(c), scope, `${route.method.toUpperCase()} ${base}${route.path}`);
      const input = {
        params: route.params ? validate(route.params, c.req.param(), 'path parameters') : {},
        query: route.query ? validate(route.query, queryObject(c), 'query') : {},
        body: route.body ? validate(route.body, await jsonBody(c), 'request body') : {},
        c,
      } as RouteInput<z.ZodType, z.ZodType, z.ZodType>;
      const handler = await authorization.handlerFor(route, c);
      const result = await handler(input);
      if (result.status === 204 || result.body === undefined) {
        return c.body(null, result.status);
      }
      return c.json(result.body as object, result.status as ContentfulStatusCode);
    });
  }
}
