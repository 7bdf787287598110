// UPDATE_FRAMEWORK (master/master.cpp updateFramework): the new
// FrameworkInfo is checked as a subscription's is, then against the
// current one (principal, user and checkpointing are fixed), then the
// suppressed roles against its roles. Answered 200, or 400 with the
// reason. (The 403 Mesos gives when an authorizer refuses can't happen:
// this master has no authorizer.)
import type { Master } from '../master';
import type { FrameworkRecord } from '../records';
import type { UpdateFramework } from '../types';
import { frameworkUpdateError } from '../validation/framework';
import { applyFrameworkUpdate, optionsError, refusal } from './subscribe';

export type UpdateResult = { readonly ok: true } | { readonly ok: false; readonly status: 400 | 403; readonly message: string };

export function updateFramework(master: Master, framework: FrameworkRecord, call: UpdateFramework): UpdateResult {
  const info = call.framework_info;
  const invalid = refusal(master, info);
  if (invalid !== undefined) return { ok: false, status: 400, message: `Supplied FrameworkInfo is not valid: ${invalid}` };
  const update = frameworkUpdateError(framework.info, info);
  if (update !== undefined) return { ok: false, status: 400, message: `FrameworkInfo update is not valid: ${update}` };
  const options = optionsError(info, call.suppressed_roles ?? [], call.offer_constraints);
  if (options !== undefined) return { ok: false, status: 400, message: `'UpdateFramework' call is not valid: ${options}` };
  applyFrameworkUpdate(master, framework, info, call.suppressed_roles ?? []);
  master.allocateSoon();
  return { ok: true };
}
