// `launch` without a system: flags to a validated plan (src/launch/plan.ts),
// and the plan carried out against a stand-in LaunchSystem that records
// every call (src/launch/run.ts). No root needed.
import t, { type Test } from 'tap';
import { inspect } from 'node:util';
import { launchFlags } from '../src/launch/flags';
import { buildPlan, DEFAULT_PATH, type LaunchPlan, PlanError, statusPathOf } from '../src/launch/plan';
import { ELOOP, ENOENT, MNT_DETACH, MS_BIND, MS_RDONLY, MS_REC, MS_SLAVE, SyscallError } from '../native/libc';
import type { PrivilegeDrop } from '../src/launch/drop';
import { enterRoot, fileOperation, maskPath, place, prepareMounts } from '../src/launch/filesystem';
import type { FileOperation, MountInfo } from '../src/launch/launch-info';
import { carryOut, type FileKind, LaunchFailure, type LaunchSystem, type Program, resolveProgram } from '../src/launch/run';
import { loadFlags } from '../src/subcommand/flags';
import { caught } from './helpers/caught';

const PREFIX = 'MESOS_CONTAINERIZER_';

/** Flags as the dispatcher loads them, from words and variables. */
function flags(args: Record<string, unknown>, env: Record<string, string> = {}) {
  const words = Object.entries(args).map(
    ([name, value]) => `--${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
  );
  return loadFlags(launchFlags, words, env, PREFIX);
}

const plan = (args: Record<string, unknown>, env: Record<string, string> = {}): LaunchPlan =>
  buildPlan(flags(args, env));

/** The PlanError `fn` throws (anything else fails the test). */
const refusal = (fn: () => unknown): PlanError => caught(PlanError, fn);

t.test('buildPlan: the modern interface', async (t) => {
  t.test('a bare command', async (t) => {
    const result = plan({ launch_info: { command: { value: 'echo hi' } } });
    t.equal(result.interface, 'modern');
    t.same(result.command, { shell: true, value: 'echo hi', arguments: [] });
    t.same(result.preExecCommands, []);
    t.equal(result.environment, undefined, 'no environment: the task inherits ours');
    t.same(result.overwrittenVariables, []);
    t.equal(result.pipe, undefined);
    t.equal(result.statusPath, undefined);
    t.equal(result.user, undefined);
    t.equal(result.workingDirectory, undefined);
    t.equal(result.unshareMount, false);
    t.same(result.supplementaryGroups, []);
  });

  t.test('flags from MESOS_CONTAINERIZER_* variables, as a modern agent passes them', async (t) => {
    const result = plan(
      {},
      {
        MESOS_CONTAINERIZER_LAUNCH_INFO: JSON.stringify({ command: { shell: false, value: '/bin/true' } }),
        MESOS_CONTAINERIZER_PIPE_READ: '5',
        MESOS_CONTAINERIZER_PIPE_WRITE: '6',
        MESOS_CONTAINERIZER_RUNTIME_DIRECTORY: '/run/mesos/containers/abc',
      },
    );
    t.equal(result.interface, 'modern');
    t.same(result.command, { shell: false, value: '/bin/true', arguments: [] });
    t.same(result.pipe, { read: 5, write: 6 });
    t.equal(result.statusPath, '/run/mesos/containers/abc/status');
  });

  t.test('everything the protocol uses', async (t) => {
    const preExec = [{ value: 'touch /x' }, { arguments: ['echo', 'a b'], shell: false, value: '/bin/echo' }];
    const result = plan({
      pipe_read: 3,
      pipe_write: 4,
      runtime_directory: '/run/x/',
      unshare_namespace_mnt: true,
      launch_info: {
        command: { shell: false, value: 'prog', arguments: ['prog', '-v'] },
        pre_exec_commands: preExec,
        user: 'nobody',
        supplementary_groups: [4242, 7],
        working_directory: '/sandbox',
        environment: {
          variables: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
            { name: 'A', value: '3' },
            { name: 'B', value: '2' },
          ],
        },
      },
    });
    t.same(result.pipe, { read: 3, write: 4 });
    t.equal(result.statusPath, '/run/x/status');
    t.equal(result.unshareMount, true);
    t.same(result.command, { shell: false, value: 'prog', arguments: ['prog', '-v'] });
    t.same(
      result.preExecCommands.map((command) => command.json),
      preExec.map((command) => JSON.stringify(command)),
      'each pre-exec command is quoted as JSON',
    );
    t.same(result.preExecCommands[1]!.command, { shell: false, value: '/bin/echo', arguments: ['echo', 'a b'] });
    t.equal(result.user, 'nobody');
    t.same(result.supplementaryGroups, [4242, 7]);
    t.equal(result.workingDirectory, '/sandbox');
    t.same(
      result.environment,
      [
        { name: 'A', value: '3' },
        { name: 'B', value: '2' },
        { name: 'PATH', value: DEFAULT_PATH },
      ],
      'later duplicates win; PATH is added',
    );
    t.same(result.overwrittenVariables, ['A'], 'only a changed value is an overwrite');
  });

  t.test('a given PATH is kept', async (t) => {
    const result = plan({
      launch_info: { command: { value: 'x' }, environment: { variables: [{ name: 'PATH', value: '/opt/bin' }] } },
    });
    t.same(result.environment, [{ name: 'PATH', value: '/opt/bin' }]);
  });

  t.test('an empty environment is still a whole environment', async (t) => {
    const result = plan({ launch_info: { command: { value: 'x' }, environment: {} } });
    t.same(result.environment, [{ name: 'PATH', value: DEFAULT_PATH }]);
  });

  t.test('statusPathOf', async (t) => {
    t.equal(statusPathOf('/run/x'), '/run/x/status');
    t.equal(statusPathOf('/run/x//'), '/run/x/status');
  });
});

t.test('buildPlan: the legacy interface', async (t) => {
  t.test('--command and friends', async (t) => {
    const preExec = [{ value: 'echo one' }];
    const result = plan({
      command: {
        value: 'echo hi',
        environment: {
          variables: [
            { name: 'X', value: '1' },
            { name: 'X', value: '2' },
          ],
        },
      },
      pre_exec_commands: preExec,
      user: 'nobody',
      working_directory: '/sandbox',
      pipe_read: 3,
      pipe_write: 4,
    });
    t.equal(result.interface, 'legacy');
    t.same(result.command.value, 'echo hi');
    t.equal(result.command.shell, true);
    t.same(
      result.preExecCommands.map((command) => command.json),
      [JSON.stringify(preExec[0])],
    );
    t.equal(result.user, 'nobody');
    t.equal(result.workingDirectory, '/sandbox');
    t.same(result.pipe, { read: 3, write: 4 });
    t.same(result.environment, [
      { name: 'X', value: '2' },
      { name: 'PATH', value: DEFAULT_PATH },
    ]);
    t.same(result.overwrittenVariables, ['X']);
  });

  t.test('without an environment the task inherits ours', async (t) => {
    t.equal(plan({ command: { value: 'true' } }).environment, undefined);
  });
});

t.test('buildPlan: refusals', async (t) => {
  const cases: Array<[string, Record<string, unknown>, string | RegExp, Record<string, string>?]> = [
    ['nothing to run', {}, 'Flag --launch_info is not specified'],
    ['a launch_info without a command', { launch_info: {} }, 'Launch command is not specified'],
    ['a shell command without a value', { launch_info: { command: { shell: true } } }, 'Shell command is not specified'],
    [
      'an executable without a value',
      { launch_info: { command: { shell: false, arguments: ['x'] } } },
      'Executable path is not specified',
    ],
    ['a legacy shell command without a value', { command: {} }, 'Shell command is not specified'],
    ['a legacy executable without a value', { command: { shell: false } }, 'Executable path is not specified'],
    [
      '--pipe_read alone',
      { pipe_read: 3, launch_info: { command: { value: 'x' } } },
      'Flag --pipe_read and --pipe_write should either be both set or both not set',
    ],
    [
      '--pipe_write alone',
      { pipe_write: 4, command: { value: 'x' } },
      'Flag --pipe_read and --pipe_write should either be both set or both not set',
    ],
    [
      'both interfaces',
      { launch_info: { command: { value: 'x' } }, command: { value: 'x' } },
      /^[^\n]*--launch_info[^\n]*--command[^\n]*$/,
    ],
    [
      'both interfaces, the legacy one through the environment',
      { launch_info: { command: { value: 'x' } } },
      /^[^\n]*--launch_info[^\n]*--user[^\n]*$/,
      { MESOS_CONTAINERIZER_USER: 'nobody' },
    ],
    [
      'a wrong type in launch_info',
      { launch_info: { command: { value: 5 } } },
      /^[^\n]*launch_info\.command\.value[^\n]*$/,
    ],
    [
      'a wrong type in a pre-exec command',
      { launch_info: { command: { value: 'x' }, pre_exec_commands: [{ shell: 'yes' }] } },
      /^[^\n]*pre_exec_commands\[0\]\.shell[^\n]*$/,
    ],
    ['a wrong type in --command', { command: { value: ['x'] } }, /^[^\n]*command\.value[^\n]*$/],
    [
      'a pre-exec command that is not an object',
      { command: { value: 'x' }, pre_exec_commands: [1] },
      'Invalid JSON format for flag --pre_exec_commands',
    ],
    [
      'a rootfs with --namespace_mnt_target',
      { namespace_mnt_target: 1, launch_info: { command: { value: 'x' }, rootfs: '/rootfs' } },
      "Container rootfs is not supported if 'namespace_mnt_target' is set",
    ],
  ];
  for (const [name, args, message, env] of cases) {
    t.test(name, async (t) => {
      const error = refusal(() => plan(args, env));
      if (typeof message === 'string') t.equal(error.message, message);
      else t.match(error.message, message);
    });
  }

  t.test('several legacy flags beside --launch_info are named in one line', async (t) => {
    const error = refusal(() =>
      plan({ launch_info: { command: { value: 'x' } }, command: { value: 'x' }, working_directory: '/w' }),
    );
    t.match(error.message, /--command/);
    t.match(error.message, /--working_directory/);
    t.notMatch(error.message, /\n/);
  });
});

// ---------------------------------------------------------------------------
// carryOut against a recording stand-in

type Call = [string, ...unknown[]];

/** What the stand-in's exec throws: the launch got all the way to exec. */
class ExecReached extends Error {
  constructor() {
    super('exec reached');
  }
}

type Behaviour = Partial<Record<keyof LaunchSystem, (...args: any[]) => unknown>>;

const NO_CAPABILITIES = { effective: 0n, permitted: 0n, inheritable: 0n, bounding: 0n, ambient: 0n };

const nothing = () => undefined;

/**
 * A LaunchSystem that records every call, in order, and answers with
 * `behaviour` or harmless defaults. A method with neither fails the test
 * and throws: a stand-in that answered anything else would let a call it
 * does not know about pass unseen.
 */
function recorder(
  t: { fail(message: string): unknown },
  behaviour: Behaviour = {},
  executables: readonly string[] = ['/bin/sh', '/usr/bin/env'],
) {
  const calls: Call[] = [];
  let nextFd = 100;
  const defaults: Behaviour = {
    closeFd: nothing,
    readByte: () => true,
    unshareMount: nothing,
    sharesParentMountNamespace: () => false,
    note: nothing,
    runCommand: () => undefined,
    lookupUser: () => ({ uid: 1000, gid: 1000, groups: [1000, 27] }),
    getuid: () => 0,
    prepareWaiter: nothing,
    openInRoot: () => nextFd++,
    kindOf: () => 'directory',
    makeDirectoryAt: nothing,
    createFileAt: nothing,
    symlinkAt: nothing,
    renameAt: nothing,
    moveByCopyAt: nothing,
    copyDeviceAt: nothing,
    mountOn: nothing,
    unmount: nothing,
    mountTable: () => [],
    pivotRoot: nothing,
    fchdir: nothing,
    chdir: nothing,
    currentDirectory: () => '/',
    getCapabilities: () => ({ ...NO_CAPABILITIES }),
    compileSeccomp: () => new Uint8Array(8),
    isExecutableFile: (path: string) => executables.includes(path),
    inheritedEnvironment: () => [
      'HOME=/root',
      'MESOS_CONTAINERIZER_LAUNCH_INFO={}',
      'PATH=/usr/bin:/bin',
      'MESOS_CONTAINERIZER_PIPE_READ=3',
    ],
    exec: () => {
      throw new ExecReached();
    },
  };
  const system = new Proxy(
    {},
    {
      get(_target, name) {
        if (typeof name !== 'string' || name === 'then') return undefined;
        return (...args: unknown[]) => {
          calls.push([name, ...args]);
          const answer = behaviour[name as keyof LaunchSystem] ?? defaults[name as keyof LaunchSystem];
          if (answer === undefined) {
            t.fail(`the stand-in has no behaviour for ${name}(${args.map((arg) => inspect(arg)).join(', ')})`);
            throw new Error(`the stand-in has no behaviour for ${name}`);
          }
          return answer(...args);
        };
      },
    },
  ) as LaunchSystem;
  return {
    system,
    calls,
    names: () => calls.map(([name]) => name),
    /** The calls named `name`, without the name. */
    of: (name: string) => calls.filter(([called]) => called === name).map(([, ...args]) => args),
    index: (name: string) => calls.findIndex(([called]) => called === name),
  };
}

/** Carries `plan` out; returns the error it ended with (exec always throws here). */
function attempt(launchPlan: LaunchPlan, system: LaunchSystem, statusFd?: number): Error {
  try {
    carryOut(launchPlan, system, statusFd);
  } catch (error) {
    return error as Error;
  }
  throw new Error('carryOut returned');
}

/** The privilege drop handed to exec. */
const dropOf = (record: ReturnType<typeof recorder>): PrivilegeDrop => record.of('exec')[0]![2] as PrivilegeDrop;

function reachedExec(t: Test, error: Error, record: ReturnType<typeof recorder>): void {
  t.type(error, LaunchFailure);
  t.match(error.message, /^Failed to execute '[^']*': exec reached$/, 'the stand-in exec was reached');
  t.equal(record.names().at(-1), 'exec', 'exec comes last');
}

t.test('carryOut: the order of the steps', async (t) => {
  t.test('the whole protocol, call by call', async (t) => {
    const record = recorder(t);
    const launchPlan = plan({
      pipe_read: 3,
      pipe_write: 4,
      unshare_namespace_mnt: true,
      launch_info: {
        command: { value: 'echo hi' },
        pre_exec_commands: [{ value: 'echo one' }, { arguments: ['echo', 'two'], shell: false, value: '/bin/echo' }],
        user: 'alice',
        supplementary_groups: [4242],
        working_directory: '/sandbox',
        environment: {
          variables: [
            { name: 'A', value: '1' },
            { name: 'A', value: '2' },
          ],
        },
      },
    });
    const error = attempt(launchPlan, record.system, 9);
    reachedExec(t, error, record);
    const [first, second] = launchPlan.preExecCommands;
    t.same(
      record.calls.filter(([name]) => name !== 'isExecutableFile'),
      [
        ['closeFd', 4],
        ['readByte', 3],
        ['closeFd', 3],
        ['prepareWaiter'],
        ['unshareMount'],
        ['note', `Executing pre-exec command '${first!.json}'`],
        ['runCommand', first!.command],
        ['note', `Executing pre-exec command '${second!.json}'`],
        ['runCommand', second!.command],
        ['lookupUser', 'alice'],
        ['getuid'],
        ['openInRoot', '/', '/sandbox', { follow: true }],
        ['kindOf', 100],
        ['fchdir', 100],
        ['closeFd', 100],
        ['note', "Overwriting environment variable 'A'"],
        [
          'exec',
          { path: '/bin/sh', argv: ['sh', '-c', 'echo hi'] },
          ['A=2', `PATH=${DEFAULT_PATH}`],
          { rlimits: [], user: { uid: 1000, gid: 1000, groups: [1000, 27, 4242] }, noNewPrivileges: false },
          9,
        ],
      ],
    );
  });

  t.test('the pipe comes before anything else', async (t) => {
    const record = recorder(t);
    attempt(
      plan({
        pipe_read: 7,
        pipe_write: 8,
        unshare_namespace_mnt: true,
        launch_info: { command: { value: 'x' }, user: 'alice', pre_exec_commands: [{ value: 'y' }] },
      }),
      record.system,
    );
    t.same(record.calls.slice(0, 3), [['closeFd', 8], ['readByte', 7], ['closeFd', 7]]);
  });

  t.test('unshare comes before the pre-exec commands', async (t) => {
    const record = recorder(t);
    const launchPlan = plan({
      unshare_namespace_mnt: true,
      launch_info: { command: { value: 'x' }, pre_exec_commands: [{ value: 'y' }] },
    });
    attempt(launchPlan, record.system);
    t.ok(record.index('unshareMount') >= 0);
    t.ok(record.index('unshareMount') < record.index('runCommand'));
  });

  t.test('the user is looked up after the pre-exec commands and before chdir', async (t) => {
    const record = recorder(t);
    attempt(
      plan({
        launch_info: { command: { value: 'x' }, user: 'alice', working_directory: '/w', pre_exec_commands: [{ value: 'y' }] },
      }),
      record.system,
    );
    t.ok(record.index('runCommand') < record.index('lookupUser'), 'pre-exec commands run as the agent');
    t.ok(record.index('lookupUser') < record.index('openInRoot'));
    t.ok(record.index('lookupUser') < record.index('fchdir'));
    t.ok(record.index('fchdir') < record.index('exec'));
    t.same(dropOf(record).user, { uid: 1000, gid: 1000, groups: [1000, 27] }, 'the user changes in the drop, at the exec');
  });

  t.test('the legacy interface keeps the same order', async (t) => {
    const record = recorder(t);
    const error = attempt(
      plan({
        pipe_read: 3,
        pipe_write: 4,
        command: { value: 'x' },
        user: 'alice',
        working_directory: '/w',
        pre_exec_commands: [{ value: 'y' }],
      }),
      record.system,
    );
    reachedExec(t, error, record);
    t.same(
      record.names().filter((name) => name !== 'isExecutableFile' && name !== 'note'),
      [
        'closeFd',
        'readByte',
        'closeFd',
        'prepareWaiter',
        'runCommand',
        'lookupUser',
        'getuid',
        'openInRoot',
        'kindOf',
        'fchdir',
        'closeFd',
        'inheritedEnvironment',
        'exec',
      ],
    );
  });

  t.test('without a pipe, a user, a directory or a status fd, only exec', async (t) => {
    const record = recorder(t);
    const error = attempt(plan({ launch_info: { command: { shell: false, value: '/bin/true' } } }), record.system);
    reachedExec(t, error, record);
    t.same(
      record.calls.filter(([name]) => name !== 'isExecutableFile'),
      [
        ['prepareWaiter'],
        ['inheritedEnvironment'],
        ['exec', { path: '/bin/true', argv: ['/bin/true'] }, ['HOME=/root', 'PATH=/usr/bin:/bin'], { rlimits: [], noNewPrivileges: false }, undefined],
      ],
    );
  });

  // The task is always exec'd through the sealed waiter; waiting only with a status fd.
  t.test('the waiter is prepared with or without a status fd', async (t) => {
    const without = recorder(t);
    attempt(plan({ launch_info: { command: { value: 'x' } } }), without.system);
    t.ok(without.index('prepareWaiter') >= 0);
    t.equal(without.of('exec')[0]![3], undefined, 'exec is handed no status fd');
    const withFd = recorder(t);
    attempt(plan({ launch_info: { command: { value: 'x' } } }), withFd.system, 5);
    t.ok(withFd.index('prepareWaiter') >= 0);
    t.equal(withFd.of('exec')[0]![3], 5, 'exec is handed the status fd');
  });
});

t.test('carryOut: the handshake', async (t) => {
  const pipePlan = () =>
    plan({ pipe_read: 3, pipe_write: 4, launch_info: { command: { value: 'x' }, pre_exec_commands: [{ value: 'y' }] } });
  const message = "Failed to synchronize with agent (it's probably exited)";

  t.test('end of file: the agent is gone', async (t) => {
    const record = recorder(t, { readByte: () => false });
    const error = attempt(pipePlan(), record.system);
    t.type(error, LaunchFailure);
    t.equal(error.message, message);
    t.same(record.calls, [['closeFd', 4], ['readByte', 3]], 'nothing else happened');
  });

  t.test('a failed read is the same', async (t) => {
    const record = recorder(t, {
      readByte: () => {
        throw new Error('read fd 3: Bad file descriptor');
      },
    });
    const error = attempt(pipePlan(), record.system);
    t.equal(error.message, message);
    t.same(record.names(), ['closeFd', 'readByte']);
  });

  t.test('the write end must close', async (t) => {
    const record = recorder(t, {
      closeFd: () => {
        throw new Error('close fd 4: Bad file descriptor');
      },
    });
    const error = attempt(pipePlan(), record.system);
    t.type(error, LaunchFailure);
    t.equal(error.message, 'Failed to close pipe[1]: close fd 4: Bad file descriptor');
    t.same(record.names(), ['closeFd'], 'no read without the write end closed');
  });

  t.test('no pipe, no handshake', async (t) => {
    const record = recorder(t);
    attempt(plan({ launch_info: { command: { value: 'x' } } }), record.system);
    t.equal(record.index('readByte'), -1);
    t.equal(record.index('closeFd'), -1);
  });
});

t.test('carryOut: pre-exec commands', async (t) => {
  t.test('a failure stops the launch', async (t) => {
    const record = recorder(t, { runCommand: () => 'exited with status 2' });
    const launchPlan = plan({
      launch_info: {
        command: { value: 'x' },
        user: 'alice',
        pre_exec_commands: [{ value: 'exit 2' }, { value: 'echo next' }],
      },
    });
    const error = attempt(launchPlan, record.system);
    t.type(error, LaunchFailure);
    const json = launchPlan.preExecCommands[0]!.json;
    t.equal(error.message, `Failed to execute pre-exec command '${json}': exited with status 2`);
    t.equal(record.of('runCommand').length, 1, 'the next command did not run');
    t.same(record.names(), ['prepareWaiter', 'note', 'runCommand']);
  });
});

t.test('carryOut: the user', async (t) => {
  t.test('an unknown user', async (t) => {
    const record = recorder(t, { lookupUser: () => undefined });
    const launchPlan = plan({ launch_info: { command: { value: 'x' }, user: 'ghost', working_directory: '/w' } });
    const error = attempt(launchPlan, record.system);
    t.type(error, LaunchFailure);
    t.equal(error.message, "Failed to get the uid of user 'ghost': not found");
    t.same(record.names(), ['prepareWaiter', 'lookupUser']);
  });

  t.test('a failed lookup', async (t) => {
    const record = recorder(t, {
      lookupUser: () => {
        throw new Error('getpwnam: Permission denied');
      },
    });
    const error = attempt(plan({ launch_info: { command: { value: 'x' }, user: 'ghost' } }), record.system);
    t.equal(error.message, "Failed to get the uid of user 'ghost': getpwnam: Permission denied");
  });

  t.test('already that user: nothing to change', async (t) => {
    const record = recorder(t, { getuid: () => 1000 });
    const error = attempt(plan({ launch_info: { command: { value: 'x' }, user: 'alice' } }), record.system);
    reachedExec(t, error, record);
    t.equal(dropOf(record).user, undefined, 'no uid change in the drop');
  });

  t.test('the host groups plus supplementary_groups', async (t) => {
    const record = recorder(t, { lookupUser: () => ({ uid: 65534, gid: 65534, groups: [65534] }) });
    const launchPlan = plan({ launch_info: { command: { value: 'x' }, user: 'nobody', supplementary_groups: [4242, 4343] } });
    attempt(launchPlan, record.system);
    t.same(dropOf(record).user, { uid: 65534, gid: 65534, groups: [65534, 4242, 4343] });
  });
});

t.test('carryOut: working directory, environment and program', async (t) => {
  t.test('a directory that can not be created is only noted', async (t) => {
    let opened = 0;
    const record = recorder(t, {
      // Missing until the chdir's own attempt, when it is there after all.
      openInRoot: (_root: string, path: string) => {
        if (path === '/w' && opened++ < 2) throw new SyscallError('openat2', "'/w'", ENOENT, 'No such file or directory');
        return 7;
      },
      makeDirectoryAt: () => {
        throw new SyscallError('mkdirat', "'w'", 30, 'Read-only file system');
      },
    });
    const error = attempt(plan({ launch_info: { command: { value: 'x' }, working_directory: '/w' } }), record.system);
    reachedExec(t, error, record);
    t.same(record.of('note'), [["Failed to create working directory '/w': Read-only file system"]]);
    t.same(record.of('makeDirectoryAt'), [[7, 'w']], 'made in the root the walk opened');
    t.same(record.of('fchdir'), [[7]]);
  });

  t.test('a failed chdir is fatal', async (t) => {
    const record = recorder(t, {
      fchdir: () => {
        throw new SyscallError('fchdir', 'fd 100', 20, 'Not a directory');
      },
    });
    const error = attempt(plan({ launch_info: { command: { value: 'x' }, working_directory: '/w' } }), record.system);
    t.type(error, LaunchFailure);
    t.equal(error.message, "Failed to chdir into current working directory '/w': Not a directory");
    t.equal(record.index('exec'), -1);
    t.same(record.of('closeFd'), [[100]], 'the directory fd is closed all the same');
  });

  t.test('the inherited environment loses the MESOS_CONTAINERIZER_* flags', async (t) => {
    const record = recorder(t);
    attempt(plan({ launch_info: { command: { value: 'x' } } }), record.system);
    t.same(record.of('exec')[0]![1], ['HOME=/root', 'PATH=/usr/bin:/bin']);
  });

  t.test('a given environment is exactly what the task gets', async (t) => {
    const record = recorder(t);
    attempt(
      plan({
        launch_info: {
          command: { value: 'x' },
          environment: { variables: [{ name: 'ONLY', value: 'this' }] },
        },
      }),
      record.system,
    );
    t.equal(record.index('inheritedEnvironment'), -1, 'ours is not even read');
    t.same(record.of('exec')[0]![1], ['ONLY=this', `PATH=${DEFAULT_PATH}`]);
  });

  t.test("the program is looked up in the task's PATH", async (t) => {
    const record = recorder(t, {}, ['/opt/tools/sh', '/opt/tools/prog', '/bin/sh']);
    attempt(
      plan({
        launch_info: {
          command: { shell: false, value: 'prog', arguments: ['prog', 'arg'] },
          environment: { variables: [{ name: 'PATH', value: '/nowhere:/opt/tools' }] },
        },
      }),
      record.system,
    );
    t.same(record.of('exec')[0]![0], { path: '/opt/tools/prog', argv: ['prog', 'arg'] });
  });

  t.test('a shell command is sh -c, sh from PATH', async (t) => {
    const record = recorder(t, {}, ['/usr/bin/sh']);
    attempt(plan({ launch_info: { command: { value: 'echo $HOME' } } }), record.system);
    t.same(record.of('exec')[0]![0], { path: '/usr/bin/sh', argv: ['sh', '-c', 'echo $HOME'] });
  });

  t.test('a failed exec names the program', async (t) => {
    const record = recorder(t, {
      exec: () => {
        const error = new Error("execve '/bin/nope': No such file or directory");
        throw Object.assign(error, { reason: 'No such file or directory' });
      },
    });
    const error = attempt(plan({ launch_info: { command: { shell: false, value: '/bin/nope' } } }), record.system);
    t.type(error, LaunchFailure);
    t.equal(error.message, "Failed to execute '/bin/nope': No such file or directory");
  });
});

t.test('resolveProgram', async (t) => {
  const system = (executables: string[]) => {
    const asked: string[] = [];
    return {
      asked,
      isExecutableFile: (path: string) => {
        asked.push(path);
        return executables.includes(path);
      },
    };
  };
  const command = (value: string, args: string[] = [], shell = false) => ({ shell, value, arguments: args });
  const resolve = (
    c: ReturnType<typeof command>,
    workingDirectory: string | undefined,
    path: string,
    executables: string[],
  ): Program & { asked: string[] } => {
    const stand = system(executables);
    return { ...resolveProgram(c, workingDirectory, path, stand), asked: stand.asked };
  };

  t.test('a shell command: sh -c, sh searched in PATH', async (t) => {
    const result = resolve(command('echo hi', [], true), '/w', '/a:/b:/c', ['/b/sh', '/c/sh']);
    t.same([result.path, result.argv], ['/b/sh', ['sh', '-c', 'echo hi']]);
  });

  t.test('a shell command without sh on PATH leaves the name to execve', async (t) => {
    const result = resolve(command('echo hi', [], true), undefined, '/a', []);
    t.same([result.path, result.argv], ['sh', ['sh', '-c', 'echo hi']]);
  });

  t.test('an absolute program is used as it is, with its arguments as argv', async (t) => {
    const result = resolve(command('/bin/echo', ['echo', 'x']), '/w', '/a', []);
    t.same([result.path, result.argv], ['/bin/echo', ['echo', 'x']]);
    t.same(result.asked, [], 'nothing looked up');
  });

  t.test('no arguments: argv is the value alone', async (t) => {
    const result = resolve(command('/bin/true'), undefined, '/a', []);
    t.same(result.argv, ['/bin/true']);
  });

  t.test('a relative program in the working directory', async (t) => {
    const result = resolve(command('prog', ['prog']), '/sandbox/', '/a:/b', ['/sandbox/prog', '/a/prog']);
    t.same([result.path, result.argv], ['/sandbox/prog', ['prog']]);
  });

  t.test('a relative path in the working directory', async (t) => {
    const result = resolve(command('bin/prog', ['prog']), '/sandbox', '/a', ['/sandbox/bin/prog']);
    t.equal(result.path, '/sandbox/bin/prog');
  });

  t.test('a name not in the working directory is searched in PATH', async (t) => {
    const result = resolve(command('prog', ['prog']), '/sandbox', '/a:/b', ['/b/prog']);
    t.equal(result.path, '/b/prog');
    t.same(result.asked, ['/sandbox/prog', '/a/prog', '/b/prog']);
  });

  t.test('without a working directory a name is searched in PATH only', async (t) => {
    const result = resolve(command('prog', ['prog']), undefined, '/a:/b', ['/b/prog']);
    t.equal(result.path, '/b/prog');
    t.same(result.asked, ['/a/prog', '/b/prog']);
  });

  t.test('an empty PATH entry is the current directory', async (t) => {
    const result = resolve(command('prog', ['prog']), undefined, '/a::/b', ['./prog', '/b/prog']);
    t.equal(result.path, './prog');
  });

  t.test('a name found nowhere is left to execve', async (t) => {
    const result = resolve(command('prog', ['prog']), undefined, '/a', []);
    t.equal(result.path, 'prog');
  });

  t.test('a relative path with a slash, not in the working directory, is not searched in PATH', async (t) => {
    const result = resolve(command('bin/prog', ['prog']), undefined, '/a', ['/a/bin/prog']);
    t.equal(result.path, 'bin/prog');
  });
});

// ---------------------------------------------------------------------------
// The filesystem steps against the stand-in

t.test('the stand-in fails a test that calls a method it has no behaviour for', async (t) => {
  const failures: string[] = [];
  const record = recorder({ fail: (message: string) => failures.push(message) });
  t.throws(() => record.system.enterMountNamespaceOf(1), /enterMountNamespaceOf/);
  t.equal(failures.length, 1, 'the test was failed');
  t.match(failures[0], /no behaviour for enterMountNamespaceOf/);
});

const missing = (path: string) => new SyscallError('openat2', `'${path}'`, ENOENT, 'No such file or directory');
const exists = (name: string) => new SyscallError('mkdirat', `'${name}'`, 17, 'File exists');

/**
 * A tiny filesystem behind the stand-in's fd calls: entries by their path
 * in the root, the fds open on them. openInRoot resolves nothing itself
 * (the kernel does that); it only says what is at a path.
 */
function tree(entries: Record<string, FileKind>) {
  const kinds = new Map<string, FileKind>([['/', 'directory'], ...Object.entries(entries)]);
  const open = new Map<number, string>();
  let next = 10;
  const at = (fd: number, name: string) => {
    const directory = open.get(fd);
    if (directory === undefined) throw new Error(`fd ${fd} is not open`);
    return directory === '/' ? `/${name}` : `${directory}/${name}`;
  };
  const make = (kind: FileKind) => (fd: number, name: string) => {
    const path = at(fd, name);
    if (kinds.has(path)) throw exists(name);
    kinds.set(path, kind);
  };
  const behaviour: Behaviour = {
    openInRoot: (root: string | number, path: string) => {
      const where = typeof root === 'number' ? at(root, path) : path;
      if (!kinds.has(where)) throw missing(where);
      open.set(next, where);
      return next++;
    },
    kindOf: (fd: number) => kinds.get(open.get(fd)!),
    closeFd: (fd: number) => {
      if (!open.delete(fd)) throw new Error(`fd ${fd} closed twice`);
    },
    makeDirectoryAt: make('directory'),
    createFileAt: make('file'),
    symlinkAt: (_text: string, fd: number, name: string) => make('symlink')(fd, name),
  };
  return { behaviour, kinds, open, pathOf: (fd: number) => open.get(fd) };
}

const ROOTFS = '/var/lib/rootfs';

t.test('filesystem: paths are placed in their root without being resolved', async (t) => {
  t.same(place(`${ROOTFS}/etc/hosts`, ROOTFS), { root: ROOTFS, path: '/etc/hosts' });
  t.same(place(ROOTFS, ROOTFS), { root: ROOTFS, path: '/' });
  t.same(place(`${ROOTFS}//a/./b/`, ROOTFS), { root: ROOTFS, path: '/a/b' });
  t.same(place(`${ROOTFS}/a/../b`, ROOTFS), { root: ROOTFS, path: '/a/../b' }, '.. is left to the kernel');
  t.same(place('/srv/x', undefined), { root: '/', path: '/srv/x' }, "without a rootfs: the host's own path");
  t.same(place('rel/x', undefined), { root: '.', path: '/rel/x' }, 'a relative one, from our directory');
  for (const path of [`${ROOTFS}/../x`, `${ROOTFS}/a/../../x`, '/etc/x', `${ROOTFS}-other/x`]) {
    t.throws(() => place(path, ROOTFS), { message: `'${path}' leads outside the container's root filesystem '${ROOTFS}'` }, path);
  }
});

