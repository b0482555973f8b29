// The one throwing default for a machine's host effects: every action and actor a machine names in
// its setup() defaults to this, so a world that forgets to provide one fails loudly, naming the
// machine and the effect, instead of silently dropping it.
import { fromPromise } from 'xstate';

/** An action the host must provide; `Params` types what the machine passes it. */
export function notProvided<Params = undefined>(machine: string, name: string) {
  return (_arguments: unknown, _params: Params): void => {
    throw new Error(`${machine} machine: action '${name}' was not provided by the host`);
  };
}

/** An invoked actor the host must provide. */
export function notProvidedActor<Input, Output>(machine: string, name: string) {
  return fromPromise<Output, Input>(async () => {
    throw new Error(`${machine} machine: actor '${name}' was not provided by the host`);
  });
}
