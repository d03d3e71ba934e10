import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, cliPath, makeTempDir, parseLogs, removeTempDirs, repoRoot } from './helpers.ts';

afterAll(() => removeTempDirs());

const maxMessageBytes = 10 * 1024 * 1024;

function startMcp() {
  const child = spawn(process.execPath, [cliPath, 'mcp', '--data-dir', makeTempDir()], {
    cwd: repoRoot,
    env: cleanEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const initialize = `${JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'stdio-limits', version: '1.0.0' },
  },
})}\n`;

describe('nellie mcp on stdio with bad input', () => {
  it('skips a line that is not JSON-RPC, logs it and keeps answering', async () => {
    const mcp = startMcp();
    try {
      mcp.child.stdin.write('this is not json\n');
      mcp.child.stdin.write(initialize);
      await until(() => mcp.output().stdout.includes('"id":1'), 'the initialize answer');
      const logs = parseLogs(mcp.output().stderr);
      expect(
        logs.some((line) => line.level === 'warn' && /MCP error on stdio/.test(line.msg)),
      ).toBe(true);
    } finally {
      mcp.child.stdin.end();
    }
    expect(await mcp.exited).toBe(0);
  });

  it('logs an oversized message and exits with code 1', async () => {
    const mcp = startMcp();
    const huge = `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"search_code","arguments":{"query":"${'x'.repeat(2 * maxMessageBytes)}"}}}\n`;
    mcp.child.stdin.on('error', () => {}); // the server stops reading part-way
    mcp.child.stdin.write(huge);
    const code = await mcp.exited;
    const { stderr } = mcp.output();
    expect(code, stderr).toBe(1);
    const failure = parseLogs(stderr).find((line) => line.level === 'error');
    expect(failure?.msg).toContain(`a message larger than ${maxMessageBytes} bytes`);
    expect(failure?.maxMessageBytes).toBe(maxMessageBytes);
  });
});