t.test('filesystem: MKDIR recursive walks the prefixes, making each missing one in the last', async (t) => {
  const fs = tree({ '/a': 'directory' });
  const record = recorder(t, fs.behaviour);
  fileOperation({ operation: 'MKDIR', mkdir: { target: `${ROOTFS}/a/b/c`, recursive: true } }, ROOTFS, record.system);
  t.same(
    record.calls.filter(([name]) => name !== 'kindOf'),
    [
      ['openInRoot', ROOTFS, '/a/b/c', { follow: true }],
      ['openInRoot', ROOTFS, '/', { follow: true }],
      ['openInRoot', ROOTFS, '/a', { follow: true }],
      ['closeFd', 10],
      ['openInRoot', ROOTFS, '/a/b', { follow: true }],
      ['makeDirectoryAt', 11, 'b'],
      ['openInRoot', 11, 'b', { follow: false }],
      ['closeFd', 11],
      ['openInRoot', ROOTFS, '/a/b/c', { follow: true }],
      ['makeDirectoryAt', 12, 'c'],
      ['openInRoot', 12, 'c', { follow: false }],
      ['closeFd', 12],
      ['closeFd', 13],
    ],
    'each new directory is opened by name in the one it was made in, not followed',
  );
  t.equal(fs.kinds.get('/a/b/c'), 'directory');
  t.same([...fs.open.keys()], [], 'every fd is closed');
});

