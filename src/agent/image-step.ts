// A task in a Docker image: once the provisioner has the image, its config
// is applied to the task's CommandInfo by Mesos's rules (see
// provisioner/runtime.ts) and the plan gets the command, the environment
// (the image's, under the task's own) and the working directory it names,
// and the image's layers for the root filesystem. Pure.
import type { CommandInfo } from '../master/types';
import { imageLaunch, type RuntimeConfig } from './provisioner/index';
import { RuntimeError } from './provisioner/runtime';
import { type CommandPlan, commandOf, type Refusal } from './task-info';

export function withImage(plan: CommandPlan, command: CommandInfo, runtime: RuntimeConfig, layers: readonly string[]): CommandPlan | Refusal {
  let launch;
  try {
    launch = imageLaunch(runtime, command);
  } catch (error) {
    if (!(error instanceof RuntimeError)) throw error;
    return { refused: true, state: 'TASK_FAILED', reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: `Failed to launch container: ${error.message}` };
  }
  const parsed = commandOf(launch.command);
  if ('refused' in parsed) return parsed;
  const environment = (launch.command.environment?.variables ?? []).map((variable) => ({ name: variable.name, value: variable.value ?? '' }));
  return {
    ...plan,
    command: parsed,
    environment,
    imageLayers: layers,
    ...(launch.workingDirectory === undefined ? {} : { workingDirectory: launch.workingDirectory }),
  };
}
