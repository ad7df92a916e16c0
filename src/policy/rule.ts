import { IConstruct } from 'constructs';
import { RelatedObjects } from './related';
import { Severity } from './severity';
import { Environment } from '../environment/environment';
import { Tier } from '../environment/tier';

/**
 * Where a rule can be enforced.
 */
export enum RuleEnforcement {
  /**
   * About what is committed to Git (the files): checked at synthesis, by `check` and `verify`, never
   * exported as an admission policy. Operators legitimately create such objects at run time (a
   * Secret with data from an ExternalSecret or a CloudNativePG Cluster), and the cluster has no files.
   */
  GIT_ONLY = 'git-only',
  /**
   * Meaningful at admission too: exported for in-cluster enforcement where Kyverno can express it.
   */
  ADMISSION = 'admission',
}

/**
 * What every rule declares.
 */
export interface RuleProps {
  /**
   * Stable id `<PACK>-<Name>`, e.g. `PSS-RunAsNonRoot`, `DATA-BackupRequired`.
   */
  readonly id: string;

  /**
   * Default severity (before per-tier adjustment).
   */
  readonly severity: Severity;

  /**
   * One line: what the rule requires.
   */
  readonly description: string;

  /**
   * Why the rule exists.
   */
  readonly explanation: string;

  /**
   * How to fix a violation.
   */
  readonly fix: string;

  /**
   * Findings of this rule cannot be suppressed (for error-level rules that must never be waived).
   *
   * @default false
   */
  readonly unsuppressible?: boolean;

  /**
   * Link to more documentation.
   *
   * @default - none
   */
  readonly helpUri?: string;

  /**
   * Where the rule can be enforced: `GIT_ONLY` rules are never exported as admission policies.
   *
   * @default RuleEnforcement.ADMISSION
   */
  readonly enforcement?: RuleEnforcement;

  /**
   * Kinds of object the rule applies to (manifest rules): the engine evaluates it only on objects
   * whose `kind` is one of them, so a rule about Deployments is not called for every ConfigMap. The
   * rule must find nothing on any other kind.
   *
   * @default - every kind (the rule is called for every object)
   */
  readonly kinds?: string[];
}

/**
 * A violation returned by a rule.
 */
export interface RuleViolation {
  /** What is wrong, naming the offending value. */
  readonly message: string;

  /**
   * JSON pointer of the offending field in the manifest (manifest rules), used to find the line.
   *
   * @default - the whole object
   */
  readonly jsonPointer?: string;
}

/**
 * What a manifest rule sees: one rendered object and its environment.
 */
export interface ManifestRuleContext {
  /**
   * The rendered object (canonical JSON). Read it, never change it: it is the object the synthesis
   * writes and, with the cross-run cache on, memoizes for the next synthesis.
   */
  readonly manifest: any;

  /**
   * The environment the object belongs to.
   *
   * @default - unknown (plain YAML checked by the CLI)
   */
  readonly environment?: Environment;

  /**
   * Tier the object is evaluated for.
   *
   * @default - from `environment`, else unknown
   */
  readonly tier?: Tier;

  /**
   * Output file of the object (relative to the output directory, or as given to `check`).
   *
   * @default - unknown
   */
  readonly file?: string;

  /**
   * Every object of the same environment (or of the same `check` input), for rules that relate
   * objects (a PodDisruptionBudget or NetworkPolicy selecting a workload).
   *
   * @default - none
   */
  readonly related?: any[];

  /**
   * `related` indexed by kind and namespace, built once per environment: look related objects up
   * here (`inNamespace('NetworkPolicy', ns)`) instead of scanning `related` for every object.
   *
   * @default - `RelatedObjects.of(related)` (built on first use, cached per `related` array)
   */
  readonly relatedIndex?: RelatedObjects;
}

/**
 * What a model rule sees: one construct and its environment.
 */
export interface ModelRuleContext {
  /** The construct. */
  readonly construct: IConstruct;

  /**
   * Its environment.
   *
   * @default - the construct is not inside an EnvironmentChart
   */
  readonly environment?: Environment;
}

/**
 * A compliance rule (one file per rule, cdk-nag style).
 */
export abstract class Rule {
  /** Stable id. */
  public readonly id: string;
  /** Default severity. */
  public readonly severity: Severity;
  /** What the rule requires. */
  public readonly description: string;
  /** Why it exists. */
  public readonly explanation: string;
  /** How to fix a violation. */
  public readonly fix: string;
  /** Whether findings can be suppressed. */
  public readonly unsuppressible: boolean;
  /**
   * Link to more documentation.
   *
   * @default - none
   */
  public readonly helpUri?: string;
  /** Where the rule can be enforced (git-only rules are never exported as admission policies). */
  public readonly enforcement: RuleEnforcement;

  /**
   * Kinds of object the rule applies to.
   *
   * @default - every kind
   */
  public readonly kinds?: string[];

  protected constructor(props: RuleProps) {
    if (!/^[A-Z][A-Z0-9]*-[A-Z][A-Za-z0-9]*$/.test(props.id)) {
      throw new Error(`rule id ${JSON.stringify(props.id)} must be <PACK>-<Name>, e.g. PSS-RunAsNonRoot`);
    }
    this.id = props.id;
    this.severity = props.severity;
    this.description = props.description;
    this.explanation = props.explanation;
    this.fix = props.fix;
    this.unsuppressible = props.unsuppressible ?? false;
    this.helpUri = props.helpUri;
    this.enforcement = props.enforcement ?? RuleEnforcement.ADMISSION;
    if (props.kinds !== undefined && (!Array.isArray(props.kinds) || props.kinds.some((k) => typeof k !== 'string' || k.length === 0))) {
      throw new Error(`rule ${props.id}: kinds must be a list of object kinds (e.g. ["Deployment"]), got ${JSON.stringify(props.kinds)}`);
    }
    this.kinds = props.kinds ? [...props.kinds] : undefined;
  }
}

/**
 * A rule over rendered Kubernetes objects; it also runs on plain YAML (`check`, `verify`).
 */
export abstract class ManifestRule extends Rule {
  protected constructor(props: RuleProps) {
    super(props);
  }

  /**
   * Violations of the rule by one object (empty when compliant or not applicable).
   */
  public abstract evaluate(context: ManifestRuleContext): RuleViolation[];
}

/**
 * A rule over the construct model (e.g. a database in production without backups, whatever its
 * engine). Where only YAML is available it is reported as not evaluable, never as passed.
 */
export abstract class ModelRule extends Rule {
  protected constructor(props: RuleProps) {
    super(props);
  }

  /**
   * Violations of the rule by one construct (empty when compliant or not applicable).
   */
  public abstract evaluate(context: ModelRuleContext): RuleViolation[];
}
