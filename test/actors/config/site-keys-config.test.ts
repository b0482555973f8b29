// treeBroadcast and siteSync: corral's own zoo.cfg keys for the ways sites change the traffic.
// On unless turned off, and a value that is not a boolean stops startup naming the key.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseZooCfg, resolveConfig } from '../../../actors/config/config.js';

const minimal = 'clientPort=2181\ndataDir=/var/lib/corral\n';
const silent = { info: () => undefined, warn: () => undefined };

function resolved(lines: string[]) {
  const text = `${minimal}${lines.join('\n')}\n`;
  return resolveConfig(parseZooCfg(text, 'zoo.cfg').config, { log: silent });
}

describe.each(['treeBroadcast', 'siteSync'] as const)('%s', (key) => {
  it('is on by default', () => {
    expect(resolved([])[key]).toBe(true);
  });

  it.each<[string, boolean]>([['true', true], ['false', false]])('reads %s', (value, expected) => {
    expect(resolved([`${key}=${value}`])[key]).toBe(expected);
  });

  it('stops startup on a value that is not a boolean, naming the key', () => {
    let caught: unknown;
    try {
      resolved([`${key}=sometimes`]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).message).toContain(key);
  });
});
