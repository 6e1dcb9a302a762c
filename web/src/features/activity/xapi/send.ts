/**
 * The one way the players send xAPI statements: to the platform's LRS (`POST /xAPI/statements`) as the
 * signed-in learner, with the platform access token (the LRS accepts it when every actor is that
 * learner) and the xAPI version header. The LRS speaks the xAPI standard, not the platform's OpenAPI
 * models, so this uses the client's authorized fetch (token and refresh) rather than the typed client.
 *
 * Statements that cannot leave now (offline, network error, server trouble) go to the offline outbox
 * under their own ids, so a statement that did reach the LRS before its answer was lost is not stored
 * twice; a statement the LRS refuses (4xx) is dropped, since sending it again cannot succeed.
 */
import { authorizedFetch } from "@/api/client";
import { enqueue } from "@/offline";
import type { Statement } from "./video";

export const XAPI_VERSION = "1.0.3";

export type Sent = "sent" | "queued" | "refused";

/** Into the device's outbox (src/offline), which sends them through `POST /v1/sync` when it can. */
async function queueForLater(statements: Statement[]): Promise<void> {
  for (const statement of statements) await enqueue({ type: "statement", statement: { ...statement } });
}

async function hold(statements: Statement[]): Promise<Sent> {
  try {
    await queueForLater(statements);
    return "queued";
  } catch (error) {
    console.warn("xAPI statements could not be kept on the device", error);
    return "refused";
  }
}

export async function sendStatements(statements: Statement[], options: { keepalive?: boolean } = {}): Promise<Sent> {
  if (statements.length === 0) return "sent";
  if (typeof navigator !== "undefined" && navigator.onLine === false) {
    return hold(statements);
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
    if (response.status >= 500 || response.status === 429) return hold(statements);
    console.warn("xAPI statements refused", response.status, await response.text().catch(() => ""));
    return "refused";
  } catch {
    return hold(statements);
  }
}
