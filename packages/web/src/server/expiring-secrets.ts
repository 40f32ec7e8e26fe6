import { createHash, randomBytes } from "node:crypto";

/**
 * Random bearer secrets (session ids, one-time login codes) kept server-side with an expiry, so
 * ending one is a server-side act and a stolen value dies with it. Only a hash of each secret is
 * held: a lookup by hash takes the same time whatever prefix of a guess is right. At `cap` the
 * oldest is dropped: only holders of the token can mint secrets, so the cap bounds memory, it does
 * not stop an attacker.
 */
export class ExpiringSecrets {
  private readonly expiries = new Map<string, number>();

  constructor(
    readonly ttlMs: number,
    private readonly cap: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A fresh secret and when it stops working (epoch ms). */
  issue(): { secret: string; expiresAt: number } {
    this.sweep();
    while (this.expiries.size >= this.cap) {
      const oldest = this.expiries.keys().next().value as string;
      this.expiries.delete(oldest);
    }
    const secret = randomBytes(32).toString("base64url");
    const expiresAt = this.now() + this.ttlMs;
    this.expiries.set(digest(secret), expiresAt);
    return { secret, expiresAt };
  }

  valid(secret: string | undefined): boolean {
    if (!secret) return false;
    const key = digest(secret);
    const expiresAt = this.expiries.get(key);
    if (expiresAt === undefined) return false;
    if (expiresAt <= this.now()) {
      this.expiries.delete(key);
      return false;
    }
    return true;
  }

  /** Checks and revokes in one step: the second use of a one-time secret fails. */
  take(secret: string | undefined): boolean {
    const ok = this.valid(secret);
    if (ok) this.revoke(secret!);
    return ok;
  }

  revoke(secret: string): void {
    this.expiries.delete(digest(secret));
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, expiresAt] of this.expiries) if (expiresAt <= now) this.expiries.delete(key);
  }
}

function digest(secret: string): string {
  return createHash("sha256").update(secret).digest("base64url");
}
