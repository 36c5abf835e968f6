// mugai list pages: follow the list by server-sent events. The page's
// own search (its query string) opens /events; each "list" event brings
// the rows that changed, rendered by the server as the page renders
// them, and the order of every row. Without JavaScript, or once the
// stream ends, the reload link stays. Rows made here (uploads in
// progress) carry data-local and stay on top until the server's row
// replaces them.
"use strict";
(function () {
  var list = document.querySelector("[data-live]");
  if (!list || !window.EventSource) return;
  var reload = document.getElementById("live-reload");
  var on = document.getElementById("live-on");
  var count = document.getElementById("list-count");
  var empty = document.getElementById("list-empty");

  function parse(html) {
    var t = document.createElement("template");
    t.innerHTML = html;
    return t.content.firstElementChild;
  }
  function rows() {
    return Array.prototype.filter.call(list.children, function (e) { return /^item-/.test(e.id) && !e.hasAttribute("data-local"); });
  }
  function live(yes) {
    on.hidden = !yes;
    reload.hidden = yes;
  }

  function apply(ev) {
    (ev.rows || []).forEach(function (r) {
      var old = document.getElementById("item-" + r.id);
      if (old && old.dataset.sig === r.sig) return;
      var row = parse(r.html);
      if (!old) { list.appendChild(row); return; }
      // Keep what the user is typing in a row that is replaced.
      var focused = old.contains(document.activeElement) ? document.activeElement.id : "";
      old.replaceWith(row);
      if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
    });
    var want = {};
    ev.order.forEach(function (id) { want["item-" + id] = true; });
    rows().forEach(function (e) { if (!want[e.id]) e.remove(); });
    var next = rows()[0] || null;
    ev.order.forEach(function (id) {
      var e = document.getElementById("item-" + id);
      if (!e || e.parentNode !== list || e.hasAttribute("data-local")) return;
      if (e === next) next = e.nextElementSibling;
      else list.insertBefore(e, next);
    });
    count.textContent = ev.count;
    empty.hidden = ev.order.length > 0 || list.querySelector("[data-local]") !== null;
  }

  var es = new EventSource("/events" + location.search);
  es.onopen = function () { live(true); };
  es.onerror = function () { live(false); };
  es.addEventListener("list", function (e) { live(true); apply(JSON.parse(e.data)); });
  es.addEventListener("end", function () { es.close(); live(false); });
  window.addEventListener("pagehide", function () { es.close(); });
})();
