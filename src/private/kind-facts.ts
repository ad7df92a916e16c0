/**
 * What the pipeline (GitOps wiring, change safety, admission exports, policy packs) knows about one
 * kind an engine renders. Each engine declares the kinds it renders in the `facts.ts` of its folder
 * (`src/database/engines/<engine>/facts.ts`, `src/queue/engines/<engine>/facts.ts`), its area's
 * `engines/index.ts` lists them, and `kind-registry.ts` aggregates them with the core kinds: nothing
 * outside an engine's folder names its operator's kinds.
 *
 * Every member but `group` and `kind` is optional: a descriptor says only what it knows. Several
 * descriptors may describe one kind (a StatefulSet engine describes `apps/StatefulSet` for its own
 * objects only, through `matches`); each fact is read from the first descriptor that matches the
 * object and declares it, engines before the core kinds.
 *
 * Internal (not exported from the package): function-typed members are fine here.
 */
export interface KindFacts {
  /** API group (`''` for the core group), e.g. `postgresql.cnpg.io`. */
  readonly group: string;
  /** Kind, e.g. `Cluster`. */
  readonly kind: string;
  /**
   * Whether the descriptor applies to this object of `group` / `kind` (e.g. a StatefulSet engine's own
   * StatefulSets, by the selector labels it renders).
   * @default - every object of the kind
   */
  readonly matches?: (manifest: any) => boolean;
  /**
   * Whether objects of the kind hold data: never pruned (Flux `kustomize.toolkit.fluxcd.io/prune:
   * disabled`, Argo CD `Prune=false`), their removal or rename is a change-safety finding.
   * @default false
   */
  readonly dataBearing?: boolean | ((manifest: any) => boolean);
  /**
   * Never pruned by Flux or Argo CD although it holds no data itself: deleting it deletes objects that
   * do (a Namespace deletes everything in it, those whose own prune is disabled included). Unlike
   * `dataBearing`, its removal is no change-safety finding (the objects it holds have their own).
   * @default false
   */
  readonly neverPruned?: boolean;
  /**
   * Flux `healthCheckExprs` `current` (CEL over `status`, `spec`, `metadata`): the object reached its
   * desired state. Only for kinds kstatus cannot read itself.
   * @default - none: kstatus reads the object
   */
  readonly fluxReady?: string;
  /**
   * Flux `healthCheckExprs` `failed`: the object failed in a way its operator cannot leave by itself.
   * @default - none
   */
  readonly fluxFailed?: string;
  /**
   * The storage requests of an object: JSON pointer of the size → size and storage class
   * (`CHANGE-StorageShrink`, `CHANGE-StorageGrowthWithoutExpansion`; a changed class, `CHANGE-ImmutableField`,
   * unless an immutable field of the kind already covers it).
   * @default - none
   */
  readonly storage?: (manifest: any) => StorageRequest[];
  /**
   * What the operator does with a changed storage class of the object's `storage` (the volumes there
   * keep theirs: a claim's class never changes) and how to move the data, for the `CHANGE-ImmutableField`
   * finding.
   * @default - the volumes keep their class: a migration to new volumes
   */
  readonly storageClassChange?: (manifest: any) => string;
  /**
   * The version of the software the object runs (`CHANGE-MajorVersionUpgrade`, `CHANGE-VersionDowngrade`):
   * its text (`16.4`, an image tag) and the pointer of the field that holds it. See `imageTagAt`, `containerImageVersion`.
   * @default - none
   */
  readonly version?: (manifest: any) => VersionField | undefined;
  /**
   * Why the software cannot be upgraded in place from version `from` to the newer `to` (each `[major, minor, patch]` of
   * `version`), with the versions to go through first, or undefined where it can (`CHANGE-UnsupportedUpgradePath`):
   * RabbitMQ upgrades one release series at a time.
   * @default - every upgrade path is supported
   */
  readonly upgradePath?: (from: readonly number[], to: readonly number[]) => string | undefined;
  /**
   * Versions that went down from `previous` to `manifest` as the operator sees them, each a `CHANGE-VersionDowngrade`
   * with what the operator does and how to make the change: one at the pointer of `version` replaces the generic
   * finding of a lower `version` (Strimzi refuses a Kafka downgrade below the cluster's metadata version), others are
   * versions of the kind's own (a Kafka metadata version lowered, which Kafka may refuse).
   * @default - none: a lower `version` gets the generic finding
   */
  readonly downgrades?: (manifest: any, previous: any) => VersionDowngrade[];
  /**
   * What the operator that manages the kind does to its objects when the operator's own version changes
   * (`CHANGE-OperatorUpgraded`, for operators the app installs with Argo CD: `PlatformOperator`). On one kind per operator.
   * @default - none: its upgrades are not reported
   */
  readonly operatorUpgrade?: OperatorUpgrade;
  /**
   * The archive the object writes its log to continuously, where a major version upgrade must start a new one
   * (`CHANGE-MajorUpgradeSharedArchive`): CloudNativePG's `pg_upgrade` starts timeline 1 again, so the new major's
   * WAL would land among the old one's in an archive that keeps its name.
   * @default - none
   */
  readonly logArchive?: (manifest: any) => LogArchiveField | undefined;
  /**
   * The member count and the minimum the data needs (`CHANGE-ScaleBelowQuorum`).
   * @default - none
   */
  readonly replicas?: (manifest: any) => ReplicasField | undefined;
  /**
   * The limits the object puts on how much data is kept, besides the backup retention engines declare by
   * annotation (`private/engine-facts.ts`): a topic's `retention.ms` and `retention.bytes`, a RabbitMQ
   * policy's `message-ttl`, `max-length`, `max-age`... (`CHANGE-RetentionShortened`). Each limit is keyed
   * by what it applies to and its dimension, and compared with the same key in the previous output over
   * all the objects of the scope (a queue's own arguments and the policy applying to it), the lowest
   * limit of a key being the one in force. A kind lists the limits it leaves unset as unlimited
   * (`value` `Infinity`), so that one set later is a shortening.
   * @default - none
   */
  readonly retention?: (manifest: any) => RetentionField[];
  /**
   * What happens to the data when the object is deleted (`CHANGE-DeletionPolicyWeakened` when a
   * `retain` goes): the policy as written (compared case-insensitively) and its pointer. Objects
   * whose kind declares none are read by the common operator convention, `spec.deletionPolicy`.
   * @default - `spec.deletionPolicy`, when the object has one
   */
  readonly deletionPolicy?: (manifest: any) => DeletionPolicyField | undefined;
  /**
   * What deleting the object (a prune, or a person once its prune is disabled) does to its data, as the
   * clause after "deleting it" in `CHANGE-DataObjectRemoved`: e.g. `leaves queue "q" and its messages in
   * RabbitMQ (deletionPolicy: retain)`. Without it, a `deletionPolicy` of `retain` keeps the data and
   * anything else deletes it.
   * @default - from `deletionPolicy`: "leaves its data in place" with retain, else "deletes its data"
   */
  readonly onDelete?: (manifest: any) => string | undefined;
  /**
   * What the object does on its own once it is left in the cluster unmanaged (removed from the output, its prune
   * disabled) while the objects rendered beside it are pruned, as a sentence appended to `CHANGE-DataObjectRemoved`.
   * @default - nothing to add
   */
  readonly whileUnmanaged?: (manifest: any) => string | undefined;
  /**
   * The users the object (a database, a broker) lets log in, and those it keeps retired
   * (`CHANGE-UserRemoved` when a login user is gone from both: where the engine keeps a user it is
   * no longer told about, the user keeps its login and password).
   * @default - none
   */
  readonly loginUsers?: (manifest: any) => LoginUsersField | undefined;
  /**
   * JSON pointers whose change Kubernetes or the operator refuses, or turns into a recreate
   * (`CHANGE-ImmutableField`).
   * @default - none
   */
  readonly immutableFields?: readonly string[] | ((manifest: any) => string[]);
  /**
   * Fields the kind's CRD makes immutable with a transition rule on the field (`self == oldSelf`):
   * the API server evaluates such a rule only when the field is there before and after, so setting
   * or removing the field passes and only a changed value is refused (`CHANGE-ImmutableField`).
   * @default - none
   */
  readonly transitionRules?: readonly TransitionRule[];
  /**
   * Fields the operator reads to create the data (a bootstrap from a backup), which set on an object that
   * already exists do something else than on a new one: what, for the finding (`CHANGE-ImmutableField`).
   * @default - none
   */
  readonly creationFields?: readonly CreationField[];
  /**
   * Fields the operator applies when they are set and keeps applied when they are removed from an object
   * that exists (it writes nothing that undoes them): removing one is a `CHANGE-ImmutableField` saying what
   * stays and how to undo it by hand. Read on the previous object.
   * @default - none
   */
  readonly removalKeptFields?: (manifest: any) => readonly CreationField[];
  /**
   * Where the object asks the scheduler to keep its pods evenly spread over the zones, strictly (a topology spread
   * constraint on `topology.kubernetes.io/zone` with `whenUnsatisfiable: DoNotSchedule`), or undefined. Such a
   * constraint added to a data-bearing object that exists is a `CHANGE-ZoneSpreadAdded`: it does not know the zones
   * of the volumes the pods are bound to.
   * @default - none
   */
  readonly zoneSpread?: (manifest: any) => string | undefined;
  /**
   * What a change of one of the `immutableFields` means and how to make it, where the kind knows
   * better than "not allowed in place" (a StatefulSet's volumes grown): the finding's text after the
   * object, or undefined for the generic one. `previous` is the object as it was, `before` and
   * `after` the field's values.
   * @default - the generic text
   */
  readonly immutableFieldAdvice?: (manifest: any, previous: any, pointer: string, before: unknown, after: unknown) => string | undefined;
  /**
   * Declarations embedded in the object (a definitions file in a ConfigMap) that the software keeps
   * as first applied: an entry whose value changes under the same key is a `CHANGE-ImmutableField`
   * (entries added or removed are not).
   * @default - none
   */
  readonly immutableEntries?: (manifest: any) => ImmutableEntry[];
  /**
   * Data declared inside the object (a queue of a definitions file in a ConfigMap) whose declaration gone from it leaves
   * the data behind, or takes it away: one that disappears is a `CHANGE-DataObjectRemoved`, with what that does.
   * @default - none
   */
  readonly declaredData?: (manifest: any) => DeclaredData[];
  /**
   * For kinds whose instances each hold their own share of the data (brokers holding queue members or
   * partition replicas): what the instances removed going `from` → `to` hold and how to move it off
   * them first. A lower `replicas` count is then a `CHANGE-BrokersRemoved` (or, below the minimum, a
   * `CHANGE-ScaleBelowQuorum` saying the same).
   * @default - none: instances are interchangeable (database replicas)
   */
  readonly removedInstances?: (manifest: any, from: number, to: number) => string | undefined;
  /**
   * Numbers the operator can only raise (a Kafka topic's partitions, a RabbitMQ cluster's brokers): a
   * decrease is a `CHANGE-ImmutableField`, with what the operator does with it.
   * @default - none
   */
  readonly nonDecreasingFields?: readonly NonDecreasingField[];
  /**
   * Numbers the operator cannot raise as the object now stands (mariadb-operator adds replicas only
   * from a replica data source): an increase is a `CHANGE-ImmutableField`, with what the operator does
   * with it. Read on the new object.
   * @default - none
   */
  readonly nonIncreasingFields?: (manifest: any) => readonly NonDecreasingField[];
  /**
   * JSON pointers the operator defaults or manages: the Argo CD Application of every environment that renders
   * an object of the kind ignores their differences (`spec.ignoreDifferences`).
   * @default - none
   */
  readonly argoCdIgnoreDifferences?: readonly string[];
  /**
   * The images the operator runs for the object, named by it or the operator's defaults
   * (`GITOPS-AllowedRegistries`).
   * @default - none
   */
  readonly images?: (manifest: any) => OperatorImage[];
  /**
   * Labels the operator puts on the objects it creates from this kind at run time (Pods, Secrets,
   * Services...): the admission exports leave those objects to the synthesis-time checks of the
   * custom resource. Several descriptors may name one label: their values are merged.
   * @default - none
   */
  readonly operatorCreatedLabels?: readonly OperatorCreatedLabel[];
}

