// The messages a scheduler touches, in the protobuf layer's form (see
// src/proto/): plain objects keyed by the .proto field names, enums by
// name, 64-bit integers as bigint, bytes as Uint8Array, an absent key for
// an unset field. They are the same objects whichever content type is on
// the wire, so a scheduler is written once for both; they are exact where
// JSON numbers are not (64-bit port ranges and nanoseconds); and bytes
// (an update's uuid, message data) pass back in a call as they came, with
// no base64 in between. One form, shared with the master and the agent,
// rather than a second JSON-shaped view to keep in step with the schema.
import type { mesos } from '../proto/v1';

export type Call = mesos.v1.scheduler.Call;
export type CallType = mesos.v1.scheduler.Call.Type;
export type Event = mesos.v1.scheduler.Event;
export type EventType = mesos.v1.scheduler.Event.Type;
export type Response = mesos.v1.scheduler.Response;

export type FrameworkInfo = mesos.v1.FrameworkInfo;
export type FrameworkCapability = mesos.v1.FrameworkInfo.Capability.Type;
export type FrameworkID = mesos.v1.FrameworkID;
export type MasterInfo = mesos.v1.MasterInfo;
export type AgentID = mesos.v1.AgentID;
export type OfferID = mesos.v1.OfferID;
export type TaskID = mesos.v1.TaskID;
export type ExecutorID = mesos.v1.ExecutorID;

export type Offer = mesos.v1.Offer;
export type InverseOffer = mesos.v1.InverseOffer;
export type Operation = mesos.v1.Offer.Operation;
export type Filters = mesos.v1.Filters;
export type Resource = mesos.v1.Resource;
export type Request = mesos.v1.Request;

export type TaskInfo = mesos.v1.TaskInfo;
export type TaskStatus = mesos.v1.TaskStatus;
export type TaskState = mesos.v1.TaskState;
export type KillPolicy = mesos.v1.KillPolicy;
export type OperationStatus = mesos.v1.OperationStatus;

/** Call.Reconcile.Task: a task to ask about, with its agent when known. */
export type ReconcileTask = mesos.v1.scheduler.Call.Reconcile.Task;

// Event variants, by the event that carries them.
export type SubscribedEvent = mesos.v1.scheduler.Event.Subscribed;
export type OffersEvent = mesos.v1.scheduler.Event.Offers;
export type InverseOffersEvent = mesos.v1.scheduler.Event.InverseOffers;
export type RescindEvent = mesos.v1.scheduler.Event.Rescind;
export type RescindInverseOfferEvent = mesos.v1.scheduler.Event.RescindInverseOffer;
export type UpdateEvent = mesos.v1.scheduler.Event.Update;
export type UpdateOperationStatusEvent = mesos.v1.scheduler.Event.UpdateOperationStatus;
export type MessageEvent = mesos.v1.scheduler.Event.Message;
export type FailureEvent = mesos.v1.scheduler.Event.Failure;
export type ErrorEvent = mesos.v1.scheduler.Event.Error;

/** An id as the calls take it: the message (`{ value: 'x' }`) or its bare value. */
export type Id = string | { readonly value: string };
