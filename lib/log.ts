/**
 * A small leveled logger on stderr: human-readable lines on a terminal, one JSON object per line
 * otherwise (for log collectors). stdout stays free for results (summaries, --json).
 */
import type { Logger, LogLevel } from './pipeline/engine.js';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(name: string, options: { level?: LogLevel; json?: boolean; stream?: NodeJS.WritableStream } = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const min = LEVELS[options.level ?? 'info'];
  const json = options.json ?? !(stream as NodeJS.WriteStream).isTTY;
  return (level, message, fields = {}) => {
    if (LEVELS[level] < min) return;
    if (json) {
      stream.write(`${JSON.stringify({ time: new Date().toISOString(), level, name, msg: message, ...fields })}\n`);
      return;
    }
    const rest = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
      .join(' ');
    // Clear a live progress line before printing over it.
    stream.write(`\r\x1b[K${name}: ${level === 'info' ? '' : `${level.toUpperCase()} `}${message}${rest ? ` ${rest}` : ''}\n`);
  };
}