/** A storage request of a data-bearing object. */
export interface StorageRequest {
  /** JSON pointer of the size. */
  readonly pointer: string;
  /** The size as written (a Kubernetes quantity, or anything else: compared as a quantity). */
  readonly size: unknown;
  /** The storage class it is requested on, when named. */
  readonly storageClass?: string;
  /** JSON pointer of the field naming the class (named or not): a changed class is compared there. */
  readonly classPointer?: string;
}

/** Where an object archives its log: the archive's identity (what a major upgrade must change) and the field that names it. */
export interface LogArchiveField {
  /** The object store (the name of the object that configures it). */
  readonly store: string;
  /** The server (folder) the log goes under in that store. */
  readonly serverName: string;
  /** JSON pointer of the field that sets the server name. */
  readonly pointer: string;
  /** What a suggested new server name appends to the old one before the new major (`-pg`: `orders-db-pg17`). */
  readonly majorSuffix: string;
}

/** Where an object names its version. */
export interface VersionField {
  /** The version text (`16.4`, `3.13.7-management`): its leading `major.minor.patch` is compared. */
  readonly text: unknown;
  /** JSON pointer of the field. */
  readonly pointer: string;
  /**
   * How many leading numbers name a major release (`CHANGE-MajorVersionUpgrade`): 2 for MariaDB, whose 10.6, 10.11, 11.4
   * and 11.8 are each a major release (an upgrade between them needs `mariadb-upgrade`).
   * @default 1
   */
  readonly majorParts?: number;
}

