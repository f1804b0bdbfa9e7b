/**
 * The switch "Keep connections alive and tell me before one stops working":
 * it starts Authdeck's background keeper (`authdeck watch`) at login, and now.
 * The same autostart entry `authdeck watch --install` writes, so the two agree.
 */
import * as ipc from "./ipc.js";

export async function initKeeperSwitch() {
  const input = document.getElementById("keeper");
  const note = document.getElementById("keeper-note");
  if (!input || !note) return;
  try {
    const status = await ipc.keeperStatus();
    input.checked = status.autostart;
    input.disabled = false;
  } catch (failure) {
    note.textContent = failure.message || "Authdeck could not tell whether the keeper starts at login.";
    return;
  }
  input.addEventListener("change", async () => {
    const wanted = input.checked;
    input.disabled = true;
    try {
      const status = await ipc.setKeeper(wanted);
      input.checked = status.autostart;
      note.textContent = status.message || "";
    } catch (failure) {
      input.checked = !wanted;
      note.textContent = failure.message || "That did not work; please try again.";
    } finally {
      input.disabled = false;
    }
  });
}
