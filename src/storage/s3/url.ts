/**
 * `s3://bucket/key` paths. Callers build child paths with `path.join`, which turns `s3://b/p` into
 * `s3:/b/p` (and `s3://b` into `s3:/b`): both spellings name the same object. Keys never start or end
 * with `/` here: a directory is the key prefix `key + '/'`.
 */
export interface S3Location {
  bucket: string;
  /** Object key or directory prefix, without leading or trailing '/'; '' for the bucket's root. */
  key: string;
}

const S3_RE = /^s3:\/\/?/i;

export function isS3Path(p: string): boolean {
  return S3_RE.test(p);
}

export function parseS3Path(p: string): S3Location {
  const rest = p.replace(S3_RE, '');
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key =
    slash < 0
      ? ''
      : rest
          .slice(slash + 1)
          .replace(/\/+/g, '/')
          .replace(/^\/|\/$/g, '');
  return { bucket, key };
}

/** The canonical spelling, `s3://bucket/key`, for messages. */
export function s3Url(loc: S3Location): string {
  return `s3://${loc.bucket}${loc.key ? `/${loc.key}` : ''}`;
}

/** The canonical spelling of any accepted spelling. */
export function canonicalS3Path(p: string): string {
  return s3Url(parseS3Path(p));
}

export function parentKey(key: string): string {
  const i = key.lastIndexOf('/');
  return i < 0 ? '' : key.slice(0, i);
}

export function baseName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}