/** What an operator does to the objects it manages when its version changes (`KindFacts.operatorUpgrade`). */
export interface OperatorUpgrade {
  /** The operator, as a message names it. */
  readonly title: string;
  /** The Helm charts that install it (an Argo CD Application's `spec.source.chart`). */
  readonly charts: string[];
  /** The Git repositories that install it (suffix of an Application's `spec.source.repoURL`, without `.git`). */
  readonly repositories?: string[];
  /** What the new version does to the objects it manages, once it runs. */
  readonly onUpgrade: string;
  /** How to upgrade safely. */
  readonly safely: string;
  /** What is known of a downgrade. */
  readonly downgrade: string;
}

/** A version that went down, as the operator sees it (`KindFacts.downgrades`). */
export interface VersionDowngrade {
  /** JSON pointer of the field. */
  readonly pointer: string;
  /** The finding's text after the object, e.g. `Kafka version goes down 4.3.1 → 4.2.1, but Strimzi ...`. */
  readonly text: string;
}

/** Members of an object and the minimum its data needs. */
export interface ReplicasField {
  readonly count: number;
  readonly pointer: string;
  readonly minimum: number;
}

/** A limit on how much data is kept, in a unit comparable with the same key in the previous output. */
export interface RetentionField {
  /**
   * What is limited and how, the same wherever the limit is set (on a queue or on the policy applying to
   * it), unique in an environment, e.g. `rabbitmq|mq|/|orders|message TTL`.
   */
  readonly key: string;
  /** The same for the finding, e.g. `the message TTL of queue "orders"`. */
  readonly what: string;
  /** The limit in the dimension's unit (milliseconds, bytes, messages); `Infinity` when unlimited. */
  readonly value: number;
  /** Where the object sets it (or would). */
  readonly pointer: string;
  /** The limit as written, e.g. `2592000000 ms (30d)`, `unlimited`. */
  readonly text: string;
  /** What a lower limit does to the data already kept and to new data, for the finding. */
  readonly consequence: string;
}

