// Progressive enhancement only: every control also works as a plain GET form or a link.
(function () {
  "use strict";
  const root = document.documentElement;
  root.classList.add("js");

  const FOCUS_KEY = "observatory:focus";
  const form = document.getElementById("search-form");
  const panel = document.querySelector("details.filter-panel");

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
    toFocus.focus();
  } else if (panel && window.matchMedia("(max-width: 48rem)").matches) {
    // On a phone the results come first; the filters stay one tap away.
    panel.open = false;
  }
})();
