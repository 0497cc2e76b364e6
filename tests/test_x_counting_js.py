"""The browser's X counter (x-counting.js, run by node) gives the server's numbers on the same cases."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from queues.platforms.x import counting
from tests.x_counting_cases import CASES, PARSE_CASES

STATIC = Path(__file__).resolve().parents[1] / "queues" / "static" / "queues"
NODE = shutil.which("node")

# Loads the two static files as the page does (window is the global object) and answers each text.
RUNNER = """
const fs = require("fs"), vm = require("vm"), path = require("path");
const sandbox = {}; sandbox.window = sandbox; vm.createContext(sandbox);
for (const name of ["x-text-data.js", "x-counting.js"]) {
  vm.runInContext(fs.readFileSync(path.join(process.argv[1], name), "utf8"), sandbox, { filename: name });
}
const X = sandbox.XCounting, texts = JSON.parse(fs.readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify({
  maxInput: X.MAX_INPUT,
  lengths: texts.map((text) => X.weightedLength(text)),
  parsed: texts.map((text) => X.parse(text)),
}));
"""

pytestmark = pytest.mark.skipif(
    NODE is None and not os.environ.get("CI"), reason="node is not installed (CI requires it: apt-get install nodejs)"
)


@pytest.fixture(scope="module")
def run_js():
    def run(texts):
        assert NODE, "node is required in CI"
        result = subprocess.run(
            [NODE, "-e", RUNNER, str(STATIC)],
            input=json.dumps(texts),
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return json.loads(result.stdout)

    return run


def test_the_browser_counts_every_case_as_the_server_does(run_js):
    answers = run_js([text for _, text, _ in CASES])
    got = {name: length for (name, _, _), length in zip(CASES, answers["lengths"], strict=True)}
    assert got == {name: length for name, _, length in CASES}


def test_the_browser_finds_the_same_problems(run_js):
    texts = [text for text, _, _ in PARSE_CASES] + ["a" * (counting.MAX_INPUT + 1)]
    answers = run_js(texts)
    got = [(p["weightedLength"], tuple(p["problems"]), p["valid"]) for p in answers["parsed"]]
    expected = [(length, problems, not problems) for _, length, problems in PARSE_CASES]
    assert got == expected + [(None, (counting.TOO_MANY_CHARACTERS,), False)]
    assert answers["maxInput"] == counting.MAX_INPUT


def test_the_browser_counts_hostile_texts_as_the_server_does(run_js):
    texts = ["b." * 20_000, "http://" + "a." * 20_000, "👍" + "\u200d" * 40_000, "a.com/(" * 5_000, "x.com " * 5_000]
    assert run_js(texts)["lengths"] == [counting.weighted_length(text) for text in texts]
