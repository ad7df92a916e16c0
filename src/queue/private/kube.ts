// The one place the queue engines import Kubernetes L1 classes from: moving to a newer
// cdk8s-plus is a change of this line.
export { k8s } from 'cdk8s-plus-28';
