// While the server's store cannot commit: what the server said, and what it means for the run.
import { outage } from "../outage";

export function OutageBanner() {
  const reason = outage.value;
  if (reason === null) return null;
  return (
    <section class="outage" role="alert" data-testid="store-outage">
      <strong>The server cannot save records right now.</strong>{" "}
      <span>{reason}. The test keeps running; what it reports waits on the server and appears here once it can be saved.</span>
    </section>
  );
}
