// mesos/v1/scheduler/scheduler.proto: Call and Event.
import * as m from './schema-mesos';
import { enumeration, message, optional, ref, repeated, required } from './schema';

const Subscribe = message('Call.Subscribe', [
  required(1, 'framework_info', ref(() => m.FrameworkInfo)),
  repeated(2, 'suppressed_roles', 'string'),
  optional(3, 'offer_constraints', 'opaque'),
]);

const Accept = message('Call.Accept', [
  repeated(1, 'offer_ids', ref(() => m.OfferID)),
  repeated(2, 'operations', ref(() => m.Operation)),
  optional(3, 'filters', ref(() => m.Filters)),
]);

const Decline = message('Call.Decline', [
  repeated(1, 'offer_ids', ref(() => m.OfferID)),
  optional(2, 'filters', ref(() => m.Filters)),
]);

const InverseOffers = (name: string) =>
  message(name, [repeated(1, 'inverse_offer_ids', ref(() => m.OfferID)), optional(2, 'filters', ref(() => m.Filters))]);

const Roles = (name: string) => message(name, [repeated(1, 'roles', 'string')]);

const Kill = message('Call.Kill', [
  required(1, 'task_id', ref(() => m.TaskID)),
  optional(2, 'agent_id', ref(() => m.AgentID)),
  optional(3, 'kill_policy', ref(() => m.KillPolicy)),
]);

const Shutdown = message('Call.Shutdown', [
  required(1, 'executor_id', ref(() => m.ExecutorID)),
  required(2, 'agent_id', ref(() => m.AgentID)),
]);

const Acknowledge = message('Call.Acknowledge', [
  required(1, 'agent_id', ref(() => m.AgentID)),
  required(2, 'task_id', ref(() => m.TaskID)),
  required(3, 'uuid', 'bytes'),
]);

const AcknowledgeOperationStatus = message('Call.AcknowledgeOperationStatus', [
  optional(1, 'agent_id', ref(() => m.AgentID)),
  optional(2, 'resource_provider_id', ref(() => m.ResourceProviderID)),
  required(3, 'uuid', 'bytes'),
  required(4, 'operation_id', ref(() => m.OperationID)),
]);

const ReconcileTask = message('Call.Reconcile.Task', [
  required(1, 'task_id', ref(() => m.TaskID)),
  optional(2, 'agent_id', ref(() => m.AgentID)),
]);

const Reconcile = message('Call.Reconcile', [repeated(1, 'tasks', ref(() => ReconcileTask))]);

const ReconcileOperation = message('Call.ReconcileOperations.Operation', [
  required(1, 'operation_id', ref(() => m.OperationID)),
  optional(2, 'agent_id', ref(() => m.AgentID)),
  optional(3, 'resource_provider_id', ref(() => m.ResourceProviderID)),
]);

const ReconcileOperations = message('Call.ReconcileOperations', [
  repeated(1, 'operations', ref(() => ReconcileOperation)),
]);

const CallMessage = message('Call.Message', [
  required(1, 'agent_id', ref(() => m.AgentID)),
  required(2, 'executor_id', ref(() => m.ExecutorID)),
  required(3, 'data', 'bytes'),
]);

const Request = message('Call.Request', [
  repeated(
    1,
    'requests',
    ref(() =>
      message('Request', [
        optional(1, 'agent_id', ref(() => m.AgentID)),
        repeated(2, 'resources', ref(() => m.Resource)),
      ]),
    ),
  ),
]);

const UpdateFramework = message('Call.UpdateFramework', [
  required(1, 'framework_info', ref(() => m.FrameworkInfo)),
  repeated(2, 'suppressed_roles', 'string'),
  optional(3, 'offer_constraints', 'opaque'),
]);

