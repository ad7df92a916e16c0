import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { ManifestRule, ModelRule, Rule } from './rule';
import { Severity, SEVERITY_ORDER } from './severity';
import { IAspect } from '../aspects/aspects';
import { Tier } from '../environment/tier';

/**
 * Changes the severity of a pack's rules in one tier (or everywhere).
 */
export interface SeverityOverride {
  /**
   * Tier the override applies in.
   *
   * @default - every tier
   */
  readonly tier?: Tier;

  /**
   * Rule the override applies to.
   *
   * @default - every rule of the pack
   */
  readonly ruleId?: string;

  /**
   * Set this severity (raise or lower).
   *
   * @default - unchanged (see `maxSeverity`)
   */
  readonly severity?: Severity;

  /**
   * Lower severities above this one to it (e.g. WARNING: "warn in dev").
   *
   * @default - no cap
   */
  readonly maxSeverity?: Severity;
}

/**
 * Properties of a PolicyPack.
 */
export interface PolicyPackProps {
  /** Pack id, e.g. `pod-security-restricted`. */
  readonly id: string;

  /**
   * Version of the pack (e.g. the Pod Security Standards version it implements).
   *
   * @default - none
   */
  readonly version?: string;

  /**
   * Rules over rendered objects.
   *
   * @default - none
   */
  readonly manifestRules?: ManifestRule[];

  /**
   * Rules over the construct model.
   *
   * @default - none
   */
  readonly modelRules?: ModelRule[];

  /**
   * Per-tier severity changes, applied in order.
   *
   * @default - the rules' own severities in every tier
   */
  readonly severityOverrides?: SeverityOverride[];
}

/**
 * A set of rules, applied as a validating aspect: `Aspects.of(scope).add(pack, { priority: AspectPriority.READONLY })`
 * (or `PolicyPack.applyTo(scope)`). It checks the constructs under `scope` and the objects they render.
 */
export class PolicyPack implements IAspect {
  /** Pack id. */
  public readonly id: string;
  /**
   * Pack version.
   *
   * @default - none
   */
  public readonly version?: string;
  /** Rules over rendered objects. */
  public readonly manifestRules: ManifestRule[];
  /** Rules over the construct model. */
  public readonly modelRules: ModelRule[];
  private readonly overrides: SeverityOverride[];
  private readonly visited = new Set<IConstruct>();

  public constructor(props: PolicyPackProps) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(props.id)) {
      throw new Error(`pack id ${JSON.stringify(props.id)} must be lower-case letters, digits and "-"`);
    }
    this.id = props.id;
    this.version = props.version;
    this.manifestRules = [...(props.manifestRules ?? [])];
    this.modelRules = [...(props.modelRules ?? [])];
    this.overrides = [...(props.severityOverrides ?? [])];
    const ids = new Set<string>();
    for (const rule of this.rules) {
      if (ids.has(rule.id)) throw new Error(`pack ${this.id} has two rules with id ${rule.id}`);
      ids.add(rule.id);
    }
  }

  /** Every rule of the pack. */
  public get rules(): Rule[] {
    return [...this.manifestRules, ...this.modelRules];
  }

  /**
   * The severity of `rule` in `tier` after this pack's overrides.
   */
  public severityOf(rule: Rule, tier?: Tier): Severity {
    let severity = rule.severity;
    for (const o of this.overrides) {
      if (o.tier !== undefined && o.tier !== tier) continue;
      if (o.ruleId !== undefined && o.ruleId !== rule.id) continue;
      if (o.severity !== undefined) severity = o.severity;
      if (o.maxSeverity !== undefined && SEVERITY_ORDER.indexOf(severity) > SEVERITY_ORDER.indexOf(o.maxSeverity)) severity = o.maxSeverity;
    }
    return severity;
  }

  /**
   * A copy of this pack with more severity overrides (e.g. warn in development).
   */
  public withSeverityOverrides(overrides: SeverityOverride[]): PolicyPack {
    return new PolicyPack({
      id: this.id,
      version: this.version,
      manifestRules: this.manifestRules,
      modelRules: this.modelRules,
      severityOverrides: [...this.overrides, ...overrides],
    });
  }

  /**
   * Records the constructs in the pack's scope; the synthesis evaluates them (and the objects they
   * render) once the tree is complete.
   */
  public visit(node: IConstruct): void {
    this.visited.add(node);
  }

  /**
   * Whether the pack covers `construct` (it was visited: it is under the scope the pack was added to).
   */
  public covers(construct: IConstruct): boolean {
    return this.visited.has(construct);
  }

  /** The constructs the pack covers, in visiting order. @internal */
  public _covered(): IConstruct[] {
    return [...this.visited];
  }

  /** The rendered objects the pack covers. @internal */
  public _coveredObjects(): ApiObject[] {
    return this._covered().filter((c): c is ApiObject => ApiObject.isApiObject(c));
  }
}
