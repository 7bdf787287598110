import t from 'tap';
import type { JsonObject, JsonValue } from '../src/subcommand/flags';
import {
  CAPABILITIES,
  capabilityName,
  capabilityNumber,
  LaunchInfoError,
  parseCommandInfo,
  parseLaunchInfo,
  QUOTE_LIMIT,
  quote,
  RLIMITS,
  validateCommand,
  validatePreExecCommand,
} from '../src/launch/launch-info';
import { CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, RLIM_INFINITY } from '../native/libc';
import { caught } from './helpers/caught';

/** The LaunchInfoError that `fn` throws (anything else fails the test). */
const refusal = (fn: () => unknown): LaunchInfoError => caught(LaunchInfoError, fn);

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** A launch_info that sets every field we read, as a modern agent would send it. */
const FULL: JsonObject = {
  pre_exec_commands: [
    { shell: true, value: 'mount -n --rbind /a /b', environment: { variables: [] } },
    { shell: false, value: '/bin/mkdir', arguments: ['mkdir', '-p', '/x'] },
  ],
  environment: {
    variables: [
      { name: 'HOME', type: 'VALUE', value: '/root' },
      { name: 'EMPTY' },
      { name: 'HOME', value: '/home/x' },
    ],
  },
  rootfs: '/var/lib/mesos/provisioner/rootfs',
  enter_namespaces: [CLONE_NEWNET],
  clone_namespaces: [CLONE_NEWNS, CLONE_NEWPID, '1073741824'],
  user: 'nobody',
  supplementary_groups: [10, '20', 4294967295],
  command: {
    uris: [{ value: 'http://example.com/x.tar.gz', extract: true }],
    environment: { variables: [{ name: 'A', type: 'VALUE', value: 'b' }] },
    shell: false,
    value: '/usr/bin/env',
    arguments: ['env', '-i'],
    user: 'root',
  },
  working_directory: '/mnt/mesos/sandbox',
  mounts: [
    { target: '/proc', source: 'proc', type: 'proc', flags: 14 },
    { target: '/data', source: '/srv/data', flags: '1069056', options: 'mode=755' },
  ],
  masked_paths: ['/proc/kcore', '/sys/firmware'],
  file_operations: [
    { operation: 'SYMLINK', symlink: { source: '/proc/self/fd', target: '/dev/fd' } },
    { operation: 'MOUNT', mount: { target: '/dev/shm', type: 'tmpfs', flags: 6, options: 'mode=1777' } },
    { operation: 'RENAME', rename: { source: '/a', target: '/b' }, mkdir: { target: 'ignored' } },
    { operation: 'MKDIR', mkdir: { target: '/c/d', recursive: true } },
    { operation: 'MKDIR', mkdir: {} },
  ],
  seccomp_profile: {
    default_action: 'ACT_ERRNO',
    architectures: ['ARCH_X86_64', 'ARCH_X86', 'ARCH_X32'],
    syscalls: [
      { names: ['read', 'write'], action: 'ACT_ALLOW' },
      {
        names: ['personality'],
        action: 'ACT_ALLOW',
        args: [{ index: 0, op: 'CMP_EQ', value: 0, value_two: '18446744073709551615' }],
        includes: { capabilities: ['SYS_ADMIN', 'CHOWN'] },
        excludes: {},
      },
    ],
  },
  effective_capabilities: { capabilities: ['NET_RAW', 'CHOWN', 'NET_RAW', 'CHECKPOINT_RESTORE'] },
  bounding_capabilities: { capabilities: ['NET_RAW', 'CHOWN', 'SYS_ADMIN'] },
  rlimits: {
    rlimits: [
      { type: 'RLMT_NOFILE', soft: 1024, hard: 4096 },
      { type: 'RLMT_CORE' },
      { type: 'RLMT_AS', soft: '9007199254740993', hard: '18446744073709551615' },
    ],
  },
  tty_slave_path: '/dev/pts/3',
  task_environment: { variables: [{ name: 'MESOS_TASK_ID', type: 'VALUE', value: 't1' }] },
  task_supplementary_groups: [30],
  no_new_privileges: true,
};

