// The Mermaid export: the session diagram's key lines, and the generator's handling of shapes the
// session machine does not use (parallel regions, `always`, numeric delays, custom state ids).
import { describe, expect, it } from 'vitest';
import { setup } from 'xstate';
import { mermaidStateId, toMermaid } from '../../machines/mermaid.js';
import { sessionMachine } from '../../machines/session.js';

describe('toMermaid', () => {
  it('draws the session machine: nesting, finals, guarded events and the expiry timer', () => {
    const lines = toMermaid(sessionMachine).split('\n');
    expect(lines[0]).toBe('stateDiagram-v2');
    const expected = [
      '  [*] --> handshake',
      '  state live {',
      '    [*] --> live_active',
      '    state "active" as live_active',
      '    state "disconnected" as live_disconnected',
      '    live_active --> live_disconnected : client.disconnected [isCurrentConnection] / ' +
        'detachConnection',
      '  expired --> [*]',
      '  closed --> [*]',
      '  handshake --> live : client.connected [isCurrentConnection]',
      '  handshake --> expiring : after sessionTimeout [expiresHere] / requestSessionClose',
      '  handshake --> live_disconnected : always [hasNoConnection]',
      '  live --> live_active : client.touch [isCurrentConnection]',
      '  live --> live_active : client.connected [isReplacingConnection] / closeConnection, ' +
        'attachConnection',
      '  live --> closing : client.close [isCurrentConnection] / requestSessionClose',
      '  live --> expiring : after sessionTimeout [expiresHere] / requestSessionClose',
      '  expiring --> expired : tree.sessionClosed [hasConnection] / closeConnection',
      '  closing --> closed : tree.sessionClosed',
    ];
    for (const line of expected) expect(lines).toContain(line);
    // The nested block closes before the top-level edges start.
    expect(lines.indexOf('  }')).toBeLessThan(lines.indexOf(expected[8] as string));
  });

  it('draws parallel regions, always and numeric after transitions, and custom ids', () => {
    const machine = setup({}).createMachine({
      id: 'demo',
      type: 'parallel',
      states: {
        left: {
          initial: 'waiting',
          states: {
            waiting: { after: { 500: 'done' } },
            done: { type: 'final' },
          },
        },
        right: {
          initial: 'start',
          states: {
            start: { always: '#custom' },
            end: { id: 'custom', on: { 'peer.ping': 'start' } },
          },
        },
      },
    });
    const diagram = toMermaid(machine);
    expect(diagram).toContain('  state left {\n    [*] --> left_waiting');
    expect(diagram).toContain('  }\n  --\n  state right {');
    expect(diagram).toContain('    left_waiting --> left_done : after 500ms');
    expect(diagram).toContain('    left_done --> [*]');
    expect(diagram).toContain('    right_start --> right_end : always');
    expect(diagram).toContain('    right_end --> right_start : peer.ping');
  });

  it('makes Mermaid-safe ids from state paths', () => {
    expect(mermaidStateId(['leading', 'synchronization', 'wait-ack'])).toBe(
      'leading_synchronization_wait_ack',
    );
  });
});
