import { expect } from 'chai';
import { packBatch, unpackBatch } from '../lib/worker-protocol.js';

describe('worker-protocol', () => {
  it('round-trips offsets, timestamps, keys and values, including null and empty ones', () => {
    const messages = [
      { offset: 0, timestamp: 1_700_000_000_123, key: Buffer.from('k1'), value: Buffer.from('{"a":1}') },
      { offset: 1, timestamp: 0, key: null, value: null },
      { offset: 2, key: 'text-key', value: Buffer.alloc(0) },
      { offset: 2 ** 52 + 1, timestamp: 5, key: Buffer.alloc(0), value: Buffer.from('üñí\u{1F600}') },
    ];
    const out = unpackBatch(packBatch(messages));
    expect(out).to.have.length(4);
    expect(out.map((m) => m.offset)).to.deep.equal([0, 1, 2, 2 ** 52 + 1]);
    expect(out.map((m) => m.timestamp)).to.deep.equal([1_700_000_000_123, 0, 0, 5]);
    expect(out.map((m) => (m.key === null ? null : Buffer.from(m.key).toString()))).to.deep.equal(['k1', null, 'text-key', '']);
    expect(out.map((m) => (m.value === null ? null : Buffer.from(m.value).toString()))).to.deep.equal([
      '{"a":1}',
      null,
      '',
      'üñí\u{1F600}',
    ]);
  });

  it('packs into one transferable ArrayBuffer that views, not copies, share', () => {
    const buffer = packBatch([{ offset: 7, key: Buffer.from('k'), value: Buffer.from('vv') }]);
    expect(buffer).to.be.instanceOf(ArrayBuffer);
    const [m] = unpackBatch(buffer);
    expect(m?.value?.buffer).to.equal(buffer);
  });

  it('handles an empty batch', () => {
    expect(unpackBatch(packBatch([]))).to.deep.equal([]);
  });
});
