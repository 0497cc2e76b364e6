// Progressive help for the reply form: a live counter of what is left for the channel's limit and
// a clipping picker that inserts the clipping. The server checks everything again; without this
// script, choosing a clipping and sending an empty reply sends the clipping.
(function () {
  "use strict";

  // What the server counts: the body as the form cleans it (newlines as "\n", stripped like Python's
  // str.strip()), X's weighted length by x-counting.js (the server's algorithm and tables), and code
  // points after NFC for the other platforms.
  var SPACE = /[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
  function strip(text) {
    var start = 0, end = text.length;
    while (start < end && SPACE.test(text[start])) start++;
    while (end > start && SPACE.test(text[end - 1])) end--;
    return text.slice(start, end);
  }
  function replyLength(platform, text) {
    text = strip(text.replace(/\r\n?/g, "\n"));
    return platform === "x" ? window.XCounting.weightedLength(text) : Array.from(text.normalize("NFC")).length;
  }
  // gettext, ngettext and interpolate come from the portal's JavaScript catalog (/jsi18n/), loaded before this file.
  function counterText(left) {
    var count = Math.abs(left);
    var format = left >= 0
      ? ngettext("%(count)s character left", "%(count)s characters left", count)
      : ngettext("%(count)s character over the limit", "%(count)s characters over the limit", count);
    return interpolate(format, {count: count}, true);
  }

  document.querySelectorAll("textarea.reply-body").forEach(function (area) {
    var platform = area.dataset.replyPlatform, limit = parseInt(area.dataset.replyLimit, 10);
    var counter = document.createElement("div");
    counter.className = "reply-counter form-text";
    counter.id = area.id + "-counter";
    counter.setAttribute("aria-live", "polite");
    area.insertAdjacentElement("afterend", counter);
    area.setAttribute("aria-describedby", ((area.getAttribute("aria-describedby") || "") + " " + counter.id).trim());
    function update() {
      var left = limit - replyLength(platform, area.value);
      counter.textContent = counterText(left);
      counter.classList.toggle("over", left < 0);
    }
    area.addEventListener("input", update);
    update();

    var picker = area.form && area.form.querySelector("select.clipping-picker");
    var bodies = document.getElementById("clipping-bodies");
    if (picker && bodies) {
      // Each clipping's texts, the customer's language first, then English: the first is inserted, and the note
      // under the picker says which one it is and offers the other.
      var texts = JSON.parse(bodies.textContent);
      var note = document.createElement("div");
      note.className = "clipping-language form-text";
      note.setAttribute("aria-live", "polite");
      picker.insertAdjacentElement("afterend", note);
      var insert = function (versions, index) {
        area.value = versions[index].body;
        update();
        note.textContent = interpolate(gettext("Inserted: the %(language)s text."), {language: versions[index].language}, true);
        versions.forEach(function (version, other) {
          if (other === index) return;
          var button = document.createElement("button");
          button.type = "button";
          button.className = "btn btn-link btn-sm p-0 ms-2 align-baseline";
          button.textContent = interpolate(gettext("Insert the %(language)s text instead"), {language: version.language}, true);
          button.addEventListener("click", function () { insert(versions, other); });
          note.appendChild(button);
        });
        area.focus();
      };
      picker.addEventListener("change", function () {
        note.textContent = "";
        if (texts[picker.value] !== undefined) insert(texts[picker.value], 0);
      });
    }
  });
})();
