// The conversation page, as agents work in it all day (issue 17). Static, no inline script (the CSP allows none):
// the texts come translated in data- attributes of the page.
//  - Clipping picker: the arrow keys browse the clippings (a preview shows the text); Enter, or the Insert button,
//    puts the chosen one in the reply box. Without this script, choosing a clipping and sending an empty reply
//    sends the clipping (queues/forms.py).
//  - Collision notice: every few seconds the page asks queues/presence.py whether the conversation changed since it
//    was drawn and who is writing in it, and says so. Without it, the version check still refuses a stale action.
(function () {
  "use strict";

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // The clipping picker.
  var bodies = document.getElementById("clipping-bodies");
  var texts = bodies ? JSON.parse(bodies.textContent) : {};
  document.querySelectorAll("select.clipping-picker").forEach(function (picker) {
    var area = picker.form && picker.form.querySelector("textarea.reply-body");
    if (!area) return;
    var row = document.createElement("div");
    row.className = "d-flex gap-2 mt-2 align-items-start";
    var insert = document.createElement("button");
    insert.type = "button";
    insert.className = "btn btn-outline-secondary btn-sm clipping-insert";
    insert.id = picker.id + "-insert";
    insert.textContent = picker.dataset.insertLabel || "Insert";
    insert.disabled = true;
    var preview = document.createElement("div");
    preview.className = "form-text clipping-preview flex-grow-1";
    preview.id = picker.id + "-preview";
    row.appendChild(insert);
    row.appendChild(preview);
    picker.insertAdjacentElement("afterend", row);
    picker.setAttribute("aria-describedby", ((picker.getAttribute("aria-describedby") || "") + " " + preview.id).trim());

    // Each clipping's texts, the customer's language first, then English (queues/views.py): the first is the one
    // previewed and inserted; the note under the picker says which it is and offers the others.
    var note = document.createElement("div");
    note.className = "clipping-language form-text";
    note.setAttribute("aria-live", "polite");
    row.insertAdjacentElement("afterend", note);

    function show() {
      var versions = texts[picker.value];
      preview.textContent = versions === undefined ? "" : versions[0].body;
      insert.disabled = versions === undefined;
    }
    function choose(index) {
      var versions = texts[picker.value];
      if (versions === undefined) return;
      index = typeof index === "number" ? index : 0;
      area.value = versions[index].body;
      area.dispatchEvent(new Event("input", { bubbles: true })); // the counter follows
      note.textContent = interpolate(gettext("Inserted: the %(language)s text."), { language: versions[index].language }, true);
      versions.forEach(function (version, other) {
        if (other === index) return;
        var button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-link btn-sm p-0 ms-2 align-baseline";
        button.textContent = interpolate(gettext("Insert the %(language)s text instead"), { language: version.language }, true);
        button.addEventListener("click", function () { choose(other); });
        note.appendChild(button);
      });
      area.focus();
    }
    picker.addEventListener("change", function () { note.textContent = ""; show(); });
    picker.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault(); // Enter chooses; it does not send the form
        choose(0);
      }
    });
    insert.addEventListener("click", function () { choose(0); });
    show();
  });

  // The collision notice.
  var notice = document.getElementById("collision-notice");
  if (!notice) return;
  var url = notice.dataset.presenceUrl;
  var version = notice.dataset.version;
  var every = parseInt(notice.dataset.everyMs || "10000", 10);
  var lastPing = 0;

  function say(change, typing) {
    notice.textContent = "";
    if (change) {
      var text = document.createElement("span");
      text.textContent = notice.dataset.changedText + " " + change + " ";
      var reload = document.createElement("a");
      reload.href = window.location.pathname;
      reload.className = "alert-link";
      reload.textContent = notice.dataset.reloadText;
      notice.appendChild(text);
      notice.appendChild(reload);
    }
    if (typing.length) {
      var who = document.createElement("div");
      who.className = "typing";
      who.textContent = typing.join(" · ");
      notice.appendChild(who);
    }
    notice.classList.toggle("d-none", !change && !typing.length);
  }

  function poll() {
    if (!document.hidden) {
      fetch(url + "?version=" + encodeURIComponent(version), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) { if (answer) say(answer.changed ? answer.change : "", answer.typing || []); })
        .catch(function () {});
    }
    window.setTimeout(poll, every);
  }
  window.setTimeout(poll, every);

  function writing(what) {
    return function () {
      var now = Date.now();
      if (now - lastPing < every) return;
      lastPing = now;
      var body = new URLSearchParams({ what: what });
      fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() } })
        .catch(function () {});
    };
  }
  document.querySelectorAll("textarea.reply-body").forEach(function (a) { a.addEventListener("input", writing("reply")); });
  document.querySelectorAll("textarea.note-body").forEach(function (a) { a.addEventListener("input", writing("note")); });
})();
