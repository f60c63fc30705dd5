// Progressive enhancement; every page works without it. No inline scripts: the pages
// carry data-* attributes, this file gives them behaviour.
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  // The left menu folds away on narrow screens behind a Menu button.
  var toggle = document.querySelector(".menu-toggle");
  var menu = document.getElementById("menu");
  if (toggle && menu) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = menu.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) {
        var first = menu.querySelector("a");
        if (first) first.focus();
      }
    });
  }

  // Invite User: Enter in an email field adds another field instead of submitting,
  // as the seed describes ("enter a user's email address and press ENTER").
  var list = document.getElementById("email-list");
  if (list) {
    var count = list.querySelectorAll("input").length;
    list.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.target.tagName !== "INPUT") return;
      event.preventDefault();
      if (!event.target.value.trim()) return;
      var id = "emails-" + count++;
      var label = document.createElement("label");
      label.className = "sr-only";
      label.htmlFor = id;
      label.textContent = "Email address " + count;
      var input = document.createElement("input");
      input.type = "text";
      input.inputMode = "email";
      input.name = "emails";
      input.id = id;
      input.setAttribute("aria-describedby", "emails-hint");
      list.appendChild(label);
      list.appendChild(input);
      input.focus();
      showPending();
    });
    list.addEventListener("input", showPending);
  }

  // Invite User: say, as an address is typed, that it already has a pending invitation
  // (whose roles the new ones are merged into, unless Replace is chosen).
  function showPending() {
    var note = document.getElementById("pending-note");
    var table = document.getElementById("pending");
    if (!note || !table || !list) return;
    var pending = {};
    table.querySelectorAll("tr[data-email]").forEach(function (row) {
      pending[row.getAttribute("data-email")] = row.getAttribute("data-roles");
    });
    var found = [];
    list.querySelectorAll("input").forEach(function (input) {
      input.value.split(/[\s,;]+/).forEach(function (part) {
        var key = part.trim().toLowerCase();
        if (key && pending[key] !== undefined) found.push(part.trim() + " (" + pending[key] + ")");
      });
    });
    note.textContent = found.length
      ? "Already invited, pending: " + found.join("; ") + ". See below for what happens to these roles."
      : "";
  }

  // Forms that change access or delete something ask first (data-confirm holds the
  // question). The server asks too when the form arrives unconfirmed (no script).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.querySelector("input[name=confirmed]")) return;
      var question = form.getAttribute("data-confirm");
      var raises = form.getAttribute("data-raises");
      if (raises) {
        var select = form.querySelector("select");
        var chosen = select ? select.value : "";
        if (raises.split("|").indexOf(chosen) < 0) return; // not a raise: no question
        question = question.replace("{role}", select.options[select.selectedIndex].text);
      }
      if (!window.confirm(question)) {
        event.preventDefault();
        return;
      }
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = "confirmed";
      field.value = "yes";
      form.appendChild(field);
    });
  });

  // Slow actions say they are under way: the button is disabled and relabelled once
  // the form is on its way (not before: a disabled button would not be sent).
  document.querySelectorAll("button[data-busy]").forEach(function (button) {
    if (!button.form) return;
    button.form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;
      window.setTimeout(function () {
        button.disabled = true;
        button.textContent = button.getAttribute("data-busy");
      }, 0);
    });
  });

  // After a change the page comes back at the control that made it: keep the focus there.
  if (window.location.hash.length > 1) {
    var target = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
    if (target && typeof target.focus === "function") target.focus();
  }

  // Tab bars that do not fit scroll sideways; a fade says more follows.
  document.querySelectorAll(".tabs, .subtabs").forEach(function (bar) {
    function mark() {
      var more = bar.scrollWidth > bar.clientWidth + 1;
      bar.classList.toggle("more", more);
      bar.classList.toggle("at-end", more && bar.scrollLeft + bar.clientWidth >= bar.scrollWidth - 1);
    }
    var current = bar.querySelector("[aria-current]");
    if (current && bar.scrollWidth > bar.clientWidth) {
      bar.scrollLeft = current.offsetLeft - bar.clientWidth / 3;
    }
    mark();
    bar.addEventListener("scroll", mark, { passive: true });
    window.addEventListener("resize", mark);
  });

  // A table wider than the screen scrolls in its own box, reachable by keyboard.
  var scrollers = 0;
  function enhanceTables(root) {
    root.querySelectorAll("table").forEach(function (table) {
      if (table.closest(".table-scroll") || table.classList.contains("cards")) return;
      var box = document.createElement("div");
      box.className = "table-scroll";
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    });
    root.querySelectorAll(".table-scroll").forEach(function (box) {
      var overflows = box.scrollWidth > box.clientWidth + 1;
      if (overflows && !box.hasAttribute("tabindex")) {
        var section = box.closest("section");
        var heading = section ? section.querySelector("h2, h1") : null;
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (heading ? heading.textContent.trim() : "Table " + ++scrollers) + " (scrolls sideways)");
      }
    });
  }
  var main = document.getElementById("main");
  if (main) {
    enhanceTables(main);
    window.addEventListener("resize", function () { enhanceTables(main); });
  }

  // Live status: an element with data-live polls its URL for a fresh copy of itself
  // while what it shows is still changing, and stops once it is settled.
  document.querySelectorAll("[data-live]").forEach(function (region) {
    var url = region.getAttribute("data-live");
    var every = parseInt(region.getAttribute("data-every") || "2000", 10);
    function poll() {
      if (region.getAttribute("data-settled") === "true") return;
      fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.text();
        })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.firstElementChild;
          if (!fresh) return;
          var before = region.getAttribute("data-status");
          region.innerHTML = fresh.innerHTML;
          enhanceTables(region);
          region.setAttribute("data-settled", fresh.getAttribute("data-settled") || "false");
          var status = fresh.getAttribute("data-status");
          region.setAttribute("data-status", status || "");
          var announcer = document.getElementById("live-status");
          if (announcer && status && status !== before) announcer.textContent = "Status: " + status;
          if (region.getAttribute("data-settled") === "true") {
            document.dispatchEvent(new CustomEvent("spacegate:settled", { detail: region }));
          } else {
            window.setTimeout(poll, every);
          }
        })
        .catch(function () { window.setTimeout(poll, every * 2); });
    }
    window.setTimeout(poll, every);
  });
})();
