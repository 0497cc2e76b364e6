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
  function counterText(left) {
    var count = Math.abs(left), unit = count === 1 ? " character" : " characters";
    return left >= 0 ? count + unit + " left" : count + unit + " over the limit";
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
      var texts = JSON.parse(bodies.textContent);
      picker.addEventListener("change", function () {
        if (texts[picker.value] !== undefined) {
          area.value = texts[picker.value];
          update();
          area.focus();
        }
      });
    }
  });
})();
