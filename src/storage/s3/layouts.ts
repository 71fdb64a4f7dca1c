import { CorruptDataError, type KsegError } from '../../format/errors.js';

/**
 * How the objects under one S3 "directory" (key prefix) are presented to the read path, which
 * knows Kafka's partition directories: `<20-digit base offset>.log/.index/.timeindex/.txnindex/
 * .snapshot` and `leader-epoch-checkpoint`. Three layouts, mixed freely:
 *
 * (a) plain: a partition directory copied as it is (`orders-3/00000000000000000000.log`): names
 *     pass through unchanged.
 * (b) Kafka's LocalTieredStorage (storage/src/test: RemoteLogSegmentFileset, the reference
 *     RemoteStorageManager of KIP-405's tests): `<topic>-<partition>-<topicId>/<20-digit start
 *     offset>-<segment uuid>.log`, `.index`, `.timeindex`, `.txnindex` (optional), `.snapshot` and
 *     `.leader_epoch_checkpoint` (that segment's epochs). Each file is shown under its 20-digit
 *     name; the last segment's epoch checkpoint (it holds the epochs of all before it) is shown as
 *     `leader-epoch-checkpoint`.
 * (c) Aiven's tiered storage (ObjectKeyFactory: `<prefix><topic>-<topicId>/<partition>/<20-digit
 *     start offset>-<segment uuid>` + `.log`, `.indexes`, `.rsm-manifest`). The manifest
 *     (SegmentManifestV1, JSON) says whether the log's chunks were compressed or encrypted and where
 *     each index lies in `.indexes` (SegmentIndexesV1: offset, timestamp, producerSnapshot,
 *     leaderEpoch, transaction; `{position, size}`; KafkaRemoteStorageManager.uploadIndexes
 *     concatenates them in that order, encrypted with the segment's key when encryption is on,
 *     never compressed). Uncompressed, unencrypted segments are read in place; the indexes are
 *     byte ranges of `.indexes`. The producer snapshot uploaded with a segment is the one at the
 *     next segment's base offset and is shown under that name (for the last segment: its
 *     manifest's endOffset + 1; Kafka's layout has no such record, so there it is left out). A compressed or encrypted log (or encrypted indexes) opens with
 *     REMOTE_UNSUPPORTED naming the object and what is unsupported.
 */
export interface ListedObject {
  /** Name below the directory (no '/'). */
  name: string;
  /** Full object key. */
  key: string;
  size: number;
  mtimeMs: number;
}

/** What a name in the presented directory reads. */
export type Target =
  | { kind: 'object'; key: string; size: number; mtimeMs: number }
  | { kind: 'slice'; key: string; offset: number; size: number; mtimeMs: number }
  | { kind: 'unsupported'; key: string; size: number; mtimeMs: number; why: string; code: string };

export interface DirView {
  files: Map<string, Target>;
  /** Sub-directories (common prefixes). */
  dirs: string[];
  layout: 'plain' | 'kafka-tiered' | 'aiven' | 'mixed';
}

/** Kafka's RemoteLogSegmentFileset.FILENAME_FORMAT: `(\d+-)([a-zA-Z0-9_-]{22})(\.[a-z_]+)`. */
const KAFKA_TIERED = /^(\d+)-([A-Za-z0-9_-]{22})\.(log|index|timeindex|txnindex|snapshot|leader_epoch_checkpoint)$/;
/** Aiven's ObjectKeyFactory: `<20-digit offset>-<uuid>.<log|indexes|rsm-manifest>`. */
const AIVEN = /^(\d{20})-([A-Za-z0-9_-]{22})\.(log|indexes|rsm-manifest)$/;

interface Group {
  offset: string;
  uuid: string;
  files: Map<string, ListedObject>;
}

/** Aiven's SegmentManifestV1, the parts read here. */
export interface AivenManifest {
  compression: boolean;
  encryption?: unknown;
  chunkIndex?: { type?: string; originalFileSize?: number };
  /** Written by the broker (KafkaTypeSerdeModule), not read back by Aiven's plugin. */
  remoteLogSegmentMetadata?: { startOffset?: number; endOffset?: number };
  segmentIndexes: Record<'offset' | 'timestamp' | 'producerSnapshot' | 'leaderEpoch', { position: number; size: number }> & {
    transaction?: { position: number; size: number } | null;
  };
}

