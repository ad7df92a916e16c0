/**
 * The images inside operator custom resources, and the images operators pull when a resource does
 * not name one (their documented defaults, by registry and repository: the tag follows the
 * operator's version). Internal module: read by GITOPS-AllowedRegistries on rendered objects and
 * plain YAML alike.
 */

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

const CNPG = 'postgresql.cnpg.io/v1';
const RABBITMQ = 'rabbitmq.com/v1beta1';
const STRIMZI = /^kafka\.strimzi\.io\/v1(beta2)?$/;

function isObject(x: unknown): x is Record<string, any> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/** `field` of `obj` (at `pointer`) or the operator default when it is not a string. */
function imageOrDefault(obj: any, field: string, pointer: string, what: string, fallback: string): OperatorImage {
  const v = isObject(obj) ? obj[field] : undefined;
  return typeof v === 'string' && v !== ''
    ? { image: v, pointer: `${pointer}/${field}`, what, defaulted: false }
    : { image: fallback, pointer: `${pointer}/${field}`, what, defaulted: true };
}

/** Images written into the containers of a pod template override (`containers[].image`, `initContainers[].image`). */
function templateImages(template: any, pointer: string, what: string): OperatorImage[] {
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

/**
 * The images an operator runs for `manifest` (empty for other objects):
 * - CloudNativePG `Cluster.spec.imageName` (default `ghcr.io/cloudnative-pg/postgresql`; none with an
 *   `imageCatalogRef`: the catalog's `spec.images[].image` are checked on the catalog), `ImageCatalog` /
 *   `ClusterImageCatalog` images, `Pooler` template containers (PgBouncer default `ghcr.io/cloudnative-pg/pgbouncer`);
 * - RabbitMQ `RabbitmqCluster.spec.image` (default `rabbitmq` on Docker Hub) and the StatefulSet override's containers;
 * - Strimzi `Kafka.spec.kafka.image` (default `quay.io/strimzi/kafka`), the entity operator's topic and user
 *   operators (`quay.io/strimzi/operator`), Cruise Control and Kafka Exporter (`quay.io/strimzi/kafka`).
 */
/** The kinds {@link operatorImages} reads images from (it finds none in any other). */
export const OPERATOR_IMAGE_KINDS = ['Cluster', 'ImageCatalog', 'ClusterImageCatalog', 'Pooler', 'RabbitmqCluster', 'Kafka'];

export function operatorImages(manifest: any): OperatorImage[] {
  const m = manifest;
  if (!isObject(m) || !isObject(m.spec)) return [];
  const spec = m.spec;
  if (m.apiVersion === CNPG && m.kind === 'Cluster') {
    if (spec.imageCatalogRef !== undefined && spec.imageName === undefined) return [];
    return [imageOrDefault(spec, 'imageName', '/spec', 'PostgreSQL instances', 'ghcr.io/cloudnative-pg/postgresql')];
  }
  if (m.apiVersion === CNPG && (m.kind === 'ImageCatalog' || m.kind === 'ClusterImageCatalog')) {
    return (Array.isArray(spec.images) ? spec.images : []).flatMap((e: any, i: number) => (isObject(e) && typeof e.image === 'string'
      ? [{ image: e.image, pointer: `/spec/images/${i}/image`, what: `PostgreSQL ${e.major ?? ''} instances`.replace('  ', ' '), defaulted: false }] : []));
  }
  if (m.apiVersion === CNPG && m.kind === 'Pooler') {
    const own = templateImages(spec.template, '/spec/template', 'PgBouncer');
    const named = own.some((i) => i.what.endsWith('"pgbouncer"'));
    return named ? own : [{ image: 'ghcr.io/cloudnative-pg/pgbouncer', pointer: '/spec/template', what: 'PgBouncer', defaulted: true }, ...own];
  }
  if (m.apiVersion === RABBITMQ && m.kind === 'RabbitmqCluster') {
    return [
      imageOrDefault(spec, 'image', '/spec', 'RabbitMQ brokers', 'docker.io/library/rabbitmq'),
      ...templateImages(spec.override?.statefulSet?.spec?.template, '/spec/override/statefulSet/spec/template', 'RabbitMQ broker'),
    ];
  }
  if (STRIMZI.test(String(m.apiVersion)) && m.kind === 'Kafka') {
    const out: OperatorImage[] = [];
    if (isObject(spec.kafka)) out.push(imageOrDefault(spec.kafka, 'image', '/spec/kafka', 'Kafka brokers', 'quay.io/strimzi/kafka'));
    for (const op of ['topicOperator', 'userOperator']) {
      if (isObject(spec.entityOperator?.[op])) {
        out.push(imageOrDefault(spec.entityOperator[op], 'image', `/spec/entityOperator/${op}`, `the entity operator's ${op}`, 'quay.io/strimzi/operator'));
      }
    }
    if (isObject(spec.cruiseControl)) out.push(imageOrDefault(spec.cruiseControl, 'image', '/spec/cruiseControl', 'Cruise Control', 'quay.io/strimzi/kafka'));
    if (isObject(spec.kafkaExporter)) out.push(imageOrDefault(spec.kafkaExporter, 'image', '/spec/kafkaExporter', 'Kafka Exporter', 'quay.io/strimzi/kafka'));
    return out;
  }
  return [];
}
