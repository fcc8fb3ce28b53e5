// Sign-in with an admin API key, checked against the gateway before it is kept.
import { useState } from "preact/hooks";
import { ApiClient, ApiError, errorMessage } from "../api/client.js";

export function signInError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401) return "The gateway does not know this key. Check that you copied all of it.";
    if (err.status === 403) return "This key is not an admin key. The dashboard needs one created with: apprentice keys create --role admin";
  }
  return errorMessage(err);
}

export function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn: (key: string) => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    const k = key.trim();
    if (k === "") {
      setError("Enter an admin API key.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await new ApiClient(k).tasks();
      onSignedIn(k);
    } catch (err) {
      setError(signInError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="signin" id="main">
      <form class="card signin-card" onSubmit={submit} noValidate>
        <h1>
          <span class="brand-mark" aria-hidden="true">◆</span> Apprentice
        </h1>
        <p class="muted">Sign in with an admin API key to see your tasks, their specialists and their traffic.</p>
        {notice ? (
          <p class="notice" role="status">
            {notice}
          </p>
        ) : null}
        <label for="admin-key">Admin API key</label>
        <input
          id="admin-key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          placeholder="apx_…"
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          aria-invalid={error !== null}
          aria-describedby={error ? "signin-error key-help" : "key-help"}
          autoFocus
        />
        <p id="key-help" class="hint">
          The key stays in this browser tab only (session storage) and is sent as a bearer token to this gateway.
        </p>
        {error ? (
          <p id="signin-error" class="field-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
