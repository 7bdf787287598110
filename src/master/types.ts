// The v1 scheduler API's messages in their JSON form, as stout writes and
// reads them: snake_case field names, enums by name, 64-bit integers as
// numbers, bytes as standard padded base64 strings. Only the fields the
// master reads or writes are typed; the codec (./codec, over src/proto)
// keeps every field the schema knows, so a message may carry more than its
// interface names. Enums are the schema's own.
import type { mesos } from '../proto/v1';

export interface Id {
  value: string;
}

export type TaskState = mesos.v1.TaskState;

export type TaskSource = mesos.v1.TaskStatus.Source;

export type TaskReason = mesos.v1.TaskStatus.Reason;

export interface Scalar {
  value: number;
}

export interface Range {
  begin: number;
  end: number;
}

export interface Resource {
  provider_id?: Id;
  name: string;
  type: mesos.v1.Value.Type;
  scalar?: Scalar;
  ranges?: { range?: Range[] };
  set?: { item?: string[] };
  role?: string;
  allocation_info?: { role?: string };
  reservation?: Record<string, unknown>;
  reservations?: Array<Record<string, unknown>>;
  disk?: Record<string, unknown>;
  revocable?: Record<string, unknown>;
  shared?: Record<string, unknown>;
}

export interface EnvironmentVariable {
  name: string;
  type?: mesos.v1.Environment.Variable.Type;
  value?: string;
  secret?: Record<string, unknown>;
}

export interface CommandInfo {
  uris?: Array<Record<string, unknown>>;
  environment?: { variables?: EnvironmentVariable[] };
  shell?: boolean;
  value?: string;
  arguments?: string[];
  user?: string;
}

export interface DurationInfo {
  nanoseconds: number;
}

export interface KillPolicy {
  grace_period?: DurationInfo;
}

export interface ExecutorInfo {
  type?: mesos.v1.ExecutorInfo.Type;
  executor_id: Id;
  framework_id?: Id;
  command?: CommandInfo;
  container?: Record<string, unknown>;
  resources?: Resource[];
  name?: string;
  data?: string;
  [more: string]: unknown;
}

export interface TaskInfo {
  name: string;
  task_id: Id;
  agent_id: Id;
  resources?: Resource[];
  executor?: ExecutorInfo;
  command?: CommandInfo;
  container?: Record<string, unknown>;
  health_check?: Record<string, unknown>;
  check?: Record<string, unknown>;
  kill_policy?: KillPolicy;
  data?: string;
  labels?: Record<string, unknown>;
  discovery?: Record<string, unknown>;
  max_completion_time?: DurationInfo;
  limits?: Record<string, Scalar>;
}

export type FrameworkCapability = mesos.v1.FrameworkInfo.Capability.Type;

export interface FrameworkInfo {
  user: string;
  name: string;
  id?: Id;
  failover_timeout?: number;
  checkpoint?: boolean;
  role?: string;
  roles?: string[];
  hostname?: string;
  principal?: string;
  webui_url?: string;
  capabilities?: Array<{ type?: FrameworkCapability }>;
  labels?: Record<string, unknown>;
  offer_filters?: Record<string, unknown>;
}

export interface Filters {
  refuse_seconds?: number;
}

export type OperationType = mesos.v1.Offer.Operation.Type;

export interface Operation {
  type?: OperationType;
  id?: Id;
  launch?: { task_infos?: TaskInfo[] };
  launch_group?: { executor?: ExecutorInfo; task_group?: { tasks?: TaskInfo[] } };
  reserve?: Record<string, unknown>;
  unreserve?: Record<string, unknown>;
  create?: Record<string, unknown>;
  destroy?: Record<string, unknown>;
  grow_volume?: Record<string, unknown>;
  shrink_volume?: Record<string, unknown>;
  create_disk?: Record<string, unknown>;
  destroy_disk?: Record<string, unknown>;
}

