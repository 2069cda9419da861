import { expect } from 'chai';
import { bodyOf, encodeWire, HEADER_BYTES, schemaIdOf } from '../../lib/avro/wire.js';
import { CdcError, fromPlainError, toPlainError } from '../../lib/errors.js';
import { cdcError as thrown } from '../support/errors.js';

describe('avro/wire', () => {
  it('reads the 4-byte big-endian schema id after the magic byte, and the body after them', () => {
    const message = Uint8Array.from([0, 0, 0, 1, 0x2c, 0x02, 0x61]);
    expect(schemaIdOf(message)).to.equal(300);
    expect([...bodyOf(message)]).to.deep.equal([0x02, 0x61]);
    // A view of the same bytes, not a copy.
    expect(bodyOf(message).buffer).to.equal(message.buffer);
  });

  it('reads ids across the whole unsigned range, and a message that is only a header has an empty body', () => {
    expect(schemaIdOf(Uint8Array.from([0, 0x7f, 0xff, 0xff, 0xff]))).to.equal(2 ** 31 - 1);
    expect(schemaIdOf(Uint8Array.from([0, 0xff, 0xff, 0xff, 0xff]))).to.equal(2 ** 32 - 1);
    expect(schemaIdOf(Uint8Array.from([0, 0, 0, 0, 0]))).to.equal(0);
    expect(bodyOf(Uint8Array.from([0, 0, 0, 0, 7])).length).to.equal(0);
  });

  it('reads a message that is a view into a larger buffer (a packed batch) at its own offset', () => {
    const batch = Buffer.from([9, 9, 9, 0, 0, 0, 0, 42, 0xaa, 9]);
    const message = batch.subarray(3, 9);
    expect(schemaIdOf(message)).to.equal(42);
    expect([...bodyOf(message)]).to.deep.equal([0xaa]);
  });

  it('refuses a first byte other than 0 with ERR_CDC_AVRO_MAGIC, naming the byte', () => {
    const json = Buffer.from('{"id":1}');
    const err = thrown(() => schemaIdOf(json));
    expect(err.code).to.equal('ERR_CDC_AVRO_MAGIC');
    expect(err.canRetry).to.equal(false);
    expect(err.message).to.include('0x7b');
    expect(thrown(() => schemaIdOf(Uint8Array.from([1, 0, 0, 0, 1]))).code).to.equal('ERR_CDC_AVRO_MAGIC');
  });

  it('refuses a message shorter than the header, or empty, with ERR_CDC_AVRO_TRUNCATED', () => {
    for (const length of [0, 1, 4]) {
      const err = thrown(() => schemaIdOf(new Uint8Array(length)));
      expect(err.code, `${length} bytes`).to.equal('ERR_CDC_AVRO_TRUNCATED');
      expect(err.canRetry).to.equal(false);
    }
    expect(thrown(() => schemaIdOf(new Uint8Array(4))).message).to.include('4 bytes');
  });

  it('encodes what it reads: header then body', () => {
    const body = Buffer.from([1, 2, 3]);
    const message = encodeWire(0x01020304, body);
    expect(message.length).to.equal(HEADER_BYTES + 3);
    expect([...message.subarray(0, 5)]).to.deep.equal([0, 1, 2, 3, 4]);
    expect(schemaIdOf(message)).to.equal(0x01020304);
    expect(Buffer.from(bodyOf(message)).equals(body)).to.equal(true);
    expect(() => encodeWire(-1, body)).to.throw(CdcError);
    expect(() => encodeWire(2 ** 32, body)).to.throw(CdcError);
  });

  it('keeps a schema id on an error across the thread boundary', () => {
    const err = new CdcError('ERR_CDC_SCHEMA_UNKNOWN_ID', 'schema id 7 is not in the registry', { schemaId: 7 });
    const plain = toPlainError(err);
    expect(structuredClone(plain)).to.deep.equal({
      code: 'ERR_CDC_SCHEMA_UNKNOWN_ID',
      message: 'schema id 7 is not in the registry',
      canRetry: false,
      schemaId: 7,
    });
    const back = fromPlainError(structuredClone(plain));
    expect(back).to.include({ code: 'ERR_CDC_SCHEMA_UNKNOWN_ID', schemaId: 7 });
    expect(JSON.parse(JSON.stringify(back))).to.include({ schemaId: 7 });
    expect(Object.keys(new CdcError('ERR_CDC_AVRO_MAGIC', 'x'))).to.not.include('schemaId');
  });
});