export const CallType = enumeration('Call.Type', [
  'UNKNOWN',
  'SUBSCRIBE',
  'TEARDOWN',
  'ACCEPT',
  'DECLINE',
  'ACCEPT_INVERSE_OFFERS',
  'DECLINE_INVERSE_OFFERS',
  'REVIVE',
  'KILL',
  'SHUTDOWN',
  'ACKNOWLEDGE',
  'ACKNOWLEDGE_OPERATION_STATUS',
  'RECONCILE',
  'RECONCILE_OPERATIONS',
  'MESSAGE',
  'REQUEST',
  'SUPPRESS',
  'UPDATE_FRAMEWORK',
]);

export const Call = message('Call', [
  optional(1, 'framework_id', ref(() => m.FrameworkID)),
  optional(2, 'type', CallType),
  optional(3, 'subscribe', ref(() => Subscribe)),
  optional(4, 'accept', ref(() => Accept)),
  optional(5, 'decline', ref(() => Decline)),
  optional(13, 'accept_inverse_offers', ref(() => InverseOffers('Call.AcceptInverseOffers'))),
  optional(14, 'decline_inverse_offers', ref(() => InverseOffers('Call.DeclineInverseOffers'))),
  optional(15, 'revive', ref(() => Roles('Call.Revive'))),
  optional(6, 'kill', ref(() => Kill)),
  optional(7, 'shutdown', ref(() => Shutdown)),
  optional(8, 'acknowledge', ref(() => Acknowledge)),
  optional(17, 'acknowledge_operation_status', ref(() => AcknowledgeOperationStatus)),
  optional(9, 'reconcile', ref(() => Reconcile)),
  optional(18, 'reconcile_operations', ref(() => ReconcileOperations)),
  optional(10, 'message', ref(() => CallMessage)),
  optional(11, 'request', ref(() => Request)),
  optional(16, 'suppress', ref(() => Roles('Call.Suppress'))),
  optional(19, 'update_framework', ref(() => UpdateFramework)),
]);

const Subscribed = message('Event.Subscribed', [
  required(1, 'framework_id', ref(() => m.FrameworkID)),
  optional(2, 'heartbeat_interval_seconds', 'double'),
  optional(3, 'master_info', ref(() => m.MasterInfo)),
]);

export const Event = message('Event', [
  optional(
    1,
    'type',
    enumeration('Event.Type', [
      'UNKNOWN',
      'SUBSCRIBED',
      'OFFERS',
      'INVERSE_OFFERS',
      'RESCIND',
      'RESCIND_INVERSE_OFFER',
      'UPDATE',
      'UPDATE_OPERATION_STATUS',
      'MESSAGE',
      'FAILURE',
      'ERROR',
      'HEARTBEAT',
    ]),
  ),
  optional(2, 'subscribed', ref(() => Subscribed)),
  optional(3, 'offers', ref(() => message('Event.Offers', [repeated(1, 'offers', ref(() => m.Offer))]))),
  optional(9, 'inverse_offers', ref(() => message('Event.InverseOffers', [repeated(1, 'inverse_offers', 'opaque')]))),
  optional(4, 'rescind', ref(() => message('Event.Rescind', [required(1, 'offer_id', ref(() => m.OfferID))]))),
  optional(
    10,
    'rescind_inverse_offer',
    ref(() => message('Event.RescindInverseOffer', [required(1, 'inverse_offer_id', ref(() => m.OfferID))])),
  ),
  optional(5, 'update', ref(() => message('Event.Update', [required(1, 'status', ref(() => m.TaskStatus))]))),
  optional(
    11,
    'update_operation_status',
    ref(() => message('Event.UpdateOperationStatus', [required(1, 'status', ref(() => m.OperationStatus))])),
  ),
  optional(6, 'message', ref(() => CallMessage)),
  optional(
    7,
    'failure',
    ref(() =>
      message('Event.Failure', [
        optional(1, 'agent_id', ref(() => m.AgentID)),
        optional(2, 'executor_id', ref(() => m.ExecutorID)),
        optional(3, 'status', 'int32'),
      ]),
    ),
  ),
  optional(8, 'error', ref(() => message('Event.Error', [required(1, 'message', 'string')]))),
]);
