/**
 * Avro and the Confluent Schema Registry: the wire format, the registry client, Avro schemas as Kafka
 * Connect schemas and back, the compiled decoders (per schema id) and the producer's encoder.
 */
export { bodyOf, encodeWire, HEADER_BYTES, MAGIC_BYTE, schemaIdOf } from './wire.js';
export {
  REGISTRY_ERROR,
  REGISTRY_MEDIA_TYPE,
  type RegisteredSchema,
  registryDefaults,
  type RegistryOptions,
  SchemaRegistry,
} from './registry.js';
export { type AvroObject, type AvroSchema, avroSchemaOf, connectSchemaOf, parseAvroSchema } from './connect.js';
export {
  type AvroDecoder,
  AvroDecoders,
  compileAvroDecoder,
  EXACT_LONG,
  exactLongHook,
  fieldSchemasOf,
  type SchemaSource,
} from './decoder.js';
export { AvroEncoder, avroValueOf } from './encoder.js';