t.test('a full launch_info parses to what launch carries out', async (t) => {
  const info = parseLaunchInfo(clone(FULL));
  t.strictSame(info, {
    command: {
      shell: false,
      arguments: ['env', '-i'],
      value: '/usr/bin/env',
      environment: { variables: [{ name: 'A', value: 'b' }] },
      user: 'root',
    },
    preExecCommands: [
      { shell: true, arguments: [], value: 'mount -n --rbind /a /b', environment: { variables: [] } },
      { shell: false, arguments: ['mkdir', '-p', '/x'], value: '/bin/mkdir' },
    ],
    supplementaryGroups: [10, 20, 4294967295],
    taskSupplementaryGroups: [30],
    cloneNamespaces: [0x20000, 0x20000000, 0x40000000],
    enterNamespaces: [0x40000000],
    mounts: [
      { target: '/proc', flags: 14, source: 'proc', type: 'proc' },
      { target: '/data', flags: 1069056, source: '/srv/data', options: 'mode=755' },
    ],
    maskedPaths: ['/proc/kcore', '/sys/firmware'],
    fileOperations: [
      { operation: 'SYMLINK', symlink: { source: '/proc/self/fd', target: '/dev/fd' } },
      { operation: 'MOUNT', mount: { target: '/dev/shm', flags: 6, type: 'tmpfs', options: 'mode=1777' } },
      { operation: 'RENAME', rename: { source: '/a', target: '/b' } },
      { operation: 'MKDIR', mkdir: { target: '/c/d', recursive: true } },
      { operation: 'MKDIR', mkdir: { target: '', recursive: false } },
    ],
    environment: {
      variables: [
        { name: 'HOME', value: '/root' },
        { name: 'EMPTY', value: '' },
        { name: 'HOME', value: '/home/x' },
      ],
    },
    taskEnvironment: { variables: [{ name: 'MESOS_TASK_ID', value: 't1' }] },
    rootfs: '/var/lib/mesos/provisioner/rootfs',
    workingDirectory: '/mnt/mesos/sandbox',
    user: 'nobody',
    effectiveCapabilities: [0, 13, 40],
    boundingCapabilities: [0, 13, 21],
    rlimits: [
      { type: 'RLMT_NOFILE', resource: 7, soft: 1024n, hard: 4096n },
      { type: 'RLMT_CORE', resource: 4, soft: RLIM_INFINITY, hard: RLIM_INFINITY },
      { type: 'RLMT_AS', resource: 9, soft: 9007199254740993n, hard: 18446744073709551615n },
    ],
    ttySlavePath: '/dev/pts/3',
    seccompProfile: {
      defaultAction: 'ACT_ERRNO',
      architectures: ['ARCH_X86_64', 'ARCH_X86', 'ARCH_X32'],
      syscalls: [
        { names: ['read', 'write'], action: 'ACT_ALLOW', args: [] },
        {
          names: ['personality'],
          action: 'ACT_ALLOW',
          args: [{ index: 0, op: 'CMP_EQ', value: 0n, valueTwo: 18446744073709551615n }],
          includes: [0, 21],
          excludes: [],
        },
      ],
    },
    noNewPrivileges: true,
  });
  t.equal(typeof info.rlimits?.[0]?.soft, 'bigint', '64-bit values are bigints');
});

t.test('the smallest launch_info: defaults and absent fields', async (t) => {
  const info = parseLaunchInfo({ command: { value: 'echo hi' } });
  t.strictSame(info, {
    command: { shell: true, arguments: [], value: 'echo hi' },
    preExecCommands: [],
    supplementaryGroups: [],
    taskSupplementaryGroups: [],
    cloneNamespaces: [],
    enterNamespaces: [],
    mounts: [],
    maskedPaths: [],
    fileOperations: [],
  });
  t.notOk(Object.hasOwn(info, 'rlimits'), 'no rlimits field without rlimits');
  t.notOk(Object.hasOwn(info, 'noNewPrivileges'));
  t.strictSame(parseLaunchInfo({ command: { value: 'x' }, no_new_privileges: false }).noNewPrivileges, false);
  t.strictSame(parseLaunchInfo({ command: { value: 'x' }, rlimits: {} }).rlimits, [], 'empty RLimitInfo is present');
  t.strictSame(
    parseLaunchInfo({ command: { value: 'x' }, effective_capabilities: {} }).effectiveCapabilities,
    [],
    'an empty capability set is a set, not an absent one',
  );
});

t.test('null means absent', async (t) => {
  const json: JsonObject = { command: { value: 'x', shell: null, arguments: null, user: null } };
  for (const key of Object.keys(FULL)) if (key !== 'command') json[key] = null;
  const info = parseLaunchInfo(json);
  t.strictSame(info.command, { shell: true, arguments: [], value: 'x' });
  t.strictSame(info.mounts, []);
  t.equal(info.rootfs, undefined);
  t.equal(info.effectiveCapabilities, undefined);
  t.strictSame(
    parseLaunchInfo({ command: { value: 'x' }, rlimits: { rlimits: [{ type: 'RLMT_CPU', soft: null, hard: null }] } })
      .rlimits,
    [{ type: 'RLMT_CPU', resource: 0, soft: RLIM_INFINITY, hard: RLIM_INFINITY }],
  );
});

t.test('unknown fields are ignored, __proto__ and friends included', async (t) => {
  const json = JSON.parse(
    '{"command":{"value":"x","frobnicate":[1,{"a":null}],"__proto__":{"shell":false},"constructor":5},' +
      '"__proto__":{"rootfs":"/evil"},"toString":"no","hasOwnProperty":1,"valueOf":[],' +
      '"namespace_mnt_target":77,"environment":{"variables":[{"name":"A","value":"b","secret":{"type":"VALUE"}}],"x":1}}',
  ) as JsonValue;
  const info = parseLaunchInfo(json);
  t.strictSame(info.command, { shell: true, arguments: [], value: 'x' });
  t.equal(info.rootfs, undefined, 'a __proto__ key does not leak fields');
  t.strictSame(info.environment, { variables: [{ name: 'A', value: 'b' }] });
  t.equal(Object.getPrototypeOf(info), Object.prototype);
});

t.test('only own properties are fields', async (t) => {
  const inherited = Object.create({ command: { value: 'x' } }) as JsonObject;
  const error = refusal(() => parseLaunchInfo(inherited));
  t.equal(error.message, 'Launch command is not specified', 'an inherited command is not a command');
  const command = Object.create({ value: 'x' }) as JsonObject;
  t.equal(refusal(() => parseLaunchInfo({ command })).message, 'Shell command is not specified');
});

