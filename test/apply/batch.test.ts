import { expect } from 'chai';
import { decodeMessage } from '../../lib/apply/batch.js';
import type { DecodeResult, RowEvent } from '../../lib/sinks/types.js';

const message = (value: string | null) => ({ offset: 7, timestamp: 0, key: null, value: value === null ? null : Buffer.from(value) });

describe('apply/batch: one message through the size limit and the decoder', () => {
  const event: RowEvent = { op: 'skip', key: '', values: [] } as unknown as RowEvent;
  const decoding = { decode: (): DecodeResult<RowEvent> => ({ ok: true, event }) };

  it("passes the decoder's result on", () => {
    expect(decodeMessage(decoding, message('{}'), 100)).to.deep.equal({ ok: true, event });
    const refusing = { decode: (): DecodeResult<RowEvent> => ({ ok: false, code: 'INVALID_JSON', message: 'no' }) };
    expect(decodeMessage(refusing, message('{'), 100)).to.deep.equal({ ok: false, code: 'INVALID_JSON', message: 'no' });
  });

  it('refuses a value over the limit without decoding it', () => {
    const never = {
      decode: (): DecodeResult<RowEvent> => {
        throw new Error('decoded');
      },
    };
    expect(decodeMessage(never, message('x'.repeat(101)), 100)).to.deep.equal({
      ok: false,
      code: 'VALUE_TOO_LARGE',
      message: 'value is 101 bytes, the limit is 100',
    });
  });

  it('turns a decoder that throws into a DECODER_FAILED dead letter carrying the error, instead of failing the batch', () => {
    const throwing = {
      decode: (): DecodeResult<RowEvent> => {
        throw new RangeError('Invalid count value: 10000000000');
      },
    };
    expect(decodeMessage(throwing, message('{"v":1e10000000000}'), 100)).to.deep.equal({
      ok: false,
      code: 'DECODER_FAILED',
      message: 'the decoder failed on this value (please report it): Invalid count value: 10000000000',
    });
  });
});
