/** `herdctl init agent` could not add the agent; the message says why and what to do. */
export class AgentScaffoldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AgentScaffoldError";
  }
}
