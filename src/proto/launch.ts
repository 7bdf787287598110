// ContainerLaunchInfo and what it reaches (packages mesos, mesos.seccomp and
// mesos.slave): the schema `launch` reads --launch_info with. It loads no
// protobuf library, so it costs `launch` only its descriptor.
import set from './generated/launch';
import type { mesos } from './generated/types';
import { messageType, Schema } from './schema';

export const launchSchema = new Schema(set);

export type ContainerLaunchInfoMessage = mesos.slave.ContainerLaunchInfo;
export type CommandInfoMessage = mesos.CommandInfo;
export type CapabilityInfoMessage = mesos.CapabilityInfo;

export const ContainerLaunchInfo = messageType<ContainerLaunchInfoMessage>(launchSchema, 'mesos.slave.ContainerLaunchInfo');
export const CommandInfo = messageType<CommandInfoMessage>(launchSchema, 'mesos.CommandInfo');
export const CapabilityInfo = messageType<CapabilityInfoMessage>(launchSchema, 'mesos.CapabilityInfo');
