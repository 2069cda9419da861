export * from './options.js';
export * as parse from './parsers.js';
export { redactUrl } from './redact.js';
