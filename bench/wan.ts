// `npm run bench:wan`: cross-site bytes per committed write, write and read latency per site,
// and a dead site's client failing over, on 3x3 and 2+2+1 sites, star and tree broadcast
// alternating (bench/wan-bench.ts). Bounded: about two and a half minutes by default.

import { Command } from 'commander';
import { runWanBench, settingsOf, type WanFlags } from './wan-bench.js';

const program = new Command()
  .name('corral-bench-wan')
  .description('issue 17\'s WAN figures: sites on one machine through a shaped proxy mesh')
  .option('--layouts <names>', 'site layouts: 3x3, 2+2+1', '3x3,2+2+1')
  .option('--modes <names>', 'broadcast modes: star (treeBroadcast=false), tree, tree-batched ' +
    '(treeBroadcastDirectAcks=false)', 'star,tree')
  .option('--observers <names>', 'modes also run with an observer per site serving its ' +
    'site\'s reads: tree, star, none (tree; none with --small)')
  .option('--seconds <s>', 'seconds of load per run (8)')
  .option('--rate <n>', 'writes and reads per second from each site\'s client (20)')
  .option('--wan-delay-ms <ms>', 'one-way delay between two sites (40)')
  .option('--lan-delay-ms <ms>', 'one-way delay inside a site (1)')
  .option('--wan-bandwidth-mbit <n>', 'each link between sites, Mbit/s; 0 for no limit (0)')
  .option('--session-timeout-ms <ms>', 'the clients\' session timeout (6000)')
  .option('--rounds <n>', 'each layout\'s modes run n times, alternating; figures pooled (1)')
  .option('--small', 'the CI-sized run: 3 s of load at 10/s')
  .showHelpAfterError()
  .action(async (flags: WanFlags) => {
    await runWanBench(settingsOf(flags));
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
