// Progressive help for the reply form: a live counter of what is left for the channel's limit. The server
// checks everything again. The clipping picker is in workspace.js.
(function () {
  "use strict";

  // Mirrors queues/reply_limits.py (twitter-text v3 weighting for X).
  var LIGHT = [[0x0000, 0x10ff], [0x2000, 0x200d], [0x2010, 0x201f], [0x2032, 0x2037]];
  var TLDS = "com|org|net|edu|gov|io|co|me|ly|app|dev|info|biz|tv|gl|gg|la|to|be|de|fr|es|it|nl|eu|uk|ca|au|" +
    "jp|cn|kr|ru|br|in|us|ch|at|se|no|fi|dk|pl|cz|pt|mx|ar|nz|ie";
  var URL_RE = new RegExp("(?:https?://[^\\s<>\"]+|www\\.[^\\s<>\"]+|\\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+(?:" +
    TLDS + ")\\b(?::\\d+)?(?:/[^\\s<>\"]*)?)", "giu");
  var TRAILING = ".,;:!?)]}'\"";
  var BASE = "(?:[\\u{1F1E6}-\\u{1F1FF}]{2}|[0-9#*]\\uFE0F?\\u20E3|[\\u00A9\\u00AE\\u203C\\u2049\\u2122\\u2139]\\uFE0F" +
    "|[\\u2190-\\u21FF\\u2300-\\u23FF\\u2460-\\u27BF\\u2900-\\u297F\\u2B00-\\u2BFF\\u3030\\u303D\\u3297\\u3299\\u{1F000}-\\u{1FAFF}])";
  var MODS = "(?:\\uFE0F|[\\u{1F3FB}-\\u{1F3FF}]|[\\u{E0020}-\\u{E007F}])*";
  var EMOJI_RE = new RegExp(BASE + MODS + "(?:\\u200D" + BASE + MODS + ")*", "gu");

  function weight(ch) {
    var code = ch.codePointAt(0);
    for (var i = 0; i < LIGHT.length; i++) {
      if (code >= LIGHT[i][0] && code <= LIGHT[i][1]) return 1;
    }
    return 2;
  }
  function plainWeight(text) {
    var length = 0, position = 0, match;
    EMOJI_RE.lastIndex = 0;
    while ((match = EMOJI_RE.exec(text)) !== null) {
      Array.from(text.slice(position, match.index)).forEach(function (c) { length += weight(c); });
      length += 2;
      position = match.index + match[0].length;
    }
    Array.from(text.slice(position)).forEach(function (c) { length += weight(c); });
    return length;
  }
  function xLength(text) {
    text = text.normalize("NFC");
    var length = 0, position = 0, match;
    URL_RE.lastIndex = 0;
    while ((match = URL_RE.exec(text)) !== null) {
      var end = match.index + match[0].length;
      while (end > match.index && TRAILING.indexOf(text[end - 1]) !== -1) end--;
      length += plainWeight(text.slice(position, match.index)) + 23;
      position = end;
    }
    return length + plainWeight(text.slice(position));
  }
  function replyLength(platform, text) {
    return platform === "x" ? xLength(text) : Array.from(text.normalize("NFC")).length;
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
      counter.textContent = left >= 0 ? left + " characters left" : -left + " characters over the limit";
      counter.classList.toggle("over", left < 0);
    }
    area.addEventListener("input", update);
    update();
  });
})();
