// Copies a text to the clipboard and says so for a moment.
import { useState } from "preact/hooks";

export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [isCopied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(text).catch(() => undefined);
    setCopied(true);
    setTimeout(() => setCopied(false), 1200);
  };
  return (
    <button type="button" class="ghost small" onClick={copy} aria-label={`${label} ${text}`}>
      {isCopied ? "Copied" : label}
    </button>
  );
}
