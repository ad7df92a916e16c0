import { IConstruct } from 'constructs';
import { ValidationError } from '../../errors/validation-error';

/**
 * An explicit, reasoned approval of a risky change (a data-bearing object removed or renamed,
 * storage shrunk, a major-version jump...), recorded in the report.
 */
export interface ChangeApproval {
  /** The change-safety rule it allows, e.g. `CHANGE-DataObjectRemoved`. */
  readonly ruleId: string;

  /** Why the change is safe or intended: at least 10 characters. */
  readonly reason: string;

  /**
   * Kind of the object the change concerns.
   *
   * @default - any kind
   */
  readonly kind?: string;

  /**
   * Name of the object the change concerns (the old name for a removal or rename).
   *
   * @default - any name
   */
  readonly name?: string;

  /**
   * Environment the change is in.
   *
   * @default - the environment of the construct the approval is attached to, else any
   */
  readonly environment?: string;
}

/** An approval as attached to a construct. */
export interface AppliedChangeApproval extends ChangeApproval {
  /** Path of the construct it is attached to. */
  readonly constructPath: string;
}

const SYMBOL = Symbol.for('cdk8s-stateful.ChangeApprovals');

/**
 * Approvals of risky changes, attached to constructs (the app, an EnvironmentChart, the construct
 * whose objects change). An approval that matches no change is reported.
 */
export class ChangeApprovals {
  /**
   * Approves a risky change.
   */
  public static approve(scope: IConstruct, approval: ChangeApproval): void {
    if (typeof approval?.ruleId !== 'string' || !/^CHANGE-[A-Z][A-Za-z0-9]*$/.test(approval.ruleId)) {
      throw ValidationError.of(scope, 'INVALID_APPROVAL', 'ruleId', approval?.ruleId, 'a change-safety rule id, e.g. CHANGE-DataObjectRemoved');
    }
    if (typeof approval.reason !== 'string' || approval.reason.trim().length < 10) {
      throw ValidationError.of(scope, 'INVALID_APPROVAL', 'reason', approval.reason, 'a reason of at least 10 characters saying why the change is safe');
    }
    let list = (scope as any)[SYMBOL] as AppliedChangeApproval[] | undefined;
    if (!list) {
      list = [];
      Object.defineProperty(scope, SYMBOL, { value: list, enumerable: false });
    }
    list.push({ ...approval, reason: approval.reason.trim(), constructPath: scope.node.path });
  }

  /** Approvals attached directly to `scope`. */
  public static of(scope: IConstruct): AppliedChangeApproval[] {
    return [...(((scope as any)[SYMBOL] as AppliedChangeApproval[] | undefined) ?? [])];
  }

  private constructor() {}
}
