// A plain replay of history messages, written apart from the model's: what time travel must
// agree with. States are compared as plain objects per replica and actor.
import type { HistoryMessage } from '../../dashboard/model/history.js';
import type { World } from '../../dashboard/model/world.js';
import type { StreamStateValue } from '../../protocol/machine-stream.js';

export interface Pictured {
  machine: string;
  state: StreamStateValue;
  ended: boolean;
}

export type Picture = Record<string, Record<string, Pictured>>;

export function naiveStates(messages: readonly HistoryMessage[]): Picture {
  const picture: Picture = {};
  for (const message of messages) {
    if (message.kind === 'mark') continue;
    const actors = (picture[message.replica] ??= {});
    switch (message.kind) {
      case 'reset':
      case 'gap':
        picture[message.replica] = {};
        break;
      case 'actor':
        actors[message.actor] = { machine: message.machine, state: message.state, ended: false };
        break;
      case 'transition': {
        const known = actors[message.actor];
        actors[message.actor] = { machine: known?.machine ?? '?', state: message.state,
          ended: known?.ended ?? false };
        break;
      }
      case 'ended': {
        const known = actors[message.actor];
        if (known !== undefined) known.ended = true;
        break;
      }
    }
  }
  return picture;
}

/** The model's world in the same shape; without ended actors when `withEnded` is false. */
export function statesOf(world: World, withEnded = true): Picture {
  const picture: Picture = {};
  for (const [replica, actors] of world.replicas) {
    const shown: Record<string, Pictured> = {};
    for (const [id, actor] of actors) {
      if (!withEnded && actor.ended !== undefined) continue;
      shown[id] = { machine: actor.machine, state: actor.state, ended: actor.ended !== undefined };
    }
    picture[replica] = shown;
  }
  return picture;
}
