#!/usr/bin/env node
// The `corral` executable. Subcommands and their flags are a contract operators' scripts rely
// on: `corral server`, `corral ensemble`, `corral machines`, …; keep them stable.
//
// `corral server` is the long-lived process, so it loads only what serving needs: the other
// subcommands (simulator, chaos, shell, dashboard, backup, …) pull in many modules a server never
// runs, and every module loaded stays in its heap for the process's life (~25 MB idle). They are
// registered from cli/tool-commands.ts, imported only when the subcommand is not `server`.

// First: V8 flags for a server process, set before anything else loads (see server-heap.ts).
import './server-heap.js';
import { Command } from 'commander';
import { runServer } from './server-command.js';
import { addServerOptions } from './server-options.js';
import { corralVersion } from './package-root.js';

const program = new Command();
program
  .name('corral')
  .description('A ZooKeeper-compatible coordination service')
  .version(corralVersion(), '-V, --version', 'print corral\'s version')
  .showHelpAfterError();

addServerOptions(
  program
    .command('server')
    .description(
      'run a standalone corral server, or one replica of an ensemble, in the foreground',
    ),
).action(async (flags) => {
  await runServer(flags);
});

if (process.argv[2] !== 'server') {
  const { addToolCommands } = await import('./tool-commands.js');
  addToolCommands(program);
}

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`corral: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
