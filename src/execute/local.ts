// `--master=local`: a master and one agent in this process, as Mesos's
// mesos-execute starts them (local::launch), reached over HTTP on
// 127.0.0.1 and a free port like any other master. Their agent is made for
// one person at a terminal: the task's stdout and stderr are ours (rather
// than files in its sandbox), it gets a network namespace with only
// loopback and its container id as hostname, and it takes --rootfs.
import { LocalCluster } from '../local/cluster';

export function startLocalCluster(warn: (message: string) => void): Promise<LocalCluster> {
  return LocalCluster.start({
    port: 0,
    numAgents: 1,
    agent: { network: 'isolated', taskOutput: { stdout: 1, stderr: 2 }, rootfsLabel: true },
    warn,
  });
}