t.test('filesystem: MKDIR recursive takes a directory made meanwhile, and nothing else', async (t) => {
  for (const [kind, message] of [
    ['directory', undefined],
    ['file', `Failed to create directory '${ROOTFS}/x': Not a directory`],
    ['symlink', `Failed to create directory '${ROOTFS}/x': Not a directory`],
  ] as const) {
    const fs = tree({});
    const record = recorder(t, {
      ...fs.behaviour,
      // Someone else makes it between our open and our mkdirat.
      makeDirectoryAt: (_fd: number, name: string) => {
        fs.kinds.set(`/${name}`, kind);
        throw exists(name);
      },
    });
    const run = () => fileOperation({ operation: 'MKDIR', mkdir: { target: `${ROOTFS}/x`, recursive: true } }, ROOTFS, record.system);
    if (message === undefined) t.doesNotThrow(run, 'a directory is fine');
    else t.throws(run, { message }, `a ${kind} is refused`);
    t.same([...fs.open.keys()], [], `${kind}: every fd is closed`);
  }
});

t.test('filesystem: MKDIR, SYMLINK and RENAME act in the directory fd of their parents', async (t) => {
  const fs = tree({ '/d': 'directory', '/d/old': 'file', '/e': 'directory' });
  const record = recorder(t, fs.behaviour);
  const operations: FileOperation[] = [
    { operation: 'MKDIR', mkdir: { target: `${ROOTFS}/d/new`, recursive: false } },
    { operation: 'SYMLINK', symlink: { source: '/etc/passwd', target: `${ROOTFS}/e/link` } },
    { operation: 'RENAME', rename: { source: `${ROOTFS}/d/old`, target: `${ROOTFS}/e/moved` } },
  ];
  for (const operation of operations) fileOperation(operation, ROOTFS, record.system);
  t.same(record.of('makeDirectoryAt'), [[10, 'new']]);
  t.same(record.of('symlinkAt'), [['/etc/passwd', 11, 'link']], 'the link text is the task\'s business');
  t.same(record.of('renameAt'), [[12, 'old', 13, 'moved']]);
  t.same(
    record.of('openInRoot').map(([root, path]) => [root, path]),
    [
      [ROOTFS, '/d'],
      [ROOTFS, '/e'],
      [ROOTFS, '/d'],
      [ROOTFS, '/e'],
    ],
  );
  t.same([...fs.open.keys()], [], 'every fd is closed');
});

