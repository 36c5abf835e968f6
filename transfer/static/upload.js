// mugai upload page: drag and drop, one XMLHttpRequest per file with a
// progress bar, then the state and report of each file, polled once a
// second until every file is finished. Text is set with textContent only.
"use strict";
(function () {
  var box = document.getElementById("uploader");
  var csrf = box.dataset.csrf;
  var maxFiles = parseInt(box.dataset.maxFiles, 10);
  var maxBytes = parseInt(box.dataset.maxBytes, 10);
  var list = document.getElementById("items");
  var errBox = document.getElementById("upload-error");
  var input = document.getElementById("files");
  var zone = document.getElementById("dropzone");
  var pending = {};   // local uploads not yet known to the server, by key
  var timer = null;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function showError(msg) {
    errBox.textContent = msg;
    errBox.hidden = !msg;
  }

  function send(files) {
    showError("");
    if (files.length > maxFiles) { showError(box.dataset.errCount); return; }
    var purpose = document.getElementById("purpose");
    if (purpose.required && !purpose.value.trim()) { showError(box.dataset.errPurpose); purpose.focus(); return; }
    for (var i = 0; i < files.length; i++) {
      if (files[i].size > maxBytes) { showError(box.dataset.errSize + " (" + files[i].name + ")"); return; }
    }
    for (var j = 0; j < files.length; j++) uploadOne(files[j]);
  }

  function uploadOne(file) {
    var key = "local-" + Math.random().toString(36).slice(2);
    var li = el("li", "item uploading");
    li.id = key;
    var row = el("div", "row");
    row.appendChild(el("span", "name", file.name));
    var bar = el("progress");
    bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    row.appendChild(bar);
    var st = el("span", "badge received", "0%");
    row.appendChild(st);
    li.appendChild(row);
    list.insertBefore(li, list.firstChild);
    pending[key] = li;

    var fd = new FormData();
    fd.append("to", document.getElementById("to").value);
    fd.append("purpose", document.getElementById("purpose").value);
    fd.append("file", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/upload");
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        var p = Math.floor(100 * e.loaded / e.total);
        bar.value = p; st.textContent = p + "%";
      }
    };
    xhr.onload = function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
      if (xhr.status === 202 && body.items && body.items.length) {
        delete pending[key];
        if (document.getElementById("item-" + body.items[0].id)) {
          // The status poll already shows this file.
          li.remove();
          poll();
          return;
        }
        li.id = "item-" + body.items[0].id;
        bar.value = 100;
        st.textContent = box.dataset.stateReceived;
        poll();
      } else {
        fail(li, st, body.error || box.dataset.errInternal);
      }
    };
    xhr.onerror = function () { fail(li, st, box.dataset.errInternal); };
    xhr.send(fd);
  }

  function fail(li, st, msg) {
    st.className = "badge error";
    st.textContent = "×";
    li.appendChild(el("p", "error", msg));
    li.setAttribute("data-failed", "1");
    var k = li.id; delete pending[k];
  }

  function render(items) {
    var unfinished = false;
    items.slice().reverse().forEach(function (it) {
      var li = document.getElementById("item-" + it.id);
      if (!li) {
        li = el("li", "item");
        li.id = "item-" + it.id;
        list.insertBefore(li, list.firstChild);
      }
      if (li.dataset.sig === JSON.stringify(it)) { if (!it.final) unfinished = true; return; }
      li.dataset.sig = JSON.stringify(it);
      li.dataset.state = it.state;
      li.className = "item";
      li.textContent = "";
      var row = el("div", "row");
      row.appendChild(el("span", "name", it.name));
      row.appendChild(el("span", "meta", it.size));
      var badge = el("span", "badge " + it.state, it.label);
      badge.setAttribute("role", "status");
      row.appendChild(badge);
      if (it.approval) row.appendChild(el("span", "badge", it.approval));
      if (it.outputs && it.outputs.length) row.appendChild(el("span", "meta", "⇒ " + it.outputs.join(", ")));
      if (it.recipients && it.recipients.length) row.appendChild(el("span", "meta", "→ " + it.recipients.join(", ")));
      li.appendChild(row);
      if (it.report && it.report.length) {
        var ul = el("ul", "report");
        it.report.forEach(function (line) { ul.appendChild(el("li", "", line)); });
        li.appendChild(ul);
      }
      if (it.next) li.appendChild(el("p", "next", it.next));
      if (it.password_note) li.appendChild(el("p", it.needs_password ? "error" : "notice", it.password_note));
      if (it.needs_password) li.appendChild(unlockForm(it));
      if (!it.final) unfinished = true;
    });
    if (!items.length && !list.children.length) list.appendChild(el("li", "item empty", box.dataset.noItems));
    else { var e = list.querySelector(".empty"); if (e && items.length) e.remove(); }
    if (unfinished || Object.keys(pending).length) schedule();
  }

  function unlockForm(it) {
    var f = el("form", "unlock");
    var d = el("div");
    var id = "pw-" + it.id;
    var lab = el("label", "", box.dataset.unlockLabel);
    lab.htmlFor = id;
    var pw = el("input");
    pw.type = "password"; pw.id = id; pw.name = "password"; pw.autocomplete = "off"; pw.required = true;
    d.appendChild(lab); d.appendChild(pw);
    f.appendChild(d);
    f.appendChild(el("button", "", box.dataset.unlock));
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = new URLSearchParams();
      body.append("password", pw.value);
      fetch("/items/" + encodeURIComponent(it.id) + "/password", {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" }, body: body
      }).then(function (r) {
        pw.value = "";
        if (r.ok) { poll(); return; }
        return r.json().then(function (b) { f.appendChild(el("p", "error", b.error || box.dataset.errInternal)); });
      }).catch(function () { f.appendChild(el("p", "error", box.dataset.errInternal)); });
    });
    return f;
  }

  function schedule() {
    if (timer) return;
    timer = setTimeout(function () { timer = null; poll(); }, 1000);
  }

  function poll() {
    fetch("/api/items", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (b) { render(b.items || []); })
      .catch(function () { schedule(); });
  }

  input.addEventListener("change", function () { send(input.files); input.value = ""; });
  ["dragenter", "dragover"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) { if (e.dataTransfer && e.dataTransfer.files) send(e.dataTransfer.files); });
  poll();
})();
