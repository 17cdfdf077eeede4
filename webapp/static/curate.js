// The curators' screens: while an index update runs, its status line follows it (without script the
// page says where it stood when loaded, and a reload shows the news).
(function () {
  "use strict";
  const box = document.getElementById("build-status");
  if (!box || !window.fetch) return;
  const busy = (state) => state === "queued" || state === "running";
  if (!busy(box.dataset.state)) return;

  function describe(build) {
    if (build.state === "queued") return "Index update queued (" + build.reason + ", by " + build.curator + ").";
    if (build.state === "running") return "Updating the index… (" + build.reason + ", by " + build.curator + ").";
    if (build.state === "failed") return "The index update failed: " + build.error;
    const r = build.report;
    return "Index up to date: " + r.written + " written, " + r.removed + " removed, " + r.unchanged +
      " unchanged, in " + r.seconds.toFixed(1) + " s (" + build.reason + ", by " + build.curator + ").";
  }

  function poll() {
    fetch(box.dataset.poll, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then((response) => response.ok ? response.json() : null)
      .then((build) => {
        if (!build) return;
        box.dataset.state = build.state;
        box.querySelector("p").textContent = describe(build);
        if (busy(build.state)) window.setTimeout(poll, 1000);
      })
      .catch(() => window.setTimeout(poll, 3000));
  }
  window.setTimeout(poll, 500);
})();