t.test('the command must be specified, with a value (Mesos messages)', async (t) => {
  let error = refusal(() => parseLaunchInfo({}));
  t.equal(error.message, 'Launch command is not specified');
  t.equal(error.kind, 'validate');
  t.equal(error.path, 'launch_info.command');

  error = refusal(() => parseLaunchInfo({ command: {} }));
  t.equal(error.message, 'Shell command is not specified');
  t.equal(error.kind, 'validate');
  error = refusal(() => parseLaunchInfo({ command: { shell: false, arguments: ['ls'] } }));
  t.equal(error.message, 'Executable path is not specified');

  t.equal(refusal(() => validateCommand(parseCommandInfo({}, 'command'))).message, 'Shell command is not specified');
  t.equal(
    refusal(() => validateCommand(parseCommandInfo({ shell: false }, 'command'))).message,
    'Executable path is not specified',
  );
  t.doesNotThrow(() => validateCommand(parseCommandInfo({ value: '' }, 'command')), 'an empty value is a value');
  t.equal(
    refusal(() => validatePreExecCommand(parseCommandInfo({ shell: false }, 'pre_exec_commands[0]'))).message,
    "The 'value' of a preparation command is not specified",
  );
  t.doesNotThrow(() => validatePreExecCommand(parseCommandInfo({ value: 'true' }, 'pre_exec_commands[0]')));

  const parseError = refusal(() => parseLaunchInfo({ command: { value: 1 } }));
  t.equal(parseError.kind, 'parse', 'a type error is a parse error even in the command');
  t.equal(parseError.path, 'launch_info.command.value');
  t.equal(
    refusal(() => parseLaunchInfo({ rootfs: 5 })).message,
    "Not expecting a JSON number for field 'launch_info.rootfs'",
    'parse errors come before the missing command',
  );
});

t.test('CommandInfo: defaults, uris left to the fetcher, the root names the errors', async (t) => {
  t.strictSame(parseCommandInfo({ value: 'ls' }, 'command'), { shell: true, arguments: [], value: 'ls' });
  t.strictSame(
    parseCommandInfo({ uris: [{ value: 'http://example.com/x', extract: false }], value: 'ls', shell: true, container: 5 }, 'command'),
    { shell: true, arguments: [], value: 'ls' },
    'uris are read and left to the fetcher; unknown fields are ignored',
  );
  t.equal(
    refusal(() => parseCommandInfo({ uris: 'not even an array', value: 'ls' }, 'command')).message,
    "Not expecting a JSON string for field 'command.uris'",
    'but uris must be well formed: the mapping reads every field it knows',
  );
  t.equal(
    refusal(() => parseCommandInfo({ uris: [{ extract: true }], value: 'ls' }, 'command')).message,
    'Missing required fields: command.uris[0].value',
  );
  t.strictSame(parseCommandInfo({ shell: false, value: '/bin/ls', arguments: ['ls', '-l'], user: 'u' }, 'command'), {
    shell: false,
    arguments: ['ls', '-l'],
    value: '/bin/ls',
    user: 'u',
  });
  t.equal(refusal(() => parseCommandInfo([], 'command')).message, "Not expecting a JSON array for field 'command'");
  t.equal(refusal(() => parseCommandInfo(null, 'pre_exec_commands[3]')).message, "Not expecting a JSON null for field 'pre_exec_commands[3]'");
  t.equal(
    refusal(() => parseCommandInfo({ arguments: 'ls -l' }, 'pre_exec_commands[3]')).message,
    "Not expecting a JSON string for field 'pre_exec_commands[3].arguments'",
  );
  t.equal(
    refusal(() => parseCommandInfo({ environment: { variables: [{ name: 'S', type: 'SECRET', secret: {} }] } }, 'command'))
      .message,
    'command.environment.variables[0].type: SECRET environment variables are not supported (expected VALUE)',
  );
  t.equal(
    refusal(() => parseCommandInfo({ environment: { variables: [{ name: 'S', type: 'UNKNOWN' }] } }, 'command')).message,
    "command.environment.variables[0].type: value 'UNKNOWN' is not supported (expected VALUE)",
  );
});

/**
 * Each entry: a change to a valid launch_info, the exact message it must
 * produce, and the field it names. Most are the protobuf mapping's, in
 * stout's words; the rest are launch's own checks.
 */
