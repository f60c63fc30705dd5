// A little progressive enhancement; every page works without it.
(function () {
  "use strict";

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
    });
  }

  // Role pickers submit on change; their button stays for keyboard and no-JS users.
  document.querySelectorAll("form.autosubmit select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
