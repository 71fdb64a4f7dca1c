export * from './internal.js';
export { decodeMessage, decodeMessageJson, encodeMessage, internalJson, MessageReader, MessageWriter, readStruct, writeStruct, isFlexible, supports, defaultOf } from './codec.js';
export type { FieldSchema, FieldType, MessageSchema, VersionRange } from './schema.js';
export { inRange } from './schema.js';
