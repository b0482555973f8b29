// corral's own zoo.cfg keys for the machine event stream the admin server serves at
// <commandURL>/machine_events (actors/inspection/machine-events*.ts): how many records it keeps
// for a listener that resumes, how many listeners it serves, how many bytes wait for each, and
// whether peers beyond this machine may listen, and over what window events that change no
// state are summed. Each has a `corral server` flag that wins.
import { valueParsers } from '../../protocol/config/values.js';

export interface MachineEventsConfig {
  /** zoo.cfg `machineEvents.buffer`: records kept for a listener that resumes. */
  machineEventsBuffer: number;
  /** zoo.cfg `machineEvents.listeners`: streams served at once; one more is answered 503. */
  machineEventsListenersMax: number;
  /** zoo.cfg `machineEvents.queueBytes`: bytes waiting for one slow listener before its records
   * are dropped (it is then sent a gap and every live actor's state). */
  machineEventsQueueBytes: number;
  /** zoo.cfg `machineEvents.remote`: serve peers beyond this machine (loopback only otherwise). */
  machineEventsRemote: boolean;
  /** zoo.cfg `machineEvents.coalesceMs`: events that change no state are summed per actor and
   * event type over this window into one record; 0 streams each one. */
  machineEventsCoalesceMs: number;
}

export const machineEventsDefaults = {
  machineEventsBuffer: 2_000,
  machineEventsListenersMax: 4,
  machineEventsQueueBytes: 1024 * 1024,
  machineEventsRemote: false,
  machineEventsCoalesceMs: 50,
} as const satisfies MachineEventsConfig;

/** The zoo.cfg rules, in the shape of zoo-cfg-key-rules.ts's table. */
export const machineEventsKeyRules = {
  'machineEvents.buffer': { field: 'machineEventsBuffer', parse: valueParsers.positiveInteger },
  'machineEvents.listeners': {
    field: 'machineEventsListenersMax',
    parse: valueParsers.positiveInteger,
  },
  'machineEvents.queueBytes': {
    field: 'machineEventsQueueBytes',
    parse: valueParsers.positiveInteger,
  },
  'machineEvents.remote': { field: 'machineEventsRemote', parse: valueParsers.boolean },
  'machineEvents.coalesceMs': {
    field: 'machineEventsCoalesceMs',
    parse: valueParsers.nonNegativeInteger,
  },
} as const;
