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
   * Path of the output directory inside the repository (e.g. `./dist`).
   *
   * @default "./"
   */
  readonly repositoryPath?: string;

  /**
   * Reconciliation interval of the Kustomizations.
   *
   * @default "10m"
   */
  readonly interval?: string;
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
   * Path of the output directory inside the repository (e.g. `dist`).
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
}
