/** Thrown by an action to end the command line with a given exit code and no message (e.g. a child's code). */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit code ${code}`);
    this.name = 'ExitCode';
  }
}
