// The messages of mesos/v1/mesos.proto that the scheduler API carries, with
// their fields in declaration order. Messages the master never looks into
// (ContainerInfo, HealthCheck, Labels, ...) are opaque.
import { enumeration, map, message, type MessageSpec, optional, ref, repeated, required } from './schema';

const id = (name: string): MessageSpec => message(name, [required(1, 'value', 'string')]);

export const FrameworkID = id('FrameworkID');
export const OfferID = id('OfferID');
export const AgentID = id('AgentID');
export const TaskID = id('TaskID');
export const ExecutorID = id('ExecutorID');
export const OperationID = id('OperationID');
export const ResourceProviderID = id('ResourceProviderID');

export const ValueType = enumeration('Value.Type', ['SCALAR', 'RANGES', 'SET', 'TEXT']);

export const Scalar = message('Value.Scalar', [required(1, 'value', 'double')]);
export const Range = message('Value.Range', [required(1, 'begin', 'uint64'), required(2, 'end', 'uint64')]);
export const Ranges = message('Value.Ranges', [repeated(1, 'range', ref(() => Range))]);
export const ValueSet = message('Value.Set', [repeated(1, 'item', 'string')]);
export const Text = message('Value.Text', [required(1, 'value', 'string')]);

export const AllocationInfo = message('Resource.AllocationInfo', [optional(1, 'role', 'string')]);

export const Resource = message('Resource', [
  optional(12, 'provider_id', ref(() => ResourceProviderID)),
  required(1, 'name', 'string'),
  required(2, 'type', ValueType),
  optional(3, 'scalar', ref(() => Scalar)),
  optional(4, 'ranges', ref(() => Ranges)),
  optional(5, 'set', ref(() => ValueSet)),
  optional(6, 'role', 'string', { default: '*', deprecated: true }),
  optional(11, 'allocation_info', ref(() => AllocationInfo)),
  optional(8, 'reservation', 'opaque'),
  repeated(13, 'reservations', 'opaque'),
  optional(7, 'disk', 'opaque'),
  optional(9, 'revocable', 'opaque'),
  optional(10, 'shared', 'opaque'),
]);

export const Attribute = message('Attribute', [
  required(1, 'name', 'string'),
  required(2, 'type', ValueType),
  optional(3, 'scalar', ref(() => Scalar)),
  optional(4, 'ranges', ref(() => Ranges)),
  optional(6, 'set', ref(() => ValueSet)),
  optional(5, 'text', ref(() => Text)),
]);

export const URI = message('CommandInfo.URI', [
  required(1, 'value', 'string'),
  optional(2, 'executable', 'bool'),
  optional(3, 'extract', 'bool', { default: true }),
  optional(4, 'cache', 'bool'),
  optional(5, 'output_file', 'string'),
]);

export const Variable = message('Environment.Variable', [
  required(1, 'name', 'string'),
  optional(3, 'type', enumeration('Environment.Variable.Type', ['UNKNOWN', 'VALUE', 'SECRET']), { default: 'VALUE' }),
  optional(2, 'value', 'string'),
  optional(4, 'secret', 'opaque'),
]);

export const Environment = message('Environment', [repeated(1, 'variables', ref(() => Variable))]);

export const CommandInfo = message('CommandInfo', [
  repeated(1, 'uris', ref(() => URI)),
  optional(2, 'environment', ref(() => Environment)),
  optional(6, 'shell', 'bool', { default: true }),
  optional(3, 'value', 'string'),
  repeated(7, 'arguments', 'string'),
  optional(5, 'user', 'string'),
]);

export const DurationInfo = message('DurationInfo', [required(1, 'nanoseconds', 'int64')]);
export const TimeInfo = message('TimeInfo', [required(1, 'nanoseconds', 'int64')]);

export const KillPolicy = message('KillPolicy', [optional(1, 'grace_period', ref(() => DurationInfo))]);

export const ExecutorInfo = message('ExecutorInfo', [
  optional(15, 'type', enumeration('ExecutorInfo.Type', ['UNKNOWN', 'DEFAULT', 'CUSTOM'])),
  required(1, 'executor_id', ref(() => ExecutorID)),
  optional(8, 'framework_id', ref(() => FrameworkID)),
  optional(7, 'command', ref(() => CommandInfo)),
  optional(11, 'container', 'opaque'),
  repeated(5, 'resources', ref(() => Resource)),
  optional(9, 'name', 'string'),
  optional(10, 'source', 'string', { deprecated: true }),
  optional(4, 'data', 'bytes'),
  optional(12, 'discovery', 'opaque'),
  optional(13, 'shutdown_grace_period', ref(() => DurationInfo)),
  optional(14, 'labels', 'opaque'),
]);

