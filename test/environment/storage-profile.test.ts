import { ReclaimPolicy, StorageProfile, VolumeBindingMode } from '../../src';
import { ValidationError } from '../../src/errors';

describe('StorageProfile', () => {
  test('ondat renders the storageos.com parameters and records its features', () => {
    const profile = StorageProfile.ondat({ name: 'ondat-secure', replicas: 2, encryption: true, compression: true });
    expect(profile.encrypted).toBe(true);
    expect(profile.replicas).toBe(3);
    expect(profile.compressed).toBe(true);
    expect(profile.toStorageClass()).toEqual({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: {
        name: 'ondat-secure',
        labels: { 'app.kubernetes.io/managed-by': 'cdk8s-stateful' },
        annotations: { 'stateful.cdk8s.io/encrypted': 'true', 'stateful.cdk8s.io/replicas': '3' },
      },
      provisioner: 'csi.storageos.com',
      parameters: {
        'csi.storage.k8s.io/fstype': 'ext4',
        'csi.storage.k8s.io/secret-name': 'storageos-api',
        'csi.storage.k8s.io/secret-namespace': 'storageos',
        'storageos.com/encryption': 'true',
        'storageos.com/nocompress': 'false',
        'storageos.com/replicas': '2',
        'storageos.com/topology-aware': 'true',
      },
      reclaimPolicy: 'Retain',
      allowVolumeExpansion: true,
      volumeBindingMode: 'WaitForFirstConsumer',
    });
  });

  test('portworx, AWS EBS and GCE PD presets', () => {
    expect(StorageProfile.portworx({ name: 'px-db', replicas: 3 }).toStorageClass()).toMatchObject({
      provisioner: 'pxd.portworx.com', parameters: { repl: '3', secure: 'true', io_profile: 'db_remote', priority_io: 'high' },
    });
    const ebs = StorageProfile.awsEbs({ name: 'gp3-encrypted', kmsKeyId: 'arn:aws:kms:eu-west-1:1:key/abc', iops: 6000, reclaimPolicy: ReclaimPolicy.DELETE });
    expect(ebs.toStorageClass()).toMatchObject({
      provisioner: 'ebs.csi.aws.com',
      reclaimPolicy: 'Delete',
      parameters: { type: 'gp3', encrypted: 'true', kmsKeyId: 'arn:aws:kms:eu-west-1:1:key/abc', iops: '6000' },
    });
    const pd = StorageProfile.gcePd({ name: 'regional-ssd', regional: true, volumeBindingMode: VolumeBindingMode.IMMEDIATE });
    expect(pd.replicas).toBe(2);
    expect(pd.encrypted).toBe(true);
    expect(pd.toStorageClass()).toMatchObject({ parameters: { 'type': 'pd-ssd', 'replication-type': 'regional-pd' }, volumeBindingMode: 'Immediate' });
  });

  test('existing() renders nothing and declares its features', () => {
    const profile = StorageProfile.existing('gp2', { encrypted: true, replicas: 1 });
    expect(profile.toStorageClass()).toBeUndefined();
    expect(profile.encrypted).toBe(true);
    expect(profile.reclaimPolicy).toBe(ReclaimPolicy.DELETE);
  });

  test.each([
    [() => StorageProfile.ondat({ name: 'Bad_Name' }), /INVALID_NAME.*StorageProfile "Bad_Name": invalid name/],
    [() => StorageProfile.ondat({ name: 'ok', replicas: -1 }), /invalid replicas -1: an integer from 0 to 5/],
    [() => StorageProfile.ondat({ name: 'ok', replicas: 1.5 }), /invalid replicas 1.5/],
    [() => StorageProfile.ondat({ name: 'ok', apiSecret: 'no-namespace' }), /invalid apiSecret "no-namespace"/],
    [() => StorageProfile.portworx({ name: 'ok', replicas: 4 }), /invalid replicas 4: an integer from 1 to 3/],
    [() => StorageProfile.portworx({ name: 'ok', priorityIo: 'urgent' }), /invalid priorityIo "urgent"/],
    [() => StorageProfile.awsEbs({ name: 'ok', volumeType: 'gp9' }), /invalid volumeType "gp9"/],
    [() => StorageProfile.awsEbs({ name: 'ok', encryption: false, kmsKeyId: 'k' }), /invalid kmsKeyId "k"/],
    [() => StorageProfile.gcePd({ name: 'ok', diskType: 'floppy' }), /invalid diskType "floppy"/],
    [() => StorageProfile.existing(''), /invalid name ""/],
    [() => StorageProfile.existing('ok', { replicas: 0 }), /invalid replicas 0/],
    [() => StorageProfile.ondat({ name: 'ok', fsType: 'ntfs' }), /invalid fsType "ntfs"/],
    [() => StorageProfile.ondat({ name: 'ok', reclaimPolicy: 'Recycle' as any }), /invalid reclaimPolicy "Recycle"/],
  ])('bad input %# is a ValidationError', (make, message) => {
    expect(make).toThrow(ValidationError);
    expect(make).toThrow(message);
  });
});
