#!/usr/bin/env node
// The `corral` executable. Subcommands and their flags are a contract operators' scripts rely
// on: `corral server`, `corral machines`, …; keep them stable.

import { Command } from 'commander';
import { machinesCommand } from './machines-command.js';
import { runServer } from './server-command.js';
import { addServerOptions } from './server-options.js';

const program = new Command();
program
  .name('corral')
  .description('A ZooKeeper-compatible coordination service')
  .showHelpAfterError();

addServerOptions(
  program.command('server').description('run a standalone corral server in the foreground'),
).action(async (flags) => {
  await runServer(flags);
});

program
  .command('machines')
  .description('list the XState machines and export them as JSON and Mermaid diagrams')
  .option('--out <dir>', 'where to write <name>.json and <name>.mmd', './machines-export')
  .option('--list', 'only list the machines, write nothing')
  .action(async (flags: { out: string; list?: boolean }) => {
    await machinesCommand({ outDir: flags.out, list: flags.list === true });
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`corral: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
