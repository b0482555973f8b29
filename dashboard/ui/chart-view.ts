// One actor's state chart drawn from its machine's definition: nested boxes for compound states,
// parallel regions side by side (dashed separators), each state's outgoing transitions as
// `EVENT → target` chips. Built once per actor; `update` lights the active states and the
// transition just taken (a CSS animation fades it), so a live stream costs attribute changes.
import { activeStateIds, type ChartNode, type ChartTransition } from '../model/chart.js';
import type { ActorView } from '../model/world.js';
import { h } from './dom.js';

interface ChipElement {
  element: HTMLElement;
  source: string;
  transition: ChartTransition;
}

function targetText(transition: ChartTransition, source: string): string {
  if (transition.targets.length === 0) return '';
  return transition.targets.map((target) => {
    if (target === source) return '↻';
    return target.slice(target.lastIndexOf('.') + 1);
  }).join(', ');
}

/** The chip's tooltip: the whole event type, its guard, and where it goes. */
function chipTitle(transition: ChartTransition): string {
  const guard = transition.guard === undefined ? '' : ` [${transition.guard}]`;
  const goes = transition.targets.length === 0 ? ' (no state change)'
    : ` → ${transition.targets.join(', ')}`;
  return `${transition.event}${guard}${goes}`;
}

export class ChartView {
  readonly element: HTMLElement;
  private readonly nodes = new Map<string, HTMLElement>();
  private readonly chips = new Map<string, ChipElement[]>();
  private shownTransition = -1;
  private shownState: unknown = undefined;

  constructor(readonly key: string, readonly machine: string, readonly root: ChartNode) {
    this.element = h('div', {
      class: 'chart', 'data-chart': key, 'data-machine': machine,
    }, this.build(root, 0));
  }

  private build(node: ChartNode, depth: number): HTMLElement {
    const chips = node.transitions.map((transition) => {
      const target = targetText(transition, node.id);
      const chip = h('span', {
        class: 'chip',
        'data-transition': `${node.id}:${transition.event}`,
        'data-taken': 'false',
        title: chipTitle(transition),
      // A narrow region wraps a long event type at its dots, not mid-word.
      }, h('span', { class: 'chip-event' }, transition.eventLabel.replace(/\./g, '.\u200b')),
      target === '' ? null : h('span', { class: 'chip-target' }, `→ ${target}`));
      // A targetless transition (actions only) reads by its dashed outline.
      if (target === '') chip.classList.add('chip-internal');
      const list = this.chips.get(node.id) ?? [];
      list.push({ element: chip, source: node.id, transition });
      this.chips.set(node.id, list);
      return chip;
    });
    const children = node.children.map((child) => this.build(child, depth + 1));
    const element = h('div', {
      class: `node node-${node.type}`,
      'data-state-node': node.id,
      'data-active': 'false',
      'data-depth': depth,
    },
    h('div', { class: 'node-head' },
      h('span', { class: 'node-name' }, node.key),
      node.type === 'parallel' ? h('span', { class: 'node-kind' }, 'parallel') : null,
      node.type === 'final' ? h('span', { class: 'node-kind' }, 'final') : null),
    chips.length > 0 ? h('div', { class: 'chips' }, ...chips) : null,
    children.length > 0
      ? h('div', { class: node.type === 'parallel' ? 'children regions' : 'children' }, ...children)
      : null);
    this.nodes.set(node.id, element);
    return element;
  }

  /** Shows the actor as it is (or was): active states lit, its last transition highlighted. */
  update(actor: ActorView | undefined, fresh: boolean): void {
    const state = actor?.state;
    if (state !== this.shownState) {
      this.shownState = state;
      const active = state === undefined ? new Set<string>() : activeStateIds(this.root.id, state);
      for (const [id, element] of this.nodes) {
        const value = active.has(id) ? 'true' : 'false';
        if (element.dataset.active !== value) element.dataset.active = value;
      }
    }
    this.element.dataset.ended = actor?.ended ?? '';
    const last = actor?.lastTransition;
    const n = last?.n ?? -1;
    if (n === this.shownTransition) return;
    this.shownTransition = n;
    for (const list of this.chips.values()) {
      for (const chip of list) {
        if (chip.element.dataset.taken !== 'false') chip.element.dataset.taken = 'false';
        chip.element.classList.remove('flash');
      }
    }
    for (const element of this.nodes.values()) element.classList.remove('entered', 'flash');
    if (last === undefined) return;
    const eventType = last.record.event.type;
    for (const taken of last.record.transitions) {
      const chip = this.chipFor(taken.source, eventType, taken.targets);
      if (chip !== undefined) this.light(chip.element, fresh);
      for (const target of taken.targets) {
        const node = this.nodes.get(target);
        if (node !== undefined) this.light(node, fresh, 'entered');
      }
    }
  }

  /** The chip of a transition taken: same source and targets, the same event when it has one. */
  private chipFor(source: string, event: string, targets: string[]): ChipElement | undefined {
    const candidates = (this.chips.get(source) ?? []).filter((chip) =>
      chip.transition.targets.length === targets.length &&
      chip.transition.targets.every((target, index) => target === targets[index]));
    return candidates.find((chip) => chip.transition.event === event) ??
      candidates.find((chip) => chip.transition.event === '') ?? candidates[0];
  }

  /** Marks an element as just taken; a fresh one (live, or a step) replays the fading flash. */
  private light(element: HTMLElement, fresh: boolean, className?: string): void {
    if (className === undefined) element.dataset.taken = 'true';
    else element.classList.add(className);
    element.classList.remove('flash');
    if (!fresh) return;
    void element.offsetWidth;
    element.classList.add('flash');
  }
}
