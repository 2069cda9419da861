/**
 * Logs go to stderr (stdout is for results: summaries, --json). Off a terminal they are pino's JSON
 * lines for log collectors; on a terminal, one readable line each.
 */
import { pino } from 'pino';

export const logLevels = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof logLevels)[number];
/** What the engine and the CLIs log through: a level, a message and structured fields. */
export type Logger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(name: string, options: { level?: LogLevel; json?: boolean } = {}): Logger {
  const level = options.level ?? 'info';
  const json = options.json ?? !process.stderr.isTTY;
  if (json) {
    // Synchronous writes: a log line right before exit must not be lost.
    const log = pino(
      { name, level, base: { name }, formatters: { level: (label) => ({ level: label }) } },
      pino.destination({ dest: 2, sync: true }),
    );
    return (lvl, message, fields = {}) => log[lvl](fields, message);
  }
  const min = RANK[level];
  return (lvl, message, fields = {}) => {
    if (RANK[lvl] < min) return;
    // Fields left undefined are left out, as pino's JSON leaves them out.
    const rest = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
      .join(' ');
    // Clear the live progress line before printing over it.
    process.stderr.write(`\r\x1b[K${name}: ${lvl === 'info' ? '' : `${lvl.toUpperCase()} `}${message}${rest ? ` ${rest}` : ''}\n`);
  };
}
