import { useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api } from "../api/client";
import { mayHaveSession, onSessionEnd, refreshAccessToken, type EndReason } from "../api/session";

type AuthStatus = "restoring" | "signed-in" | "signed-out";

interface AuthContextValue {
  status: AuthStatus;
  /** Why the last session ended, for the login page to say so; null otherwise. */
  endReason: EndReason | null;
  /** Set when restoring the session failed for a reason other than "no session". */
  restoreError: unknown;
  login(email: string, password: string): Promise<void>;
  retryRestore(): void;
}

const AuthContext = createContext<AuthContextValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<AuthStatus>(() => (mayHaveSession() ? "restoring" : "signed-out"));
  const [endReason, setEndReason] = useState<EndReason | null>(null);
  const [restoreError, setRestoreError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);

  // On start: a refresh cookie may still be valid; spend it for an access token.
  // refreshAccessToken is single-flight, so StrictMode's double effect is harmless.
  useEffect(() => {
    if (status !== "restoring") return;
    let active = true;
    refreshAccessToken().then(
      (token) => {
        if (!active) return;
        setRestoreError(null);
        setStatus(token ? "signed-in" : "signed-out");
      },
      (error: unknown) => {
        if (active) setRestoreError(error);
      },
    );
    return () => {
      active = false;
    };
  }, [status, attempt]);

  useEffect(
    () =>
      onSessionEnd((reason) => {
        // An expiry after a logout is not told (see endSession): the reason stands.
        setEndReason(reason);
        setStatus("signed-out");
        // Nothing of the previous user's may survive into the next session.
        queryClient.clear();
      }),
    [queryClient],
  );

  const signedIn = useCallback(() => {
    queryClient.clear();
    setEndReason(null);
    setStatus("signed-in");
  }, [queryClient]);

  const login = useCallback(
    async (email: string, password: string) => {
      await api.login({ email, password });
      signedIn();
    },
    [signedIn],
  );

  const retryRestore = useCallback(() => {
    setRestoreError(null);
    setAttempt((n) => n + 1);
  }, []);

  const value = useMemo(
    () => ({ status, endReason, restoreError, login, retryRestore }),
    [status, endReason, restoreError, login, retryRestore],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth must be used inside <AuthProvider>");
  return value;
}
