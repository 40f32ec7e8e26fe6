import { useState } from "react";
import { ApiError, api } from "../api.js";

export function Login({ onDone }: { onDone: () => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string>();
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    try {
      await api.post("/api/login", { token: token.trim() });
      onDone();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  return (
    <form className="login" onSubmit={submit}>
      <h1>herdctl</h1>
      <p className="muted">
        Run <code>herdctl dashboard</code> for a one-time login link, or paste the token from{" "}
        <code>.herdctl/web-token</code>.
      </p>
      <input
        type="password"
        autoComplete="current-password"
        placeholder="Token"
        value={token}
        onChange={(e) => setToken(e.target.value)}
        aria-label="Token"
      />
      <button type="submit">Log in</button>
      {error && <div className="error">{error}</div>}
    </form>
  );
}
