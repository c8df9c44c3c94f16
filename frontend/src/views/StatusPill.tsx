// The run's status as a coloured pill; a lost connection reads ERROR while the run is live, and
// a run whose record is still arriving reads LOADING, whatever the server said its status is.
import type { Status } from "../protocol";
import { statusLabel, statusTone } from "./format";

interface Props {
  status: Status | null;
  isDisconnected?: boolean;
  isLoading?: boolean;
}

export function StatusPill({ status, isDisconnected = false, isLoading = false }: Props) {
  const shown = isDisconnected ? "ERROR" : status;
  if (isLoading && !isDisconnected) return <span class="pill" data-status="loading" data-testid="status-pill">LOADING</span>;
  return (
    <span class="pill" data-status={statusTone(shown)} data-testid="status-pill">
      {statusLabel(shown)}
    </span>
  );
}
