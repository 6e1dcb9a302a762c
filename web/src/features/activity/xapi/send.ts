/**
 * The one way the players send xAPI statements: to the platform's LRS (`POST /xAPI/statements`) as the
 * signed-in learner, with the platform access token (the LRS accepts it when every actor is that
 * learner) and the xAPI version header. The LRS speaks the xAPI standard, not the platform's OpenAPI
 * models, so this uses the client's authorized fetch (token and refresh) rather than the typed client.
 *
 * Statements that cannot leave now (offline, network error, server trouble) wait for the offline
 * outbox; a statement the LRS refuses (4xx) is dropped, since sending it again cannot succeed.
 */
import { authorizedFetch } from "@/api/client";
import type { Statement } from "./video";

export const XAPI_VERSION = "1.0.3";

export type Sent = "sent" | "queued" | "refused";

const waiting: Statement[] = [];
let listening = false;

/** Until the shared offline outbox is merged: hold statements in memory and retry when back online. */
function queueForLater(statements: Statement[]): void {
  waiting.push(...statements);
  if (listening || typeof window === "undefined") return;
  listening = true;
  window.addEventListener("online", () => {
    const batch = waiting.splice(0);
    if (batch.length) void sendStatements(batch);
  });
}

export async function sendStatements(statements: Statement[], options: { keepalive?: boolean } = {}): Promise<Sent> {
  if (statements.length === 0) return "sent";
  if (typeof navigator !== "undefined" && navigator.onLine === false) {
    queueForLater(statements);
    return "queued";
  }
  try {
    const response = await authorizedFetch(
      new Request(new URL("/xAPI/statements", window.location.origin), {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Experience-API-Version": XAPI_VERSION },
        body: JSON.stringify(statements),
        keepalive: options.keepalive ?? false,
        credentials: "same-origin",
      }),
    );
    if (response.ok) return "sent";
    if (response.status >= 500 || response.status === 429) {
      queueForLater(statements);
      return "queued";
    }
    console.warn("xAPI statements refused", response.status, await response.text().catch(() => ""));
    return "refused";
  } catch {
    queueForLater(statements);
    return "queued";
  }
}
