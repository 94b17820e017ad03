// On a phone the results are below the settings, so Generate scrolls them to the top of
// the screen. What is above them (the cost panel, the plan box) may still grow after the
// click, as its answers arrive; this keeps the results at the top until the person scrolls
// or touches the page themselves, or `done` has settled and the page has stayed still.

const USER_INPUT = ["wheel", "touchstart", "pointerdown", "keydown"];
const SETTLE_MS = 1500;

/** Scroll `el` to the top now and keep it there while the layout above it changes. */
export function keepAtTop(el, done) {
  let timer = null;
  const observer = new ResizeObserver(() => el.scrollIntoView({ block: "start" }));
  const stop = () => {
    observer.disconnect();
    clearTimeout(timer);
    for (const type of USER_INPUT) window.removeEventListener(type, stop, true);
  };
  for (const type of USER_INPUT) window.addEventListener(type, stop, { capture: true, passive: true });
  el.scrollIntoView({ block: "start" });
  observer.observe(document.body);
  Promise.resolve(done).finally(() => { timer = setTimeout(stop, SETTLE_MS); });
}
