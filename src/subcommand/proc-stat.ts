// The fields of /proc/<pid>/stat that follow the command name, which may
// hold spaces and parentheses: they start after its last ')'. Index 0 is
// the state (field 3 of proc(5)), 1 the parent's pid, 6 the flags, 19 the
// start time. Pure.
export function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The state and the parent's pid. */
export function stateAndParent(stat: string): { state: string; ppid: number } {
  const [state, ppid] = statFields(stat);
  return { state: state ?? '', ppid: Number(ppid) };
}
