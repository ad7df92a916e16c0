import { IConstruct } from 'constructs';
import { ValidationError } from '../errors/validation-error';

/** Annotation recording the suppressions that cover a rendered object. */
export const SUPPRESSIONS_ANNOTATION = 'policy.stateful.cdk8s.io/suppressions';

/**
 * A suppression: a rule waived on a construct (and, by default, everything below it), with a reason.
 */
export interface Suppression {
  /** The rule id, e.g. `PSS-RunAsNonRoot`. */
  readonly ruleId: string;
  /** Why the finding is acceptable here: at least 10 characters. */
  readonly reason: string;
  /**
   * Also cover the constructs below this one.
   *
   * @default true
   */
  readonly applyToChildren?: boolean;
}

/**
 * A suppression as attached to a construct.
 */
export interface AppliedSuppression extends Suppression {
  /** Path of the construct it is attached to. */
  readonly constructPath: string;
}

/**
 * A rendered object on which a suppression waives a rule: the policy exports exempt it (and the
 * ReplicaSets, Jobs and Pods its controller creates from it) from that rule's admission policy.
 */
export interface SuppressedObject {
  /** The rule id, e.g. `PROD-ReadinessProbe`. */
  readonly ruleId: string;
  /** `kind` of the object, e.g. `Deployment`. */
  readonly kind: string;
  /** `metadata.namespace` of the object. */
  readonly namespace: string;
  /** `metadata.name` of the object. */
  readonly name: string;
}

const SYMBOL = Symbol.for('cdk8s-stateful.Suppressions');

/**
 * Suppressions attached to constructs (cdk-nag style). A suppression names a rule and carries a
 * reason; it is recorded in the output as an annotation, listed in reports, and reported when it
 * suppresses nothing. Unsuppressible rules ignore suppressions.
 */
export class Suppressions {
  /**
   * Suppresses `ruleId` on `scope` (and below, unless `applyToChildren` is false). To suppress on one
   * rendered object, attach it to that object's ApiObject construct.
   */
  public static add(scope: IConstruct, suppression: Suppression): void {
    if (typeof suppression?.ruleId !== 'string' || !/^[A-Z][A-Z0-9]*-[A-Z][A-Za-z0-9]*$/.test(suppression.ruleId)) {
      throw ValidationError.of(scope, 'INVALID_SUPPRESSION', 'ruleId', suppression?.ruleId, 'a rule id <PACK>-<Name>, e.g. PSS-RunAsNonRoot');
    }
    if (typeof suppression.reason !== 'string' || suppression.reason.trim().length < 10) {
      throw ValidationError.of(scope, 'INVALID_SUPPRESSION', 'reason', suppression.reason,
        'a reason of at least 10 characters saying why the finding is acceptable');
    }
    let list = (scope as any)[SYMBOL] as AppliedSuppression[] | undefined;
    if (!list) {
      list = [];
      Object.defineProperty(scope, SYMBOL, { value: list, enumerable: false });
    }
    list.push({
      ruleId: suppression.ruleId,
      reason: suppression.reason.trim(),
      applyToChildren: suppression.applyToChildren ?? true,
      constructPath: scope.node.path,
    });
  }

  /**
   * The suppressions attached directly to `scope`.
   */
  public static of(scope: IConstruct): AppliedSuppression[] {
    return [...(((scope as any)[SYMBOL] as AppliedSuppression[] | undefined) ?? [])];
  }

  /**
   * Every suppression covering `construct`: its own and its ancestors' (those applying to children).
   */
  public static covering(construct: IConstruct): AppliedSuppression[] {
    const out: AppliedSuppression[] = [];
    for (const scope of construct.node.scopes) {
      for (const s of Suppressions.of(scope)) {
        if (scope === construct || s.applyToChildren !== false) out.push(s);
      }
    }
    return out;
  }

  private constructor() {}
}
