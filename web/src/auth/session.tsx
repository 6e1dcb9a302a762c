/**
 * Who is signed in. The access token lives only in memory (src/api/client.ts); the refresh token is an
 * HttpOnly cookie script cannot read. On load the app asks for a fresh access token from that cookie,
 * so a reopened tab stays signed in. The profile (no secret) is kept on the device so the app can still
 * open offline with what it cached.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, ok, onSessionEnded, refreshSession, setAccessToken, type Schemas } from "@/api/client";
import { setOfflineUser } from "@/offline/user";

export type Me = Schemas["MePublic"];
type Status = "checking" | "signed-in" | "signed-out";

interface Auth {
  status: Status;
  me: Me | null;
  /** True when the profile comes from the device because the API could not be reached. */
  offline: boolean;
  login: (email: string, password: string) => Promise<void>;
  /** Set the first password of an invited account and sign in as it. */
  acceptInvitation: (token: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
  can: (permission: string) => boolean;
}

const AuthContext = createContext<Auth | null>(null);
const PROFILE = "pathwise.me";

export class LoginError extends Error {
  constructor(
    message: string,
    readonly kind: "failed" | "mfa",
  ) {
    super(message);
  }
}

async function loadMe(): Promise<Me> {
  return ok(await api.GET("/v1/auth/me"));
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<Status>("checking");
  const [me, setMe] = useState<Me | null>(null);
  const [offline, setOffline] = useState(false);

  const signedIn = useCallback((profile: Me, fromDevice = false) => {
    setOfflineUser(profile.id); // before any page mounts, so a player may enqueue at once
    setMe(profile);
    setOffline(fromDevice);
    setStatus("signed-in");
    if (!fromDevice) localStorage.setItem(PROFILE, JSON.stringify(profile));
  }, []);

  const signedOut = useCallback(() => {
    setAccessToken(null);
    setOfflineUser(null);
    localStorage.removeItem(PROFILE);
    setMe(null);
    setStatus("signed-out");
  }, []);

  useEffect(() => onSessionEnded(signedOut), [signedOut]);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      // Only a device that was signed in asks the cookie for a session: a first visit goes straight
      // to the log-in form instead of waiting on a refresh that can only fail.
      const saved = localStorage.getItem(PROFILE);
      if (saved && (await refreshSession())) {
        try {
          const profile = await loadMe();
          if (!cancelled) signedIn(profile);
          return;
        } catch {
          /* fall through to the device's copy */
        }
      }
      if (!cancelled && saved && !navigator.onLine) signedIn(JSON.parse(saved) as Me, true);
      else if (!cancelled) signedOut();
    })();
    return () => {
      cancelled = true;
    };
  }, [signedIn, signedOut]);

  /** Either way in ends here: the session's access token, then the profile; or the problem, as a LoginError. */
  const started = useCallback(
    async (data: { access_token: string } | undefined, error: unknown, response: Response) => {
      if (!data) {
        const problem = (error ?? {}) as { type?: string; detail?: string };
        if (problem.type?.endsWith("/mfa-required")) throw new LoginError(problem.detail ?? "", "mfa");
        throw new LoginError(problem.detail ?? response.statusText, "failed");
      }
      setAccessToken(data.access_token);
      signedIn(await loadMe());
    },
    [signedIn],
  );

  const value = useMemo<Auth>(
    () => ({
      status,
      me,
      offline,
      login: async (email, password) => {
        const { data, error, response } = await api.POST("/v1/auth/session", {
          body: { username: email, password, grant_type: "password", scope: "" },
          bodySerializer: (body) => new URLSearchParams(body as Record<string, string>),
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
        });
        await started(data, error, response);
      },
      acceptInvitation: async (token, password) => {
        const { data, error, response } = await api.POST("/v1/auth/session/invitation", { body: { token, password } });
        await started(data, error, response);
      },
      logout: async () => {
        if (me) {
          // Shared devices: the next person finds none of this learner's copies (unsent changes stay, keyed to them).
          await import("@/offline/clear").then(({ beforeLogout }) => beforeLogout(me.id)).catch(() => undefined);
        }
        await fetch("/v1/auth/session", {
          method: "DELETE",
          credentials: "same-origin",
          headers: { "X-Pathwise-CSRF": "1" },
        }).catch(() => undefined);
        signedOut();
      },
      // Administrators hold "*", which the API reads as every scope.
      can: (permission) => Boolean(me?.permissions?.includes(permission) || me?.permissions?.includes("*")),
    }),
    [status, me, offline, signedOut, started],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside AuthProvider");
  return value;
}
