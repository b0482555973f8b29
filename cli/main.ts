#!/usr/bin/env node
// The `corral` executable: one entry point whose subcommands are the operator's contract.
console.log('corral: not yet');
