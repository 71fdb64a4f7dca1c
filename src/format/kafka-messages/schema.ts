/**
 * Shape of kseg's schema table (schemas.generated.ts, made by scripts/gen-kafka-schemas.mjs from
 * Kafka's message specifications). Versions are inclusive [lowest, highest]; 32767 means "N+".
 */
export type VersionRange = readonly [number, number];

export type FieldType = 'bool' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64' | 'uuid' | 'string' | 'bytes' | 'records' | 'struct';

export interface FieldSchema {
  /** JSON key: the spec name with a lower-case first letter (Kafka's camelCaseName). */
  readonly name: string;
  readonly type: FieldType;
  /** `[]T` in the spec. */
  readonly array?: boolean;
  /** The spec's struct type name (for type 'struct'). */
  readonly structName?: string;
  readonly versions: VersionRange | null;
  readonly nullableVersions?: VersionRange;
  readonly taggedVersions?: VersionRange;
  readonly tag?: number;
  /** The spec's default as a JSON value (absent: the type's zero value). */
  readonly default?: unknown;
  readonly fields?: readonly FieldSchema[];
}

export interface MessageSchema {
  readonly name: string;
  /** Spec folder: group-coordinator, transaction-coordinator, share-coordinator, metadata, clients, remote-log-metadata. */
  readonly group: string;
  /** Spec type: coordinator-key, coordinator-value, metadata, data. */
  readonly kind: string;
  readonly apiKey: number | null;
  readonly validVersions: VersionRange | null;
  readonly flexibleVersions: VersionRange | null;
  readonly fields: readonly FieldSchema[];
}

export function inRange(r: VersionRange | null | undefined, v: number): boolean {
  return r !== null && r !== undefined && v >= r[0] && v <= r[1];
}