t.test('filesystem: RENAME falls back as `mv -f` would, through fds', async (t) => {
  const exdev = new SyscallError('renameat2', "'x'", 18, 'Invalid cross-device link');
  const isdir = new SyscallError('renameat2', "'x'", 21, 'Is a directory');
  t.test('across filesystems: a copy through the fds', async (t) => {
    const fs = tree({ '/tmp': 'directory', '/tmp/x': 'file' });
    const record = recorder(t, { ...fs.behaviour, renameAt: () => { throw exdev; } });
    fileOperation({ operation: 'RENAME', rename: { source: `${ROOTFS}/tmp/x`, target: `${ROOTFS}/y` } }, ROOTFS, record.system);
    t.same(record.of('moveByCopyAt'), [[10, 'x', 11, 'y']], 'through the same directory fds');
    t.same([...fs.open.keys()], []);
  });
  t.test('onto a directory: into it', async (t) => {
    const fs = tree({ '/x': 'file', '/dir': 'directory' });
    let renames = 0;
    const record = recorder(t, {
      ...fs.behaviour,
      renameAt: () => {
        if (renames++ === 0) throw isdir;
      },
    });
    fileOperation({ operation: 'RENAME', rename: { source: `${ROOTFS}/x`, target: `${ROOTFS}/dir` } }, ROOTFS, record.system);
    t.same(record.of('renameAt'), [[10, 'x', 11, 'dir'], [10, 'x', 12, 'x']], 'then into the directory the target names');
    t.same([...fs.open.keys()], []);
  });
  t.test('any other failure is the failure', async (t) => {
    const fs = tree({ '/x': 'file', '/y': 'file' });
    const record = recorder(t, { ...fs.behaviour, renameAt: () => { throw isdir; } });
    t.throws(
      () => fileOperation({ operation: 'RENAME', rename: { source: `${ROOTFS}/x`, target: `${ROOTFS}/y` } }, ROOTFS, record.system),
      { message: `Failed to rename '${ROOTFS}/x' to '${ROOTFS}/y': Is a directory` },
    );
    t.equal(record.index('moveByCopyAt'), -1);
    t.same([...fs.open.keys()], []);
  });
});

