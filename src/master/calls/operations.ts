// RECONCILE_OPERATIONS and ACKNOWLEDGE_OPERATION_STATUS
// (master/master.cpp reconcileOperations, acknowledgeOperationStatus). This
// master carries out no offer operations, so every operation a scheduler
// names is unknown, and every acknowledgement has nothing to acknowledge.
import type { Master } from '../master';
import type { FrameworkRecord } from '../records';
import type { Call, OperationStatus } from '../types';

type ReconcileOperations = NonNullable<Call['reconcile_operations']>;

export function reconcileOperations(master: Master, framework: FrameworkRecord, call: ReconcileOperations): void {
  for (const operation of call.operations ?? []) {
    const agentId = operation.agent_id?.value;
    let message: string;
    if (agentId === undefined) message = "Reconciliation: Operation is unknown and no 'agent_id' was provided";
    else if (master.agents.has(agentId)) message = 'Reconciliation: Operation is unknown';
    else message = 'Reconciliation: Both operation and agent are unknown';
    const status: OperationStatus = { operation_id: operation.operation_id, state: 'OPERATION_UNKNOWN', message };
    if (operation.agent_id !== undefined) status.agent_id = operation.agent_id;
    if (operation.resource_provider_id !== undefined) status.resource_provider_id = operation.resource_provider_id;
    master.send(framework, { type: 'UPDATE_OPERATION_STATUS', update_operation_status: { status } });
  }
}

export function acknowledgeOperationStatus(_master: Master, _framework: FrameworkRecord): void {}
