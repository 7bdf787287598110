// The error of type `type` that `fn` throws; any other error is thrown on,
// and no error at all fails the test.
export function caught<E extends Error>(type: abstract new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected a ${type.name}`);
}
