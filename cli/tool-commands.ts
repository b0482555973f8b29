// Every `corral` subcommand but `server` (cli/main.ts registers that one itself, so a server
// process never loads these modules). Names and flags are the same contract as in cli/main.ts.

import type { Command } from 'commander';
import { addEnsembleOptions, runEnsemble } from './ensemble-command.js';
import { inspectData } from './inspect-data.js';
import { importZooKeeper } from './import-zookeeper.js';
import { exportZooKeeper } from './export-zookeeper.js';
import { machinesCommand } from './machines-command.js';
import { addSimOptions, runSimCommand, type SimFlags } from './sim-command.js';
import { addChaosOptions, runChaos, type ChaosFlags } from './chaos-command.js';
import { addShellOptions, runShell, type ShellFlags } from './shell/repl.js';
import { addBackupCommands } from './backup-command.js';
import { addStatusCommand } from './status-command.js';
import { addDashboardOptions, runDashboard, type DashboardFlags } from './dashboard/command.js';

/** Registers ensemble, machines, inspect-data, import/export, sim, chaos, shell, backup,
 * restore, status and dashboard on `program`. */
export function addToolCommands(program: Command): void {
  addEnsembleOptions(
    program
      .command('ensemble')
      .description('run an ensemble of local replicas as supervised child processes'),
  ).action(async (flags) => {
    await runEnsemble(flags);
  });

  program
    .command('machines')
    .description('list the XState machines and export them as JSON and Mermaid diagrams')
    .option('--out <dir>', 'where to write <name>.json and <name>.mmd', './machines-export')
    .option('--list', 'only list the machines, write nothing')
    .action(async (flags: { out: string; list?: boolean }) => {
      await machinesCommand({ outDir: flags.out, list: flags.list === true });
    });

  program
    .command('inspect-data')
    .description("summarise a stopped server's data dir; --dump prints its log entries")
    .requiredOption('--data-dir <dir>', 'the data dir to read (never modified)')
    .option('--dump', 'print log entries, one per line')
    .option('--from <zxid>', 'first zxid to dump (decimal or 0x hex)')
    .option('--limit <n>', 'entries to dump at most', '100')
    .action(async (flags: { dataDir: string; dump?: boolean; from?: string; limit: string }) => {
      await inspectData({
        dataDir: flags.dataDir,
        dump: flags.dump === true,
        ...(flags.from === undefined ? {} : { fromZxid: Number(flags.from) }),
        limit: Number(flags.limit),
      });
    });

  program
    .command('import-zookeeper')
    .description("create a data dir from a stopped ZooKeeper's snapshot and txn log")
    .requiredOption('--from <dir>', "ZooKeeper's dataDir (or its version-2 directory)")
    .option('--from-log <dir>', "ZooKeeper's dataLogDir, when the txn logs are kept apart")
    .requiredOption('--data-dir <dir>', 'the corral data dir to create (must be empty)')
    .action(async (flags: { from: string; fromLog?: string; dataDir: string }) => {
      await importZooKeeper({
        from: flags.from,
        dataDir: flags.dataDir,
        ...(flags.fromLog === undefined ? {} : { fromLog: flags.fromLog }),
      });
    });

  program
    .command('export-zookeeper')
    .description("write a stopped server's data dir in ZooKeeper's format (to roll back)")
    .requiredOption('--data-dir <dir>', 'the corral data dir to read')
    .requiredOption('--to <dir>', "the ZooKeeper dataDir to write (a version-2 inside it)")
    .action(async (flags: { dataDir: string; to: string }) => {
      await exportZooKeeper({ dataDir: flags.dataDir, to: flags.to });
    });

  addSimOptions(
    program
      .command('sim')
      .description('run the deterministic simulator over seeds (exit 1 if any finds a violation)'),
  ).action(async (flags: SimFlags) => {
    const failing = await runSimCommand(flags);
    process.exitCode = failing > 0 ? 1 : 0;
  });

  addChaosOptions(
    program
      .command('chaos')
      .description('fault-inject real replica processes under client load (exit 1 on a violation)'),
  ).action(async (flags: ChaosFlags) => {
    const result = await runChaos(flags);
    process.exitCode = result.verdict === 'violation' ? 1 : 0;
  });

  addShellOptions(
    program
      .command('shell')
      .description('an interactive shell with zkCli.sh\'s commands; -c runs one command'),
  ).action(async (connectString: string, flags: ShellFlags) => {
    // Exit at once: a watch or a reconnecting client must not keep a finished shell alive.
    process.exit(await runShell(connectString, flags));
  });

  // `corral backup` and `corral restore` (cli/backup-command.ts).
  addBackupCommands(program);
  // `corral status` (cli/status-command.ts).
  addStatusCommand(program);

  // `corral dashboard` (cli/dashboard/): live state charts of an ensemble, or a simulator trace.
  addDashboardOptions(
    program
      .command('dashboard')
      .description('serve a page showing the replicas\' machines live, or replaying a sim trace'),
  ).action(async (flags: DashboardFlags) => {
    await runDashboard(flags);
  });
}
