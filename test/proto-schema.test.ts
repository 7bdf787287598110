// The schema is the wire protocol: these facts are Mesos's, and a change to
// the .proto files that breaks one breaks every peer. Also: launch's own
// tables agree with the schema's enums.
import t from 'tap';
import { CAPABILITIES, RLIMITS } from '../src/launch/launch-info';
import { launchSchema } from '../src/proto/launch';
import type { Schema } from '../src/proto/schema';
import { v1Schema } from '../src/proto/v1';

const values = (schema: Schema, name: string): Record<string, number> => Object.fromEntries(schema.enum(name).numbers);
const numbers = (schema: Schema, name: string): Record<string, number> =>
  Object.fromEntries(schema.message(name).fields.map((field) => [field.name, field.number]));

t.test('Call and Event: types and field numbers', async (t) => {
  t.strictSame(values(v1Schema, 'mesos.v1.scheduler.Call.Type'), {
    UNKNOWN: 0, SUBSCRIBE: 1, TEARDOWN: 2, ACCEPT: 3, DECLINE: 4, ACCEPT_INVERSE_OFFERS: 13,
    DECLINE_INVERSE_OFFERS: 14, REVIVE: 5, KILL: 6, SHUTDOWN: 7, ACKNOWLEDGE: 8,
    ACKNOWLEDGE_OPERATION_STATUS: 15, RECONCILE: 9, RECONCILE_OPERATIONS: 16, MESSAGE: 10, REQUEST: 11,
    SUPPRESS: 12, UPDATE_FRAMEWORK: 17,
  });
  t.strictSame(numbers(v1Schema, 'mesos.v1.scheduler.Call'), {
    framework_id: 1, type: 2, subscribe: 3, accept: 4, decline: 5, accept_inverse_offers: 13,
    decline_inverse_offers: 14, revive: 15, kill: 6, shutdown: 7, acknowledge: 8,
    acknowledge_operation_status: 17, reconcile: 9, reconcile_operations: 18, message: 10, request: 11,
    suppress: 16, update_framework: 19,
  });
  t.strictSame(values(v1Schema, 'mesos.v1.scheduler.Event.Type'), {
    UNKNOWN: 0, SUBSCRIBED: 1, OFFERS: 2, INVERSE_OFFERS: 9, RESCIND: 3, RESCIND_INVERSE_OFFER: 10,
    UPDATE: 4, UPDATE_OPERATION_STATUS: 11, MESSAGE: 5, FAILURE: 6, ERROR: 7, HEARTBEAT: 8,
  });
  t.strictSame(numbers(v1Schema, 'mesos.v1.scheduler.Event'), {
    type: 1, subscribed: 2, offers: 3, inverse_offers: 9, rescind: 4, rescind_inverse_offer: 10,
    update: 5, update_operation_status: 11, message: 6, failure: 7, error: 8,
  });
  const ack = v1Schema.message('mesos.v1.scheduler.Call.Acknowledge');
  t.strictSame(ack.fields.map((field) => [field.name, field.type, field.required]), [
    ['agent_id', 'mesos.v1.AgentID', true],
    ['task_id', 'mesos.v1.TaskID', true],
    ['uuid', 'bytes', true],
  ]);
});

t.test('task states, sources and reasons', async (t) => {
  t.strictSame(values(v1Schema, 'mesos.v1.TaskState'), {
    TASK_STAGING: 6, TASK_STARTING: 0, TASK_RUNNING: 1, TASK_KILLING: 8, TASK_FINISHED: 2, TASK_FAILED: 3,
    TASK_KILLED: 4, TASK_ERROR: 7, TASK_LOST: 5, TASK_DROPPED: 9, TASK_UNREACHABLE: 10, TASK_GONE: 11,
    TASK_GONE_BY_OPERATOR: 12, TASK_UNKNOWN: 13,
  });
  t.strictSame(values(v1Schema, 'mesos.v1.TaskStatus.Source'), { SOURCE_MASTER: 0, SOURCE_AGENT: 1, SOURCE_EXECUTOR: 2 });
  const reasons = values(v1Schema, 'mesos.v1.TaskStatus.Reason');
  t.equal(Object.keys(reasons).length, 35, 'all 35 reasons');
  t.equal(reasons.REASON_COMMAND_EXECUTOR_FAILED, 0);
  t.equal(reasons.REASON_RECONCILIATION, 9);
  t.equal(reasons.REASON_TASK_INVALID, 14);
  t.equal(reasons.REASON_INVALID_OFFERS, 6);
  t.equal(reasons.REASON_TASK_KILLED_DURING_LAUNCH, 30);
  t.equal(reasons.REASON_EXECUTOR_TERMINATED, 1);
  const status = numbers(v1Schema, 'mesos.v1.TaskStatus');
  t.match(status, { task_id: 1, state: 2, message: 4, source: 9, reason: 10, data: 3, agent_id: 5, executor_id: 7, timestamp: 6, uuid: 11, healthy: 8 });
});

t.test('defaults, deprecations and labels', async (t) => {
  const framework = v1Schema.message('mesos.v1.FrameworkInfo');
  const field = (name: string) => framework.byName.get(name)!;
  t.strictSame([field('failover_timeout').type, field('failover_timeout').default, field('failover_timeout').writesDefault], ['double', 0, true]);
  t.strictSame([field('checkpoint').default, field('checkpoint').writesDefault], [false, true]);
  t.strictSame([field('role').default, field('role').writesDefault], ['*', false], 'role: deprecated, its default not written');
  t.strictSame([field('user').required, field('name').required, field('id').required], [true, true, false]);
  t.equal(v1Schema.message('mesos.v1.Filters').byName.get('refuse_seconds')!.default, 5);
  t.equal(v1Schema.message('mesos.v1.CommandInfo').byName.get('shell')!.default, true);
  t.equal(launchSchema.message('mesos.CommandInfo').byName.get('shell')!.default, true);
  t.equal(launchSchema.message('mesos.Environment.Variable').byName.get('type')!.default, 'VALUE');
  t.strictSame(launchSchema.message('mesos.slave.ContainerLaunchInfo').byName.get('pre_exec_commands')!.writesDefault, false);
  const limits = v1Schema.message('mesos.v1.TaskInfo').byName.get('limits')!;
  t.strictSame([limits.key, limits.type, limits.number], ['string', 'mesos.v1.Value.Scalar', 15], 'a map field');
  const parameters = launchSchema.message('mesos.slave.ContainerFileOperation').oneofs.get('parameters')!;
  t.strictSame(parameters.map((member) => member.name), ['symlink', 'mkdir', 'rename', 'mount'], 'a oneof');
});

t.test("launch's tables agree with the schema's enums", async (t) => {
  const capabilities = values(launchSchema, 'mesos.CapabilityInfo.Capability');
  const { UNKNOWN, ...named } = capabilities;
  t.equal(UNKNOWN, 0);
  t.strictSame(
    named,
    Object.fromEntries(Object.entries(CAPABILITIES).map(([name, number]) => [name, number + 1000])),
    'every capability, numbered 1000 above Linux',
  );
  t.strictSame(values(v1Schema, 'mesos.v1.CapabilityInfo.Capability'), capabilities, 'the same in mesos.v1');
  const rlimits = Object.keys(values(launchSchema, 'mesos.RLimitInfo.RLimit.Type')).filter((name) => name !== 'UNKNOWN');
  t.strictSame(rlimits.sort(), Object.keys(RLIMITS).sort());
});
