// How this browser calls the operator when a prompt opens: a chime with a flashing tab title,
// and a desktop notification. Both are off until the operator turns them on; the choice is
// remembered in localStorage. App calls promptOpened() when the waiting count goes up.
import { signal } from "@preact/signals";

export interface AlertChoice {
  isChimeOn: boolean;
  isNotificationOn: boolean;
}

const KEY = "litmus-live.alerts";
const FLASH_MS = 1000;

export const alertChoice = signal<AlertChoice>(load());
/** The title the tab shows between flashes (App keeps it current). */
let steadyTitle = document.title;
let flashTimer = 0;

function load(): AlertChoice {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? "{}") as Partial<AlertChoice>;
    return { isChimeOn: saved.isChimeOn === true, isNotificationOn: saved.isNotificationOn === true };
  } catch {
    return { isChimeOn: false, isNotificationOn: false }; // storage disabled or unreadable: the default
  }
}

export function chooseAlerts(choice: AlertChoice): void {
  alertChoice.value = choice;
  try {
    localStorage.setItem(KEY, JSON.stringify(choice));
  } catch {
    // storage disabled: the choice lasts until the tab closes
  }
  if (choice.isNotificationOn && typeof Notification !== "undefined" && Notification.permission === "default") {
    void Notification.requestPermission();
  }
}

export function setTitle(title: string): void {
  steadyTitle = title;
  if (flashTimer === 0) document.title = title;
}

/** A prompt opened somewhere on this station: call the operator the ways they chose. */
export function promptOpened(message: string): void {
  const { isChimeOn, isNotificationOn } = alertChoice.value;
  if (isChimeOn) {
    chime();
    flashTitle(message);
  }
  if (isNotificationOn && typeof Notification !== "undefined" && Notification.permission === "granted") {
    new Notification("Litmus Live: operator prompt", { body: message, tag: "litmus-live-prompt" });
  }
}

/** No prompt waits any more: the title stops flashing. */
export function promptsCleared(): void {
  if (flashTimer !== 0) clearInterval(flashTimer);
  flashTimer = 0;
  document.title = steadyTitle;
}

function flashTitle(message: string): void {
  if (flashTimer !== 0) return;
  let isFlashed = false;
  flashTimer = window.setInterval(() => { // a blinking title, not a poll
    isFlashed = !isFlashed;
    document.title = isFlashed ? `▶ ${message}` : steadyTitle;
  }, FLASH_MS);
}

/** Two short tones (A5 then E6), generated: no sound file to serve. */
function chime(): void {
  const Context = window.AudioContext;
  if (!Context) return;
  const audio = new Context();
  [880, 1318.5].forEach((frequency, i) => {
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    const start = audio.currentTime + i * 0.18;
    tone.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.3, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.16);
    tone.connect(gain).connect(audio.destination);
    tone.start(start);
    tone.stop(start + 0.17);
  });
  window.setTimeout(() => void audio.close(), 600);
}
