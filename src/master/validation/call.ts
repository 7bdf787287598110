// The scheduler endpoint's check of a decoded Call, in Mesos's order and
// words (master/validation.cpp, scheduler::call::validate). A message
// returned here is answered "400 Failed to validate scheduler::Call: ...".
import { type Message, missingRequired } from '../../proto/schema';
import { Call as CallMessage, v1Schema } from '../../proto/v1';
import { isUuidBytes } from '../ids';
import type { Call, CallType } from '../types';

/** The call types whose body field must be present, by the field's name. */
const BODY: Partial<Record<CallType, keyof Call>> = {
  ACCEPT: 'accept',
  DECLINE: 'decline',
  ACCEPT_INVERSE_OFFERS: 'accept_inverse_offers',
  DECLINE_INVERSE_OFFERS: 'decline_inverse_offers',
  KILL: 'kill',
  SHUTDOWN: 'shutdown',
  ACKNOWLEDGE: 'acknowledge',
  ACKNOWLEDGE_OPERATION_STATUS: 'acknowledge_operation_status',
  RECONCILE: 'reconcile',
  RECONCILE_OPERATIONS: 'reconcile_operations',
  MESSAGE: 'message',
  REQUEST: 'request',
  UPDATE_FRAMEWORK: 'update_framework',
};

function uuidError(uuid: string): string | undefined {
  return isUuidBytes(Buffer.from(uuid, 'base64')) ? undefined : 'Not a valid UUID';
}

export function validateCall(call: Call): string | undefined {
  const missing = missingRequired(v1Schema.message(CallMessage.name), call as unknown as Message);
  if (missing.length > 0) return `Not initialized: ${missing.join(', ')}`;

  if (call.type === undefined) return "Expecting 'type' to be present";

  if (call.type === 'SUBSCRIBE') {
    if (call.subscribe === undefined) return "Expecting 'subscribe' to be present";
    if ((call.subscribe.framework_info.id?.value ?? '') !== (call.framework_id?.value ?? '')) {
      return "'framework_id' differs from 'subscribe.framework_info.id'";
    }
    return undefined;
  }

  if (call.framework_id === undefined) return "Expecting 'framework_id' to be present";

  const body = BODY[call.type];
  if (body !== undefined && call[body] === undefined) return `Expecting '${body}' to be present`;

  switch (call.type) {
    case 'ACKNOWLEDGE':
      return uuidError(call.acknowledge!.uuid);
    case 'ACKNOWLEDGE_OPERATION_STATUS': {
      const error = uuidError(call.acknowledge_operation_status!.uuid);
      if (error !== undefined) return error;
      if (call.acknowledge_operation_status!.agent_id === undefined) return "Expecting 'agent_id' to be present";
      return undefined;
    }
    case 'UPDATE_FRAMEWORK':
      if ((call.framework_id.value ?? '') !== (call.update_framework!.framework_info.id?.value ?? '')) {
        return "'framework_id' differs from 'update_framework.framework_info.id'";
      }
      return undefined;
    default:
      return undefined;
  }
}
