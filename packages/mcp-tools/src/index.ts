export { nellieToolNames, registerNellieTools } from './register-tools.ts';
export type { NellieToolsDeps } from './register-tools-options.ts';
