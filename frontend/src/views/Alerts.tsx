// The operator's choice of how a new prompt calls them (see alerts.ts), kept per browser.
import { alertChoice, chooseAlerts } from "../alerts";

export function Alerts() {
  const choice = alertChoice.value;
  return (
    <section class="alerts" aria-label="Prompt alerts">
      <h2 class="side-heading">When a prompt opens</h2>
      <label class="toggle">
        <input type="checkbox" checked={choice.isChimeOn} data-testid="alert-chime"
          onChange={(ev) => chooseAlerts({ ...choice, isChimeOn: ev.currentTarget.checked })} />
        <span>Chime and flash the tab title</span>
      </label>
      <label class="toggle">
        <input type="checkbox" checked={choice.isNotificationOn} data-testid="alert-notification"
          onChange={(ev) => chooseAlerts({ ...choice, isNotificationOn: ev.currentTarget.checked })} />
        <span>Desktop notification</span>
      </label>
    </section>
  );
}