export function parseAivenManifest(bytes: Buffer, url: string): AivenManifest {
  let m: unknown;
  try {
    m = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new CorruptDataError('BAD_RSM_MANIFEST', `not a JSON segment manifest: ${(e as Error).message}`, { file: url });
  }
  const o = m as Partial<AivenManifest> & { version?: unknown };
  const range = (r: unknown): boolean => {
    const x = r as { position?: unknown; size?: unknown } | null;
    return !!x && Number.isSafeInteger(x.position) && Number.isSafeInteger(x.size) && (x.position as number) >= 0 && (x.size as number) >= 0;
  };
  const si = o?.segmentIndexes;
  if (
    typeof o !== 'object' ||
    o === null ||
    typeof o.compression !== 'boolean' ||
    !si ||
    !['offset', 'timestamp', 'producerSnapshot', 'leaderEpoch'].every((k) => range((si as Record<string, unknown>)[k]))
  ) {
    throw new CorruptDataError('BAD_RSM_MANIFEST', 'segment manifest lacks "compression" or the "segmentIndexes" ranges (offset, timestamp, producerSnapshot, leaderEpoch)', {
      file: url,
    });
  }
  if (o.version !== undefined && String(o.version) !== '1') {
    throw new CorruptDataError('BAD_RSM_MANIFEST', `segment manifest version ${JSON.stringify(o.version)} (kseg reads version 1)`, { file: url });
  }
  if (si.transaction != null && !range(si.transaction)) throw new CorruptDataError('BAD_RSM_MANIFEST', 'segment manifest has a bad "transaction" range', { file: url });
  return o as AivenManifest;
}

/**
 * The directory as the read path sees it. `manifests` fetches the `.rsm-manifest` objects of Aiven
 * segments (all at once: one concurrent batch); `url` names objects in messages.
 */
export function buildView(objects: ListedObject[], dirs: string[], manifests: (keys: string[]) => (Buffer | KsegError)[], url: (key: string) => string): DirView {
  const files = new Map<string, Target>();
  const groups = new Map<string, Group>();
  const plain: ListedObject[] = [];
  for (const o of objects) {
    const a = AIVEN.exec(o.name);
    const k = a ?? KAFKA_TIERED.exec(o.name);
    if (!k) {
      plain.push(o);
      continue;
    }
    const id = `${k[1]}-${k[2]}`;
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { offset: k[1], uuid: k[2], files: new Map() }));
    g.files.set(k[3], o);
  }
  for (const o of plain) files.set(o.name, { kind: 'object', key: o.key, size: o.size, mtimeMs: o.mtimeMs });
  if (groups.size === 0) return { files, dirs, layout: 'plain' };

  // one segment per base offset: two copies (an upload retried under a new id) are ambiguous
  const byOffset = new Map<string, Group>();
  for (const g of groups.values()) {
    const off = BigInt(g.offset).toString().padStart(20, '0');
    const other = byOffset.get(off);
    if (other) {
      const a = [...other.files.values()][0];
      const b = [...g.files.values()][0];
      throw new CorruptDataError(
        'REMOTE_DUPLICATE_SEGMENT',
        `two remote copies of the segment at offset ${BigInt(off)}: segment ids ${other.uuid} (${url(a.key)}) and ${g.uuid} (${url(b.key)}); the remote log metadata (__remote_log_metadata) says which copy is COPY_SEGMENT_FINISHED: read that one's files directly`,
        { file: url(b.key) },
      );
    }
    byOffset.set(off, g);
  }
  const ordered = [...byOffset.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const aivenGroups = ordered.filter(([, g]) => g.files.has('rsm-manifest') || g.files.has('indexes'));
  const manifestBytes = manifests(aivenGroups.filter(([, g]) => g.files.has('rsm-manifest')).map(([, g]) => g.files.get('rsm-manifest')!.key));
  let mi = 0;
  let hasKafka = false;
  let epochs: Target | null = null;
  const put = (name: string, t: Target): void => {
    if (!files.has(name)) files.set(name, t); // an object of that very name wins
  };
  for (let i = 0; i < ordered.length; i++) {
    const [off, g] = ordered[i];
    // the producer snapshot copied with a segment is the one at the next segment's base offset
    // (RemoteLogManager.copyLogSegment: fetchSnapshot(nextSegmentBaseOffset)): shown under that name
    const next = i + 1 < ordered.length ? ordered[i + 1][0] : null;
    const log = g.files.get('log');
    if (g.files.has('rsm-manifest') || g.files.has('indexes')) {
      const mf = g.files.get('rsm-manifest');
      const got = mf ? manifestBytes[mi++] : null;
      epochs = aivenSegment(off, next, g, log, mf, got, url, put) ?? epochs;
      continue;
    }
    hasKafka = true;
    const ext: Record<string, string> = { log: '.log', index: '.index', timeindex: '.timeindex', txnindex: '.txnindex' };
    for (const [type, o] of g.files) {
      const t: Target = { kind: 'object', key: o.key, size: o.size, mtimeMs: o.mtimeMs };
      if (type === 'leader_epoch_checkpoint') epochs = t;
      // the last segment's end offset is only in the remote log metadata: its snapshot is not shown
      else if (type === 'snapshot') {
        if (next !== null) put(`${next}.snapshot`, t);
      } else put(off + ext[type], t);
    }
  }
  if (epochs) put('leader-epoch-checkpoint', epochs);
  const layout = hasKafka && aivenGroups.length > 0 ? 'mixed' : hasKafka ? 'kafka-tiered' : 'aiven';
  return { files, dirs, layout: plain.some((o) => /^\d{20}\.log$/.test(o.name)) ? 'mixed' : layout };
}