/** A declaration embedded in an object, kept as first applied (`KindFacts.immutableEntries`). */
export interface ImmutableEntry {
  /** Identity of the declaration, e.g. `queue orders/orders.created`. */
  readonly key: string;
  /** What must not change. */
  readonly value: unknown;
  /** Where the object holds it. */
  readonly pointer: string;
  /** What a changed value does, for the finding, e.g. `RabbitMQ keeps the existing queue as it is`. */
  readonly consequence: string;
  /**
   * What removing the declaration does where the software keeps it anyway (a binding of a definitions file), for a
   * `CHANGE-ImmutableField` when the key is gone.
   * @default - removing it is not reported
   */
  readonly removed?: string;
  /** The key of the entry this one belongs to (a binding's queue): its removal is not reported when that one is gone too. */
  readonly within?: string;
}

/** Data declared inside an object (`KindFacts.declaredData`). */
export interface DeclaredData {
  /** Identity of the declaration, e.g. `queue "orders/orders.created"`. */
  readonly key: string;
  /** Where the object declares it. */
  readonly pointer: string;
  /** What its declaration removed does to the data, and what to do, for the finding. */
  readonly removed: string;
}

/** A field a CRD's transition rule keeps as first set (`KindFacts.transitionRules`). */
export interface TransitionRule {
  readonly pointer: string;
  /** The rule's message, as the API server returns it, e.g. `cluster reference is immutable after creation`. */
  readonly message: string;
}

