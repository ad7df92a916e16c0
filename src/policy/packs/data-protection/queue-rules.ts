import { IConstruct } from 'constructs';
import { ReclaimPolicy } from '../../../environment/storage-profile';
import { Tier } from '../../../environment/tier';
import { isMessageQueue as isQueue } from '../../../private/brands';
import { settingCredential } from '../../../private/credentials';
import type { MessageQueue } from '../../../queue/message-queue';
import { ModelRule, ModelRuleContext, RuleProps, RuleViolation } from '../../rule';
import { Severity } from '../../severity';

/** Minimum brokers, and replicas of each queue or topic, in production. */
export const MIN_PRODUCTION_QUEUE_REPLICAS = 3;
/** Minimum `min.insync.replicas` of a production topic. */
export const MIN_PRODUCTION_IN_SYNC_REPLICAS = 2;


function isMessageQueue(c: IConstruct): c is MessageQueue {
  return isQueue(c);
}

/** A model rule about MessageQueues, whatever their engine; production only unless `everyTier`. */
abstract class QueueRule extends ModelRule {
  protected constructor(props: RuleProps, private readonly everyTier = false) {
    super(props);
  }

  public evaluate(ctx: ModelRuleContext): RuleViolation[] {
    if (!isMessageQueue(ctx.construct)) return [];
    if (!this.everyTier && ctx.construct.environment.tier !== Tier.PRODUCTION) return [];
    return this.check(ctx.construct).map((message) => ({ message }));
  }

  /** Messages for what violates the rule. */
  protected abstract check(mq: MessageQueue): string[];
}

/** DATA-QueueReplicas. */
export class QueueReplicas extends QueueRule {
  public constructor() {
    super({
      id: 'DATA-QueueReplicas',
      severity: Severity.ERROR,
      description: `Production message queues run at least ${MIN_PRODUCTION_QUEUE_REPLICAS} brokers`,
      explanation: 'Quorum queues and Kafka topics replicate to a majority: with fewer than 3 brokers, losing one stops writes or loses '
        + 'the only copy.',
      fix: `Set replicas to ${MIN_PRODUCTION_QUEUE_REPLICAS} or more (the production default).`,
    });
  }

  protected check(mq: MessageQueue): string[] {
    return mq.replicas < MIN_PRODUCTION_QUEUE_REPLICAS ? [`message queue ${mq.name} runs ${mq.replicas} broker(s) in production`] : [];
  }
}

/** DATA-QueueZoneSpread. */
export class QueueZoneSpread extends QueueRule {
  public constructor() {
    super({
      id: 'DATA-QueueZoneSpread',
      severity: Severity.ERROR,
      description: 'Production message queue brokers are spread across zones',
      explanation: 'Brokers in one zone fail together with it: replicated queues and topics do not survive a zone outage.',
      fix: 'Leave spreadAcrossZones at its production default (true).',
    });
  }

  protected check(mq: MessageQueue): string[] {
    return mq.spreadAcrossZones ? [] : [`message queue ${mq.name} is not spread across zones`];
  }
}

/** DATA-QueueReplication. */
export class QueueReplication extends QueueRule {
  public constructor() {
    super({
      id: 'DATA-QueueReplication',
      severity: Severity.ERROR,
      description: `Production queues are replicated (quorum queues or streams with ${MIN_PRODUCTION_QUEUE_REPLICAS}+ replicas); `
        + `topics have ${MIN_PRODUCTION_QUEUE_REPLICAS}+ replicas and min.insync.replicas ${MIN_PRODUCTION_IN_SYNC_REPLICAS}+`,
      explanation: 'A classic queue lives on one broker: its messages are lost with that broker\'s volume. A topic with fewer replicas, or '
        + 'with min.insync.replicas 1, acknowledges writes that a single broker failure loses.',
      fix: 'Use QueueType.QUORUM (the default) or STREAM with 3+ replicas; give topics replicas 3 and minInSyncReplicas 2 (the defaults with 3 brokers).',
    });
  }

