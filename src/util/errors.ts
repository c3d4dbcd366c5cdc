// Errors a user can act on. The CLI's top-level handler prints their message alone and exits 2;
// any other error is a bug and is printed with its stack.

export class UserError extends Error {
  /** Lines printed under the message, e.g. one per problem found. */
  readonly details: readonly string[];
  constructor(message: string, details: readonly string[] = []) {
    super(message);
    this.name = 'UserError';
    this.details = details;
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
