export * from './types';
export * from './version';
export * from './registry';
export * from './templates';
export * from './evaluate';
export { PSS_HELP_URI } from './helpers';
export { ALLOW_PRIVILEGE_ESCALATION } from './allow-privilege-escalation';
export { APP_ARMOR_PROFILE, APPARMOR_ANNOTATION_PREFIX } from './app-armor-profile';
export { BASELINE_ALLOWED_CAPABILITIES, CAPABILITIES_BASELINE } from './capabilities-baseline';
export { CAPABILITIES_RESTRICTED } from './capabilities-restricted';
export { HOST_NAMESPACES } from './host-namespaces';
export { HOST_PATH_VOLUMES } from './host-path-volumes';
export { HOST_PORTS } from './host-ports';
export { HOST_PROBES_AND_HOST_LIFECYCLE } from './host-probes-and-host-lifecycle';
export { PRIVILEGED } from './privileged';
export { PROC_MOUNT } from './proc-mount';
export { PROC_MOUNT_RESTRICTED } from './proc-mount-restricted';
export { RESTRICTED_ALLOWED_VOLUME_SOURCES, RESTRICTED_VOLUMES } from './restricted-volumes';
export { RUN_AS_NON_ROOT } from './run-as-non-root';
export { RUN_AS_USER } from './run-as-user';
export { SE_LINUX_OPTIONS, SELINUX_TYPES_1_0, SELINUX_TYPES_1_31 } from './se-linux-options';
export {
  SECCOMP_CONTAINER_ANNOTATION_PREFIX, SECCOMP_POD_ANNOTATION, SECCOMP_PROFILE_BASELINE,
} from './seccomp-profile-baseline';
export { SECCOMP_PROFILE_RESTRICTED } from './seccomp-profile-restricted';
export { SYSCTLS, SYSCTLS_1_0, SYSCTLS_1_27, SYSCTLS_1_29, SYSCTLS_1_32, SYSCTLS_1_37 } from './sysctls';
export { WINDOWS_HOST_PROCESS } from './windows-host-process';
