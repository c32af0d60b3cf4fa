/**
 * Whether `error` is the named domain error. Routers run in Next's route bundle while
 * the services that throw were loaded by the server process, so the same class exists
 * twice and `instanceof` fails across the two; the `name` every domain error sets does not.
 */
export function isDomainError<T extends Error = Error>(error: unknown, name: string): error is T {
  return error instanceof Error && error.name === name;
}
