// The package as a library (`require('mesos-containerizer')` or `import`):
//
// - the scheduler client, for a framework against any master that speaks
//   Mesos's v1 scheduler API (ours or Apache's): `Scheduler`, `runTask`,
//   their options and events, and the message types (see ./scheduler/);
// - `LocalCluster`, a master and its agents on this machine, in this
//   process (as root; see ./local/cluster.ts).
//
// The programs (bin/) are not part of it; the master and agent classes are
// reached only through a LocalCluster's `master` and `agents`.
export * from './scheduler/index';
export { LocalCluster } from './local/cluster';
export type { LocalClusterOptions } from './local/cluster';
