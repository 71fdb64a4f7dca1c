export {
  INTERNAL_DECODERS,
  internalTopicOf,
  parseInternalDecoder,
  allSchemas,
  schemaByName,
  schemaFor,
  decodeInternalRecord,
  decodeInternalRecordForJson,
  decodedPartJson,
  FRAME_VERSION,
  CONTROL_RECORD_TYPES,
  decodeControlPayload,
  encodeCoordinatorKey,
  encodeCoordinatorValue,
  encodeApiFramed,
  encodeControlRecord,
  expandConsumerProtocol,
  type InternalDecoder,
  type DecodedMessage,
  type UnknownMessage,
  type DecodedPart,
  type DecodedRecord,
} from './internal.js';
export { decodeMessage, decodeMessageJson, internalJson, MessageReader, readStruct, isFlexible, supports, defaultOf } from './codec.js';
export { encodeMessage, MessageWriter, writeStruct } from './writer.js';
export type { FieldSchema, FieldType, MessageSchema, VersionRange } from './schema.js';
export { inRange } from './schema.js';