const TYPE_ERRORS: [string, (j: JsonObject) => void, string, string][] = [
  ['command not an object', (j) => (j.command = ['ls']), "Not expecting a JSON array for field 'launch_info.command'", 'launch_info.command'],
  ['arguments not an array', (j) => ((j.command as JsonObject).arguments = 'ls'), "Not expecting a JSON string for field 'launch_info.command.arguments'", 'launch_info.command.arguments'],
  ['argument not a string', (j) => ((j.command as JsonObject).arguments = ['ls', 1]), "Not expecting a JSON number for field 'launch_info.command.arguments[1]'", 'launch_info.command.arguments[1]'],
  ['shell not a boolean', (j) => ((j.command as JsonObject).shell = 'false'), "Not expecting a JSON string for field 'launch_info.command.shell'", 'launch_info.command.shell'],
  ['value not a string', (j) => ((j.command as JsonObject).value = 7), "Not expecting a JSON number for field 'launch_info.command.value'", 'launch_info.command.value'],
  ['user not a string', (j) => ((j.command as JsonObject).user = {}), "Not expecting a JSON object for field 'launch_info.command.user'", 'launch_info.command.user'],
  ['environment not an object', (j) => (j.environment = []), "Not expecting a JSON array for field 'launch_info.environment'", 'launch_info.environment'],
  ['variables not an array', (j) => (j.environment = { variables: {} }), "Not expecting a JSON object for field 'launch_info.environment.variables'", 'launch_info.environment.variables'],
  ['variable without a name', (j) => (j.environment = { variables: [{ name: 'A' }, { value: 'x' }] }), 'Missing required fields: launch_info.environment.variables[1].name', 'launch_info.environment.variables[1].name'],
  ['variable name not a string', (j) => (j.environment = { variables: [{ name: 1 }] }), "Not expecting a JSON number for field 'launch_info.environment.variables[0].name'", 'launch_info.environment.variables[0].name'],
  ['variable type unknown', (j) => (j.environment = { variables: [{ name: 'A', type: 'TEXT' }] }), "Failed to find enum for 'TEXT' in field 'launch_info.environment.variables[0].type'", 'launch_info.environment.variables[0].type'],
  ['secret variable', (j) => (j.task_environment = { variables: [{ name: 'A', type: 'SECRET' }] }), 'launch_info.task_environment.variables[0].type: SECRET environment variables are not supported (expected VALUE)', 'launch_info.task_environment.variables[0].type'],
  ['pre_exec_commands not an array', (j) => (j.pre_exec_commands = {}), "Not expecting a JSON object for field 'launch_info.pre_exec_commands'", 'launch_info.pre_exec_commands'],
  ['pre_exec_command not an object', (j) => (j.pre_exec_commands = [{ value: 'a' }, 'b']), "Not expecting a JSON string for field 'launch_info.pre_exec_commands[1]'", 'launch_info.pre_exec_commands[1]'],
  ['pre_exec_command field', (j) => (j.pre_exec_commands = [{ shell: 0 }]), "Not expecting a JSON number for field 'launch_info.pre_exec_commands[0].shell'", 'launch_info.pre_exec_commands[0].shell'],
  ['rootfs', (j) => (j.rootfs = ['/']), "Not expecting a JSON array for field 'launch_info.rootfs'", 'launch_info.rootfs'],
  ['working_directory', (j) => (j.working_directory = 0), "Not expecting a JSON number for field 'launch_info.working_directory'", 'launch_info.working_directory'],
  ['user', (j) => (j.user = true), "Not expecting a JSON boolean for field 'launch_info.user'", 'launch_info.user'],
  ['tty_slave_path', (j) => (j.tty_slave_path = 3), "Not expecting a JSON number for field 'launch_info.tty_slave_path'", 'launch_info.tty_slave_path'],
  ['supplementary_groups not an array', (j) => (j.supplementary_groups = 5), "Not expecting a JSON number for field 'launch_info.supplementary_groups'", 'launch_info.supplementary_groups'],
  ['negative group', (j) => (j.supplementary_groups = [-1]), "Expecting a uint32 for field 'launch_info.supplementary_groups[0]', not -1", 'launch_info.supplementary_groups[0]'],
  ['group too big', (j) => (j.supplementary_groups = [1, 4294967296]), "Expecting a uint32 for field 'launch_info.supplementary_groups[1]', not 4294967296", 'launch_info.supplementary_groups[1]'],
  ['fractional group', (j) => (j.supplementary_groups = [1.5]), "Expecting a uint32 for field 'launch_info.supplementary_groups[0]', not 1.5", 'launch_info.supplementary_groups[0]'],
  ['group as a hex string', (j) => (j.supplementary_groups = ['0x10']), "Failed to parse '0x10' as a JSON number for field 'launch_info.supplementary_groups[0]'", 'launch_info.supplementary_groups[0]'],
  ['group as a padded string', (j) => (j.supplementary_groups = [' 1']), "Failed to parse ' 1' as a JSON number for field 'launch_info.supplementary_groups[0]'", 'launch_info.supplementary_groups[0]'],
  ['group as a decimal string', (j) => (j.supplementary_groups = ['1.0']), "Failed to parse '1.0' as a JSON number for field 'launch_info.supplementary_groups[0]'", 'launch_info.supplementary_groups[0]'],
  ['group as a boolean', (j) => (j.supplementary_groups = [true]), "Not expecting a JSON boolean for field 'launch_info.supplementary_groups[0]'", 'launch_info.supplementary_groups[0]'],
  ['null group', (j) => (j.supplementary_groups = [null]), "Not expecting a JSON null for field 'launch_info.supplementary_groups[0]'", 'launch_info.supplementary_groups[0]'],
  ['task group', (j) => (j.task_supplementary_groups = ['-3']), "Expecting a uint32 for field 'launch_info.task_supplementary_groups[0]', not '-3'", 'launch_info.task_supplementary_groups[0]'],
  ['namespace too big', (j) => (j.clone_namespaces = [2147483648]), "Expecting an int32 for field 'launch_info.clone_namespaces[0]', not 2147483648", 'launch_info.clone_namespaces[0]'],
  ['namespace too small', (j) => (j.enter_namespaces = ['-2147483649']), "Expecting an int32 for field 'launch_info.enter_namespaces[0]', not '-2147483649'", 'launch_info.enter_namespaces[0]'],
  ['namespaces not an array', (j) => (j.clone_namespaces = { a: 1 }), "Not expecting a JSON object for field 'launch_info.clone_namespaces'", 'launch_info.clone_namespaces'],
  ['capability info not an object', (j) => (j.effective_capabilities = ['NET_RAW']), "Not expecting a JSON array for field 'launch_info.effective_capabilities'", 'launch_info.effective_capabilities'],
  ['capabilities not an array', (j) => (j.bounding_capabilities = { capabilities: 'NET_RAW' }), "Not expecting a JSON string for field 'launch_info.bounding_capabilities.capabilities'", 'launch_info.bounding_capabilities.capabilities'],
  ['unknown capability', (j) => (j.effective_capabilities = { capabilities: ['NET_RAW', 'NET_FOO'] }), "Failed to find enum for 'NET_FOO' in field 'launch_info.effective_capabilities.capabilities[1]'", 'launch_info.effective_capabilities.capabilities[1]'],
  ['capability with the CAP_ prefix', (j) => (j.effective_capabilities = { capabilities: ['CAP_NET_RAW'] }), "Failed to find enum for 'CAP_NET_RAW' in field 'launch_info.effective_capabilities.capabilities[0]'", 'launch_info.effective_capabilities.capabilities[0]'],
  ['capability by number', (j) => (j.effective_capabilities = { capabilities: [1013] }), "Not expecting a JSON number for field 'launch_info.effective_capabilities.capabilities[0]'", 'launch_info.effective_capabilities.capabilities[0]'],
  ['UNKNOWN capability', (j) => (j.bounding_capabilities = { capabilities: ['UNKNOWN'] }), "launch_info.bounding_capabilities.capabilities[0]: value 'UNKNOWN' is not supported", 'launch_info.bounding_capabilities.capabilities[0]'],
  ['inherited name as capability', (j) => (j.bounding_capabilities = { capabilities: ['constructor'] }), "Failed to find enum for 'constructor' in field 'launch_info.bounding_capabilities.capabilities[0]'", 'launch_info.bounding_capabilities.capabilities[0]'],
  ['deprecated capabilities field', (j) => (j.capabilities = { capabilities: ['NOPE'] }), "Failed to find enum for 'NOPE' in field 'launch_info.capabilities.capabilities[0]'", 'launch_info.capabilities.capabilities[0]'],
  ['rlimits not an object', (j) => (j.rlimits = []), "Not expecting a JSON array for field 'launch_info.rlimits'", 'launch_info.rlimits'],
  ['rlimits.rlimits not an array', (j) => (j.rlimits = { rlimits: {} }), "Not expecting a JSON object for field 'launch_info.rlimits.rlimits'", 'launch_info.rlimits.rlimits'],
  ['unknown rlimit', (j) => (j.rlimits = { rlimits: [{ type: 'RLMT_CPU' }, { type: 'RLMT_AS' }, { type: 'RLMT_FOO' }] }), "Failed to find enum for 'RLMT_FOO' in field 'launch_info.rlimits.rlimits[2].type'", 'launch_info.rlimits.rlimits[2].type'],
  ['rlimit by its libc name', (j) => (j.rlimits = { rlimits: [{ type: 'RLIMIT_NOFILE' }] }), "Failed to find enum for 'RLIMIT_NOFILE' in field 'launch_info.rlimits.rlimits[0].type'", 'launch_info.rlimits.rlimits[0].type'],
  ['UNKNOWN rlimit', (j) => (j.rlimits = { rlimits: [{ type: 'UNKNOWN' }] }), "launch_info.rlimits.rlimits[0].type: value 'UNKNOWN' is not supported", 'launch_info.rlimits.rlimits[0].type'],
  ['rlimit without a type', (j) => (j.rlimits = { rlimits: [{ soft: 1, hard: 1 }] }), 'launch_info.rlimits.rlimits[0].type: missing rlimit type', 'launch_info.rlimits.rlimits[0].type'],
  ['soft alone', (j) => (j.rlimits = { rlimits: [{ type: 'RLMT_NOFILE', soft: 10 }] }), 'launch_info.rlimits.rlimits[0]: Invalid rlimit values: soft and hard must be both set or both unset', 'launch_info.rlimits.rlimits[0]'],
  ['hard alone', (j) => (j.rlimits = { rlimits: [{ type: 'RLMT_NOFILE', hard: '10', soft: null }] }), 'launch_info.rlimits.rlimits[0]: Invalid rlimit values: soft and hard must be both set or both unset', 'launch_info.rlimits.rlimits[0]'],
  ['negative soft', (j) => (j.rlimits = { rlimits: [{ type: 'RLMT_NOFILE', soft: -1, hard: 1 }] }), "Expecting a uint64 for field 'launch_info.rlimits.rlimits[0].soft', not -1", 'launch_info.rlimits.rlimits[0].soft'],
  ['hard beyond 64 bits', (j) => (j.rlimits = { rlimits: [{ type: 'RLMT_NOFILE', soft: 1, hard: '18446744073709551616' }] }), "Expecting a uint64 for field 'launch_info.rlimits.rlimits[0].hard', not '18446744073709551616'", 'launch_info.rlimits.rlimits[0].hard'],
  ['hard a number beyond 64 bits', (j) => (j.rlimits = { rlimits: [{ type: 'RLMT_NOFILE', soft: 1, hard: 1e20 }] }), "Expecting a uint64 for field 'launch_info.rlimits.rlimits[0].hard', not 100000000000000000000", 'launch_info.rlimits.rlimits[0].hard'],
  ['fractional soft', (j) => (j.rlimits = { rlimits: [{ type: 'RLMT_NOFILE', soft: 0.5, hard: 1 }] }), "Expecting a uint64 for field 'launch_info.rlimits.rlimits[0].soft', not 0.5", 'launch_info.rlimits.rlimits[0].soft'],
  ['mounts not an array', (j) => (j.mounts = { target: '/' }), "Not expecting a JSON object for field 'launch_info.mounts'", 'launch_info.mounts'],
  ['mount without a target', (j) => (j.mounts = [{ source: '/a' }]), 'Missing required fields: launch_info.mounts[0].target', 'launch_info.mounts[0].target'],
  ['mount flags not a number', (j) => (j.mounts = [{ target: '/a', flags: 'MS_BIND' }]), "Failed to parse 'MS_BIND' as a JSON number for field 'launch_info.mounts[0].flags'", 'launch_info.mounts[0].flags'],
  ['mount type', (j) => (j.mounts = [{ target: '/a', type: 1 }]), "Not expecting a JSON number for field 'launch_info.mounts[0].type'", 'launch_info.mounts[0].type'],
  ['mount options', (j) => (j.mounts = [{ target: '/a', options: ['ro'] }]), "Not expecting a JSON array for field 'launch_info.mounts[0].options'", 'launch_info.mounts[0].options'],
  ['masked path', (j) => (j.masked_paths = ['/a', null]), "Not expecting a JSON null for field 'launch_info.masked_paths[1]'", 'launch_info.masked_paths[1]'],
  ['file operation without operation', (j) => (j.file_operations = [{ symlink: { source: 'a', target: 'b' } }]), 'launch_info.file_operations[0].operation: missing required field', 'launch_info.file_operations[0].operation'],
  ['unknown file operation', (j) => (j.file_operations = [{ operation: 'COPY' }]), "Failed to find enum for 'COPY' in field 'launch_info.file_operations[0].operation'", 'launch_info.file_operations[0].operation'],
  ['file operation without its parameters', (j) => (j.file_operations = [{ operation: 'SYMLINK', rename: {} }]), 'launch_info.file_operations[0].symlink: missing required field for operation SYMLINK', 'launch_info.file_operations[0].symlink'],
  ['mkdir recursive', (j) => (j.file_operations = [{ operation: 'MKDIR', mkdir: { target: '/a', recursive: 'yes' } }]), "Not expecting a JSON string for field 'launch_info.file_operations[0].mkdir.recursive'", 'launch_info.file_operations[0].mkdir.recursive'],
  ['file operation mount', (j) => (j.file_operations = [{ operation: 'MOUNT', mount: { source: '/a' } }]), 'Missing required fields: launch_info.file_operations[0].mount.target', 'launch_info.file_operations[0].mount.target'],
  ['rename target', (j) => (j.file_operations = [{ operation: 'RENAME', rename: { source: '/a', target: 2 } }]), "Not expecting a JSON number for field 'launch_info.file_operations[0].rename.target'", 'launch_info.file_operations[0].rename.target'],
  ['seccomp without default action', (j) => (j.seccomp_profile = { syscalls: [] }), 'Missing required fields: launch_info.seccomp_profile.default_action', 'launch_info.seccomp_profile.default_action'],
  ['seccomp unknown action', (j) => (j.seccomp_profile = { default_action: 'ACT_ALLOW', syscalls: [{ names: ['x'], action: 'ACT_LOG' }] }), "Failed to find enum for 'ACT_LOG' in field 'launch_info.seccomp_profile.syscalls[0].action'", 'launch_info.seccomp_profile.syscalls[0].action'],
  ['seccomp syscall without action', (j) => (j.seccomp_profile = { default_action: 'ACT_ALLOW', syscalls: [{ names: ['x'] }] }), 'Missing required fields: launch_info.seccomp_profile.syscalls[0].action', 'launch_info.seccomp_profile.syscalls[0].action'],
  ['seccomp architecture', (j) => (j.seccomp_profile = { default_action: 'ACT_KILL', architectures: ['ARCH_Z80'] }), "Failed to find enum for 'ARCH_Z80' in field 'launch_info.seccomp_profile.architectures[0]'", 'launch_info.seccomp_profile.architectures[0]'],
  ['seccomp arg without value_two', (j) => (j.seccomp_profile = { default_action: 'ACT_KILL', syscalls: [{ action: 'ACT_ALLOW', args: [{ index: 0, op: 'CMP_EQ', value: 1 }] }] }), 'Missing required fields: launch_info.seccomp_profile.syscalls[0].args[0].value_two', 'launch_info.seccomp_profile.syscalls[0].args[0].value_two'],
  ['seccomp arg operator', (j) => (j.seccomp_profile = { default_action: 'ACT_KILL', syscalls: [{ action: 'ACT_ALLOW', args: [{ index: 0, op: 'CMP_XOR', value: 1, value_two: 0 }] }] }), "Failed to find enum for 'CMP_XOR' in field 'launch_info.seccomp_profile.syscalls[0].args[0].op'", 'launch_info.seccomp_profile.syscalls[0].args[0].op'],
  ['seccomp filter capability', (j) => (j.seccomp_profile = { default_action: 'ACT_KILL', syscalls: [{ action: 'ACT_ALLOW', excludes: { capabilities: ['SYS_FOO'] } }] }), "Failed to find enum for 'SYS_FOO' in field 'launch_info.seccomp_profile.syscalls[0].excludes.capabilities[0]'", 'launch_info.seccomp_profile.syscalls[0].excludes.capabilities[0]'],
  ['no_new_privileges', (j) => (j.no_new_privileges = 1), "Not expecting a JSON number for field 'launch_info.no_new_privileges'", 'launch_info.no_new_privileges'],
];

