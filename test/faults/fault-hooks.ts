/**
 * Mocha root hooks for the fault suite (.mocharc.faults.json): its own dev stack for the whole run
 * (scenarios stop and freeze its Postgres), and the per-scenario table printed at the end.
 */
import { startFaultStack, stopFaultStack } from './fault-stack.js';
import { faultSeed } from './harness.js';
import { printReport } from './report.js';

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(90_000);
    await startFaultStack();
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    printReport(faultSeed());
    await stopFaultStack();
  },
};