/** A field read to create the data (`KindFacts.creationFields`). */
export interface CreationField {
  readonly pointer: string;
  /** What the operator does when the field is set on an existing object, for the finding. */
  readonly consequence: string;
}

/** A number the operator can only raise. */
export interface NonDecreasingField {
  readonly pointer: string;
  /** What the operator does with a lower value, for the finding, e.g. `the Topic Operator never lowers a topic's partitions`. */
  readonly consequence: string;
  /**
   * A lower value the operator does take (a RabbitMQ cluster paused at 0 brokers).
   * @default - none
   */
  readonly exempt?: number;
}

/** The users of a database or broker object: who logs in, who is retired, and where the object lists them. */
export interface LoginUsersField {
  readonly login: readonly string[];
  readonly retired: readonly string[];
  readonly pointer: string;
  /** The construct whose `retireUser` retires them: `ReplicatedDatabase` or `MessageQueue`. */
  readonly construct: string;
}

/** What deleting an object does to its data, where the object says it. */
export interface DeletionPolicyField {
  /** `retain`, `delete`... as written. */
  readonly value: string;
  readonly pointer: string;
}

/** An image a custom resource makes an operator run. */
export interface OperatorImage {
  /** The image reference (for a default, registry and repository only). */
  readonly image: string;
  /** JSON pointer of the field that holds it, or that would (for a default). */
  readonly pointer: string;
  /** What runs it, for messages (e.g. `Kafka brokers`). */
  readonly what: string;
  /** The resource does not name it: the operator's default. */
  readonly defaulted: boolean;
}

/** A label an operator puts on the objects it creates: any value, or one of `values`. */
export interface OperatorCreatedLabel {
  readonly label: string;
  readonly values?: readonly string[];
}

// ---- helpers for descriptors ------------------------------------------------------------------

/**
 * Flux CEL: condition `type` is `True`. `has()` keeps an object whose operator wrote no condition yet
 * "in progress" rather than an evaluation error; `exists` rather than `filter(...).all(...)` so an
 * object without the condition is not vacuously healthy (https://fluxcd.io/flux/cheatsheets/cel-healthchecks/).
 */
