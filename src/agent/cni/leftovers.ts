// What containers of a previous agent left on their CNI networks: the
// agent died before it could DEL (SIGKILL, a crash), so address leases,
// port mappings and maybe the namespace binds are still there. At start,
// before the runtime directories go, every network a container's directory
// records is left as the container would have left it: DEL with the
// configuration ADD got (portmap first), CNI_NETNS only while the bind is
// still there, as Mesos's isolator recovers its orphans.
import type { CniNetworks } from './config';
import { isObject, type Json } from './json';
import { type AttachmentState, ContainerNetworks, type NetworkOptions } from './network';
import type { Attachment, NetworkPlan } from './plan';
import type { NetworkSystem } from './system';

function parsed(text: string | undefined): Json | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** DELs what each container under `runtimeDir` left; resolves with what could not be undone, one line each. */
export async function removeLeftoverNetworks(
  runtimeDir: string,
  networks: CniNetworks | undefined,
  system: NetworkSystem,
  options: NetworkOptions = {},
): Promise<string[]> {
  const failures: string[] = [];
  for (const containerId of system.list(runtimeDir)) {
    const dir = `${runtimeDir}/${containerId}/cni`;
    const entries = system.list(dir);
    if (entries.length === 0) continue;
    const netns = `${dir}/ns`;
    const attachments: Attachment[] = [];
    const states: AttachmentState[] = [];
    const ifnames = entries.filter((name) => /^eth\d{1,4}$/.test(name)).sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
    for (const ifname of ifnames) {
      const config = parsed(system.readText(`${dir}/${ifname}/network.conf`));
      // No configuration kept: its ADD was never run.
      if (config === undefined) continue;
      const name = typeof config['name'] === 'string' ? config['name'] : '';
      const network = networks?.networks.get(name);
      if (network === undefined || network.config['type'] !== config['type']) {
        failures.push(`Failed to remove container ${containerId} from CNI network '${name}': the agent no longer has that network`);
        continue;
      }
      const args = config['args'];
      const mesos = isObject(args) ? args['org.apache.mesos'] : undefined;
      const networkInfo = isObject(mesos) && isObject(mesos['network_info']) ? mesos['network_info'] : { name };
      attachments.push({ network: name, ifname, networkInfo, plugin: network.plugin, config, dir: `${dir}/${ifname}`, portMappings: [] });
      const portmap = parsed(system.readText(`${dir}/${ifname}/portmap.conf`));
      states.push({ added: true, ...(portmap === undefined ? {} : { portmap }) });
    }
    const plan: NetworkPlan = {
      containerId,
      pluginsDir: networks?.pluginsDir ?? '',
      ...(networks?.portmap === undefined ? {} : { portmap: networks.portmap }),
      dir,
      netns,
      hostname: containerId,
      attachments,
    };
    const left = ContainerNetworks.left(plan, states, system.isNamespaceBind(netns), system, options);
    failures.push(...(await left.detach()));
  }
  return failures;
}
