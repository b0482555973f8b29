// `corral machines [--out DIR] [--list]`: lists every machine in the catalogue and exports each as
// `<name>.json` (the definition XState tooling reads) and `<name>.mmd` (a Mermaid state diagram),
// so reviewers and the Stately editor see the protocol exactly as the code runs it.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { machineDefinitionJson } from '../machines/definition-json.js';
import { machineCatalog } from '../machines/index.js';
import { toMermaid } from '../machines/mermaid.js';

export interface MachinesCommandOptions {
  /** Where the files go; created if missing. The CLI defaults it to `./machines-export`. */
  outDir: string;
  /** Only print names and descriptions; write nothing. */
  list?: boolean;
}

export async function machinesCommand(options: MachinesCommandOptions): Promise<void> {
  const nameWidth = Math.max(...machineCatalog.map((entry) => entry.name.length));
  for (const entry of machineCatalog) {
    process.stdout.write(`${entry.name.padEnd(nameWidth)}  ${entry.description}\n`);
  }
  if (options.list) return;

  await mkdir(options.outDir, { recursive: true });
  for (const entry of machineCatalog) {
    const jsonPath = path.join(options.outDir, `${entry.name}.json`);
    const mermaidPath = path.join(options.outDir, `${entry.name}.mmd`);
    await writeFile(jsonPath, machineDefinitionJson(entry.machine));
    await writeFile(mermaidPath, toMermaid(entry.machine));
    process.stdout.write(`wrote ${jsonPath} and ${mermaidPath}\n`);
  }
}

export { machineDefinitionJson };
