import { userInfo } from "node:os";
import { oneLine } from "../util/printable.js";

/**
 * Who asked for an action and through which door. `via` is the door (cli, dashboard, webhook,
 * schedule, …); `who` names the person or thing within it: a local user, a dashboard session's
 * short id and address, a webhook delivery, a schedule. Never a secret: a session is named by a
 * hash prefix of its cookie, not the cookie.
 */
export interface AuditActor {
  readonly via: string;
  readonly who: string;
}

/** What an embedding program is when it does not say: the library's caller. */
export const LIBRARY_ACTOR: AuditActor = { via: "library", who: "embedding program" };

const MAX_WHO = 200;

/** Actor text can come from a client (a header): keep it to one printable line of bounded length. */
export function cleanActor(actor: AuditActor): AuditActor {
  const clean = (text: string) => oneLine(text, MAX_WHO) || "unknown";
  return { via: clean(actor.via), who: clean(actor.who) };
}

/**
 * The local user running this process, as the CLI's actor: the control socket admits only the
 * daemon's own user (mode 0600), and a CLI without a daemon acts on state only its user can open.
 */
export function localUserActor(): AuditActor {
  try {
    const { username, uid } = userInfo();
    return { via: "cli", who: `${username} (uid ${uid})` };
  } catch {
    return { via: "cli", who: `uid ${process.getuid?.() ?? "?"}` };
  }
}
