// Small progressive enhancements; every action also works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Warn before leaving a form with unsaved changes.
  document.querySelectorAll("form[data-warn-unsaved]").forEach(function (form) {
    var dirty = false;
    var note = form.querySelector("[data-unsaved-note]");
    form.addEventListener("input", function () {
      dirty = true;
      if (note) note.hidden = false;
    });
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) { event.preventDefault(); event.returnValue = ""; }
    });
  });

  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var input = document.querySelector(copy.getAttribute("data-copy"));
      input.select();
      var done = function () { copy.textContent = "Copied"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
      } else { document.execCommand("copy"); done(); }
    }
    if (event.target.closest("[data-print]")) window.print();
  });
  document.querySelectorAll("[data-print]").forEach(function (b) { b.hidden = false; });
  document.addEventListener("focusin", function (event) {
    if (event.target.matches("[data-select-on-focus]")) event.target.select();
  });

  // On a phone the outline starts folded, so the form comes first.
  if (window.matchMedia("(max-width: 820px)").matches) {
    document.querySelectorAll("details[data-fold-narrow]").forEach(function (d) { d.open = false; });
  }

  // Write / Preview tabs of a Markdown field (the preview is fetched by htmx, rendered
  // and sanitised by the server).
  function showTab(tab) {
    var editor = tab.closest("[data-md-editor]");
    editor.querySelectorAll("[data-md-tab]").forEach(function (other) {
      var selected = other === tab;
      other.setAttribute("aria-selected", selected ? "true" : "false");
      other.tabIndex = selected ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
    });
  }
  document.addEventListener("click", function (event) {
    var tab = event.target.closest("[data-md-tab]");
    if (tab) showTab(tab);
    // An outline link opens the section it jumps to.
    var link = event.target.closest("a[data-open-section]");
    if (link) {
      var section = document.querySelector(link.getAttribute("href"));
      if (section) section.open = true;
    }
  });
  document.addEventListener("keydown", function (event) {
    var tab = event.target.closest && event.target.closest("[data-md-tab]");
    if (!tab || (event.key !== "ArrowLeft" && event.key !== "ArrowRight")) return;
    var tabs = Array.prototype.slice.call(tab.parentNode.querySelectorAll("[data-md-tab]"));
    var next = tabs[(tabs.indexOf(tab) + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
    next.focus();
    next.click();
  });

  // In the timeline's one-line entry, Enter adds (Shift+Enter is a new line).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    if (!event.target.matches || !event.target.matches("textarea[data-enter-submits]")) return;
    event.preventDefault();
    event.target.form.requestSubmit();
  });

  // A due date in the past is flagged as it is entered.
  document.addEventListener("input", function (event) {
    if (!event.target.matches("input[data-flag-past]")) return;
    var note = event.target.parentNode.querySelector("[data-past-note]");
    if (!note) {
      note = document.createElement("p");
      note.className = "field-warn";
      note.setAttribute("data-past-note", "");
      note.textContent = "This date is in the past.";
      // The icon is the server's inline SVG (base.html), never a symbol character.
      var icon = document.getElementById("icon-warning");
      if (icon) note.prepend(icon.content.cloneNode(true));
      event.target.insertAdjacentElement("afterend", note);
    }
    var today = new Date().toISOString().slice(0, 10);
    if (note) note.hidden = !(event.target.value && event.target.value < today);
  });

  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // A message about what just happened takes the focus, so it is seen and read out.
  // (On load: the browser's own jump to the page's #fragment comes first.)
  window.addEventListener("load", function () {
    var notice = document.querySelector("[data-autofocus]");
    if (notice) { notice.focus(); notice.scrollIntoView({ block: "center" }); }
  });

  // A list's new entry asks for the focus (autofocus, which htmx honours when it settles).
  // On a slow connection the person may already be typing in another field by then: the
  // entry then arrives without taking the focus, so no keystroke lands in it by surprise.
  document.addEventListener("htmx:afterSwap", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!source || source.getAttribute("name") !== "add-row") return;
    var active = document.activeElement;
    if (!active || active === source || active === document.body) return;
    event.detail.target.querySelectorAll("[autofocus]").forEach(function (field) {
      field.removeAttribute("autofocus");
    });
  });

  // After htmx replaces a list, put keyboard focus back somewhere sensible: the first
  // field of the add form when adding, otherwise the section's heading.
  document.addEventListener("htmx:afterSwap", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    var section = event.detail.target && document.getElementById(event.detail.target.id);
    if (!section || !section.matches("section")) return;
    // A refusal: focus the first field in error, or the message itself.
    var failed = section.querySelector("[aria-invalid=true], .has-error input, .has-error textarea, .has-error select")
      || section.querySelector(".form-error, .field-error");
    if (failed) {
      if (!failed.matches("input, textarea, select")) failed.setAttribute("tabindex", "-1");
      failed.focus();
      return;
    }
    // Events about to be added: show them, to be checked before adding.
    var shown = section.querySelector("[data-autofocus]");
    if (shown) { shown.focus(); shown.scrollIntoView({ block: "nearest" }); return; }
    var target = source && source.hasAttribute && source.hasAttribute("data-add-form")
      ? section.querySelector("[data-add-form] input:not([type=hidden]), [data-add-form] textarea")
      : section.querySelector("h2");
    if (target) target.focus();
  });
})();
