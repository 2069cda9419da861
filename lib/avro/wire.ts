/**
 * The Confluent wire format, which Kafka Connect's AvroConverter (and every Schema Registry serializer)
 * writes for keys and values: the magic byte 0, the schema's registry id as 4 bytes big-endian, then the
 * Avro binary body, which only that schema can read. Any thread; no allocation for a well-formed message
 * beyond the body's view.
 */
import { CdcError } from '../errors.js';

export const MAGIC_BYTE = 0;
/** Magic byte and schema id. */
export const HEADER_BYTES = 5;

/**
 * The schema id of a message in the wire format. Throws ERR_CDC_AVRO_MAGIC when the first byte is not
 * 0 (a JSON message, say, whose `{` is 0x7b) and ERR_CDC_AVRO_TRUNCATED when the message is shorter
 * than the header; neither can be retried. An empty body is not an error here: a schema whose values
 * take no bytes (a record of no fields) has one.
 */
export function schemaIdOf(message: Uint8Array): number {
  if (message.length === 0) throw new CdcError('ERR_CDC_AVRO_TRUNCATED', 'an empty message is not in the Confluent wire format');
  const magic = message[0] as number;
  if (magic !== MAGIC_BYTE) {
    throw new CdcError(
      'ERR_CDC_AVRO_MAGIC',
      `the message starts with byte 0x${magic.toString(16).padStart(2, '0')}, not the Confluent wire format's magic byte 0x00 (not written by a Schema Registry serializer)`,
    );
  }
  if (message.length < HEADER_BYTES) {
    throw new CdcError(
      'ERR_CDC_AVRO_TRUNCATED',
      `the message has ${message.length} bytes, fewer than the Confluent wire format's 5-byte header (magic byte and schema id)`,
    );
  }
  // Read unsigned: Confluent's ids are positive Java ints, but the bytes are the writer's to choose.
  return (message[1] as number) * 0x1000000 + (((message[2] as number) << 16) | ((message[3] as number) << 8) | (message[4] as number));
}

/** The Avro body of a message whose header schemaIdOf has read: a view, no copy. */
export function bodyOf(message: Uint8Array): Uint8Array {
  return message.subarray(HEADER_BYTES);
}

/** A message in the wire format: the header for `schemaId`, then `body` (the producer's and the tests' side). */
export function encodeWire(schemaId: number, body: Uint8Array): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0xffffffff) {
    throw new CdcError('ERR_CDC_INTERNAL', `schema id ${schemaId} does not fit the wire format's 4 unsigned bytes`);
  }
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  out[0] = MAGIC_BYTE;
  out.writeUInt32BE(schemaId, 1);
  out.set(body, HEADER_BYTES);
  return out;
}
