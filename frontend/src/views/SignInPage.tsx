// The sign-in form: name and password. After signing in the page reloads where it was.
import { useState } from "preact/hooks";
import { signIn } from "../session";

export function SignInPage() {
  const [error, setError] = useState("");
  const [isSending, setSending] = useState(false);
  async function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setSending(true);
    const refused = await signIn(String(form.get("name") ?? ""), String(form.get("password") ?? ""));
    setSending(false);
    if (refused) setError(refused);
    else window.location.reload();
  }
  return (
    <main class="sign-in">
      <form class="card" onSubmit={submit} aria-label="Sign in">
        <h1>Sign in to Litmus Live</h1>
        <label>
          Name
          <input name="name" autocomplete="username" required autofocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        {error && <p class="form-error" role="alert" data-testid="sign-in-error">{error}</p>}
        <button type="submit" class="primary" disabled={isSending}>Sign in</button>
      </form>
    </main>
  );
}
