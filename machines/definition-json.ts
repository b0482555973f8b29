// A machine's definition as JSON: what `corral machines` exports and what the machine event
// stream's hello carries, so XState tooling and the dashboard read one and the same text.
import type { AnyStateMachine } from 'xstate';

/**
 * The machine's definition as JSON. Implementations are host-provided, so only their names
 * appear; inline functions (dynamic action params) are dropped and bigints become strings.
 */
export function machineDefinitionJson(machine: AnyStateMachine): string {
  const replacer = (_key: string, value: unknown): unknown => {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'function') return undefined;
    return value;
  };
  return `${JSON.stringify(machine.toJSON(), replacer, 2)}\n`;
}
