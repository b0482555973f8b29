// V8 settings for the long-lived server process, imported first by cli/main.ts so that they
// apply before any other module runs (V8 has compiled them by then, which grows the nursery
// once, to 4 MiB a semi-space). V8 grows its young generation (two semi-spaces) from 1 MiB
// to 16 MiB each under allocation and keeps it while the process stays busy: with 10k idle
// sessions pinging, 30 MiB of the server's RSS was an empty nursery.

import { setFlagsFromString } from 'node:v8';

/**
 * Keeps the young generation at its starting size. A server's garbage is short-lived (frames,
 * replies, promises), so a small nursery means more scavenges, each cheaper; it is a runtime
 * flag, so it holds for everything allocated after this line.
 */
if (process.argv[2] === 'server') setFlagsFromString('--semi-space-growth-factor=1');
