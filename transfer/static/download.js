// mugai download page: ask before deleting.
"use strict";
(function () {
  var table = document.querySelector("table.files");
  if (!table) return;
  var question = table.getAttribute("data-confirm");
  table.querySelectorAll("form.delete").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(question)) e.preventDefault();
    });
  });
})();
