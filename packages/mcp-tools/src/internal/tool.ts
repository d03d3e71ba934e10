import type { CodeIndexer, Embedder, Logger, ModelStatus, NellieStore } from '@nellie/core';
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';

/** Collaborators handed to every tool, with defaults applied. */
export interface ToolDeps {
  store: NellieStore;
  indexer: CodeIndexer | undefined;
  embedder: Embedder | undefined;
  modelStatus: () => ModelStatus;
  version: string;
  logger: Logger;
  actor: string;
}

/** Per-call information taken from the MCP request. */
export interface ToolCallContext {
  /** Audit actor: the authenticated client id, or the configured default. */
  actor: string;
  /** Fires when the client cancels the request. */
  signal: AbortSignal;
}

/** A successful tool answer: readable text for the model plus the same data, structured. */
export interface ToolOutput<Data> {
  text: string;
  data: Data;
}

// Declared as a method so tools with specific argument types fit in one list (method parameters
// are checked bivariantly).
type Handler<Args, Data> = {
  handle(args: Args, context: ToolCallContext): Promise<ToolOutput<Data>>;
}['handle'];

export type AnyObjectSchema = z.ZodObject<z.ZodRawShape, z.core.$ZodObjectConfig>;

export interface NellieTool<
  Input extends AnyObjectSchema = AnyObjectSchema,
  Output extends AnyObjectSchema = AnyObjectSchema,
> {
  name: string;
  config: {
    title: string;
    description: string;
    inputSchema: Input;
    outputSchema: Output;
    annotations: ToolAnnotations;
  };
  createHandler(deps: ToolDeps): Handler<z.output<Input>, z.input<Output>>;
}

export function defineTool<Input extends AnyObjectSchema, Output extends AnyObjectSchema>(
  tool: NellieTool<Input, Output>,
): NellieTool<Input, Output> {
  return tool;
}

/** Annotations of tools that only read. */
export const readOnly: ToolAnnotations = { readOnlyHint: true, openWorldHint: false };