export const TaskInfo = message('TaskInfo', [
  required(1, 'name', 'string'),
  required(2, 'task_id', ref(() => TaskID)),
  required(3, 'agent_id', ref(() => AgentID)),
  repeated(4, 'resources', ref(() => Resource)),
  optional(5, 'executor', ref(() => ExecutorInfo)),
  optional(7, 'command', ref(() => CommandInfo)),
  optional(9, 'container', 'opaque'),
  optional(8, 'health_check', 'opaque'),
  optional(13, 'check', 'opaque'),
  optional(12, 'kill_policy', ref(() => KillPolicy)),
  optional(6, 'data', 'bytes'),
  optional(10, 'labels', 'opaque'),
  optional(11, 'discovery', 'opaque'),
  optional(14, 'max_completion_time', ref(() => DurationInfo)),
  map(15, 'limits', ref(() => Scalar)),
]);

export const TaskGroupInfo = message('TaskGroupInfo', [repeated(1, 'tasks', ref(() => TaskInfo))]);

export const FrameworkCapability = message('FrameworkInfo.Capability', [
  optional(
    1,
    'type',
    enumeration('FrameworkInfo.Capability.Type', [
      'UNKNOWN',
      'REVOCABLE_RESOURCES',
      'TASK_KILLING_STATE',
      'GPU_RESOURCES',
      'SHARED_RESOURCES',
      'PARTITION_AWARE',
      'MULTI_ROLE',
      'RESERVATION_REFINEMENT',
      'REGION_AWARE',
    ]),
  ),
]);

export const FrameworkInfo = message('FrameworkInfo', [
  required(1, 'user', 'string'),
  required(2, 'name', 'string'),
  optional(3, 'id', ref(() => FrameworkID)),
  optional(4, 'failover_timeout', 'double', { default: 0 }),
  optional(5, 'checkpoint', 'bool', { default: false }),
  optional(6, 'role', 'string', { default: '*', deprecated: true }),
  repeated(12, 'roles', 'string'),
  optional(7, 'hostname', 'string'),
  optional(8, 'principal', 'string'),
  optional(9, 'webui_url', 'string'),
  repeated(10, 'capabilities', ref(() => FrameworkCapability)),
  optional(11, 'labels', 'opaque'),
  map(13, 'offer_filters', 'opaque'),
]);

export const Filters = message('Filters', [optional(1, 'refuse_seconds', 'double', { default: 5 })]);

export const OperationType = enumeration('Offer.Operation.Type', [
  'UNKNOWN',
  'LAUNCH',
  'LAUNCH_GROUP',
  'RESERVE',
  'UNRESERVE',
  'CREATE',
  'DESTROY',
  'GROW_VOLUME',
  'SHRINK_VOLUME',
  'CREATE_DISK',
  'DESTROY_DISK',
]);

export const Launch = message('Offer.Operation.Launch', [repeated(1, 'task_infos', ref(() => TaskInfo))]);

export const LaunchGroup = message('Offer.Operation.LaunchGroup', [
  required(1, 'executor', ref(() => ExecutorInfo)),
  required(2, 'task_group', ref(() => TaskGroupInfo)),
]);

export const Operation = message('Offer.Operation', [
  optional(1, 'type', OperationType),
  optional(12, 'id', ref(() => OperationID)),
  optional(2, 'launch', ref(() => Launch)),
  optional(7, 'launch_group', ref(() => LaunchGroup)),
  optional(3, 'reserve', 'opaque'),
  optional(4, 'unreserve', 'opaque'),
  optional(5, 'create', 'opaque'),
  optional(6, 'destroy', 'opaque'),
  optional(13, 'grow_volume', 'opaque'),
  optional(14, 'shrink_volume', 'opaque'),
  optional(15, 'create_disk', 'opaque'),
  optional(16, 'destroy_disk', 'opaque'),
]);

export const Address = message('Address', [
  optional(1, 'hostname', 'string'),
  optional(2, 'ip', 'string'),
  required(3, 'port', 'int32'),
]);

export const URL = message('URL', [
  required(1, 'scheme', 'string'),
  required(2, 'address', ref(() => Address)),
  optional(3, 'path', 'string'),
  repeated(4, 'query', 'opaque'),
  optional(5, 'fragment', 'string'),
]);

export const Offer = message('Offer', [
  required(1, 'id', ref(() => OfferID)),
  required(2, 'framework_id', ref(() => FrameworkID)),
  required(3, 'agent_id', ref(() => AgentID)),
  required(4, 'hostname', 'string'),
  optional(8, 'url', ref(() => URL)),
  optional(11, 'domain', 'opaque'),
  repeated(5, 'resources', ref(() => Resource)),
  repeated(7, 'attributes', ref(() => Attribute)),
  repeated(6, 'executor_ids', ref(() => ExecutorID)),
  optional(9, 'unavailability', 'opaque'),
  optional(10, 'allocation_info', ref(() => AllocationInfo)),
]);

export const TaskState = enumeration('TaskState', [
  'TASK_STAGING',
  'TASK_STARTING',
  'TASK_RUNNING',
  'TASK_KILLING',
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_LOST',
  'TASK_DROPPED',
  'TASK_UNREACHABLE',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
  'TASK_UNKNOWN',
]);