t.test('each type error, with its exact message', async (t) => {
  for (const [name, mutate, expected, path] of TYPE_ERRORS) {
    const json: JsonObject = { command: { value: 'true' } };
    mutate(json);
    const error = refusal(() => parseLaunchInfo(json));
    t.equal(error.message, expected, name);
    t.equal(error.kind, 'parse', `${name}: a parse error`);
    t.equal(error.path, path, `${name}: the path`);
  }
  for (const [root, kind] of [[null, 'null'], [[], 'array'], ['x', 'string'], [1, 'number'], [true, 'boolean']] as [JsonValue, string][]) {
    t.equal(refusal(() => parseLaunchInfo(root)).message, `Not expecting a JSON ${kind} for field 'launch_info'`);
  }
  t.equal(refusal(() => parseLaunchInfo(5, 'info')).message, "Not expecting a JSON number for field 'info'", 'the root is a parameter');
});

t.test('integers: numbers or digit strings, within range', async (t) => {
  const groups = (values: JsonValue[]) =>
    parseLaunchInfo({ command: { value: 'x' }, supplementary_groups: values }).supplementaryGroups;
  t.strictSame(groups([0, '0', '4294967295', '007', -0]), [0, 0, 4294967295, 7, 0]);
  const namespaces = (values: JsonValue[]) =>
    parseLaunchInfo({ command: { value: 'x' }, clone_namespaces: values }).cloneNamespaces;
  t.strictSame(namespaces([-2147483648, '-5', 2147483647]), [-2147483648, -5, 2147483647]);
  const long = '1'.repeat(100000);
  t.equal(
    refusal(() => groups([long])).message,
    `Expecting a uint32 for field 'launch_info.supplementary_groups[0]', not '${'1'.repeat(QUOTE_LIMIT)}...'`,
    'a huge digit string is out of range',
  );
  t.strictSame(groups(['0'.repeat(1000) + '42']), [42], 'leading zeros do not count');
  t.equal(
    refusal(() => groups([1e308 * 10])).message,
    "Expecting a uint32 for field 'launch_info.supplementary_groups[0]', not Infinity",
    'Infinity',
  );
});

