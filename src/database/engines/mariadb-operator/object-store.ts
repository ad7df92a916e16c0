/**
 * An S3 destination (`s3://bucket/path` + optional endpoint URL + credentials Secret) as
 * mariadb-operator's `S3` storage (`Backup.spec.storage.s3`, `PhysicalBackup.spec.storage.s3`,
 * `PointInTimeRecovery.spec.storage.s3`, `MariaDB.spec.bootstrapFrom.s3`): a bucket, a prefix, an
 * endpoint **without scheme** and TLS on or off.
 */

/** What the renderer needs of a backup destination or a recovery source. */
export interface S3Location {
  /** `s3://bucket[/path]`, validated by the construct. */
  readonly destinationPath: string;
  /** `http(s)://host[:port]` of a non-AWS store. */
  readonly endpointUrl?: string;
  /** Secret with `ACCESS_KEY_ID` and `ACCESS_SECRET_KEY`. */
  readonly credentialsSecret: string;
}

/** The AWS S3 endpoint used when the destination names none (mariadb-operator requires one). */
export const AWS_S3_ENDPOINT = 's3.amazonaws.com';

/**
 * The operator's `S3` object: the bucket from the URL, the URL's path plus `suffix` as prefix (each
 * server's backups in a folder of its own, as Barman Cloud does with its server name), the endpoint's
 * host and port, and TLS unless the endpoint is plain `http://`.
 */
export function s3Storage(location: S3Location, suffix: string[]): any {
  const rest = location.destinationPath.replace(/^s3:\/\//, '').replace(/\/$/, '');
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? [] : rest.slice(slash + 1).split('/').filter((p) => p !== '');
  let endpoint = AWS_S3_ENDPOINT;
  let tls = true;
  if (location.endpointUrl !== undefined) {
    const url = new URL(location.endpointUrl);
    endpoint = url.host;
    tls = url.protocol !== 'http:';
  }
  return {
    bucket,
    prefix: [...path, ...suffix].join('/'),
    endpoint,
    accessKeyIdSecretKeyRef: { name: location.credentialsSecret, key: 'ACCESS_KEY_ID' },
    secretAccessKeySecretKeyRef: { name: location.credentialsSecret, key: 'ACCESS_SECRET_KEY' },
    tls: { enabled: tls },
  };
}
