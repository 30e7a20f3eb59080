"""Tests for tune.py:  python3.11 -m unittest models/corpus/test_tune.py  (stdlib only).

The last test replays the CLI's own verdicts from a scores cache written by evaluate.py
(SAFEFRAME_SCORES, default /work/corpus-cache/scores-fp32.json) and is skipped when there is none.
"""
import json
import os
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tune  # noqa: E402


def img(primary, second=None, **kw):
    d = {"set": "corpus", "kind": "photo-people", "file": "x.png",
         "scores": dict(zip(("drawing", "hentai", "neutral", "porn", "sexy"), primary))}
    if second is not None:
        d["models"] = {"nsfwjs-mobilenetv2-fp32": d["scores"], "other-pack": {"sfw": 1 - second, "nsfw": second}}
    d.update(kw)
    return d


class TuneTest(unittest.TestCase):
    def test_old_form_is_one_primary_condition(self):
        rules = tune.normalise({"rules": [{"categories": ["porn"], "threshold": 0.4, "action": "block"}]})
        self.assertEqual(rules[0]["when"][0]["model"], "primary")
        self.assertEqual(tune.decide(img((0, 0, 0.6, 0.4, 0)), rules), "block")
        self.assertEqual(tune.decide(img((0, 0, 0.61, 0.39, 0)), rules), "allow")

    def test_all_conditions_must_hold_and_labels_sum(self):
        pol = {"rules": [{"when": [{"model": "primary", "labels": ["porn", "hentai"], "threshold": 0.4},
                                   {"model": "second", "labels": ["nsfw"], "threshold": 0.2}], "action": "block"}]}
        rules = tune.normalise(pol)
        self.assertEqual(tune.decide(img((0, 0.2, 0.5, 0.2, 0.1), second=0.3), rules), "block")
        self.assertEqual(tune.decide(img((0, 0.2, 0.5, 0.2, 0.1), second=0.1), rules), "allow")
        self.assertEqual(tune.decide(img((0, 0.1, 0.6, 0.2, 0.1), second=0.9), rules), "allow")

    def test_missing_second_model_fails_the_condition(self):
        rules = tune.normalise({"rules": [{"when": [{"model": "second", "labels": ["nsfw"], "threshold": 0.0}],
                                           "action": "warn"}]})
        self.assertEqual(tune.decide(img((1, 0, 0, 0, 0)), rules), "allow")

    def test_most_severe_action_wins(self):
        rules = tune.normalise(tune.PRESETS["child"])
        self.assertEqual(tune.decide(img((0, 0, 0.1, 0.45, 0.45)), rules), "block")
        self.assertEqual(tune.decide(img((0, 0, 0.5, 0.2, 0.3)), rules), "blur")
        self.assertEqual(tune.decide(img((0.9, 0, 0.1, 0, 0)), rules), "allow")

    def test_float32_sum_at_the_edge(self):
        # 0.1f + 0.2f + 0.2f in float32 is 0.50000006 (>= 0.5f); float64 on the same inputs agrees here,
        # but the f32 threshold 0.4f (0.4000000059604645) is what the SDK compares against.
        rules = tune.normalise({"rules": [{"categories": ["porn"], "threshold": 0.4, "action": "block"}]})
        self.assertEqual(tune.decide(img((0, 0, 0, tune.f32(0.4), 0)), rules), "block")
        self.assertEqual(tune.decide(img((0, 0, 0, 0.39999998, 0)), rules), "allow")

    def test_bad_policies_are_refused(self):
        for bad in ({}, {"rules": []}, {"rules": [{"categories": ["porn"], "threshold": 1.5, "action": "block"}]},
                    {"rules": [{"when": [], "action": "block"}]},
                    {"rules": [{"categories": ["porn"], "threshold": 0.5, "action": "allow"}]}):
            with self.assertRaises(ValueError):
                tune.normalise(bad)

    def test_replays_the_cli_on_cached_scores(self):
        path = Path(os.environ.get("SAFEFRAME_SCORES", "/work/corpus-cache/scores-fp32.json"))
        if not path.is_file():
            self.skipTest(f"no scores cache at {path}")
        data = json.loads(path.read_text())
        checked = 0
        for preset in ("child", "teen", "adult"):
            rules = tune.normalise(tune.PRESETS[preset])
            for i in data["images"]:
                if preset in i.get("actions", {}):
                    self.assertEqual(tune.decide(i, rules), i["actions"][preset], (preset, i["file"], i["scores"]))
                    checked += 1
        self.assertGreater(checked, 1000)


if __name__ == "__main__":
    unittest.main()