t.test('rlimits: every type, soft and hard as bigints from numbers and strings', async (t) => {
  const rlimits = (list: JsonValue[]) =>
    parseLaunchInfo({ command: { value: 'x' }, rlimits: { rlimits: list } }).rlimits;
  const expected: Record<string, number> = {
    RLMT_AS: 9,
    RLMT_CORE: 4,
    RLMT_CPU: 0,
    RLMT_DATA: 2,
    RLMT_FSIZE: 1,
    RLMT_LOCKS: 10,
    RLMT_MEMLOCK: 8,
    RLMT_MSGQUEUE: 12,
    RLMT_NICE: 13,
    RLMT_NOFILE: 7,
    RLMT_NPROC: 6,
    RLMT_RSS: 5,
    RLMT_RTPRIO: 14,
    RLMT_RTTIME: 15,
    RLMT_SIGPENDING: 11,
    RLMT_STACK: 3,
  };
  t.strictSame({ ...RLIMITS }, expected, 'all sixteen of Mesos\'s types, with Linux numbers');
  const parsed = rlimits(Object.keys(expected).map((type) => ({ type })));
  t.strictSame(
    parsed?.map((r) => [r.type, r.resource, r.soft, r.hard]),
    Object.entries(expected).map(([type, n]) => [type, n, RLIM_INFINITY, RLIM_INFINITY]),
    'neither soft nor hard is unlimited',
  );
  t.equal(RLIM_INFINITY, 2n ** 64n - 1n);
  t.strictSame(
    rlimits([
      { type: 'RLMT_NOFILE', soft: 0, hard: 0 },
      { type: 'RLMT_STACK', soft: '8388608', hard: 9007199254740992 },
      { type: 'RLMT_AS', soft: '18446744073709551615', hard: 18446744073709549568 },
      { type: 'RLMT_CPU', soft: 10, hard: 5 },
    ])?.map((r) => [r.soft, r.hard]),
    [
      [0n, 0n],
      [8388608n, 9007199254740992n],
      [18446744073709551615n, 18446744073709549568n],
      [10n, 5n],
    ],
    'soft above hard is left for setrlimit to refuse, as in Mesos',
  );
});