export type CallType = mesos.v1.scheduler.Call.Type;

export interface Subscribe {
  framework_info: FrameworkInfo;
  suppressed_roles?: string[];
  offer_constraints?: Record<string, unknown>;
}

export interface Accept {
  offer_ids?: Id[];
  operations?: Operation[];
  filters?: Filters;
}

export interface Decline {
  offer_ids?: Id[];
  filters?: Filters;
}

export interface Kill {
  task_id: Id;
  agent_id?: Id;
  kill_policy?: KillPolicy;
}

export interface Shutdown {
  executor_id: Id;
  agent_id: Id;
}

export interface Acknowledge {
  agent_id: Id;
  task_id: Id;
  uuid: string;
}

export interface Reconcile {
  tasks?: Array<{ task_id: Id; agent_id?: Id }>;
}

export interface Message {
  agent_id: Id;
  executor_id: Id;
  data: string;
}

export interface UpdateFramework {
  framework_info: FrameworkInfo;
  suppressed_roles?: string[];
  offer_constraints?: Record<string, unknown>;
}

export interface Call {
  framework_id?: Id;
  type?: CallType;
  subscribe?: Subscribe;
  accept?: Accept;
  decline?: Decline;
  accept_inverse_offers?: { inverse_offer_ids?: Id[]; filters?: Filters };
  decline_inverse_offers?: { inverse_offer_ids?: Id[]; filters?: Filters };
  revive?: { roles?: string[] };
  kill?: Kill;
  shutdown?: Shutdown;
  acknowledge?: Acknowledge;
  acknowledge_operation_status?: { agent_id?: Id; resource_provider_id?: Id; uuid: string; operation_id: Id };
  reconcile?: Reconcile;
  reconcile_operations?: { operations?: Array<{ operation_id: Id; agent_id?: Id; resource_provider_id?: Id }> };
  message?: Message;
  request?: { requests?: Array<Record<string, unknown>> };
  suppress?: { roles?: string[] };
  update_framework?: UpdateFramework;
}

export interface TaskStatus {
  task_id: Id;
  state: TaskState;
  message?: string;
  source?: TaskSource;
  reason?: TaskReason;
  data?: string;
  agent_id?: Id;
  executor_id?: Id;
  timestamp?: number;
  uuid?: string;
  healthy?: boolean;
  check_status?: Record<string, unknown>;
  labels?: Record<string, unknown>;
  container_status?: Record<string, unknown>;
  unreachable_time?: { nanoseconds: number };
  limitation?: Record<string, unknown>;
}

export interface Address {
  hostname?: string;
  ip?: string;
  port: number;
}

export interface MasterInfo {
  id: string;
  ip: number;
  port: number;
  pid?: string;
  hostname?: string;
  version?: string;
  address?: Address;
  capabilities?: Array<{ type?: string }>;
}

export interface Url {
  scheme: string;
  address: Address;
  path?: string;
}

export interface Offer {
  id: Id;
  framework_id: Id;
  agent_id: Id;
  hostname: string;
  url?: Url;
  resources?: Resource[];
  attributes?: Array<Record<string, unknown>>;
  executor_ids?: Id[];
  allocation_info?: { role?: string };
}

export interface OperationStatus {
  operation_id?: Id;
  state: mesos.v1.OperationState;
  message?: string;
  uuid?: { value: string };
  agent_id?: Id;
  resource_provider_id?: Id;
}

export type EventType = mesos.v1.scheduler.Event.Type;

export interface Event {
  type: EventType;
  subscribed?: { framework_id: Id; heartbeat_interval_seconds?: number; master_info?: MasterInfo };
  offers?: { offers: Offer[] };
  rescind?: { offer_id: Id };
  update?: { status: TaskStatus };
  update_operation_status?: { status: OperationStatus };
  message?: Message;
  failure?: { agent_id?: Id; executor_id?: Id; status?: number };
  error?: { message: string };
}