t.test('filesystem: a missing mount target is made in its parent, then mounted on by fd', async (t) => {
  // The agent's host paths are in the same tree here, under /host.
  const fs = tree({ '/host': 'directory', '/host/file': 'file' });
  const record = recorder(t, fs.behaviour);
  const mounts: MountInfo[] = [
    { source: '/host/file', target: `${ROOTFS}/etc/hosts`, flags: MS_BIND },
    { source: 'tmpfs', target: `${ROOTFS}/run/x`, type: 'tmpfs', flags: 0 },
  ];
  prepareMounts(mounts, ROOTFS, record.system);
  t.equal(fs.kinds.get('/etc'), 'directory', 'the parent was made');
  t.equal(fs.kinds.get('/etc/hosts'), 'file', 'a file for a file source');
  t.equal(fs.kinds.get('/run/x'), 'directory', 'a directory for a pseudo filesystem');
  const mountOn = record.of('mountOn');
  t.equal(mountOn.length, 3, "'/' marked rslave, then two mounts");
  t.same(mountOn[0]!.slice(1), [null, null, MS_SLAVE | MS_REC, null]);
  t.same(mountOn[1]!.slice(1), ['/host/file', null, MS_BIND, null], "the agent's host source is left as it is");
  t.same(mountOn[2]!.slice(1), ['tmpfs', 'tmpfs', 0, null]);
  const targets = record.of('openInRoot').filter(([, , options]) => (options as { follow: boolean }).follow === false);
  t.same(
    targets.map(([root, path]) => [typeof root, path]),
    [
      ['number', 'etc'],
      ['number', 'hosts'],
      ['number', 'run'],
      ['number', 'x'],
    ],
    'each new directory and target is opened by name in its parent fd, not followed',
  );
  t.same([...fs.open.keys()], [], 'every fd is closed');
});

