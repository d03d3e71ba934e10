import { z } from 'zod';
import { describeAgentStatus } from '../internal/describe-memory.ts';
import { agentSchema, agentStatusViewSchema } from '../internal/schemas.ts';
import { defineTool, readOnly } from '../internal/tool.ts';

export const getAgentStatusTool = defineTool({
  name: 'get_agent_status',
  config: {
    title: 'Agent status',
    description:
      'Whether an agent is busy (in_progress, with its task) or idle; omit agent to list all.',
    inputSchema: z.strictObject({
      agent: agentSchema.optional().describe('The agent to report on; omit to list all agents.'),
    }),
    outputSchema: z.object({ agents: z.array(agentStatusViewSchema) }),
    annotations: readOnly,
  },
  createHandler: (deps) => async (args) => {
    if (args.agent !== undefined) {
      const status = await deps.store.getAgentStatus(args.agent);
      return { text: describeAgentStatus(status), data: { agents: [status] } };
    }
    const agents = await deps.store.listAgents();
    const text =
      agents.length === 0
        ? 'No agent has saved a checkpoint yet.'
        : [
            `${agents.length} agents:`,
            ...agents.map((status) => `- ${describeAgentStatus(status)}`),
          ].join('\n');
    return { text, data: { agents } };
  },
});
