import fc from 'fast-check';
import { allSchemas, defaultOf, encodeApiFramed, encodeCoordinatorKey, encodeCoordinatorValue, inRange, internalJson, isFlexible } from '../src/format/kafka-messages/index.js';
import type { FieldSchema, InternalDecoder, MessageSchema } from '../src/format/kafka-messages/index.js';

// Random internal-topic records built with our encoder for every record type and version
// (internal-codec.test.ts, internal-wasm-writer.test.ts).

/** Random JSON-ready values for a struct at a version, as Kafka's JsonConverter would print them. */
export function structArb(fields: readonly FieldSchema[], version: number, flexible: boolean, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue;
    const arb = fieldArb(f, version, flexible, depth);
    if (flexible && inRange(f.taggedVersions, version)) {
      // A tagged field is printed only when it is not its default: absent, or a non-default value.
      const d = JSON.stringify(defaultOf(f, { version, flexible }));
      shape[f.name] = fc.option(
        arb.filter((v) => internalJson(v) !== d),
        { nil: undefined },
      );
    } else shape[f.name] = arb;
  }
  return fc.record(shape).map((o) => {
    for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
    return o;
  });
}

function fieldArb(f: FieldSchema, version: number, flexible: boolean, depth: number): fc.Arbitrary<unknown> {
  const nullable = inRange(f.nullableVersions, version);
  const one = oneArb(f, version, flexible, depth);
  let arb: fc.Arbitrary<unknown> = f.array ? fc.array(one, { maxLength: depth > 2 ? 0 : 3 }) : one;
  if (nullable && (f.array || f.type !== 'string' || true)) arb = fc.oneof(arb, fc.constant(null));
  return arb;
}

function oneArb(f: FieldSchema, version: number, flexible: boolean, depth: number): fc.Arbitrary<unknown> {
  const nullableScalar = (a: fc.Arbitrary<unknown>) => (!f.array && inRange(f.nullableVersions, version) ? a : a);
  switch (f.type) {
    case 'bool':
      return fc.boolean();
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 });
    case 'int32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'uint32':
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case 'int64':
      // numbers inside 2^53, bigints beyond (printed as exact digits)
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((b) => (b < 2n ** 53n && b > -(2n ** 53n) ? Number(b) : b));
    case 'float64':
      return fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d));
    case 'uuid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64url'));
    case 'string':
      return nullableScalar(fc.string({ maxLength: 12, unit: 'grapheme' }));
    case 'bytes':
    case 'records':
      return fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString('base64'));
    case 'struct':
      return structArb(f.fields ?? [], version, flexible, depth + 1);
  }
}

export function versionsOf(s: MessageSchema): number[] {
  const out: number[] = [];
  if (!s.validVersions) return out;
  for (let v = s.validVersions[0]; v <= s.validVersions[1]; v++) out.push(v);
  return out;
}

/** [decoder, key bytes or null, value bytes or null] of a random record of any coordinator or metadata type and version. */
export function internalRecordArb(): fc.Arbitrary<readonly [InternalDecoder, Buffer | null, Buffer | null]> {
  const pairs: [InternalDecoder, MessageSchema, MessageSchema][] = [];
  const groups: [InternalDecoder, string][] = [
    ['offsets', 'group-coordinator'],
    ['transaction', 'transaction-coordinator'],
    ['share-group-state', 'share-coordinator'],
  ];
  for (const [d, group] of groups)
    for (const ks of allSchemas().filter((x) => x.kind === 'coordinator-key' && x.group === group && x.apiKey !== null)) {
      const vs = allSchemas().find((x) => x.kind === 'coordinator-value' && x.group === group && x.apiKey === ks.apiKey);
      if (vs) pairs.push([d, ks, vs]);
    }
  const metadata = allSchemas().filter((x) => x.kind === 'metadata' && x.group === 'metadata');
  const recordArb = fc.oneof(
    fc.integer({ min: 0, max: pairs.length - 1 }).chain((i) => {
      const [d, ks, vs] = pairs[i]!;
      const v = fc.constantFrom(...versionsOf(vs));
      return fc
        .tuple(
          fc.constant(d),
          structArb(ks.fields, 0, isFlexible(ks, 0), 0),
          fc.boolean(),
          v.chain((ver) => fc.tuple(fc.constant(ver), structArb(vs.fields, ver, isFlexible(vs, ver), 0))),
        )
        .map(([dec, kd, tomb, [ver, vd]]) => [dec, encodeCoordinatorKey(dec, ks.apiKey!, kd), tomb ? null : encodeCoordinatorValue(dec, ks.apiKey!, ver, vd)] as const);
    }),
    fc.integer({ min: 0, max: metadata.length - 1 }).chain((i) => {
      const s = metadata[i]!;
      return fc
        .constantFrom(...versionsOf(s))
        .chain((ver) =>
          structArb(s.fields, ver, isFlexible(s, ver), 0).map(
            (data) => ['cluster-metadata' as InternalDecoder, null, encodeApiFramed('cluster-metadata', s.apiKey!, ver, data)] as const,
          ),
        );
    }),
  );
  return recordArb;
}

/** Copies of a record's key and value with bytes flipped ([in the key?, position, byte]) and one of them cut ([the key?, length]). */
export function damaged(
  key0: Uint8Array | null,
  value0: Uint8Array | null,
  flips: readonly (readonly [boolean, number, number])[],
  cut: readonly [boolean, number] | null,
): [Buffer | null, Buffer | null] {
  let key = key0 === null ? null : Buffer.from(key0);
  let value = value0 === null ? null : Buffer.from(value0);
  for (const [inKey, at, b] of flips) {
    const t = inKey ? key : value;
    if (t && t.length) t[at % t.length] = b;
  }
  if (cut) {
    if (cut[0] && key) key = key.subarray(0, cut[1] % (key.length + 1));
    else if (value) value = value.subarray(0, cut[1] % (value.length + 1));
  }
  return [key, value];
}
