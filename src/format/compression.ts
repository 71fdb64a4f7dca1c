/** Compression codec ids of the attributes field (bits 0-2). */
export const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionName = (typeof COMPRESSION_NAMES)[number];

/** What a writer can produce: both snappy framings are codec id 2 on disk. */
export type CompressionWriteName = CompressionName | 'snappy-xerial';

export function compressionName(id: number): CompressionName | `unknown(${number})` {
  return (COMPRESSION_NAMES[id] as CompressionName | undefined) ?? `unknown(${id})`;
}

export function compressionId(name: CompressionWriteName): number {
  return name === 'snappy-xerial' ? 2 : COMPRESSION_NAMES.indexOf(name);
}
