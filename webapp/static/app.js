// Progressive enhancement only: every control also works as a plain GET form or a link.
(function () {
  "use strict";
  const root = document.documentElement;
  root.classList.add("js");

  const FOCUS_KEY = "observatory:focus";
  const form = document.getElementById("search-form");
  const panel = document.querySelector("details.filter-panel");
  const phone = window.matchMedia("(max-width: 48rem)").matches;

  if (form) {
    // Blank fields would only clutter the shareable URL (?q=&year_from=...).
    form.addEventListener("submit", function () {
      for (const field of form.querySelectorAll("input[name]")) {
        if (field.value === "" && field.type !== "checkbox") field.disabled = true;
      }
    });

    // A facet tick submits at once; the focus comes back to the same checkbox after the reload,
    // so keyboard users keep their place in the list.
    form.addEventListener("change", function (event) {
      const box = event.target;
      if (box.matches("input[type=checkbox][data-autosubmit]")) {
        sessionStorage.setItem(FOCUS_KEY, box.id);
        form.requestSubmit();
      }
    });
  }

  const focusId = sessionStorage.getItem(FOCUS_KEY);
  sessionStorage.removeItem(FOCUS_KEY);
  const toFocus = focusId && document.getElementById(focusId);
  if (toFocus) {
    const more = toFocus.closest("details");
    if (more) more.open = true;
    if (panel) panel.open = true;
    toFocus.focus();
    // The page was reloaded by a filter change: say what it did to the results (live region).
    const live = document.getElementById("results-announcement");
    const heading = document.getElementById("results-heading");
    if (live && heading) {
      window.setTimeout(function () { live.textContent = heading.textContent.trim(); }, 250);
    }
  } else if (panel && phone) {
    // On a phone the results come first; the filters stay one tap away.
    panel.open = false;
  }

  // Copy buttons (citations): hidden without script, where the text is there to select.
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.hidden = false;
    button.addEventListener("click", function () {
      const source = document.getElementById(button.dataset.copy);
      const status = button.closest("section") && button.closest("section").querySelector(".copy-status");
      if (!source || !navigator.clipboard) return;
      navigator.clipboard.writeText(source.innerText.trim()).then(function () {
        button.firstChild.textContent = "Copied";
        if (status) status.textContent = "Citation copied to the clipboard.";
        window.setTimeout(function () { button.firstChild.textContent = "Copy"; }, 2000);
      });
    });
  }
})();
