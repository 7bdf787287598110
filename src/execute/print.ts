// mesos-execute's lines, in the words of Mesos's (src/cli/execute.cpp).
import type { Resource, TaskStatus } from '../scheduler/types';

/** Resources as Mesos prints a limitation's: "mem:129" (scalars; others by name). */
function resourcesText(resources: readonly Resource[]): string {
  return resources.map((resource) => (resource.scalar === undefined ? resource.name : `${resource.name}:${resource.scalar.value}`)).join(';');
}

/** The lines of one status update. */
export function statusLines(status: TaskStatus): string[] {
  const lines = [`Received status update ${status.state} for task '${status.task_id.value}'`];
  if (status.message !== undefined) lines.push(`  message: '${status.message}'`);
  if (status.source !== undefined) lines.push(`  source: ${status.source}`);
  if (status.reason !== undefined) lines.push(`  reason: ${status.reason}`);
  if (status.healthy !== undefined) lines.push(`  healthy?: ${status.healthy ? 1 : 0}`);
  const limited = status.limitation?.resources ?? [];
  if (limited.length > 0) lines.push(`  resource limit violation: ${resourcesText(limited)}`);
  return lines;
}

export const subscribedLine = (frameworkId: string) => `Subscribed with ID ${frameworkId}`;
export const submittedLine = (taskName: string, agentId: string) => `Submitted task '${taskName}' to agent '${agentId}'`;
export const killLine = (taskId: string, agentId: string) => `Asked to kill task '${taskId}' on agent '${agentId}'`;
