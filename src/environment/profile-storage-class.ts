import { IConstruct } from 'constructs';
import { PlatformChart } from './platform-chart';
import { StorageProfile } from './storage-profile';

/**
 * Renders the StorageClass of `profile` into the platform layer of `cluster` (`platform/<cluster>/`)
 * on behalf of `requester`: once however many environments, databases and queues use the profile
 * (a different definition under the same name is a ValidationError naming both requesters).
 * `StorageProfile.existing()` profiles render nothing.
 */
export function requireProfileStorageClass(requester: IConstruct, cluster: string, profile: StorageProfile | undefined): void {
  const storageClass = profile?.toStorageClass();
  if (storageClass) PlatformChart.forCluster(requester, cluster).require(requester, storageClass);
}
