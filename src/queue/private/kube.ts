// The one place the queue engines import Kubernetes L1 classes from: moving to a newer
// cdk8s-plus is a change of this line. The L1 classes only, not the cdk8s-plus-28 index (whose L2
// constructs the engines do not use: loading them is ~30 modules at every start).
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';

export { k8s };
