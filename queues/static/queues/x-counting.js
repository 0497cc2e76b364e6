// X's weighted length of a text, for the live counter: the algorithm of queues/platforms/x/counting.py
// (read its docstring for the rules), step for step, over the same tables (x-text-data.js), so that the
// browser and the server agree to the character. Linear in the text: loops over code points, and no
// pattern that can backtrack over more than a few characters.
(function (root) {
  "use strict";

  var DATA = root.X_TEXT_DATA, CONFIG = DATA.config;
  var MAX_INPUT = 10000; // counting.MAX_INPUT
  var MAX_URL_LENGTH = 4096, MAX_LABEL_LENGTH = 63, MAX_TCO_SLUG = 40;
  var TLDS = new Set(DATA.tlds), TLD_PREFIXES = new Set();
  DATA.tlds.forEach(function (tld) {
    var chars = Array.from(tld);
    for (var i = 1; i <= chars.length; i++) TLD_PREFIXES.add(chars.slice(0, i).join(""));
  });
  var EMOJI = new RegExp(DATA.emoji, "gu");

  var LATIN = "\\u00c0-\\u00d6\\u00d8-\\u00f6\\u00f8-\\u00ff\\u0100-\\u024f\\u0253\\u0254\\u0256\\u0257\\u0259" +
    "\\u025b\\u0263\\u0268\\u026f\\u0272\\u0289\\u028b\\u02bb\\u0300-\\u036f\\u1e00-\\u1eff";
  var CYRILLIC = "\\u0400-\\u04ff";
  function oneOf(cls) {
    var re = new RegExp("^[" + cls + "]$", "u");
    return function (ch) { return ch !== undefined && re.test(ch); };
  }
  var isLabelChar = oneOf("a-z0-9" + LATIN + "_\\-");
  var isDomainChar = oneOf("a-z0-9" + LATIN);
  var isPathChar = oneOf("a-z0-9!*';:=+,.$/%#\\[\\]\\-\\u2013_~|&@" + LATIN + CYRILLIC);
  var isPathEnd = oneOf("a-z0-9=_#/\\-+" + LATIN + CYRILLIC);
  var isQueryChar = oneOf("a-z0-9!?*'();:&=+$/%#\\[\\]\\-_.,~|@");
  var isQueryEnd = oneOf("a-z0-9\\-_&=#/");
  var isBeforeUrlRefused = oneOf("a-z0-9@\\uff20$#\\uff03\\ufffe\\ufeff\\uffff");
  var isAfterTldRefused = oneOf("a-z0-9@+\\-");
  var isNotUnicodeLabel = oneOf("!\"#$%&'()*+,\\-./:;<=>?@\\[\\]^_`{|}~\\t\\n\\x0b\\x0c\\r \\u00a0\\u1680\\u3000\\u2000-\\u206f");
  var isAsciiDigit = oneOf("0-9"), isAsciiAlnum = oneOf("a-z0-9"), isPunycodeChar = oneOf("a-z0-9\\-");
  var PROTOCOLS = ["https://", "http://"];

  function weight(ch) {
    var code = ch.codePointAt(0);
    for (var i = 0; i < CONFIG.ranges.length; i++) {
      var range = CONFIG.ranges[i];
      if (code >= range.start && code <= range.end) return range.weight;
    }
    return CONFIG.defaultWeight;
  }

  function startsWith(chars, word, at) {
    for (var i = 0; i < word.length; i++) if (chars[at + i] !== word[i]) return false;
    return true;
  }

  // One scan over a text's code points (chars: as written; low: ASCII letters lowered), as counting._UrlScanner.
  function Scanner(chars) {
    this.chars = chars;
    this.low = chars.map(function (ch) { return ch >= "A" && ch <= "Z" ? ch.toLowerCase() : ch; });
    this.size = chars.length;
    this.runOf = new Int32Array(this.size).fill(-1); // the run a position is in
    this.runStarts = []; this.runEnds = []; this.runUnderscore = []; this.runDotted = [];
    this.runAt = new Map(); this.tldCache = new Map();
    var low = this.low, i = 0, run;
    while (i < this.size) {
      if (!isLabelChar(low[i])) { i++; continue; }
      var start = i, underscore = -1;
      while (i < this.size && isLabelChar(low[i])) { if (low[i] === "_") underscore = i; i++; }
      run = this.runStarts.length;
      for (var j = start; j < i; j++) this.runOf[j] = run;
      this.runStarts.push(start); this.runEnds.push(i); this.runUnderscore.push(underscore);
      this.runDotted.push(low[i] === "." && isDomainChar(low[i - 1]));
      this.runAt.set(start, run);
    }
    this.lastGood = new Array(this.runStarts.length).fill(null);
    for (run = this.runStarts.length - 1; run >= 0; run--) {
      var runStart = this.runStarts[run], end = this.runEnds[run];
      if (!this.label(runStart, run)) continue;
      var following = this.runAt.get(end + 1);
      var later = following === undefined ? null : this.lastGood[following];
      if (later !== null) this.lastGood[run] = later;
      else if (this.runUnderscore[run] < runStart && this.tld(end + 1, true)) this.lastGood[run] = run;
    }
  }

  Scanner.prototype.label = function (start, run) {
    return this.runDotted[run] && isDomainChar(this.low[start]);
  };

  Scanner.prototype.spans = function () {
    var found = [], position = 0, low = this.low;
    while (position < this.size) {
      if (position > 0) {
        while (position < this.size && !this.mayPrecede(position)) position++;
        if (position >= this.size) break;
      }
      var attempts = isBeforeUrlRefused(low[position]) ? [] : [[position + 1, this.chars[position]]];
      if (position === 0) attempts.push([0, ""]);
      var match = null;
      for (var a = 0; a < attempts.length && match === null; a++) match = this.urlAt(attempts[a][0], attempts[a][1]);
      if (match === null) { position++; continue; }
      var span = this.accepted(match);
      if (span) found.push(span);
      position = match.end; // the search goes on after the match, accepted or not
    }
    return found;
  };

  Scanner.prototype.afterProtocol = function (at) {
    return (at >= 8 && startsWith(this.low, "https://", at - 8)) || (at >= 7 && startsWith(this.low, "http://", at - 7));
  };

  Scanner.prototype.mayPrecede = function (position) {
    var low = this.low;
    if (isBeforeUrlRefused(low[position])) return false;
    return isDomainChar(low[position + 1]) || (low[position] === "/" && this.afterProtocol(position + 1));
  };

  Scanner.prototype.urlAt = function (start, before) {
    for (var p = 0; p < PROTOCOLS.length; p++) {
      if (startsWith(this.low, PROTOCOLS[p], start)) {
        var hostStart = start + PROTOCOLS[p].length, hostEnd = this.host(hostStart, true);
        if (hostEnd !== null) {
          return { before: before, start: start, protocol: PROTOCOLS[p], hostStart: hostStart, hostEnd: hostEnd, end: this.rest(hostEnd) };
        }
      }
    }
    var end = this.host(start, this.afterProtocol(start));
    if (end === null) return null;
    return { before: before, start: start, protocol: "", hostStart: start, hostEnd: end, end: this.rest(end) };
  };

  Scanner.prototype.host = function (start, afterProtocol) {
    var low = this.low, run = start < this.size ? this.runOf[start] : -1, tld;
    if (run >= 0 && this.label(start, run)) {
      var end = this.runEnds[run], following = this.runAt.get(end + 1);
      var later = following === undefined ? null : this.lastGood[following];
      if (later !== null) {
        var tldStart = this.runEnds[later] + 1;
        return tldStart + this.tld(tldStart, true);
      }
      if (this.runUnderscore[run] < start && (tld = this.tld(end + 1, true))) return end + 1 + tld;
    }
    if (afterProtocol) { // one Unicode label and a top-level domain
      var stop = start;
      while (stop < this.size && (!isNotUnicodeLabel(low[stop]) || low[stop] === "-")) stop++;
      var dotted = start < stop && stop < this.size && low[stop] === ".";
      if (dotted && low[start] !== "-" && low[stop - 1] !== "-" && (tld = this.tld(stop + 1, false))) return stop + 1 + tld;
    }
    return null;
  };

  Scanner.prototype.tld = function (start, punycode) {
    var key = start * 2 + (punycode ? 1 : 0);
    if (!this.tldCache.has(key)) this.tldCache.set(key, this.findTld(start, punycode));
    return this.tldCache.get(key);
  };

  Scanner.prototype.findTld = function (start, punycode) {
    var low = this.low, found = 0, name = "";
    for (var after = start + 1; after <= this.size; after++) { // the longest name, walking a table of prefixes
      name += low[after - 1];
      if (!TLD_PREFIXES.has(name)) break;
      if (TLDS.has(name) && !isAfterTldRefused(low[after])) found = after - start;
    }
    if (found) return found;
    if (punycode && startsWith(low, "xn--", start)) {
      var end = start + 4;
      while (end < this.size && isPunycodeChar(low[end])) end++;
      return end > start + 4 ? end - start : 0;
    }
    return 0;
  };

  Scanner.prototype.queryEnd = function (position, limit) {
    var low = this.low, runEnd = position + 1;
    while (runEnd < limit && isQueryChar(low[runEnd])) runEnd++;
    for (var last = runEnd - 1; last > position; last--) if (isQueryEnd(low[last])) return last + 1;
    return position;
  };

  Scanner.prototype.rest = function (position) { // port, path and query after the host
    var low = this.low, size = this.size;
    if (low[position] === ":" && isAsciiDigit(low[position + 1])) {
      position++;
      while (position < size && isAsciiDigit(low[position])) position++;
    }
    if (low[position] === "/") position = this.path(position + 1);
    if (low[position] === "?") return this.queryEnd(position, size);
    return position;
  };

  Scanner.prototype.pathRun = function (position) {
    while (position < this.size && isPathChar(this.low[position])) position++;
    return position;
  };

  Scanner.prototype.path = function (start) {
    var best = start, position = start;
    for (;;) {
      var runEnd = this.pathRun(position);
      for (var last = runEnd - 1; last >= position; last--) {
        if (isPathEnd(this.low[last])) { best = last + 1; break; }
      }
      var parensEnd = this.parens(runEnd);
      if (parensEnd === null) return best;
      best = position = parensEnd;
    }
  };

  Scanner.prototype.parens = function (start) { // a balanced "(…)" with at most one nested pair
    var low = this.low;
    if (low[start] !== "(") return null;
    var inner = this.pathRun(start + 1);
    if (inner > start + 1 && low[inner] === ")") return inner + 1;
    if (low[inner] === "(") {
      var nested = this.pathRun(inner + 1);
      if (nested > inner + 1 && low[nested] === ")") {
        var tail = this.pathRun(nested + 1);
        if (low[tail] === ")") return tail + 1;
      }
    }
    return null;
  };

  Scanner.prototype.accepted = function (m) {
    if (!m.protocol && ["-", "_", ".", "/"].indexOf(m.before) !== -1) return null;
    var low = this.low, end = m.end;
    if (m.protocol && startsWith(low, "t.co/", m.hostStart)) {
      var slugStart = m.hostStart + 5, slugEnd = slugStart;
      while (slugEnd < end && isAsciiAlnum(low[slugEnd])) slugEnd++;
      if (slugEnd > slugStart) {
        if (slugEnd - slugStart > MAX_TCO_SLUG) return null;
        end = low[slugEnd] === "?" && slugEnd < end ? this.queryEnd(slugEnd, end) : slugEnd;
      }
    }
    var host = this.chars.slice(m.hostStart, m.hostEnd);
    var asciiHost = asciiHostLength(host);
    if (asciiHost === null) return null;
    var length = end - m.start - host.length + asciiHost + (m.protocol ? 0 : "https://".length);
    return length <= MAX_URL_LENGTH ? [m.start, end] : null;
  };

  // The host's length in punycode (RFC 3492), or null when a label is empty or over 63 characters.
  function asciiHostLength(host) {
    var total = 0, label = [];
    for (var i = 0; i <= host.length; i++) {
      if (i < host.length && host[i] !== ".") { label.push(host[i]); continue; }
      var length;
      if (label.every(function (ch) { return ch.codePointAt(0) < 0x80; })) length = label.length;
      else if (label.slice(0, 4).join("").toLowerCase() === "xn--") return null; // an encoded label cannot hold Unicode
      else length = "xn--".length + punycodeLength(label);
      if (length < 1 || length > MAX_LABEL_LENGTH) return null;
      total += length + (i < host.length ? 1 : 0);
      label = [];
    }
    return total;
  }

  function punycodeLength(label) { // the length of RFC 3492's encoding, as Python's "punycode" codec writes it
    var BASE = 36, TMIN = 1, TMAX = 26, SKEW = 38, DAMP = 700;
    var codes = label.map(function (ch) { return ch.codePointAt(0); });
    var basic = codes.filter(function (c) { return c < 0x80; }).length;
    var length = basic + (basic > 0 ? 1 : 0), n = 128, delta = 0, bias = 72, handled = basic;
    function adapt(d, count, first) {
      d = first ? Math.floor(d / DAMP) : d >> 1;
      d += Math.floor(d / count);
      var k = 0;
      while (d > ((BASE - TMIN) * TMAX) >> 1) { d = Math.floor(d / (BASE - TMIN)); k += BASE; }
      return k + Math.floor(((BASE - TMIN + 1) * d) / (d + SKEW));
    }
    while (handled < codes.length) {
      var next = Math.min.apply(null, codes.filter(function (c) { return c >= n; }));
      delta += (next - n) * (handled + 1);
      n = next;
      for (var i = 0; i < codes.length; i++) {
        if (codes[i] < n) delta++;
        if (codes[i] === n) {
          var q = delta;
          for (var k = BASE; ; k += BASE) {
            var t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
            length++;
            if (q < t) break;
            q = Math.floor((q - t) / (BASE - t));
          }
          bias = adapt(delta, handled + 1, handled === basic);
          delta = 0;
          handled++;
        }
      }
      delta++;
      n++;
    }
    return length;
  }

  function urlSpans(chars) {
    return chars.indexOf(".") === -1 ? [] : new Scanner(chars).spans();
  }

  function isEmpty(text) { // Java's String.trim() drops every character up to U+0020
    for (var i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x20) return false;
    return true;
  }

  function weightedLength(text) { // uncapped, as counting.weighted_length: callers cap first
    if (isEmpty(text)) return 0;
    text = text.normalize("NFC");
    var chars = Array.from(text), urls = new Map(), emoji = new Map();
    urlSpans(chars).forEach(function (span) { urls.set(span[0], span[1]); });
    var index16 = new Map(), offset = 0; // UTF-16 offset -> code point index, for the emoji matches
    chars.forEach(function (ch, i) { index16.set(offset, i); offset += ch.length; });
    index16.set(offset, chars.length);
    EMOJI.lastIndex = 0;
    var match;
    while ((match = EMOJI.exec(text)) !== null) {
      emoji.set(index16.get(match.index), index16.get(match.index + match[0].length));
    }
    var scaled = 0, position = 0, end = chars.length;
    while (position < end) { // a URL, then (in the same step) one emoji sequence or one code point
      if (urls.has(position)) {
        scaled += CONFIG.transformedURLLength * CONFIG.scale;
        position = urls.get(position);
        if (position >= end) break;
      }
      if (emoji.has(position)) {
        scaled += CONFIG.defaultWeight;
        position = emoji.get(position);
      } else {
        scaled += weight(chars[position]);
        position++;
      }
    }
    return Math.floor(scaled / CONFIG.scale);
  }

  function parse(text) { // as counting.parse: {weightedLength, valid, problems}
    if (text.length > 0 && Array.from(text).length > MAX_INPUT) {
      return { weightedLength: null, valid: false, problems: ["too_many_characters"] };
    }
    if (isEmpty(text)) return { weightedLength: 0, valid: false, problems: ["empty"] };
    var length = weightedLength(text), problems = [];
    if (/[\ufffe\ufeff\uffff]/.test(text)) problems.push("invalid_character");
    if (length > CONFIG.maxWeightedTweetLength) problems.push("too_long");
    return { weightedLength: length, valid: problems.length === 0, problems: problems };
  }

  root.XCounting = {
    MAX_INPUT: MAX_INPUT,
    parse: parse,
    weightedLength: weightedLength,
    urlSpans: function (text) { return urlSpans(Array.from(text)); }
  };
})(typeof window !== "undefined" ? window : globalThis);