  protected check(mq: MessageQueue): string[] {
    // what the engine supports (its capabilities), never which engine it is
    const out: string[] = [];
    const capabilities = mq.engine.capabilities;
    if (capabilities.queues) {
      for (const q of mq._model.queues()) {
        if (q.replicas === undefined) out.push(`queue "${q.name}" of ${mq.name} is a classic (unreplicated) queue`);
        else if (q.replicas < MIN_PRODUCTION_QUEUE_REPLICAS) out.push(`${q.type} queue "${q.name}" of ${mq.name} has ${q.replicas} replica(s)`);
      }
    }
    if (capabilities.topics) {
      for (const t of mq._model.topics()) {
        if (t.replicas < MIN_PRODUCTION_QUEUE_REPLICAS) out.push(`topic "${t.name}" of ${mq.name} has ${t.replicas} replica(s)`);
        if (t.minInSyncReplicas < MIN_PRODUCTION_IN_SYNC_REPLICAS) out.push(`topic "${t.name}" of ${mq.name} has min.insync.replicas ${t.minInSyncReplicas}`);
      }
    }
    return out;
  }
}

/** DATA-QueueRetainOnDelete. */
export class QueueRetainOnDelete extends QueueRule {
  public constructor() {
    super({
      id: 'DATA-QueueRetainOnDelete',
      severity: Severity.ERROR,
      description: 'Production message queues keep their messages when their objects are pruned or renamed',
      explanation: 'A GitOps prune of a Queue / Vhost (deletionPolicy delete), a KafkaTopic (delete.topic.enable) or a claim '
        + '(reclaimPolicy Delete) deletes the messages with it.',
      fix: 'Leave retainOnDelete at true and use a StorageProfile with reclaimPolicy RETAIN.',
    });
  }

  protected check(mq: MessageQueue): string[] {
    const out: string[] = [];
    if (!mq.retainOnDelete) out.push(`message queue ${mq.name} deletes queues or topics when their objects are pruned (retainOnDelete: false)`);
    if (mq.storageProfile.reclaimPolicy !== ReclaimPolicy.RETAIN) {
      out.push(`message queue ${mq.name} uses StorageClass "${mq.storageProfile.storageClassName}" with reclaimPolicy ${mq.storageProfile.reclaimPolicy}`);
    }
    return out;
  }
}

/** DATA-QueueEncryptedStorage. */
export class QueueEncryptedStorage extends QueueRule {
  public constructor() {
    super({
      id: 'DATA-QueueEncryptedStorage',
      severity: Severity.ERROR,
      description: 'Production message queues store messages on encrypted volumes',
      explanation: 'Messages carry business data; unencrypted volumes leak it through snapshots and decommissioned disks.',
      fix: 'Use an encrypted StorageProfile for the message queue (or the environment).',
    });
  }

  protected check(mq: MessageQueue): string[] {
    return mq.storageProfile.encrypted ? [] : [`message queue ${mq.name} uses unencrypted StorageClass "${mq.storageProfile.storageClassName}"`];
  }
}

/** DATA-QueueNoLiteralCredentials. */
export class QueueNoLiteralCredentials extends QueueRule {
  public constructor() {
    super({
      id: 'DATA-QueueNoLiteralCredentials',
      severity: Severity.ERROR,
      unsuppressible: true,
      description: 'Message queue broker settings hold no literal credentials (every tier)',
      explanation: 'A password in rabbitmq.conf or the Kafka config is committed to Git and readable by everyone with access to the '
        + 'repository or the namespace; Git history keeps it after it is removed. Users\' passwords come from SecretSources.',
      fix: 'Remove the setting from the engine\'s additionalConfig; deliver the credential through a Secret (e.g. an LDAP bind password '
        + 'via advanced.config from a Secret, or SASL settings managed by Strimzi).',
    }, true);
  }

  protected check(mq: MessageQueue): string[] {
    const config: Record<string, unknown> = mq.engine.additionalConfig ?? {};
    return Object.keys(config).sort().flatMap((k) => {
      const what = settingCredential(k, config[k]);
      return what === undefined ? [] : [`message queue ${mq.name} broker setting ${what}`];
    });
  }
}