t.test('capability names map to Linux numbers', async (t) => {
  t.equal(Object.keys(CAPABILITIES).length, 41);
  t.equal(CAPABILITIES.CHOWN, 0);
  t.equal(CAPABILITIES.NET_RAW, 13);
  t.equal(CAPABILITIES.SYS_ADMIN, 21);
  t.equal(CAPABILITIES.AUDIT_READ, 37);
  t.equal(CAPABILITIES.CHECKPOINT_RESTORE, 40);
  const numbers = Object.values(CAPABILITIES).sort((a, b) => a - b);
  t.strictSame(numbers, Array.from({ length: 41 }, (_, i) => i), 'one name for each of 0..40');
  for (const [name, n] of Object.entries(CAPABILITIES)) {
    t.equal(capabilityNumber(name), n);
    t.equal(capabilityName(n), name);
  }
  t.equal(capabilityNumber('toString'), undefined);
  t.equal(capabilityName(41), undefined);

  const caps = (json: JsonObject) => parseLaunchInfo({ command: { value: 'x' }, ...json });
  const all = caps({ effective_capabilities: { capabilities: Object.keys(CAPABILITIES).reverse() } });
  t.strictSame(all.effectiveCapabilities, numbers, 'sorted');
  t.strictSame(
    caps({ capabilities: { capabilities: ['KILL', 'SETUID'] } }).effectiveCapabilities,
    [5, 7],
    'the pre-1.4 name of effective_capabilities',
  );
  t.strictSame(
    caps({ capabilities: { capabilities: ['KILL'] }, effective_capabilities: { capabilities: ['SETUID'] } })
      .effectiveCapabilities,
    [7],
    'effective_capabilities wins over the old name',
  );
  t.equal(caps({ capabilities: null }).effectiveCapabilities, undefined);
});

t.test('quoted values are one line and truncated', async (t) => {
  const bad = (type: string) =>
    refusal(() => parseLaunchInfo({ command: { value: 'x' }, rlimits: { rlimits: [{ type }] } })).message;
  t.equal(
    bad('A\nB\r\u2028"C\''),
    `Failed to find enum for 'A\\nB\\r\\u2028\\"C'' in field 'launch_info.rlimits.rlimits[0].type'`,
  );
  const long = bad('X'.repeat(1000));
  t.equal(long, `Failed to find enum for '${'X'.repeat(QUOTE_LIMIT)}...' in field 'launch_info.rlimits.rlimits[0].type'`);
  t.equal(quote('\u{1F600}'.repeat(100)), `${'\u{1F600}'.repeat(QUOTE_LIMIT)}...`, 'cut at code points');
  t.equal(quote('\u0000\u0085'), '\\u0000\\u0085');
});

