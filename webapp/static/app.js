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

  // Ticked results (sel) travel in the URL: a tick is written into this page's address and into every
  // link to another page or sort of the same search, so paging and sorting keep it.
  if (form) {
    const keep = form.querySelector(".keep-ticks");
    if (keep) keep.hidden = true;
    form.addEventListener("change", function (event) {
      const tick = event.target;
      if (!tick.matches("input[type=checkbox][name=sel]")) return;
      const rewrite = function (href) {
        const url = new URL(href, window.location.href);
        const ids = url.searchParams.getAll("sel").filter(function (id) { return id !== tick.value; });
        if (tick.checked) ids.push(tick.value);
        url.searchParams.delete("sel");
        for (const id of ids) url.searchParams.append("sel", id);
        return url.pathname + url.search + url.hash;
      };
      for (const link of document.querySelectorAll(".pagination a, .sort-nav a")) {
        link.setAttribute("href", rewrite(link.getAttribute("href")));
      }
      window.history.replaceState(null, "", rewrite(window.location.href));
      const hidden = form.querySelectorAll("input[type=hidden][name=sel]").length;
      const count = form.querySelectorAll("input[type=checkbox][name=sel]:checked").length + hidden;
      const label = document.getElementById("export-selected-label");
      if (label) label.textContent = "Download the ticked ones" + (count ? " (" + count + ")" : "") + ":";
    });
  }

  const focusId = sessionStorage.getItem(FOCUS_KEY);
  sessionStorage.removeItem(FOCUS_KEY);
  const toFocus = focusId && document.getElementById(focusId);
  if (toFocus) {
    const more = toFocus.closest("details");
    if (more) more.open = true;
    if (panel) panel.open = true;
    toFocus.focus({ preventScroll: true });
    // Where it was, not at the top; scroll-padding keeps it clear of the phone's sticky bar.
    toFocus.scrollIntoView({ block: "center" });
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

  // The search box as a WAI-ARIA combobox over GET /api/suggest (list autocomplete, no automatic
  // selection): arrows move through the suggestions, Enter searches the one chosen, Escape closes
  // the list. Without script the box is a plain search field; the roles are only added here.
  const box = document.querySelector("input[data-suggest]");
  const list = document.getElementById("q-suggestions");
  if (box && list && form && window.fetch) {
    const status = document.getElementById("q-suggestions-status");
    let options = [];
    let active = -1;
    let pending = null;
    let timer = 0;
    box.setAttribute("role", "combobox");
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-controls", list.id);
    box.setAttribute("aria-expanded", "false");

    const choose = function (index) {
      active = index;
      options.forEach(function (option, i) { option.setAttribute("aria-selected", String(i === index)); });
      if (index >= 0) {
        box.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        box.removeAttribute("aria-activedescendant");
      }
    };
    const close = function () {
      list.hidden = true;
      box.setAttribute("aria-expanded", "false");
      choose(-1);
    };
    const open = function () {
      if (!options.length) return;
      list.hidden = false;
      box.setAttribute("aria-expanded", "true");
    };
    const search = function (text) {
      box.value = text;
      close();
      form.requestSubmit();
    };
    const show = function (words) {
      list.replaceChildren();
      options = words.map(function (text, i) {
        const option = document.createElement("li");
        option.id = "q-suggestion-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.textContent = text;
        // mousedown would move the focus away from the box before the click lands.
        option.addEventListener("mousedown", function (event) { event.preventDefault(); });
        option.addEventListener("click", function () { search(text); });
        list.appendChild(option);
        return option;
      });
      choose(-1);
      if (status) status.textContent = options.length ? options.length + " suggestions, use the arrow keys" : "";
      if (options.length && document.activeElement === box) open(); else close();
    };
    const fetchSuggestions = function () {
      const text = box.value;
      if (pending) pending.abort();
      if (!text.trim()) { show([]); return; }
      pending = new AbortController();
      fetch(box.dataset.suggest + "?q=" + encodeURIComponent(text), { signal: pending.signal })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (words) { if (box.value === text) show(words); })
        .catch(function () { /* aborted or offline: the plain box still works */ });
    };

    box.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, 120);
    });
    box.addEventListener("keydown", function (event) {
      const expanded = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!options.length) return;
        event.preventDefault();
        if (!expanded) { open(); if (event.altKey) return; }
        // Down from the last option and up from the first wrap around, as in the APG's example.
        const n = options.length;
        choose(event.key === "ArrowDown" ? (active + 1) % n : (active <= 0 ? n : active) - 1);
      } else if (event.key === "Enter" && expanded && active >= 0) {
        event.preventDefault();
        search(options[active].textContent);
      } else if (event.key === "Escape" && expanded) {
        event.preventDefault();
        close();
      }
    });
    box.addEventListener("blur", close);
  }

  // Copy buttons (citations, a feed's address): hidden without script, where the text is there to select.
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.hidden = false;
    button.addEventListener("click", function () {
      const source = document.getElementById(button.dataset.copy);
      const region = button.closest("section, article");
      const status = region && region.querySelector(".copy-status");
      if (!source || !navigator.clipboard) return;
      navigator.clipboard.writeText((source.value || source.innerText).trim()).then(function () {
        button.firstChild.textContent = "Copied";
        if (status) status.textContent = "Copied to the clipboard.";
        window.setTimeout(function () { button.firstChild.textContent = "Copy"; }, 2000);
      });
    });
  }
})();