export function conditionTrue(...types: string[]): string {
  return ['has(status.conditions)', ...types.map((t) => `status.conditions.exists(e, e.type == '${t}' && e.status == 'True')`)].join(' && ');
}

/** The tag of an image reference (`repo:tag`), or undefined without one. */
export function imageTag(image: unknown): string | undefined {
  return typeof image === 'string' && /:[^/]+$/.test(image) ? image.slice(image.lastIndexOf(':') + 1) : undefined;
}

/**
 * The version of a pod template's container named `container` (its image tag), for workload
 * engines: `/spec/template/spec/containers/<i>/image`.
 */
export function containerImageVersion(manifest: any, container: string): VersionField | undefined {
  const containers: any[] = manifest?.spec?.template?.spec?.containers ?? [];
  const i = containers.findIndex((c) => c?.name === container);
  return i < 0 ? undefined : { text: imageTag(containers[i].image), pointer: `/spec/template/spec/containers/${i}/image` };
}

/** Whether a workload's selector carries every label of `labels` (how a workload engine recognises its own objects). */
export function selectsLabels(manifest: any, labels: Record<string, string>): boolean {
  const selected = manifest?.spec?.selector?.matchLabels ?? {};
  return Object.entries(labels).every(([k, v]) => selected[k] === v);
}

/**
 * The pointer of the first strict zone spread constraint (`topology.kubernetes.io/zone`, `DoNotSchedule`, the API's
 * only other value being `ScheduleAnyway`) in `constraints`, found at `pointer`, or undefined (`KindFacts.zoneSpread`).
 */
export function strictZoneSpread(constraints: unknown, pointer: string): string | undefined {
  if (!Array.isArray(constraints)) return undefined;
  const at = constraints.findIndex((c) => isObject(c) && c.topologyKey === 'topology.kubernetes.io/zone' && c.whenUnsatisfiable !== 'ScheduleAnyway');
  return at < 0 ? undefined : `${pointer}/${at}`;
}

/** `obj` is a plain object. */
export function isObject(x: unknown): x is Record<string, any> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/** `field` of `obj` (at `pointer`), or the operator's default image when it names none. */
export function imageOrDefault(obj: any, field: string, pointer: string, what: string, fallback: string): OperatorImage {
  const v = isObject(obj) ? obj[field] : undefined;
  return typeof v === 'string' && v !== ''
    ? { image: v, pointer: `${pointer}/${field}`, what, defaulted: false }
    : { image: fallback, pointer: `${pointer}/${field}`, what, defaulted: true };
}

/** Images written into the containers of a pod template override (`containers[].image`, `initContainers[].image`). */
export function templateImages(template: any, pointer: string, what: string): OperatorImage[] {
  const out: OperatorImage[] = [];
  for (const field of ['initContainers', 'containers']) {
    const list = isObject(template?.spec) && Array.isArray(template.spec[field]) ? template.spec[field] : [];
    list.forEach((c: any, i: number) => {
      if (isObject(c) && typeof c.image === 'string' && c.image !== '') {
        out.push({ image: c.image, pointer: `${pointer}/spec/${field}/${i}/image`, what: `${what} container "${c.name}"`, defaulted: false });
      }
    });
  }
  return out;
}

const UNITS: readonly [string, number][] = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];

/** A duration in milliseconds for a finding: `2592000000 ms (30d)`, `unlimited` for `Infinity`. */
export function millisecondsText(ms: number): string {
  if (ms === Infinity) return 'unlimited';
  const unit = UNITS.find(([, n]) => ms > 0 && ms % n === 0);
  return unit ? `${ms} ms (${ms / unit[1]}${unit[0]})` : `${ms} ms`;
}

/** A whole number written as a number or a string of digits (a Kafka topic config, a RabbitMQ argument), else undefined. */
export function wholeNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  return typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : undefined;
}