t.test("filesystem: a bind source under the rootfs is the image's: opened in the root, bound by fd", async (t) => {
  const fs = tree({ '/proc': 'directory', '/proc/sys': 'directory', '/mnt': 'directory' });
  const record = recorder(t, fs.behaviour);
  prepareMounts([{ source: `${ROOTFS}/proc/sys`, target: `${ROOTFS}/mnt`, flags: MS_BIND | MS_RDONLY }], ROOTFS, record.system);
  const sourceFd = record.of('openInRoot').findIndex(([root, path]) => root === ROOTFS && path === '/proc/sys');
  t.ok(sourceFd >= 0, 'the source was opened inside the root');
  const [target, source, , flags] = record.of('mountOn')[1]!;
  t.equal(typeof source, 'number', 'and handed over as an fd');
  t.equal(fs.pathOf(target as number), undefined, 'both fds are closed afterwards');
  t.equal(flags, MS_BIND | MS_RDONLY);
  t.same([...fs.open.keys()], []);
});

t.test('filesystem: masks go on the fd of what is there', async (t) => {
  const fs = tree({ '/proc': 'directory', '/proc/kcore': 'file', '/sys/firmware': 'directory' });
  const record = recorder(t, fs.behaviour);
  for (const path of ['/proc/kcore', '/sys/firmware', '/proc/missing']) maskPath(`${ROOTFS}${path}`, ROOTFS, record.system);
  t.same(
    record.of('mountOn').map(([fd, ...rest]) => [fs.pathOf(fd as number) ?? 'closed', ...rest]),
    [
      ['closed', '/dev/null', null, MS_BIND | MS_RDONLY, null],
      ['closed', null, 'tmpfs', MS_RDONLY, 'size=0'],
    ],
    '/dev/null over a file, an empty read-only tmpfs over a directory, nothing over nothing',
  );
  t.same([...fs.open.keys()], []);
  const failing = recorder(t, {
    ...fs.behaviour,
    mountOn: () => {
      throw new SyscallError('mount', '', 1, 'Operation not permitted');
    },
  });
  t.throws(() => maskPath(`${ROOTFS}/proc/kcore`, ROOTFS, failing.system), {
    message: `Failed to mask '${ROOTFS}/proc/kcore': Operation not permitted`,
  });
});

