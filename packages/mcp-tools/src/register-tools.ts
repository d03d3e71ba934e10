import {
  NellieError,
  isFullAccess,
  noopLogger,
  requireScope,
  scopeIndexer,
  scopeStore,
} from '@nellie/core';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { nellieToolsOptionsSchema, type NellieToolsDeps } from './register-tools-options.ts';
import { accessFromAuthInfo } from './internal/access.ts';
import type { NellieTool, ToolDeps } from './internal/tool.ts';
import { toolScopes } from './internal/tool-scopes.ts';
import { addCheckpointTool } from './tools/add-checkpoint.ts';
import { addLessonTool } from './tools/add-lesson.ts';
import { confirmCheckpointTool } from './tools/confirm-checkpoint.ts';
import { deleteLessonTool } from './tools/delete-lesson.ts';
import { getAgentStatusTool } from './tools/get-agent-status.ts';
import { getCheckpointTool } from './tools/get-checkpoint.ts';
import { getIndexStatusTool } from './tools/get-index-status.ts';
import { getLessonTool } from './tools/get-lesson.ts';
import { getRecentCheckpointsTool } from './tools/get-recent-checkpoints.ts';
import { getStatusTool } from './tools/get-status.ts';
import { indexRepoTool } from './tools/index-repo.ts';
import { listLessonsTool } from './tools/list-lessons.ts';
import { listRepositoriesTool } from './tools/list-repositories.ts';
import { readFileTool } from './tools/read-file.ts';
import { removeRepositoryTool } from './tools/remove-repository.ts';
import { renameRepositoryTool } from './tools/rename-repository.ts';
import { searchCheckpointsTool } from './tools/search-checkpoints.ts';
import { searchCodeTool } from './tools/search-code.ts';
import { searchLessonsTool } from './tools/search-lessons.ts';
import { updateLessonTool } from './tools/update-lesson.ts';

const tools: readonly NellieTool[] = [
  searchCodeTool,
  readFileTool,
  listRepositoriesTool,
  removeRepositoryTool,
  renameRepositoryTool,
  indexRepoTool,
  getIndexStatusTool,
  addLessonTool,
  searchLessonsTool,
  listLessonsTool,
  getLessonTool,
  updateLessonTool,
  deleteLessonTool,
  addCheckpointTool,
  getRecentCheckpointsTool,
  getCheckpointTool,
  searchCheckpointsTool,
  confirmCheckpointTool,
  getAgentStatusTool,
  getStatusTool,
];

/** The names of the tools {@link registerNellieTools} registers, in registration order. */
export const nellieToolNames: readonly string[] = Object.freeze(tools.map((tool) => tool.name));

/** Codes that describe a caller's mistake rather than a failure of Nellie. */
const callerErrorCodes = new Set([
  'INVALID_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'ABORTED',
  'PATH_NOT_ALLOWED',
  'FORBIDDEN',
]);

/**
 * Registers Nellie's tools on a caller's MCP server; the caller owns the transport (stdio,
 * Streamable HTTP, …). Arguments are validated by the server from each tool's zod schema. A tool
 * failure becomes an `isError` result whose text is safe to show to a model; it never escapes the
 * handler. Writes are audited under the request's authenticated client id, else `deps.actor`.
 *
 * Each call is checked against the scope in its auth info (`scopes` holding `read`, `write` or
 * `admin`; `extra.repositories` limiting the repositories it sees); calls without a Nellie scope
 * have full access. A refused call answers `FORBIDDEN`.
 */
export function registerNellieTools(server: McpServer, deps: NellieToolsDeps): void {
  const toolDeps = resolveDeps(deps);
  for (const tool of tools) {
    const handle = tool.createHandler(toolDeps);
    const scope = toolScopes[tool.name];
    if (scope === undefined) throw new Error(`The tool ${tool.name} has no scope.`);
    const { outputSchema } = tool.config;
    // Output schemas stay off tools/list: they would triple its size, and every client reads the
    // text; structured content follows them all the same (documented in the README).
    server.registerTool(
      tool.name,
      {
        title: tool.config.title,
        description: tool.config.description,
        inputSchema: tool.config.inputSchema,
        annotations: tool.config.annotations,
      },
      async (args, extra): Promise<CallToolResult> => {
        const actor = extra.authInfo?.clientId || toolDeps.actor;
        const started = performance.now();
        try {
          const access = accessFromAuthInfo(extra.authInfo, actor);
          requireScope(access, scope, `The ${tool.name} tool`);
          // Less than full access: the same tool over views of the store and indexer that
          // enforce the caller's scope and repositories in every call it makes.
          const run = isFullAccess(access)
            ? handle
            : tool.createHandler({
                ...toolDeps,
                store: scopeStore(toolDeps.store, access),
                indexer: toolDeps.indexer
                  ? await scopeIndexer(toolDeps.indexer, toolDeps.store, access)
                  : undefined,
              });
          const output = await run(args, { actor, signal: extra.signal });
          // Parsing keeps exactly the fields the output schema declares, as clients check.
          const structuredContent = outputSchema.parse(output.data);
          toolDeps.logger.debug(
            { tool: tool.name, actor, durationMs: Math.round(performance.now() - started) },
            'MCP tool call',
          );
          return { content: [{ type: 'text', text: output.text }], structuredContent };
        } catch (error) {
          return failure(toolDeps, tool.name, actor, error);
        }
      },
    );
  }
}

function resolveDeps(deps: NellieToolsDeps): ToolDeps {
  const parsed = nellieToolsOptionsSchema.safeParse({ version: deps.version, actor: deps.actor });
  if (!parsed.success) {
    throw new NellieError('INVALID_OPTIONS', z.prettifyError(parsed.error), {
      cause: parsed.error,
    });
  }
  const missing = [
    typeof deps.store !== 'object' || deps.store === null ? 'store' : null,
    typeof deps.modelStatus !== 'function' ? 'modelStatus' : null,
  ].filter((name) => name !== null);
  if (missing.length > 0) {
    throw new NellieError(
      'INVALID_OPTIONS',
      `registerNellieTools needs ${missing.join(' and ')} (see NellieToolsDeps).`,
    );
  }
  return {
    store: deps.store,
    indexer: deps.indexer,
    embedder: deps.embedder,
    modelStatus: deps.modelStatus,
    version: parsed.data.version,
    logger: deps.logger ?? noopLogger,
    actor: parsed.data.actor,
  };
}

function failure(deps: ToolDeps, tool: string, actor: string, error: unknown): CallToolResult {
  if (NellieError.is(error)) {
    const fields = { tool, actor, code: error.code, err: error };
    if (callerErrorCodes.has(error.code))
      deps.logger.warn(fields, `${tool} failed: ${error.message}`);
    else deps.logger.error(fields, `${tool} failed: ${error.message}`);
    return {
      isError: true,
      content: [{ type: 'text', text: `${error.code}: ${error.message}` }],
      // The error shape of every interface (REST answers the same body).
      structuredContent: { error: { code: error.code, message: error.message } },
    };
  }
  deps.logger.error({ tool, actor, err: error }, `${tool} failed unexpectedly`);
  return {
    isError: true,
    content: [
      {
        type: 'text',
        text: `INTERNAL: ${tool} failed unexpectedly; the error was logged on the server. Try again, or check get_status.`,
      },
    ],
  };
}
