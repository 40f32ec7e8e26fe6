/**
 * The abort reason of a cancel that skips the graceful end (`herdctl cancel --force`): claude is
 * killed outright instead of being asked to stop first.
 */
export class ForcedCancel extends Error {
  constructor() {
    super("cancelled with --force");
    this.name = "ForcedCancel";
  }
}
