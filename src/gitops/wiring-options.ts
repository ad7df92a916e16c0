/**
 * Where the GitOps repository is and how Flux reads it.
 */
export interface FluxOptions {
  /**
   * Git URL of the GitOps repository (a `GitRepository` named `sourceName` is rendered in `flux-system`).
   *
   * @default - none: an existing source named `sourceName` (kind `sourceKind`) in `flux-system` is used
   */
  readonly repositoryUrl?: string;

  /**
   * Branch of the GitOps repository.
   *
   * @default "main"
   */
  readonly branch?: string;

  /**
   * Name of the source.
   *
   * @default "gitops"
   */
  readonly sourceName?: string;

  /**
   * Kind of an existing source (`GitRepository`, `OCIRepository` or `Bucket`).
   *
   * @default "GitRepository"
   */
  readonly sourceKind?: string;

  /**
   * Path of the output directory inside the repository (e.g. `./dist`), relative to its root: the Kustomizations'
   * `spec.path` start with it. An absolute path or a `..` segment is a ValidationError.
   *
   * @default "./"
   */
  readonly repositoryPath?: string;

  /**
   * Prefix of the names of the Flux objects in `flux-system`, for several apps (teams) deploying to one cluster:
   * Kustomizations `<name>-platform`, `<name>-<env>-data`, `<name>-<env>-migrate` and `<name>-<env>`, and
   * ServiceAccounts `gitops-deployer-<name>-<env>` (the deployer RoleBindings' subject). Every Flux object lives in
   * `flux-system`: without distinct names two apps' Kustomizations are one object that each app's bootstrap path
   * re-applies with its own `spec.path`, and kustomize-controller prunes the other app's objects on each switch.
   * Adding or changing it on a deployed app renames those objects: Flux deletes the old Kustomizations, and with them
   * (`prune: true`) every object they applied that the new ones have not taken over yet, prune-disabled ones excepted.
   *
   * @default - none: `platform`, `<env>-data`, `<env>-migrate`, `<env>` and `gitops-deployer-<env>`
   */
  readonly name?: string;

  /**
   * Reconciliation interval of the Kustomizations.
   *
   * @default "10m"
   */
  readonly interval?: string;

  /**
   * Name of the Secret in `flux-system` holding the Git credentials (the GitRepository's
   * `spec.secretRef.name`; `flux bootstrap` creates one named `flux-system`).
   *
   * @default - none: a public repository
   */
  readonly secretRef?: string;

  /**
   * Follow the environment branches `cdk8s-stateful publish --env-branches` writes: each environment's
   * layers come from a GitRepository `<sourceName>-<env>` on branch `<environmentBranchPrefix><env>`
   * (the platform layer and the wiring stay on `branch`). Needs `repositoryUrl`.
   *
   * @default false
   */
  readonly environmentBranches?: boolean;

  /**
   * Prefix of the environment branches (the same as `publish --env-branches <prefix>`).
   *
   * @default "env/"
   */
  readonly environmentBranchPrefix?: string;
}

/**
 * How Argo CD reads the GitOps repository.
 */
export interface ArgoCdOptions {
  /**
   * Git URL of the GitOps repository.
   */
  readonly repositoryUrl: string;

  /**
   * Revision (branch, tag or commit) Argo CD follows.
   *
   * @default "HEAD"
   */
  readonly targetRevision?: string;

  /**
   * Path of the output directory inside the repository (e.g. `dist`), relative to its root: the Applications'
   * `spec.source.path` start with it. An absolute path or a `..` segment is a ValidationError.
   *
   * @default "."
   */
  readonly repositoryPath?: string;

  /**
   * Destination API server URL of every cluster the environments name (`https://kubernetes.default.svc`
   * for the cluster Argo CD runs in). A cluster without a destination is a ValidationError.
   */
  readonly destinations: { [cluster: string]: string };

  /**
   * Name of the application (AppProjects `<name>` and `<name>-platform`, Applications `<name>-<env>`).
   *
   * @default "cdk8s-stateful"
   */
  readonly name?: string;

  /**
   * Namespace Argo CD runs in.
   *
   * @default "argocd"
   */
  readonly namespace?: string;

  /**
   * Follow the environment branches `cdk8s-stateful publish --env-branches` writes: the Application of
   * environment `<env>` tracks `<environmentBranchPrefix><env>` (`spec.source.targetRevision`) and its
   * hydrated `rendered/<env>/` (the only environment folder such a branch holds); the platform and
   * operator Applications stay on `targetRevision`.
   *
   * @default false
   */
  readonly environmentBranches?: boolean;

  /**
   * Prefix of the environment branches (the same as `publish --env-branches <prefix>`).
   *
   * @default "env/"
   */
  readonly environmentBranchPrefix?: string;
}
