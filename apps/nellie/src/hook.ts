#!/usr/bin/env node
// What the client's hooks run on each session start and prompt: kept apart from the CLI so that
// it loads only the hook (no command parser, configuration or logger).
import { runHookFromArgs } from './hook-runner.ts';

process.exitCode = await runHookFromArgs(process.argv.slice(2));
