// The scale benchmark's table, laid out as issue 16's: one line per figure with ZooKeeper 3.8's
// and corral's medians over the rounds (with their range when there were several), the
// corral/ZooKeeper ratio and which direction is better. Memory lines also show the file-backed
// and anonymous shares of the resident set.

import { median } from './report.js';
import type { Figures, RowName, ScaleSizes, ScaleSystem } from './scale-rows.js';

export interface MeasuredFigures {
  row: RowName;
  system: ScaleSystem;
  round: number;
  figures: Figures;
}

type Unit = 'bytes' | 'byteCount' | 'ms' | 'seconds' | 'perSecond';

interface TableLine {
  row: RowName;
  key: string;
  label(sizes: ScaleSizes): string;
  unit: Unit;
  better: 'lower' | 'higher';
  /** Keys of the file-backed and anonymous shares, shown beside an RSS figure. */
  shares?: [file: string, anonymous: string];
}

const count = (value: number): string => value.toLocaleString('en-US');
const rssShares: [string, string] = ['rssFileBytes', 'rssAnonBytes'];
const writes = '16 × 8, 1 KiB';

const tableLines: TableLine[] = [
  { row: 'znodes', key: 'rssBytes', unit: 'bytes', better: 'lower', shares: rssShares,
    label: (sizes) => `RSS with ${count(sizes.znodes)} znodes of 32 B` },
  { row: 'znodes', key: 'rssAnonBytes', unit: 'bytes', better: 'lower',
    label: () => '  of it anonymous (RssAnon)' },
  { row: 'bytes-per-znode', key: 'bytesPerZnode', unit: 'byteCount', better: 'lower',
    label: (sizes) => `bytes per znode, ${count(sizes.kibZnodes)} × 1 KiB (RSS)` },
  { row: 'bytes-per-znode', key: 'anonBytesPerZnode', unit: 'byteCount', better: 'lower',
    label: () => '  of it anonymous (RssAnon)' },
  { row: 'sessions', key: 'rssAddedBytes', unit: 'bytes', better: 'lower',
    label: (sizes) => `RSS added by ${count(sizes.sessions)} sessions open` },
  { row: 'sessions', key: 'rssBytes', unit: 'bytes', better: 'lower', shares: rssShares,
    label: (sizes) => `RSS with ${count(sizes.sessions)} sessions open` },
  { row: 'sessions', key: 'openPerSecond', unit: 'perSecond', better: 'higher',
    label: () => '  sessions opened per second' },
  { row: 'wide-children', key: 'p50Ms', unit: 'ms', better: 'lower',
    label: (sizes) => `getChildren of a node with ${count(sizes.children)} children, p50` },
  { row: 'wide-children', key: 'p99Ms', unit: 'ms', better: 'lower',
    label: (sizes) => `  p99 (of ${sizes.getChildrenCalls} calls)` },
  { row: 'wide-children', key: 'probeWorstMs', unit: 'ms', better: 'lower',
    label: () => '  another client stalled meanwhile, at most' },
  { row: 'wide-children', key: 'probeP99Ms', unit: 'ms', better: 'lower',
    label: () => '  another client\'s requests meanwhile, p99' },
  { row: 'wide-children', key: 'probeAloneWorstMs', unit: 'ms', better: 'lower',
    label: () => '  control: that client alone as long, worst wait' },
  { row: 'herd', key: 'replyMs', unit: 'ms', better: 'lower',
    label: (sizes) => `setData that fires a ${count(sizes.herd)}-session watch herd: its reply` },
  { row: 'herd', key: 'lastNotifiedMs', unit: 'ms', better: 'lower',
    label: () => '  until the last watcher was notified' },
  { row: 'herd', key: 'otherWritesWorstMs', unit: 'ms', better: 'lower',
    label: () => '  other sessions\' writes during the fan-out, worst' },
  { row: 'standalone-writes', key: 'setDataOpsPerSecond', unit: 'perSecond', better: 'higher',
    label: () => `standalone setData, ${writes}, ops/s` },
  { row: 'standalone-writes', key: 'setDataP99Ms', unit: 'ms', better: 'lower',
    label: () => '  setData p99' },
  { row: 'standalone-writes', key: 'createOpsPerSecond', unit: 'perSecond', better: 'higher',
    label: () => `standalone create, ${writes}, ops/s` },
  { row: 'standalone-writes', key: 'createP99Ms', unit: 'ms', better: 'lower',
    label: () => '  create p99' },
  { row: 'restart', key: 'restartMs', unit: 'seconds', better: 'lower',
    label: (sizes) => `restart to serving with ${count(sizes.znodes)} znodes` },
  { row: 'follower-catchup', key: 'catchUpMs', unit: 'seconds', better: 'lower',
    label: (sizes) => `wiped follower of 3 serving again, ${count(sizes.znodes)} znodes` },
  { row: 'ensemble5', key: 'r3OpsPerSecond', unit: 'perSecond', better: 'higher',
    label: () => `3-replica ensemble setData, ${writes}, ops/s` },
  { row: 'ensemble5', key: 'r3P99Ms', unit: 'ms', better: 'lower', label: () => '  p99' },
  { row: 'ensemble5', key: 'r5OpsPerSecond', unit: 'perSecond', better: 'higher',
    label: () => `5-replica ensemble setData, ${writes}, ops/s` },
  { row: 'ensemble5', key: 'r5P99Ms', unit: 'ms', better: 'lower', label: () => '  p99' },
];