/** One Aiven segment's presented files; returns its leader-epoch range (the caller keeps the last). */
function aivenSegment(
  off: string,
  next: string | null,
  g: Group,
  log: ListedObject | undefined,
  mf: ListedObject | undefined,
  got: Buffer | KsegError | null,
  url: (key: string) => string,
  put: (name: string, t: Target) => void,
): Target | null {
  const unsupported = (o: ListedObject, code: string, why: string, size = o.size): Target => ({ kind: 'unsupported', key: o.key, size, mtimeMs: o.mtimeMs, code, why });
  if (!mf || !got || !(got instanceof Buffer)) {
    const why = !mf ? `no ${off}-${g.uuid}.rsm-manifest beside it: its compression and encryption are unknown` : `its manifest could not be read: ${(got as KsegError).message}`;
    if (log) put(`${off}.log`, unsupported(log, 'REMOTE_NO_MANIFEST', why));
    return null;
  }
  let m: AivenManifest;
  try {
    m = parseAivenManifest(got, url(mf.key));
  } catch (e) {
    if (log) put(`${off}.log`, unsupported(log, 'BAD_RSM_MANIFEST', `its manifest ${url(mf.key)} is unreadable: ${(e as Error).message}`));
    return null;
  }
  const encrypted = m.encryption !== undefined && m.encryption !== null;
  if (log) {
    const original = m.chunkIndex?.originalFileSize;
    if (m.compression || encrypted) {
      const what = [m.compression ? 'compressed (zstd chunks)' : '', encrypted ? 'encrypted (AES-GCM chunks, key wrapped by the broker’s RSA key)' : '']
        .filter(Boolean)
        .join(' and ');
      put(
        `${off}.log`,
        unsupported(
          log,
          'REMOTE_UNSUPPORTED',
          `Aiven tiered-storage segment is ${what} per its manifest; kseg reads only segments uploaded with compression and encryption off`,
          original ?? log.size,
        ),
      );
    } else if (original !== undefined && original !== log.size) {
      put(`${off}.log`, unsupported(log, 'REMOTE_SIZE_MISMATCH', `object is ${log.size} bytes, its manifest's chunkIndex says the segment is ${original}`));
    } else {
      put(`${off}.log`, { kind: 'object', key: log.key, size: log.size, mtimeMs: log.mtimeMs });
    }
  }
  const idx = g.files.get('indexes');
  if (!idx) return null;
  const si = m.segmentIndexes;
  const slice = (r: { position: number; size: number }): Target => {
    if (encrypted) return unsupported(idx, 'REMOTE_UNSUPPORTED', 'Aiven tiered-storage indexes are encrypted per the segment manifest', r.size);
    if (r.position + r.size > idx.size)
      return unsupported(idx, 'REMOTE_SIZE_MISMATCH', `the manifest puts an index at bytes ${r.position}-${r.position + r.size - 1}, past the ${idx.size}-byte object`, r.size);
    return { kind: 'slice', key: idx.key, offset: r.position, size: r.size, mtimeMs: idx.mtimeMs };
  };
  put(`${off}.index`, slice(si.offset));
  put(`${off}.timeindex`, slice(si.timestamp));
  const end = m.remoteLogSegmentMetadata?.endOffset;
  const snapshotAt = next ?? (Number.isSafeInteger(end) && end! >= 0 ? String(end! + 1).padStart(20, '0') : null);
  if (snapshotAt !== null) put(`${snapshotAt}.snapshot`, slice(si.producerSnapshot));
  if (si.transaction) put(`${off}.txnindex`, slice(si.transaction));
  return slice(si.leaderEpoch);
}
