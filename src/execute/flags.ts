// mesos-execute's flags: Mesos's names and defaults, loaded with stout's
// rules from the command line only (Mesos's mesos-execute reads no
// environment variables for its flags). The flags this program can't honour
// are still known, so that giving one is refused with a reason rather than
// reported as unknown or, worse, ignored.
import type { FlagSpecs } from '../subcommand/flags';

export const executeFlags = {
  master: {
    type: 'string',
    help: "The Mesos master to run the task through: HOST:PORT or http://HOST:PORT,\nor 'local' for a master and an agent in this process (on 127.0.0.1 and a\nfree port), which run the task on this machine.",
    default: 'local',
  },
  name: { type: 'string', help: "The task's name; also its id." },
  command: { type: 'string', help: 'The command the task runs.' },
  shell: {
    type: 'bool',
    help: "Whether to run the command through 'sh -c'. Without a shell the command\nis split at whitespace into the program and its arguments.",
    default: true,
  },
  env: {
    type: 'object',
    help: 'Environment variables for the command, as a JSON object of strings,\ne.g. {"NAME": "value"}, or file:///path/to/such.json.',
  },
  resources: {
    type: 'string',
    help: "What the task needs, e.g. 'cpus:0.5;mem:64' (mem and disk in MB).\ncpus and mem are enforced through cgroups where the machine has them.",
    default: 'cpus:1;mem:128',
  },
  effective_capabilities: {
    type: 'object',
    help: 'The capabilities the command runs with, as JSON:\n{"capabilities": ["NET_RAW", "SYS_ADMIN"]}',
  },
  bounding_capabilities: {
    type: 'object',
    help: "The command's capability bounding set, as JSON:\n{\"capabilities\": [\"NET_RAW\", \"SYS_ADMIN\"]}",
  },
  rlimits: {
    type: 'object',
    help: 'Resource limits of the command, as JSON; a limit without soft and hard\nis unlimited:\n{"rlimits": [{"type": "RLMT_CPU", "soft": 1, "hard": 1},\n             {"type": "RLMT_FSIZE"}]}',
  },
  kill_after: {
    type: 'string',
    help: 'Kill the task this long after it is running, e.g. 10secs, 2mins\n(units: ns, us, ms, secs, mins, hrs, days, weeks).',
  },
  rootfs: {
    type: 'string',
    help: "A directory to use as the task's root filesystem (with --master=local\nonly). Without one the task sees the host's filesystem, in private\nnamespaces.",
  },
  user: { type: 'string', help: 'The user to run the command as.' },
  role: { type: 'string', help: 'The role to register with.', default: '*' },
  containerizer: { type: 'string', help: "The containerizer of the task. Only 'mesos' is supported.", default: 'mesos' },
  content_type: {
    type: 'string',
    help: "The content type of scheduler calls and events, 'json' or 'protobuf'.",
    default: 'protobuf',
  },
  partition_aware: { type: 'bool', help: 'Register as a partition-aware framework.', default: true },
  checkpoint: {
    type: 'bool',
    help: "Register as a framework whose tasks a restarted agent recovers (not\nwith --master=local: its agent doesn't).",
    default: false,
  },
  tty: { type: 'bool', help: "Ask for a terminal for the task (the local agent refuses the task).", default: false },
  overwrite: { type: 'bool', help: 'Overwrite the package in HDFS (see --package).', default: false },
  hadoop: { type: 'string', help: "The 'hadoop' program (see --package).", default: 'hadoop' },
  hdfs: { type: 'string', help: 'The NameNode of HDFS, ip:port (see --package).', default: 'localhost:9000' },
  task: {
    type: 'object',
    help: 'The task as a TaskInfo in JSON, or file:///path/to/such.json, instead\nof --name, --command and the flags that describe a task. Its agent_id\nis replaced by the offer\'s, its resources by the offer\'s own.',
  },
  task_group: { type: 'string', help: 'A TaskGroupInfo as JSON. Not supported.' },
  package: { type: 'string', help: "A package to copy into the task's sandbox through HDFS. Not supported." },
  appc_image: { type: 'string', help: 'An Appc image to run the task in. Not supported.' },
  docker_image: {
    type: 'string',
    help: "A Docker image to run the task in, NAME[:TAG|@DIGEST], from the agent's\n--docker_registry (with --master=local, MESOS_DOCKER_REGISTRY; default\nDocker Hub). With --shell=false and no --command, the image's\nentrypoint and cmd run.",
  },
  volumes: { type: 'string', help: 'Volumes of the container, as JSON. Not supported.' },
  networks: {
    type: 'string',
    help: "CNI networks to attach the task to, comma-separated (the agent's\n--network_cni_config_dir names them; with --master=local, the\nMESOS_NETWORK_CNI_CONFIG_DIR and MESOS_NETWORK_CNI_PLUGINS_DIR variables).",
  },
  port_mappings: {
    type: 'string',
    help: "Ports of the host forwarded to the task on the first of --networks,\ncomma-separated HOST:CONTAINER[/tcp|/udp], e.g. 8080:80. Host ports the\n--resources leave out are added to the task's ports.",
  },
  framework_capabilities: { type: 'string', help: 'More capabilities of the framework. Not supported.' },
  principal: { type: 'string', help: 'The principal to authenticate as. Not supported.' },
  secret: { type: 'string', help: 'The secret to authenticate with. Not supported.' },
} as const satisfies FlagSpecs;

type Name = keyof typeof executeFlags;

/** Flags whose mere presence is refused, and why. */
export const REFUSED_FLAGS: ReadonlyArray<[Name, string]> = [
  ['task_group', 'one task at a time'],
  ['package', 'nothing is fetched from HDFS'],
  ['appc_image', 'only Docker images are provisioned (--docker_image)'],
  ['volumes', 'the container gets no volumes'],
  ['framework_capabilities', 'the framework registers with the capabilities of Mesos\'s mesos-execute'],
  ['principal', 'the client does not authenticate'],
  ['secret', 'the client does not authenticate'],
];