function formatValue(value: number, unit: Unit): string {
  switch (unit) {
    case 'bytes':
      return `${(value / 2 ** 20).toFixed(Math.abs(value) >= 100 * 2 ** 20 ? 0 : 1)} MiB`;
    case 'byteCount':
      return count(Math.round(value));
    case 'ms':
      return `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ms`;
    case 'seconds':
      return `${(value / 1000).toFixed(2)} s`;
    case 'perSecond':
      return count(Math.round(value));
  }
}

function valuesOf(measured: readonly MeasuredFigures[], line: TableLine, system: ScaleSystem,
  key = line.key): number[] {
  return measured
    .filter((entry) => entry.row === line.row && entry.system === system)
    .map((entry) => entry.figures[key])
    .filter((value): value is number => value !== undefined && Number.isFinite(value));
}

/** The median, its range over several rounds, and the file/anonymous shares of an RSS line. */
function cell(measured: readonly MeasuredFigures[], line: TableLine, system: ScaleSystem):
  string {
  const values = valuesOf(measured, line, system);
  if (values.length === 0) return '-';
  let text = formatValue(median(values), line.unit);
  if (values.length > 1) {
    const low = formatValue(Math.min(...values), line.unit);
    const high = formatValue(Math.max(...values), line.unit);
    text += ` [${low}–${high}]`;
  }
  if (line.shares !== undefined) {
    const [file, anonymous] = line.shares.map((key) => median(valuesOf(measured, line, system,
      key)));
    text += ` (file ${formatValue(file!, line.unit)}, anon ${formatValue(anonymous!, line.unit)})`;
  }
  return text;
}

export interface TableRow {
  label: string;
  zookeeper: string;
  corral: string;
  /** corral's median over ZooKeeper's, when both were measured. */
  ratio: number | undefined;
  better: 'lower' | 'higher';
}

export function tableRows(
  measured: readonly MeasuredFigures[],
  sizes: ScaleSizes,
  rows: ReadonlySet<RowName>,
): TableRow[] {
  return tableLines.filter((line) => rows.has(line.row)).map((line) => {
    const corral = valuesOf(measured, line, 'corral');
    const zookeeper = valuesOf(measured, line, 'zookeeper');
    const ratio = corral.length > 0 && zookeeper.length > 0 && median(zookeeper) !== 0
      ? median(corral) / median(zookeeper)
      : undefined;
    return { label: line.label(sizes), zookeeper: cell(measured, line, 'zookeeper'),
      corral: cell(measured, line, 'corral'), ratio, better: line.better };
  });
}

/** The table as markdown-style text lines, columns padded to line up. */
export function formatTable(rows: readonly TableRow[]): string[] {
  const cells = [
    ['', 'ZooKeeper 3.8', 'corral', 'ratio', 'better'],
    ...rows.map((row) => [row.label, row.zookeeper, row.corral,
      row.ratio === undefined ? '-' : `×${row.ratio.toFixed(2)}`, row.better]),
  ];
  const widths = cells[0]!.map((_, column) =>
    Math.max(...cells.map((line) => line[column]!.length)));
  const render = (line: string[]): string =>
    `| ${line.map((text, column) => text.padEnd(widths[column]!)).join(' | ')} |`;
  const rule = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  return [render(cells[0]!), rule, ...cells.slice(1).map(render)];
}
