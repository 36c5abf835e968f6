// mugai upload page: drag and drop, one XMLHttpRequest per file with a
// progress bar; the state and report of each file then come from the
// live list (live.js). Text is set with textContent only.
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
    var li = el("li", "item uploading");
    li.setAttribute("data-local", "");
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
    document.getElementById("list-empty").hidden = true;

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
        var id = "item-" + body.items[0].id;
        if (document.getElementById(id)) { li.remove(); return; } // the live list already shows it
        li.id = id;
        bar.value = 100;
        st.textContent = box.dataset.stateReceived;
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
  }

  // The password of a held file: sent in the background, the live list
  // then shows the item being sanitized again; a refusal shows under
  // the form.
  list.addEventListener("submit", function (e) {
    var f = e.target;
    if (!f.matches("form.unlock")) return;
    e.preventDefault();
    var pw = f.querySelector('input[type="password"]');
    var body = new URLSearchParams();
    body.append("password", pw.value);
    function refused(msg) {
      var p = f.querySelector("p.error") || f.appendChild(el("p", "error"));
      p.setAttribute("role", "alert");
      p.textContent = msg;
    }
    fetch(f.getAttribute("action"), {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" }, body: body
    }).then(function (r) {
      pw.value = "";
      if (r.ok) return;
      return r.json().then(function (b) { refused(b.error || box.dataset.errInternal); });
    }).catch(function () { refused(box.dataset.errInternal); });
  });

  input.addEventListener("change", function () { send(input.files); input.value = ""; });
  ["dragenter", "dragover"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) { if (e.dataTransfer && e.dataTransfer.files) send(e.dataTransfer.files); });
})();
