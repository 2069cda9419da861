export { withDeadLetters, type ConnectionSettings } from './connection.js';
export { deadLetterDefaults } from './defaults.js';
export * from './format.js';
export * from './options.js';
export * from './selection.js';
export * from './store.js';
export { replayDeadLetters, type ReplayOutput, type ReplaySettings, type ReplaySummary } from './replay.js';
