import { expect } from 'chai';
import { CdcError } from '../../lib/errors.js';
import { isRetriableDeliveryError } from '../../lib/kafka/errors.js';

describe('kafka/errors', () => {
  it('classes the errors of a warming-up or unreachable cluster as retriable', () => {
    for (const message of [
      'Local: Message timed out',
      'message timed out',
      'Broker: Unknown topic or partition',
      'Broker: Leader not available',
      'Broker: Not leader for partition',
      'Broker: Not enough in-sync replicas',
      'Local: Broker transport failure',
      'Local: All broker connections are down',
    ]) {
      expect(isRetriableDeliveryError(new Error(message)), message).to.equal(true);
    }
  });

  it('classes other errors as final', () => {
    for (const message of [
      'Broker: Message size too large',
      'Broker: Topic authorization failed',
      'Local: Invalid argument or configuration',
    ]) {
      expect(isRetriableDeliveryError(new Error(message)), message).to.equal(false);
    }
  });

  it("follows librdkafka's own flag and a CdcError's canRetry", () => {
    expect(isRetriableDeliveryError(Object.assign(new Error('odd'), { isRetriable: true }))).to.equal(true);
    expect(isRetriableDeliveryError(new CdcError('ERR_CDC_KAFKA', 'timed out', { canRetry: false }))).to.equal(false);
    expect(isRetriableDeliveryError(new CdcError('ERR_CDC_KAFKA', 'whatever', { canRetry: true }))).to.equal(true);
  });
});
