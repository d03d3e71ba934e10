import type { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { HttpError } from './http-error.ts';
import type { AppContext, HttpAppEnv } from './env.ts';
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

/** Registers every route under `base`, each validating its input before its handler runs. */
export function registerRoutes(
  app: Hono<HttpAppEnv>,
  base: string,
  routes: readonly RouteDefinition[],
): void {
  for (const route of routes) {
    app.on(route.method.toUpperCase(), base + route.path, async (c) => {
      const input = {
        params: route.params ? validate(route.params, c.req.param(), 'path parameters') : {},
        query: route.query ? validate(route.query, queryObject(c), 'query') : {},
        body: route.body ? validate(route.body, await jsonBody(c), 'request body') : {},
        c,
      } as RouteInput<z.ZodType, z.ZodType, z.ZodType>;
      const result = await route.handler(input);
      if (result.status === 204 || result.body === undefined) {
        return c.body(null, result.status);
      }
      return c.json(result.body as object, result.status as ContentfulStatusCode);
    });
  }
}
