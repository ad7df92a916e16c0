import { defineCheck } from './helpers';
import { procMountUnconditional } from './proc-mount';

/**
 * Restricted `procMount_restricted` (1.35+): the default /proc masks are required even in user-namespace pods.
 * Replaces the (relaxed from 1.35) baseline `procMount` at the restricted level.
 *
 * Restricted fields: `spec.{initContainers,containers,ephemeralContainers}[*].securityContext.procMount`;
 * allowed: undefined, `Default`.
 */
export const PROC_MOUNT_RESTRICTED = defineCheck({
  id: 'PSS-ProcMountRestricted',
  upstreamId: 'procMount_restricted',
  level: 'restricted',
  title: '/proc Mount Type',
  description: 'Containers must use the default /proc mount (securityContext.procMount unset or Default), even with hostUsers: false.',
  explanation: 'The restricted profile keeps the /proc masks for every pod; the baseline relaxation for user-namespace pods '
    + 'does not apply.',
  fix: 'Remove securityContext.procMount or set it to Default.',
  behaviours: [{ since: 35, overrides: ['procMount'], check: procMountUnconditional }],
});
