// Progressive help for the reply form: a live counter of what is left for the channel's limit. The server
// checks everything again. The clipping picker is in workspace.js.
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
  });
})();