export const TaskReasons = [
  'REASON_COMMAND_EXECUTOR_FAILED',
  'REASON_CONTAINER_LAUNCH_FAILED',
  'REASON_CONTAINER_LIMITATION',
  'REASON_CONTAINER_LIMITATION_DISK',
  'REASON_CONTAINER_LIMITATION_MEMORY',
  'REASON_CONTAINER_PREEMPTED',
  'REASON_CONTAINER_UPDATE_FAILED',
  'REASON_MAX_COMPLETION_TIME_REACHED',
  'REASON_EXECUTOR_REGISTRATION_TIMEOUT',
  'REASON_EXECUTOR_REREGISTRATION_TIMEOUT',
  'REASON_EXECUTOR_TERMINATED',
  'REASON_EXECUTOR_UNREGISTERED',
  'REASON_FRAMEWORK_REMOVED',
  'REASON_GC_ERROR',
  'REASON_INVALID_FRAMEWORKID',
  'REASON_INVALID_OFFERS',
  'REASON_IO_SWITCHBOARD_EXITED',
  'REASON_MASTER_DISCONNECTED',
  'REASON_RECONCILIATION',
  'REASON_RESOURCES_UNKNOWN',
  'REASON_AGENT_DISCONNECTED',
  'REASON_AGENT_DRAINING',
  'REASON_AGENT_REMOVED',
  'REASON_AGENT_REMOVED_BY_OPERATOR',
  'REASON_AGENT_REREGISTERED',
  'REASON_AGENT_RESTARTED',
  'REASON_AGENT_UNKNOWN',
  'REASON_TASK_KILLED_DURING_LAUNCH',
  'REASON_TASK_CHECK_STATUS_UPDATED',
  'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED',
  'REASON_TASK_GROUP_INVALID',
  'REASON_TASK_GROUP_UNAUTHORIZED',
  'REASON_TASK_INVALID',
  'REASON_TASK_UNAUTHORIZED',
  'REASON_TASK_UNKNOWN',
] as const;

export const TaskStatus = message('TaskStatus', [
  required(1, 'task_id', ref(() => TaskID)),
  required(2, 'state', TaskState),
  optional(4, 'message', 'string'),
  optional(9, 'source', enumeration('TaskStatus.Source', ['SOURCE_MASTER', 'SOURCE_AGENT', 'SOURCE_EXECUTOR'])),
  optional(10, 'reason', enumeration('TaskStatus.Reason', TaskReasons)),
  optional(3, 'data', 'bytes'),
  optional(5, 'agent_id', ref(() => AgentID)),
  optional(7, 'executor_id', ref(() => ExecutorID)),
  optional(6, 'timestamp', 'double'),
  optional(11, 'uuid', 'bytes'),
  optional(8, 'healthy', 'bool'),
  optional(15, 'check_status', 'opaque'),
  optional(12, 'labels', 'opaque'),
  optional(13, 'container_status', 'opaque'),
  optional(14, 'unreachable_time', ref(() => TimeInfo)),
  optional(16, 'limitation', 'opaque'),
]);

export const UUID = message('UUID', [required(1, 'value', 'bytes')]);

export const OperationStatus = message('OperationStatus', [
  optional(1, 'operation_id', ref(() => OperationID)),
  required(
    2,
    'state',
    enumeration('OperationState', [
      'OPERATION_UNSUPPORTED',
      'OPERATION_PENDING',
      'OPERATION_FINISHED',
      'OPERATION_FAILED',
      'OPERATION_ERROR',
      'OPERATION_DROPPED',
      'OPERATION_UNREACHABLE',
      'OPERATION_GONE_BY_OPERATOR',
      'OPERATION_RECOVERING',
      'OPERATION_UNKNOWN',
    ]),
  ),
  optional(3, 'message', 'string'),
  repeated(4, 'converted_resources', ref(() => Resource)),
  optional(5, 'uuid', ref(() => UUID)),
  optional(6, 'agent_id', ref(() => AgentID)),
  optional(7, 'resource_provider_id', ref(() => ResourceProviderID)),
]);

export const MasterInfo = message('MasterInfo', [
  required(1, 'id', 'string'),
  required(2, 'ip', 'uint32'),
  required(3, 'port', 'uint32', { default: 5050 }),
  optional(4, 'pid', 'string'),
  optional(5, 'hostname', 'string'),
  optional(6, 'version', 'string'),
  optional(7, 'address', ref(() => Address)),
  optional(8, 'domain', 'opaque'),
  repeated(
    9,
    'capabilities',
    ref(() =>
      message('MasterInfo.Capability', [
        optional(1, 'type', enumeration('MasterInfo.Capability.Type', ['UNKNOWN', 'AGENT_UPDATE', 'AGENT_DRAINING', 'QUOTA_V2'])),
      ]),
    ),
  ),
]);
