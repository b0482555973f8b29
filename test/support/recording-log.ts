// A config logger that keeps what it is told, `info: …` and `warn: …` in order, for tests that
// assert on the messages a config build logs.

export interface RecordingLog {
  messages: string[];
  info(message: string): void;
  warn(message: string): void;
}

export function recordingLog(): RecordingLog {
  const messages: string[] = [];
  return {
    messages,
    info: (message) => messages.push(`info: ${message}`),
    warn: (message) => messages.push(`warn: ${message}`),
  };
}
