// Temporary: the fault suite (test/faults/) still imports from here until it moves to lib/generator/.
export * from '../generator/index.js';
export * from '../produce/index.js';
