// Resources from Mesos's text form, "cpus:0.5;mem:64;ports:[31000-31010]"
// (an optional "(role)" after a name reserves it statically), as the
// scheduler's messages: what a framework puts in a TaskInfo. Throws
// ResourceTextError, one line.
import { parseResourceText, ResourceTextError } from '../master/resource-text';
import { readJson } from '../proto/json';
import { v1Type } from '../proto/v1';
import type { Resource } from './types';

export { ResourceTextError };

const ResourceType = v1Type<Resource>('mesos.v1.Resource');

export function parseResources(text: string): Resource[] {
  return parseResourceText(text).map((resource) => readJson(ResourceType, resource));
}
