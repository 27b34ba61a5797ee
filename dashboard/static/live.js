// The live stream: one WebSocket to /ws/live, reconnected with backoff, shared by a page.
export const strings = JSON.parse(document.getElementById("strings").textContent);
export const t = (key) => strings[key] ?? key;

export function connectLive(onMessage, onState) {
  let delay = 500;
  const open = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/live`);
    socket.onopen = () => { delay = 500; onState(true); };
    socket.onmessage = (message) => onMessage(JSON.parse(message.data));
    socket.onclose = () => {
      onState(false);
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 10000);
    };
  };
  open();
}

export const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour12: false });
