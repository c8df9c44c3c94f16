// The run's status as a coloured pill; a lost connection reads ERROR while the run is live.
import type { Status } from "../protocol";
import { statusLabel, statusTone } from "./format";

export function StatusPill({ status, isDisconnected = false }: { status: Status | null; isDisconnected?: boolean }) {
  const shown = isDisconnected ? "ERROR" : status;
  return (
    <span class="pill" data-status={statusTone(shown)} data-testid="status-pill">
      {statusLabel(shown)}
    </span>
  );
}
