import { expect } from 'chai';
import { checkWatermarks } from '../../bench/dataset.js';
import type { Watermarks } from '../../bench/watermarks.js';

describe('bench/dataset', () => {
  describe('checkWatermarks (a preload still whole in the log)', () => {
    const marks = (lows: number[], highs: number[]): Watermarks[] =>
      highs.map((high, i) => ({ topic: i < 2 ? 'avro_users' : 'avro_orders', partition: i % 2, low: lows[i] ?? 0, high }));

    it('passes when every partition starts at offset 0 and the topics hold every delivered message', () => {
      expect(() => checkWatermarks(marks([0, 0, 0, 0], [50, 50, 40, 60]), 200)).to.not.throw();
    });

    it('fails naming the partition whose oldest messages retention dropped', () => {
      expect(() => checkWatermarks(marks([0, 0, 7, 0], [50, 50, 40, 60]), 200)).to.throw(
        'avro_orders/0 no longer holds its first 7 messages (retention): preload fewer events (--events)',
      );
    });

    it('fails when the topics hold more or fewer messages than were delivered', () => {
      expect(() => checkWatermarks(marks([0, 0, 0, 0], [50, 50, 40, 61]), 200)).to.throw(
        'the topics hold 201 messages, 200 were delivered (topics reused?)',
      );
    });
  });
});
