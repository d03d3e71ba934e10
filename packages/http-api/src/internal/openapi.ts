import { z } from 'zod';
import type { RouteDefinition } from './route-table.ts';
import { errorBodySchema, healthSchema, readySchema, schemaRegistry } from './schemas.ts';

type JsonSchema = Record<string, unknown>;

export interface OpenApiOptions {
  version: string;
  /** Prefix of the REST routes, e.g. `/api/v1`. */
  base: string;
  routes: readonly RouteDefinition[];
  authEnabled: boolean;
}

const componentPrefix = '#/components/schemas/';

/**
 * Builds an OpenAPI 3.1 document from the route table. Schemas named in the schema registry become
 * `components.schemas` entries referenced with `$ref`; everything else is inlined.
 */
export function createOpenApiDocument(options: OpenApiOptions): Record<string, unknown> {
  const components: Record<string, JsonSchema> = {};

  const convert = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
    const json = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
      // Named schemas come out as `$defs` + `$ref`; hoist() moves them into components.
      metadata: schemaRegistry,
    }) as JsonSchema;
    return hoist(json, components, io === 'output');
  };

  const errorRef = convert(errorBodySchema, 'output');
  const errorResponse = (description: string) => ({
    description,
    content: { 'application/json': { schema: errorRef } },
  });

  const paths: Record<string, Record<string, unknown>> = {};
  const addOperation = (path: string, method: string, operation: Record<string, unknown>) => {
    (paths[path] ??= {})[method] = operation;
  };

  for (const route of options.routes) {
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ['path', route.params],
      ['query', route.query],
    ] as const) {
      if (!schema) continue;
      const json = convert(schema, 'input');
      const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((json.required as string[] | undefined) ?? []);
      for (const [name, property] of Object.entries(properties)) {
        const { description, ...propertySchema } = property;
        parameters.push({
          name,
          in: where,
          required: where === 'path' || required.has(name),
          ...(typeof description === 'string' ? { description } : {}),
          schema: propertySchema,
        });
      }
    }
    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(route.responses)) {
      if (!spec) continue;
      responses[status] = spec.schema
        ? {
            description: spec.description,
            content: { 'application/json': { schema: convert(spec.schema, 'output') } },
          }
        : { description: spec.description };
    }
    if (options.authEnabled) responses['401'] ??= errorResponse('Missing or invalid API key.');
    responses['403'] ??= errorResponse(
      'Host not allowed, or a cross-origin request from an origin not in the CORS list.',
    );
    if (route.body) {
      responses['415'] ??= errorResponse('The body is not sent as application/json.');
    }
    responses['429'] ??= errorResponse('Rate limited; see the Retry-After header.');
    responses['500'] ??= errorResponse('Internal error.');
    addOperation(toOpenApiPath(options.base + route.path), route.method, {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: convert(route.body, 'input') } },
            },
          }
        : {}),
      responses,
    });
  }

  addOperation(toOpenApiPath(`${options.base}/openapi.json`), 'get', {
    operationId: 'openApiDocument',
    summary: 'This OpenAPI document',
    tags: ['meta'],
    responses: {
      200: { description: 'OpenAPI 3.1 document.', content: { 'application/json': {} } },
    },
  });
  const open = { security: [] };
  addOperation('/health', 'get', {
    operationId: 'health',
    summary: 'Liveness: the process runs and the database answers',
    tags: ['probes'],
    ...open,
    responses: {
      200: {
        description: 'Healthy.',
        content: { 'application/json': { schema: convert(healthSchema, 'output') } },
      },
      503: {
        description: 'The database does not answer.',
        content: { 'application/json': { schema: convert(healthSchema, 'output') } },
      },
    },
  });
  addOperation('/ready', 'get', {
    operationId: 'ready',
    summary: 'Readiness: database open and migrated; reports the model state',
    description:
      'Ready (200) even with semantic search off; 503 only when the store is not usable.',
    tags: ['probes'],
    responses: {
      200: {
        description: 'Serving.',
        content: { 'application/json': { schema: convert(readySchema, 'output') } },
      },
      503: {
        description: 'Not serving.',
        content: { 'application/json': { schema: convert(readySchema, 'output') } },
      },
    },
  });
  addOperation('/metrics', 'get', {
    operationId: 'metrics',
    summary: 'Prometheus metrics',
    tags: ['probes'],
    responses: {
      200: {
        description: 'Prometheus text format.',
        content: { 'text/plain': { schema: { type: 'string' } } },
      },
    },
  });
  const mcpDescription =
    'MCP Streamable HTTP transport (JSON-RPC). POST an initialize request to open a session, then send its Mcp-Session-Id header with every request; GET opens the server event stream; DELETE ends the session.';
  for (const method of ['post', 'get', 'delete']) {
    addOperation('/mcp', method, {
      operationId: `mcp${method[0]!.toUpperCase()}${method.slice(1)}`,
      summary: 'MCP over Streamable HTTP',
      description: mcpDescription,
      tags: ['mcp'],
      responses: { 200: { description: 'JSON-RPC response or event stream.' } },
    });
  }
  addOperation('/sse', 'get', {
    operationId: 'mcpSse',
    summary: 'Legacy MCP HTTP+SSE transport: opens the event stream',
    description: 'The first event names the endpoint (/messages?sessionId=…) to POST messages to.',
    tags: ['mcp'],
    responses: { 200: { description: 'Event stream.', content: { 'text/event-stream': {} } } },
  });
  addOperation('/messages', 'post', {
    operationId: 'mcpSseMessage',
    summary: 'Legacy MCP HTTP+SSE transport: delivers one JSON-RPC message',
    tags: ['mcp'],
    parameters: [{ name: 'sessionId', in: 'query', required: true, schema: { type: 'string' } }],
    responses: {
      202: { description: 'Accepted; the reply arrives on the event stream.' },
      404: errorResponse('No open session with this id.'),
    },
  });

  return {
    openapi: '3.1.0',
    info: {
      title: 'Nellie',
      version: options.version,
      description:
        'Self-hosted code memory: code search, lessons, checkpoints and agent status over REST and MCP.',
    },
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
    ...(options.authEnabled ? { security: [{ bearerAuth: [] }, { apiKeyHeader: [] }] } : {}),
  };
}

/** `/lessons/:id` → `/lessons/{id}`. */
function toOpenApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}');
}

/**
 * Moves `$defs` into `components`, rewrites their refs and drops `$schema`. Response schemas stay
 * open to new fields (`open`): clients must not break when a later version adds one.
 */
function hoist(
  json: JsonSchema,
  components: Record<string, JsonSchema>,
  open: boolean,
): JsonSchema {
  const { $schema: _schema, $defs, ...rest } = json;
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value && typeof value === 'object') {
      const fields = Object.entries(value as Record<string, unknown>).filter(
        ([key, item]) => !(open && key === 'additionalProperties' && item === false),
      );
      const entries = fields.map(([key, item]) => {
        if (key === '$ref' && typeof item === 'string' && item.startsWith('#/$defs/')) {
          return [key, componentPrefix + item.slice('#/$defs/'.length)];
        }
        return [key, rewrite(item)];
      });
      return Object.fromEntries(entries);
    }
    return value;
  };
  for (const [name, schema] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
    const { $id: _id, ...definition } = rewrite(schema) as JsonSchema;
    components[name] ??= definition;
  }
  return rewrite(rest) as JsonSchema;
}
