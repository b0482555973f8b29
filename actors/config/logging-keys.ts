// The server log's settings as configuration: the level (pino's names) and the format (readable
// lines or one JSON object a line), as `--log-level`/`--log-format` flags and as corral's own
// zoo.cfg keys `logLevel`/`logFormat`. A level corral does not know stops startup naming the key.
import { ValueProblem, type ValueParser } from '../../protocol/config/values.js';

/** pino's levels, most verbose first; `silent` logs nothing. */
export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/** `auto`: readable lines on a terminal, JSON otherwise (pipes, files, CI). */
export const logFormats = ['auto', 'pretty', 'json'] as const;
export type LogFormatSetting = (typeof logFormats)[number];

export const logLevelParser: ValueParser = (value) => {
  const lower = value.toLowerCase();
  if (!(logLevels as readonly string[]).includes(lower)) {
    throw new ValueProblem(`expected one of ${logLevels.join(', ')}`);
  }
  return lower as LogLevel;
};

export const logFormatParser: ValueParser = (value) => {
  const lower = value.toLowerCase();
  if (!(logFormats as readonly string[]).includes(lower)) {
    throw new ValueProblem(`expected one of ${logFormats.join(', ')}`);
  }
  return lower as LogFormatSetting;
};

export interface LoggingConfig {
  /** zoo.cfg `logLevel` (corral's own key); `--log-level` wins over it. */
  logLevel: LogLevel;
  /** zoo.cfg `logFormat` (corral's own key); `--log-format` wins over it. */
  logFormat: LogFormatSetting;
}

export const loggingDefaults = {
  logLevel: 'info',
  logFormat: 'auto',
} as const satisfies LoggingConfig;

/** The zoo.cfg rules, in the shape of config.ts's zooCfgKeys table. */
export const loggingKeyRules = {
  logLevel: { field: 'logLevel', parse: logLevelParser },
  logFormat: { field: 'logFormat', parse: logFormatParser },
} as const;
