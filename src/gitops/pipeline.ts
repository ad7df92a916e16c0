/*
 * The pipeline's own types: what GitOpsApp renders and the wiring and layout modules of gitops/
 * consume. They live on the gitops side so that gitops never imports app/ (app imports gitops).
 */

/**
 * One rendered Kubernetes object and where it goes.
 */
export interface RenderedObject {
  /** Output file, relative to the output directory (posix separators). */
  readonly file: string;
  /** Path of the construct that rendered it. */
  readonly constructPath: string;
  /**
   * Environment it belongs to.
   *
   * @default - none: a platform (cluster-scoped) object
   */
  readonly environment?: string;
  /** Cluster it is deployed to. */
  readonly cluster: string;
  /** The canonical manifest. */
  readonly manifest: any;
}

/**
 * One output file.
 */
export interface RenderedFile {
  /** Path relative to the output directory (posix separators). */
  readonly path: string;
  /** Content: LF line ends, trailing newline. */
  readonly content: string;
}