// ---------------------------------------------------------------------------
// Robustness: random JSON and mutations of FULL may be refused, but only with
// a one-line LaunchInfoError.

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = [
  ...Object.keys(FULL),
  'capabilities', 'shell', 'value', 'arguments', 'user', 'uris', 'variables', 'name', 'type', 'secret',
  'rlimits', 'soft', 'hard', 'target', 'source', 'flags', 'options', 'operation', 'symlink', 'mount',
  'rename', 'mkdir', 'recursive', 'default_action', 'architectures', 'syscalls', 'names', 'action',
  'args', 'index', 'op', 'value_two', 'includes', 'excludes', '__proto__', 'constructor', 'toString',
  'hasOwnProperty', '', 'x',
];
const STRINGS = [
  '', 'x', '0', '-1', '42', '4294967296', '18446744073709551615', '18446744073709551616', '1e3', '0x10',
  ' 7', 'NET_RAW', 'UNKNOWN', 'RLMT_NOFILE', 'SYMLINK', 'MOUNT', 'RENAME', 'MKDIR', 'ACT_ALLOW',
  'ARCH_X86_64', 'CMP_EQ', 'VALUE', 'SECRET', '__proto__', 'constructor', 'a\nb', '\u2028', '\u0000',
  '\ud800', 'X'.repeat(500),
];
const NUMBERS = [
  0, -0, 1, -1, 1.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 53 + 2, 2 ** 64, -(2 ** 63), 1e308,
  Number.MAX_VALUE, Number.MIN_VALUE, 131072, 1013,
];

function randomJson(rnd: () => number, depth: number): JsonValue {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const r = rnd();
  if (depth <= 0 || r < 0.35) {
    const kind = Math.floor(rnd() * 4);
    if (kind === 0) return null;
    if (kind === 1) return rnd() < 0.5;
    if (kind === 2) return rnd() < 0.5 ? pick(NUMBERS) : Math.floor((rnd() - 0.5) * 2 ** 40) / (rnd() < 0.8 ? 1 : 7);
    return pick(STRINGS);
  }
  if (r < 0.6) {
    return Array.from({ length: Math.floor(rnd() * 4) }, () => randomJson(rnd, depth - 1));
  }
  const object: JsonObject = {};
  const n = Math.floor(rnd() * 5);
  for (let i = 0; i < n; i++) {
    Object.defineProperty(object, pick(KEYS), {
      value: randomJson(rnd, depth - 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return object;
}

/** Replaces, deletes or nulls one randomly chosen node of `json` (in place when possible). */
function mutate(json: JsonValue, rnd: () => number): JsonValue {
  if (json === null || typeof json !== 'object' || rnd() < 0.15) {
    return rnd() < 0.2 ? null : randomJson(rnd, 3);
  }
  const keys = Array.isArray(json) ? json.map((_, i) => i) : Object.keys(json);
  if (keys.length === 0) return randomJson(rnd, 2);
  const key = keys[Math.floor(rnd() * keys.length)] as string | number;
  const container = json as Record<string | number, JsonValue>;
  const roll = rnd();
  if (roll < 0.1 && !Array.isArray(json)) {
    delete container[key];
  } else if (roll < 0.2) {
    container[key] = null;
  } else if (roll < 0.3) {
    container[key] = [container[key] as JsonValue];
  } else {
    container[key] = mutate(container[key] as JsonValue, rnd);
  }
  return json;
}

function checkOutcome(t: tap.Test, fn: () => unknown, label: () => string): boolean {
  try {
    fn();
    return true;
  } catch (error) {
    if (!(error instanceof LaunchInfoError)) {
      t.fail(`${label()}: threw ${String(error)}`);
      return false;
    }
    if (/[\n\r\u2028\u2029\u0085]/.test(error.message) || error.message.length > 2000) {
      t.fail(`${label()}: message not one short line: ${JSON.stringify(error.message)}`);
      return false;
    }
    return false;
  }
}

t.test('random JSON values never throw anything but a one-line LaunchInfoError', async (t) => {
  const rnd = mulberry32(0x5eed);
  let accepted = 0;
  let plantedAccepted = 0;
  for (let i = 0; i < 3000; i++) {
    const json = randomJson(rnd, 5);
    const show = () => JSON.stringify(json).slice(0, 300);
    if (checkOutcome(t, () => parseLaunchInfo(json), show)) accepted++;
    checkOutcome(t, () => parseCommandInfo(json, 'command'), show);
    // The same value planted as one field of a valid launch_info.
    const planted = clone(FULL);
    const key = KEYS[Math.floor(rnd() * KEYS.length)] as string;
    Object.defineProperty(planted, key, { value: json, enumerable: true, writable: true, configurable: true });
    if (checkOutcome(t, () => parseLaunchInfo(planted), show)) plantedAccepted++;
  }
  t.pass(`${accepted} of 3000 random values were accepted as they are`);
  t.ok(plantedAccepted > 300, `planted as a field, some are accepted (${plantedAccepted} of 3000)`);
});

t.test('mutations of a valid launch_info never throw anything else either', async (t) => {
  const rnd = mulberry32(20240611);
  let accepted = 0;
  for (let i = 0; i < 4000; i++) {
    let json: JsonValue = clone(FULL);
    const rounds = 1 + Math.floor(rnd() * 3);
    for (let k = 0; k < rounds; k++) json = mutate(json, rnd);
    if (checkOutcome(t, () => parseLaunchInfo(json), () => JSON.stringify(json).slice(0, 300))) accepted++;
  }
  t.ok(accepted > 100, `some mutations stay valid (${accepted} of 4000)`);
  t.ok(accepted < 3900, 'and many do not');
});
