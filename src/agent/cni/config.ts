// The CNI networks an agent offers, as Mesos's network/cni isolator loads
// them at start: every file of --network_cni_config_dir (directories
// skipped) is one network's configuration, named by its `name`, whose
// `type` (and `ipam.type`) name executable plugins found in
// --network_cni_plugins_dir. As Mesos 1.0 does, anything wrong is one line
// and the agent does not start (Mesos 1.4 and later log and skip the file).
// The reading goes through `ConfigReader`, so that the rules can be tested
// without files.
import { quoteValue } from '../../subcommand/quote';
import { isObject, type Json } from './json';

export class CniConfigError extends Error {}

/** One network, as configured by the operator. */
export interface CniNetwork {
  readonly name: string;
  /** The configuration file. */
  readonly path: string;
  /** The configuration, parsed; `args` is the operator's, without Mesos's key. */
  readonly config: Json;
  /** The plugin's absolute path. */
  readonly plugin: string;
}

export interface CniNetworks {
  /** CNI_PATH, as the operator gave it: one or more directories, colon-separated. */
  readonly pluginsDir: string;
  readonly networks: ReadonlyMap<string, CniNetwork>;
  /** The `portmap` plugin, if the plugins directories have one: port mappings need it. */
  readonly portmap?: string;
}

/** What loading looks at. */
export interface ConfigReader {
  exists(path: string): boolean;
  isDirectory(path: string): boolean;
  /** The names in a directory, sorted. */
  list(path: string): string[];
  /** A file's text; throws with the reason. */
  read(path: string): string;
  /** Whether `path` is a regular file some execute bit is set on. */
  isExecutable(path: string): boolean;
}

export interface CniFlags {
  readonly configDir?: string | undefined;
  readonly pluginsDir?: string | undefined;
}

/** Mesos's os::which over the plugins directories: the first executable `name`. */
export function findPlugin(name: string, pluginsDir: string, reader: ConfigReader): string | undefined {
  for (const dir of pluginsDir.split(':')) {
    if (dir === '') continue;
    const path = `${dir.replace(/\/+$/, '')}/${name}`;
    if (reader.isExecutable(path)) return path;
  }
  return undefined;
}

/** A plugin's name is a file name in the plugins directories, nothing that leads elsewhere. */
function pluginName(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && value !== '.' && value !== '..' && !value.includes('/') && !value.includes('\0');
}

function why(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // Node's "ENOENT: no such file or directory, open 'x'" reads as strerror does.
  const match = /^[A-Z]+: ([^,]+),/.exec(message);
  return match === null ? message : match[1]!.charAt(0).toUpperCase() + match[1]!.slice(1);
}

function parseConfig(path: string, text: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CniConfigError(`Failed to parse CNI network configuration file '${path}': JSON parse failed: ${why(error)}`);
  }
  const bad = (what: string) => new CniConfigError(`Failed to parse CNI network configuration file '${path}': ${what}`);
  if (!isObject(parsed)) throw bad('Expecting a JSON object');
  if (typeof parsed['name'] !== 'string' || parsed['name'] === '') throw bad("Expecting a string 'name'");
  // The CNI specification's rule for network names: also what keeps them printable in one line.
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(parsed['name'])) {
    throw bad(`Invalid network name '${quoteValue(parsed['name'], 100)}': expecting letters, digits, '_', '.' and '-', a letter or digit first`);
  }
  if (parsed['type'] === undefined && Array.isArray(parsed['plugins'])) {
    // As Mesos: one plugin a network; port mappings chain portmap themselves.
    throw bad("A configuration list ('plugins') is not supported: expecting one network's configuration, with its 'type'");
  }
  if (!pluginName(parsed['type'])) throw bad("Expecting a plugin's file name as 'type'");
  const ipam = parsed['ipam'];
  if (ipam !== undefined && (!isObject(ipam) || !pluginName(ipam['type']))) throw bad("Expecting an IPAM plugin's file name as 'ipam.type'");
  const args = parsed['args'];
  if (args !== undefined && !isObject(args)) throw bad("Expecting a JSON object as 'args'");
  if (isObject(args) && 'org.apache.mesos' in args) {
    throw bad("'org.apache.mesos' in 'args' should not be set in CNI network configuration file. It is reserved by Mesos");
  }
  if (parsed['cniVersion'] !== undefined && typeof parsed['cniVersion'] !== 'string') throw bad("Expecting a string 'cniVersion'");
  return parsed;
}

/**
 * The networks of the two flags, or undefined when neither is given, or
 * both empty (then a task that names a network is refused, as Mesos
 * refuses it). Throws CniConfigError, one line.
 */
export function loadCniNetworks(flags: CniFlags, reader: ConfigReader): CniNetworks | undefined {
  const { configDir, pluginsDir } = flags;
  if ((configDir === undefined || configDir === '') && (pluginsDir === undefined || pluginsDir === '')) return undefined;
  if (pluginsDir === undefined || pluginsDir === '') throw new CniConfigError("Missing required '--network_cni_plugins_dir' flag");
  if (configDir === undefined || configDir === '') throw new CniConfigError("Missing required '--network_cni_config_dir' flag");
  const pluginDirs = pluginsDir.split(':').filter((dir) => dir !== '');
  for (const dir of pluginDirs) {
    if (!reader.exists(dir)) throw new CniConfigError(`The CNI plugin directory '${dir}' does not exist`);
  }
  if (!reader.exists(configDir)) throw new CniConfigError(`The CNI network configuration directory '${configDir}' does not exist`);
  let entries: string[];
  try {
    entries = reader.list(configDir);
  } catch (error) {
    throw new CniConfigError(`Unable to list the CNI network configuration directory '${configDir}': ${why(error)}`);
  }
  const networks = new Map<string, CniNetwork>();
  for (const entry of entries) {
    const path = `${configDir.replace(/\/+$/, '')}/${entry}`;
    if (reader.isDirectory(path)) continue;
    let text: string;
    try {
      text = reader.read(path);
    } catch (error) {
      throw new CniConfigError(`Failed to read CNI network configuration file '${path}': ${why(error)}`);
    }
    const config = parseConfig(path, text);
    const name = config['name'] as string;
    if (networks.has(name)) throw new CniConfigError(`Multiple CNI network configuration files have same name: ${name}`);
    const type = config['type'] as string;
    const plugin = findPlugin(type, pluginsDir, reader);
    if (plugin === undefined) {
      throw new CniConfigError(`Failed to find CNI plugin '${type}' used by CNI network configuration file '${path}' in '${pluginsDir}'`);
    }
    const ipam = config['ipam'];
    if (isObject(ipam) && findPlugin(ipam['type'] as string, pluginsDir, reader) === undefined) {
      throw new CniConfigError(
        `Failed to find CNI IPAM plugin '${ipam['type'] as string}' used by CNI network configuration file '${path}' in '${pluginsDir}'`,
      );
    }
    networks.set(name, { name, path, config, plugin });
  }
  if (networks.size === 0) throw new CniConfigError(`Unable to find any valid CNI network configuration files under '${configDir}'`);
  const portmap = findPlugin('portmap', pluginsDir, reader);
  return { pluginsDir, networks, ...(portmap === undefined ? {} : { portmap }) };
}
