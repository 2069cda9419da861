export * from './options.js';
export * as parse from './parsers.js';
export { redactSecrets, redactUrl } from './redact.js';
