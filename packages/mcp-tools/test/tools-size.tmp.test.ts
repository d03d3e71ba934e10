import { it } from 'vitest';
import { connect, readyModel } from './support/harness.ts';
import { createFakeStore } from './support/fake-store.ts';
it('size', async () => {
  const h = await connect({ store: createFakeStore() as never, modelStatus: readyModel('m', 8), version: '0' });
  const r = await h.client.listTools();
  const total = JSON.stringify(r).length;
  const rows = r.tools.map((t) => [t.name, JSON.stringify(t).length, t.description?.length, JSON.stringify(t.inputSchema).length, JSON.stringify(t.outputSchema ?? {}).length]);
  console.log(total, JSON.stringify(rows, null, 0));
  await h.close();
});
