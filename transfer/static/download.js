// mugai download page: ask before deleting, and tick or untick every
// file for the zip at once. Rows come and go with the live list, so the
// handlers listen on the document.
"use strict";
(function () {
  var table = document.querySelector("table.files");
  if (!table) return;
  var question = table.getAttribute("data-confirm");
  document.addEventListener("submit", function (e) {
    if (e.target.matches("form.delete") && !window.confirm(question)) e.preventDefault();
  });
  var all = document.getElementById("pick-all");
  all.hidden = false;
  all.addEventListener("change", function () {
    table.querySelectorAll('input[name="f"]').forEach(function (c) { c.checked = all.checked; });
  });
})();