t.test('filesystem: the change of root pivots on fds and makes nothing in the image', async (t) => {
  const record = recorder(t);
  enterRoot(ROOTFS, record.system);
  t.same(record.calls, [
    ['openInRoot', '/', '/', { follow: true }],
    ['mountOn', 100, null, null, MS_SLAVE | MS_REC, null],
    ['closeFd', 100],
    ['openInRoot', ROOTFS, '/', { follow: true }],
    ['mountOn', 101, 101, null, MS_BIND | MS_REC, null],
    ['closeFd', 101],
    ['openInRoot', '/', '/', { follow: true }],
    ['openInRoot', ROOTFS, '/', { follow: true }],
    ['fchdir', 103],
    ['closeFd', 103],
    ['pivotRoot', '.', '.'],
    ['fchdir', 102],
    ['mountOn', 102, null, null, MS_SLAVE | MS_REC, null],
    ['closeFd', 102],
    ['unmount', '.', MNT_DETACH],
    ['chdir', '/'],
  ]);
});

t.test('filesystem: carryOut with a rootfs', async (t) => {
  const launchInfo = (extra: Record<string, unknown> = {}) =>
    plan({ launch_info: { command: { value: 'x' }, rootfs: ROOTFS, clone_namespaces: [0x20000], ...extra } });

  t.test('the rootfs is checked by opening it, with no symlink on the way', async (t) => {
    const cases: Array<[number | undefined, string, string]> = [
      [ELOOP, ROOTFS, 'is not an absolute path'],
      [ENOENT, ROOTFS, 'does not exist'],
      [undefined, `${ROOTFS}/`, 'is not an absolute path'],
      [undefined, '/var/lib/../lib/rootfs', 'is not an absolute path'],
    ];
    for (const [errno, rootfs, complaint] of cases) {
      const record = recorder(t, {
        openInRoot: () => {
          if (errno !== undefined) throw new SyscallError('openat2', "'/'", errno, 'x');
          return 5;
        },
      });
      const error = attempt(plan({ launch_info: { command: { value: 'x' }, rootfs } }), record.system);
      t.type(error, LaunchFailure);
      t.equal(error.message, `Rootfs path '${rootfs}' ${complaint}`, `${rootfs}, errno ${errno}`);
      t.same(record.names().filter((name) => name !== 'note' && name !== 'sharesParentMountNamespace' && name !== 'prepareWaiter'), errno === undefined ? ['openInRoot', 'closeFd'] : ['openInRoot']);
    }
  });

  t.test('the working directory is opened from the new root, after the pivot', async (t) => {
    const record = recorder(t);
    const error = attempt(launchInfo({ working_directory: '/sandbox' }), record.system);
    reachedExec(t, error, record);
    const pivot = record.index('pivotRoot');
    const opened = record.calls.findIndex(([name, root, path]) => name === 'openInRoot' && root === '/' && path === '/sandbox');
    t.ok(pivot >= 0 && opened > pivot, 'opened in the container after pivot_root');
    t.ok(record.calls.slice(opened).some(([name]) => name === 'fchdir'), 'and entered by fd');
    t.same(record.of('chdir'), [['/']], "the only chdir by name is the new root's '/'");
  });

  t.test('a mask that fails is a note, and the launch goes on', async (t) => {
    const record = recorder(t, {
      mountOn: (_fd: number, source: unknown) => {
        if (source === '/dev/null') throw new SyscallError('mount', '', 1, 'Operation not permitted');
      },
      kindOf: () => 'file',
    });
    const error = attempt(launchInfo({ masked_paths: [`${ROOTFS}/proc/kcore`] }), record.system);
    reachedExec(t, error, record);
    t.ok(record.of('note').some(([line]) => line === `Failed to mask container paths: Failed to mask '${ROOTFS}/proc/kcore': Operation not permitted`));
  });

  t.test('a file operation that climbs out is refused in one line', async (t) => {
    const record = recorder(t);
    const error = attempt(
      launchInfo({ file_operations: [{ operation: 'MKDIR', mkdir: { target: `${ROOTFS}/../etc/x` } }] }),
      record.system,
    );
    t.type(error, LaunchFailure);
    t.equal(
      error.message,
      `Failed to create directory '${ROOTFS}/../etc/x': '${ROOTFS}/../etc/x' leads outside the container's root filesystem '${ROOTFS}'`,
    );
    t.equal(record.index('makeDirectoryAt'), -1, 'nothing was made');
  });

  t.test('the legacy root gets its mounts, devices and links by fd', async (t) => {
    const record = recorder(t);
    const error = attempt(plan({ command: { value: 'x' }, rootfs: ROOTFS, unshare_namespace_mnt: true }), record.system);
    reachedExec(t, error, record);
    const mounted = record.of('mountOn').map(([, source, type, flags]) => [source, type, flags]);
    const bound = mounted.findIndex(([, , flags]) => flags === (MS_BIND | MS_REC));
    t.same(mounted.slice(bound - 1, bound + 2), [
      [null, null, MS_SLAVE | MS_REC],
      [mounted[bound]![0], null, MS_BIND | MS_REC],
      ['proc', 'proc', 0xe],
    ], "rslave, the root bound onto itself from its own fd, then proc");
    t.equal(typeof mounted[bound]![0], 'number');
    t.ok(mounted.some(([source, , flags]) => typeof source === 'number' && flags === (MS_BIND | MS_RDONLY)), '/proc/sys bound read-only from itself');
    t.same(record.of('copyDeviceAt').map(([host, , name]) => [host, name]), ['full', 'null', 'random', 'tty', 'urandom', 'zero'].map((name) => [`/dev/${name}`, name]));
    t.same(record.of('symlinkAt').map(([text, , name]) => [text, name]), [
      ['/proc/self/fd', 'fd'],
      ['/proc/self/fd/0', 'stdin'],
      ['/proc/self/fd/1', 'stdout'],
      ['/proc/self/fd/2', 'stderr'],
      ['pts/ptmx', 'ptmx'],
    ]);
    const opened = record.calls.filter(([name]) => name === 'openInRoot').length;
    const closed = record.of('closeFd').length;
    t.equal(closed, opened, 'every fd opened was closed');
  });
});
