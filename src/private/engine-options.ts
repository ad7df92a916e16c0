/**
 * Option checks shared by the database and queue engines (internal module): what every engine's
 * options validate the same way, whatever the server.
 */
import { invalid, Where } from './names';

/** A registry host (optional port) and a path of lower-case components, no tag or digest. */
const IMAGE_REPOSITORY = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9]([-_.a-z0-9]*[a-z0-9])?)+$/;

/** An image repository without tag (the engine adds the version as tag); throws a ValidationError for anything else. */
export function requireImageRepository(where: Where, repository: unknown, example: string): string {
  if (typeof repository !== 'string' || !IMAGE_REPOSITORY.test(repository)) {
    throw invalid(where, 'INVALID_VALUE', 'imageRepository', repository, `an image repository without tag, e.g. "${example}"`);
  }
  return repository;
}
